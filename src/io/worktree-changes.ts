/**
 * Each WP worktree's uncommitted files: its changes to tracked files and its untracked files, as
 * `git status --porcelain=v2 -uall` lists them. Finding the untracked ones is half of what such a status
 * costs (git reads every directory of the worktree), and `kit status` asks it of every live worktree on
 * every run, so the untracked files are kept between runs (`.git/kit/untracked-v2.json`) with what git's
 * own untracked cache keys them on:
 * - the stat data of every directory git looks into (all but those an ignore rule excludes, which
 *   `--ignored=matching` names): a file added to, removed from or renamed in a directory changes the
 *   directory's mtime and ctime, whatever it is called;
 * - the stat data of every `.gitignore` in those directories, `info/exclude`, the config files and
 *   `core.excludesFile`, and git's environment: the rules that decide what is ignored;
 * - the worktree's index and HEAD (a `git add`, `git rm --cached` or commit changes what is tracked).
 * When all of that is as recorded, one `git status --untracked-files=no` (the tracked changes, which git
 * checks against its index's stat data) plus the recorded untracked files is the same list, in the same
 * order (git lists changes first, then untracked files); otherwise the full status runs and is recorded.
 * As with git's index, directories that changed within racyWindowMs() of being recorded are not trusted:
 * their worktree is not recorded, and the next run asks git for everything again.
 */
import { existsSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { mapLimited } from '../concurrency.js';
import { writeFileAtomic } from './files.js';
import { type Git, GitPlumbing } from './git.js';
import { racyWindowMs, readIndexEnabled, StatDigest } from './stat-digest.js';

const FORMAT = 2;
const STATUS_CONCURRENCY = 8;
/** A worktree with more directories than this is not recorded: checking them would cost more than git. */
const MAX_RECORDED_DIRS = 5000;

interface RecordedWorktree {
  /** The worktree's git dir (from its `.git` file, whose stat data is part of the digest). */
  gitDir: string;
  /** Directories git looks into, relative to the worktree ('' is the worktree itself). */
  dirs: string[];
  /** `.gitignore` files in them, relative to the worktree. */
  ignoreFiles: string[];
  digest: string;
  untracked: string[];
}

interface RecordFile {
  format: number;
  /** What `core.excludesFile` named when the records were made (the config files' stat data guard it). */
  excludesFile: string | null;
  worktrees: Record<string, RecordedWorktree>;
}

/** Where a worktree's git dir is: its `.git` directory, or the one its `.git` file points to. */
function gitDirOf(worktree: string): string | null {
  const dotGit = join(worktree, '.git');
  const stat = statSync(dotGit, { throwIfNoEntry: false });
  if (!stat) return null;
  if (stat.isDirectory()) return dotGit;
  try {
    const match = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    return match?.[1] ? resolve(worktree, match[1].trim()) : null;
  } catch {
    return null;
  }
}

function statLine(stat: Stats | undefined): string {
  return stat ? `${stat.size}\0${stat.mtimeMs}\0${stat.ctimeMs}\0${stat.ino}\0${stat.mode}` : '-';
}

/** The rules every worktree shares: config files, exclude files and git's environment. */
function sharedRules(commonDir: string, excludesFile: string | null): string {
  const xdg = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  const files = [
    join(commonDir, 'config'),
    join(commonDir, 'info', 'exclude'),
    join(homedir(), '.gitconfig'),
    join(xdg, 'git', 'config'),
    join(xdg, 'git', 'ignore'),
    '/etc/gitconfig',
    ...(excludesFile ? [excludesFile] : []),
  ];
  const environment = Object.entries(process.env)
    .filter(([name]) => name.startsWith('GIT_') || name === 'HOME' || name === 'XDG_CONFIG_HOME')
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`);
  return [
    ...files.map((file) => `${file}\0${statLine(statSync(file, { throwIfNoEntry: false }))}`),
    ...environment,
  ].join('\n');
}

/** The digest of what a worktree's untracked files depend on, and the newest time among its stat data. */
function digestOf(
  worktree: string,
  record: Pick<RecordedWorktree, 'gitDir' | 'dirs' | 'ignoreFiles'>,
  shared: string,
): { digest: string; newestMs: number } {
  const digest = new StatDigest();
  digest.text(`${FORMAT}\0${worktree}\0${record.gitDir}\0${shared}`);
  digest.stat('.git', join(worktree, '.git'));
  digest.stat('HEAD', join(record.gitDir, 'HEAD'));
  digest.stat('index', join(record.gitDir, 'index'));
  for (const dir of record.dirs) digest.stat(dir, dir ? `${worktree}${sep}${dir}` : worktree);
  for (const file of record.ignoreFiles) digest.stat(file, `${worktree}${sep}${file}`);
  return { digest: digest.digest(), newestMs: digest.newestMs };
}

/** The directories git looks into (all but `.git` and ignored ones) and the `.gitignore` files there. */
function walkWorktree(
  worktree: string,
  ignoredDirs: ReadonlySet<string>,
): { dirs: string[]; ignoreFiles: string[] } | null {
  const dirs: string[] = [''];
  const ignoreFiles: string[] = [];
  for (let index = 0; index < dirs.length; index++) {
    if (dirs.length > MAX_RECORDED_DIRS) return null;
    const dir = dirs[index] ?? '';
    let entries;
    try {
      entries = readdirSync(dir ? `${worktree}${sep}${dir}` : worktree, { withFileTypes: true });
    } catch {
      return null;
    }
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      // Symbolic links are not followed: git lists a link, not what it points to.
      if (entry.isDirectory()) {
        if (!ignoredDirs.has(path)) dirs.push(path);
      } else if (entry.name === '.gitignore') ignoreFiles.push(path);
    }
  }
  return { dirs, ignoreFiles };
}

/**
 * Each worktree's uncommitted files (tracked changes and untracked files), by path; null where git could
 * not tell. With `commonDir`, untracked files are recorded there and reused while nothing they depend on
 * changed (see the file comment); without it, one full `git status` per worktree.
 */
export async function uncommittedFilesOf(
  git: Git,
  worktrees: readonly string[],
  commonDir: string | null = null,
): Promise<Map<string, string[] | null>> {
  const plumbing = new GitPlumbing(git);
  if (!readIndexEnabled()) commonDir = null;
  const recordPath = commonDir ? join(commonDir, 'kit', `untracked-v${FORMAT}.json`) : null;
  let records: RecordFile = { format: FORMAT, excludesFile: null, worktrees: {} };
  if (recordPath) {
    try {
      const stored = JSON.parse(readFileSync(recordPath, 'utf8')) as RecordFile;
      if (stored.format === FORMAT && stored.worktrees) records = stored;
    } catch {
      // None yet, or unreadable: every worktree gets a full status.
    }
  }
  let shared = commonDir ? sharedRules(commonDir, records.excludesFile) : '';
  let changed = false;
  // Before the first record is made: which core.excludesFile applies (asked once, by whichever worktree
  // needs a full status first; the others wait for the same answer). A new one voids every record.
  let excludesChecked: Promise<void> | null = null;
  const checkExcludesFile = (gitCommonDir: string) =>
    (excludesChecked ??= (async () => {
      const configured = await git.spawnGit(['config', '--path', '--get', 'core.excludesFile']);
      const excludesFile = configured.exitCode === 0 ? configured.stdout.toString('utf8').trim() || null : null;
      if (excludesFile !== records.excludesFile) {
        records = { format: FORMAT, excludesFile, worktrees: {} };
        shared = sharedRules(gitCommonDir, excludesFile);
        changed = true;
      }
    })());

  const listed = await mapLimited(worktrees, STATUS_CONCURRENCY, async (worktree) => {
    try {
      const recorded = records.worktrees[worktree];
      if (commonDir && recorded) {
        // git lists the tracked changes while the directories are checked.
        const tracked = plumbing.status(worktree, { untracked: false });
        tracked.catch(() => undefined);
        if (digestOf(worktree, recorded, shared).digest === recorded.digest) {
          return [...(await tracked).map((entry) => entry.path), ...recorded.untracked];
        }
        await tracked.catch(() => undefined);
      }
      const gitDir = commonDir ? gitDirOf(worktree) : null;
      if (!commonDir || !gitDir) return (await plumbing.status(worktree)).map((entry) => entry.path);

      // Full status, and a record of what its untracked files depend on.
      await checkExcludesFile(commonDir);
      const startedAtMs = Date.now();
      const entries = await plumbing.status(worktree, { ignored: true });
      const files = entries.filter((entry) => entry.code !== '!!').map((entry) => entry.path);
      const ignoredDirs = new Set(
        entries
          .filter((entry) => entry.code === '!!' && entry.path.endsWith('/'))
          .map((entry) => entry.path.slice(0, -1)),
      );
      const walked = walkWorktree(worktree, ignoredDirs);
      const record = walked && { gitDir, ...walked };
      const { digest, newestMs } = record ? digestOf(worktree, record, shared) : { digest: '', newestMs: Infinity };
      if (record && newestMs < startedAtMs - racyWindowMs()) {
        records.worktrees[worktree] = {
          ...record,
          digest,
          untracked: entries.filter((entry) => entry.code === '??').map((entry) => entry.path),
        };
        changed = true;
      } else if (records.worktrees[worktree]) {
        delete records.worktrees[worktree];
        changed = true;
      }
      return files;
    } catch {
      return null;
    }
  });
  // Records of worktrees that are gone (removed, merged) are dropped when the file is written anyway.
  if (changed) {
    for (const path of Object.keys(records.worktrees)) {
      if (!worktrees.includes(path) && !existsSync(path)) delete records.worktrees[path];
    }
  }
  if (recordPath && changed) {
    try {
      writeFileAtomic(recordPath, JSON.stringify(records));
    } catch {
      // Read-only repository: the next run asks git for everything again.
    }
  }
  return new Map(worktrees.map((path, index) => [path, listed[index] ?? null]));
}
