/**
 * The one git gateway: every git process kit starts is started here, with one fixed environment.
 *
 * Traps it guards against:
 * - Prompts and pagers would hang an agent: GIT_TERMINAL_PROMPT=0, no PAGER/EDITOR variables, LC_ALL=C
 *   so that messages kit parses are not translated. GIT_OPTIONAL_LOCKS=0 keeps read commands such as
 *   `status` from taking the index lock another agent may need.
 * - simple-git refuses PAGER/EDITOR variables passed through `.env()` (its environment guard), so the
 *   environment is built here, once, without them, and never by spreading process.env into `.env()`.
 * - simple-git resolves (does not reject) when git exits non-zero with an empty stderr, and it cannot
 *   feed stdin or return binary output. Commands whose exit code carries meaning, that read stdin, or
 *   that print binary objects run through `spawnGit`, which reports the exit code as it is.
 * - Node starts children with fork(), which costs milliseconds in a process of kit's size: git runs
 *   through one small long-lived shell (src/io/git-shell.ts) where there is a POSIX shell; elsewhere
 *   `spawnGit` spawns directly and `raw` goes through simple-git.
 * simple-git itself is imported on first use: commands that never touch git do not pay for it.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { setPriority } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimpleGit } from 'simple-git';
import { GitCommandError, KitError } from '../errors.js';
import { GitShell } from './git-shell.js';

const DROPPED_VARIABLES = [
  'PAGER',
  'GIT_PAGER',
  'EDITOR',
  'VISUAL',
  'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR',
  'GIT_ASKPASS',
];

function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !DROPPED_VARIABLES.includes(key)) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_OPTIONAL_LOCKS = '0';
  env.LC_ALL = 'C';
  return env;
}

export interface SpawnResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

export interface SpawnOptions {
  /** Extra variables, e.g. GIT_INDEX_FILE for a temporary index. */
  env?: Record<string, string>;
  cwd?: string;
  /**
   * Run at a lower CPU priority (nice 10): for throughput work, such as the worktree statuses of a merge
   * preflight, that runs alongside a chain of short git processes whose latency decides the wall time.
   */
  lowPriority?: boolean;
}

export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Short branch name, or null when detached. */
  branch: string | null;
  bare: boolean;
  locked: string | null;
  prunable: string | null;
}

/** The niceness of low-priority git processes (see SpawnOptions.lowPriority). */
const LOW_PRIORITY = 10;

/** One shell for the whole process, started on the first git command (see src/io/git-shell.ts). */
let sharedShell: { environment: string; shell: GitShell | null } | undefined;

export class Git {
  private simple: SimpleGit | undefined;
  private readonly env = gitEnvironment();
  private shell: GitShell | null | undefined;

  constructor(readonly cwd: string) {}

  private gitShell(): GitShell | null {
    if (this.shell === undefined) {
      const environment = JSON.stringify(this.env);
      sharedShell ??= { environment, shell: GitShell.start(this.env) };
      this.shell = sharedShell.environment === environment ? sharedShell.shell : null;
    }
    return this.shell?.usable ? this.shell : null;
  }

  private async client(): Promise<SimpleGit> {
    if (!this.simple) {
      const { simpleGit } = await import('simple-git');
      this.simple = simpleGit({
        baseDir: this.cwd,
        binary: 'git',
        maxConcurrentProcesses: 8,
        trimmed: false,
        // simple-git's guard refuses environment variables that point git at other programs or config
        // (GIT_SSH_COMMAND, GIT_CONFIG_GLOBAL, PREFIX, ...). They are the user's own settings, which kit
        // must honour, and kit never passes arguments from untrusted input; pager and editor stay blocked
        // (and are dropped from the environment above).
        unsafe: {
          allowUnsafeConfigPaths: true,
          allowUnsafeConfigEnvCount: true,
          allowUnsafeSshCommand: true,
          allowUnsafeAskPass: true,
          allowUnsafeGitProxy: true,
          allowUnsafeTemplateDir: true,
          allowUnsafeDiffExternal: true,
        },
      }).env(this.env);
    }
    return this.simple;
  }

  /** Runs git and returns stdout; a failure becomes a GitCommandError with git's own message. */
  async raw(args: readonly string[]): Promise<string> {
    if (this.gitShell()) {
      const result = await this.spawnGit(args);
      if (result.exitCode !== 0) throw new GitCommandError(args, result.exitCode, result.stderr);
      return result.stdout.toString('utf8');
    }
    const client = await this.client();
    try {
      return await client.raw([...args]);
    } catch (error) {
      throw new GitCommandError(args, null, (error as Error).message);
    }
  }

  /** Runs git with optional stdin and returns the exit code as it is (nothing is thrown for non-zero). */
  spawnGit(args: readonly string[], input?: string | Buffer, options: SpawnOptions = {}): Promise<SpawnResult> {
    const shell = this.gitShell();
    if (shell?.accepts(options.env)) {
      return shell.run(args, options.cwd ?? this.cwd, input, options.env, options.lowPriority);
    }
    return new Promise((resolve, reject) => {
      const env = options.env ? { ...this.env, ...options.env } : this.env;
      const child = spawn('git', [...args], { cwd: options.cwd ?? this.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      if (options.lowPriority && child.pid !== undefined) {
        try {
          setPriority(child.pid, LOW_PRIORITY);
        } catch {
          // Not allowed or already gone: it simply runs at normal priority.
        }
      }
      child.on('close', (code) =>
        resolve({ exitCode: code ?? 128, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
      );
      child.stdin.on('error', () => {
        // git may exit before reading all input (e.g. on a usage error); its exit code tells the story.
      });
      child.stdin.end(input ?? '');
    });
  }

  /** Where the repository is, seen from cwd; undefined outside any git repository. One spawn usually. */
  async locate(): Promise<{ toplevel: string | null; commonDir: string; gitDir: string } | undefined> {
    const base = ['rev-parse', '--path-format=absolute', '--git-common-dir', '--git-dir'];
    const full = await this.spawnGit([...base, '--show-toplevel']);
    if (full.exitCode === 0) {
      const [commonDir, gitDir, toplevel] = full.stdout.toString('utf8').trim().split('\n');
      if (commonDir && gitDir) return { toplevel: toplevel || null, commonDir, gitDir };
    }
    // --show-toplevel fails inside a bare repository or a .git dir: tell that apart from "no repository".
    const bare = await this.spawnGit(base);
    if (bare.exitCode !== 0) return undefined;
    const [commonDir, gitDir] = bare.stdout.toString('utf8').trim().split('\n');
    return commonDir && gitDir ? { toplevel: null, commonDir, gitDir } : undefined;
  }

  /** The branch checked out here, or null when HEAD is detached. An unborn branch still has a name. */
  async currentBranch(): Promise<string | null> {
    const result = await this.spawnGit(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return result.exitCode === 0 ? result.stdout.toString('utf8').trim() : null;
  }

  /** Every worktree of the repository (the main one first), from `git worktree list --porcelain -z`. */
  async worktrees(): Promise<WorktreeEntry[]> {
    // Spawned directly, not through simple-git: a lane change needs no other simple-git call, so it
    // never loads that package.
    const args = ['worktree', 'list', '--porcelain', '-z'];
    const result = await this.spawnGit(args);
    if (result.exitCode !== 0) throw new GitCommandError(args, result.exitCode, result.stderr);
    const output = result.stdout.toString('utf8');
    const entries: WorktreeEntry[] = [];
    let current: WorktreeEntry | undefined;
    for (const field of output.split('\0')) {
      if (field === '') {
        if (current) entries.push(current);
        current = undefined;
        continue;
      }
      const space = field.indexOf(' ');
      const key = space === -1 ? field : field.slice(0, space);
      const value = space === -1 ? '' : field.slice(space + 1);
      if (key === 'worktree') {
        current = { path: value, head: null, branch: null, bare: false, locked: null, prunable: null };
      } else if (current) {
        if (key === 'HEAD') current.head = value;
        else if (key === 'branch') current.branch = value.replace(/^refs\/heads\//, '');
        else if (key === 'bare') current.bare = true;
        else if (key === 'locked') current.locked = value;
        else if (key === 'prunable') current.prunable = value;
      }
    }
    if (current) entries.push(current);
    return entries;
  }

  /** Blobs under each path (a directory, or a file) in `commit` (recursive), with their ids and sizes; null if the commit is unknown. */
  async listBlobs(
    commit: string,
    paths: string | readonly string[],
  ): Promise<{ path: string; id: string; size: number }[] | null> {
    const pathspecs = typeof paths === 'string' ? [paths] : paths;
    const result = await this.spawnGit(['ls-tree', '-r', '-l', '-z', '--full-tree', commit, '--', ...pathspecs]);
    if (result.exitCode !== 0) return null;
    const blobs: { path: string; id: string; size: number }[] = [];
    for (const entry of result.stdout.toString('utf8').split('\0')) {
      const tab = entry.indexOf('\t');
      if (tab === -1) continue;
      const [, type, id, size] = entry.slice(0, tab).split(/\s+/);
      if (type === 'blob' && id) blobs.push({ path: entry.slice(tab + 1), id, size: Number(size) || 0 });
    }
    return blobs;
  }

  /** The contents of several blobs in one `cat-file --batch` process. */
  async readBlobs(ids: readonly string[]): Promise<Map<string, Buffer>> {
    const blobs = new Map<string, Buffer>();
    if (ids.length === 0) return blobs;
    const result = await this.spawnGit(['cat-file', '--batch'], `${ids.join('\n')}\n`);
    if (result.exitCode !== 0) throw new GitCommandError(['cat-file', '--batch'], result.exitCode, result.stderr);
    return parseCatFileBatch(result.stdout, ids);
  }

  /**
   * The names in directory `path` of each given commit-ish, in one git process (`cat-file --batch`
   * reads raw tree objects), so scanning every branch costs one spawn whatever the number of branches.
   * A commit-ish without that directory maps to an empty list.
   */
  async directoryNames(commitishes: readonly string[], path: string): Promise<Map<string, string[]>> {
    const names = new Map<string, string[]>();
    if (commitishes.length === 0) return names;
    const input = commitishes.map((c) => `${c}:${path}\n`).join('');
    const result = await this.spawnGit(['cat-file', '--batch'], input);
    if (result.exitCode !== 0) throw new GitCommandError(['cat-file', '--batch'], result.exitCode, result.stderr);
    const out = result.stdout;
    let offset = 0;
    for (const commitish of commitishes) {
      const headerEnd = out.indexOf(0x0a, offset);
      if (headerEnd === -1) break;
      const header = out.toString('utf8', offset, headerEnd);
      offset = headerEnd + 1;
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        names.set(commitish, []);
        continue;
      }
      const [, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      const body = out.subarray(offset, offset + size);
      offset += size + 1;
      names.set(commitish, type === 'tree' ? parseTreeNames(body, idBytes(commitish)) : []);
    }
    return names;
  }
}

export interface MergeTreeResult {
  clean: boolean;
  /** The merged tree; when not clean it holds conflict markers (`git show <tree>:<path>` previews one). */
  tree: string;
  conflictedPaths: string[];
  /** `CONFLICT (contents)`, `CONFLICT (modify/delete)`, ... with the paths each one names. */
  conflicts: { type: string; paths: string[]; message: string }[];
}

/** The conflicted paths of a merge with the kind of each (`contents`, `modify/delete`, `rename/delete`...). */
export function conflictedFiles(merged: MergeTreeResult): { path: string; kind: string }[] {
  const kinds = new Map<string, string>();
  for (const conflict of merged.conflicts) {
    for (const path of conflict.paths) {
      if (!kinds.has(path)) kinds.set(path, conflict.type.replace(/^CONFLICT \((.*)\)$/, '$1'));
    }
  }
  const paths = merged.conflictedPaths.length > 0 ? merged.conflictedPaths : [...kinds.keys()];
  return paths.map((path) => ({ path, kind: kinds.get(path) ?? 'contents' }));
}

export interface StatusEntry {
  /** Two-letter porcelain code: `M.`, `.M`, `??` (untracked), `!!` (ignored), `UU` (unmerged), ... */
  code: string;
  path: string;
}

const LOCK_BUSY = /\.lock': File exists|Unable to create '[^']*\.lock'/;
const IDENTITY_MISSING = /Please tell me who you are|empty ident name|unable to auto-detect email/;

/** Plumbing kit uses to change branches without touching anyone's checkout. */
export class GitPlumbing {
  constructor(private readonly git: Git) {}

  /** stdout of a git command that must succeed, without its final newline. */
  async output(args: readonly string[], input?: string | Buffer, options: SpawnOptions = {}): Promise<string> {
    let result = await this.git.spawnGit(args, input, options);
    // Another git process (the user's, or an agent's) may hold index.lock for a moment: wait, bounded,
    // rather than let "index.lock: File exists" reach the user.
    for (let attempt = 0; result.exitCode !== 0 && LOCK_BUSY.test(result.stderr) && attempt < 40; attempt++) {
      await sleep(10 + Math.random() * 40);
      result = await this.git.spawnGit(args, input, options);
    }
    if (result.exitCode !== 0) {
      if (IDENTITY_MISSING.test(result.stderr)) {
        throw new KitError('git does not know who you are, so kit cannot commit', {
          hint: 'set it with git config --global user.name "Your Name" and git config --global user.email you@example.com',
        });
      }
      throw new GitCommandError(args, result.exitCode, result.stderr);
    }
    return result.stdout.toString('utf8').replace(/\n$/, '');
  }

  /** The commit a revision names, or null when it names none. */
  async resolveCommit(revision: string): Promise<string | null> {
    const result = await this.git.spawnGit([
      'rev-parse',
      '--verify',
      '--quiet',
      '--end-of-options',
      `${revision}^{commit}`,
    ]);
    return result.exitCode === 0 ? result.stdout.toString('utf8').trim() : null;
  }

  /** The bytes of `path` in `commit`, or null when the commit has no such file. */
  async readBlob(commit: string, path: string): Promise<Buffer | null> {
    const result = await this.git.spawnGit(['cat-file', 'blob', `${commit}:${path}`]);
    return result.exitCode === 0 ? result.stdout : null;
  }

  /** Stores content as a blob and returns its id. */
  writeBlob(content: string | Buffer): Promise<string> {
    return this.output(['hash-object', '-w', '--stdin'], content);
  }

  /**
   * `commit`'s tree with these files set (each may also remove the path it moved from), written from a
   * temporary index so the user's index is never touched. The blobs may still be being written: the tree
   * is read into the index meanwhile.
   *
   * With `kept` (a name), the index is kept under the state dir between runs: when the last run's commit
   * (see keptIndexAt) is `commit` again, as it is for lane commits one after another on a target, reading
   * the whole tree into a fresh index (tens of ms on a big repository) is skipped. Callers hold the lane
   * lock, so no two writers share a kept index.
   */
  async treeWithBlobs(
    commit: string,
    entries: Promise<readonly { path: string; blob: string; remove: string | null }[]>,
    stateDir: string,
    kept?: string,
  ): Promise<string> {
    const index = kept
      ? keptIndexPath(stateDir, kept)
      : join(stateDir, `index-${process.pid}-${randomBytes(4).toString('hex')}`);
    const env = { GIT_INDEX_FILE: index };
    let fresh = false;
    if (kept) {
      fresh = readStamp(index) === commit && existsSync(index);
      // From here until keptIndexAt the index holds something no stamp describes.
      rmSync(`${index}.commit`, { force: true });
      mkdirSync(dirname(index), { recursive: true });
      // A git process killed while writing it leaves its lock behind; only kit, under the lane lock, uses
      // this index, so a lock here is always such a leftover.
      rmSync(`${index}.lock`, { force: true });
    }
    let ok = false;
    try {
      const [read, listed] = await Promise.allSettled([
        fresh ? Promise.resolve('') : this.output(['read-tree', commit], undefined, { env }),
        entries,
      ]);
      if (listed.status === 'rejected') throw listed.reason;
      if (read.status === 'rejected') throw read.reason;
      const update = ['update-index', '--add'];
      for (const entry of listed.value) {
        update.push('--cacheinfo', `100644,${entry.blob},${entry.path}`);
        if (entry.remove) update.push('--force-remove', entry.remove);
      }
      if (listed.value.length > 0) await this.output(update, undefined, { env });
      const tree = await this.output(['write-tree'], undefined, { env });
      ok = true;
      return tree;
    } finally {
      if (!kept || !ok) rmSync(index, { force: true });
    }
  }

  /** A commit of `tree` with these parents; no hooks run and nothing is checked out. */
  commitTree(tree: string, parents: readonly string[], message: string): Promise<string> {
    return this.output(['commit-tree', tree, ...parents.flatMap((parent) => ['-p', parent]), '-F', '-'], message);
  }

  /**
   * Moves `ref` to `next` only if it is still at `expected` (null: only if it does not exist yet).
   * False when another writer got there first. A briefly held `<ref>.lock` is retried.
   */
  async compareAndSwapRef(ref: string, next: string, expected: string | null): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const result = await this.git.spawnGit(['update-ref', '-m', 'kit', ref, next, expected ?? '']);
      if (result.exitCode === 0) return true;
      const lockHeld = /File exists|Unable to create '.*\.lock'/.test(result.stderr);
      if (!lockHeld || attempt >= 20) {
        if (lockHeld || /cannot lock ref|but expected|reference already exists|is at/.test(result.stderr)) return false;
        throw new GitCommandError(['update-ref', ref, next, expected ?? ''], result.exitCode, result.stderr);
      }
      await sleep(5 + Math.random() * 20 * (attempt + 1));
    }
  }

  /** Merges two commits in memory (`git merge-tree --write-tree`): no worktree, index or ref is touched. */
  async mergeTree(ours: string, theirs: string): Promise<MergeTreeResult> {
    const result = await this.git.spawnGit(['merge-tree', '--write-tree', '-z', '--messages', ours, theirs]);
    if (result.exitCode === 129) {
      throw new KitError('this git is too old for in-memory merges (git merge-tree --write-tree)', {
        hint: 'kit needs git 2.38 or newer; check with git --version',
      });
    }
    if (result.exitCode !== 0 && result.exitCode !== 1) {
      throw new GitCommandError(['merge-tree', '--write-tree', ours, theirs], result.exitCode, result.stderr);
    }
    const fields = result.stdout.toString('utf8').split('\0');
    const tree = fields[0] ?? '';
    const conflictedPaths = new Set<string>();
    let index = 1;
    if (result.exitCode === 1) {
      for (; index < fields.length && fields[index] !== ''; index++) {
        const entry = fields[index] ?? '';
        const tab = entry.indexOf('\t');
        if (tab !== -1) conflictedPaths.add(entry.slice(tab + 1));
      }
      index++;
    }
    const conflicts: MergeTreeResult['conflicts'] = [];
    while (index < fields.length) {
      const count = Number(fields[index]);
      if (!Number.isInteger(count) || count <= 0) break;
      const paths = fields.slice(index + 1, index + 1 + count);
      const type = fields[index + 1 + count] ?? '';
      const message = fields[index + 2 + count] ?? '';
      index += count + 3;
      if (type.startsWith('CONFLICT')) conflicts.push({ type, paths, message: message.trim() });
    }
    return { clean: result.exitCode === 0, tree, conflictedPaths: [...conflictedPaths].sort(), conflicts };
  }

  /** The tree of a commit. */
  treeOf(commit: string): Promise<string> {
    return this.output(['rev-parse', '--verify', `${commit}^{tree}`]);
  }

  /**
   * A three-way merge of `theirs` onto `ours` with an explicit merge base, in memory. git 2.39 has no
   * `merge-tree --merge-base`, so the base is imposed the verified way: parentless commits of the three
   * trees, two of them children of the base one, merged by `merge-tree`.
   */
  async threeWayMerge(
    base: string,
    ours: string,
    theirs: string,
    treeOf: (commit: string) => Promise<string> = (commit) => this.treeOf(commit),
  ): Promise<MergeTreeResult> {
    const [baseTree, oursTree, theirsTree] = await Promise.all([treeOf(base), treeOf(ours), treeOf(theirs)]);
    const syntheticBase = await this.commitTree(baseTree, [], 'kit: merge base\n');
    const [syntheticOurs, syntheticTheirs] = await Promise.all([
      this.commitTree(oursTree, [syntheticBase], 'kit: ours\n'),
      this.commitTree(theirsTree, [syntheticBase], 'kit: theirs\n'),
    ]);
    return this.mergeTree(syntheticOurs, syntheticTheirs);
  }

  /** A commit that keeps another commit's author and message (for rebased WP commits). */
  async replayCommit(tree: string, parent: string, original: string, trailer?: string): Promise<string> {
    const info = await this.output(['log', '-1', '--format=%an%x00%ae%x00%aI%x00%B', original]);
    const [name = '', email = '', date = '', ...message] = info.split('\0');
    const text = message.join('\0').trimEnd();
    return this.output(['commit-tree', tree, '-p', parent, '-F', '-'], `${text}\n${trailer ? `\n${trailer}\n` : ''}`, {
      env: { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: date },
    });
  }

  /**
   * One all-or-nothing ref transaction (`update-ref --stdin`): every `verify` must still hold and every
   * `update` must find its ref at the old value, or no ref moves. False when something moved meanwhile.
   */
  async updateRefsAtomically(
    updates: readonly { ref: string; next: string; expected: string | null }[],
    verifies: readonly { ref: string; sha: string }[],
  ): Promise<boolean> {
    const lines = ['start'];
    for (const verify of verifies) lines.push(`verify ${verify.ref} ${verify.sha}`);
    for (const update of updates) lines.push(`update ${update.ref} ${update.next} ${update.expected ?? ''}`.trimEnd());
    lines.push('prepare', 'commit');
    const result = await this.git.spawnGit(['update-ref', '--stdin'], `${lines.join('\n')}\n`);
    if (result.exitCode === 0) return true;
    if (
      /cannot lock ref|is at .* but expected|unable to resolve|reference already exists|File exists/.test(result.stderr)
    ) {
      return false;
    }
    throw new GitCommandError(['update-ref', '--stdin'], result.exitCode, result.stderr);
  }

  /** Deletes every ref, each only if it is still at its expected commit, in one transaction: all or none. */
  async deleteRefsAtomically(refs: readonly { ref: string; expected: string }[], reason: string): Promise<boolean> {
    if (refs.length === 0) return true;
    const lines = ['start', ...refs.map((entry) => `delete ${entry.ref} ${entry.expected}`), 'prepare', 'commit'];
    const result = await this.git.spawnGit(['update-ref', '-m', reason, '--stdin'], `${lines.join('\n')}\n`);
    return result.exitCode === 0;
  }

  /** The commits of `base..tip` oldest first, without merges, for replaying them one by one. */
  async commitsToReplay(base: string, tip: string, alsoExclude: readonly string[] = []): Promise<string[]> {
    const exclude = [`^${base}`, ...alsoExclude.map((commit) => `^${commit}`)];
    const out = await this.output(['rev-list', '--reverse', '--no-merges', tip, ...exclude, '--']);
    return out.split('\n').filter(Boolean);
  }

  /** How many merge commits `tip` has that the excluded commits do not. */
  async countMerges(tip: string, exclude: readonly string[]): Promise<number> {
    const out = await this.output([
      'rev-list',
      '--count',
      '--merges',
      tip,
      ...exclude.map((commit) => `^${commit}`),
      '--',
    ]);
    return Number(out) || 0;
  }

  /** Commits reachable from `tip` and not from `base`, newest first, as `sha subject`. */
  async commitsBetween(
    base: string,
    tip: string,
    alsoExclude: readonly string[] = [],
  ): Promise<{ sha: string; subject: string }[]> {
    const out = await this.output(['log', '--format=%H %s', tip, `^${base}`, ...alsoExclude.map((c) => `^${c}`), '--']);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => ({ sha: line.slice(0, line.indexOf(' ')), subject: line.slice(line.indexOf(' ') + 1) }));
  }

  /**
   * The paths that differ in each pair of commits, in the order of the pairs, from one
   * `git diff-tree --stdin` for all of them.
   */
  async changedPathsOfPairs(pairs: readonly { from: string; to: string }[]): Promise<string[][]> {
    if (pairs.length === 0) return [];
    const input = pairs.map((pair) => `${pair.to} ${pair.from}\n`).join('');
    // `--always` prints a header (\x01 and the commit) for every pair, even one without differences, so
    // the n-th header starts the n-th pair's paths.
    const out = await this.output(
      ['diff-tree', '--stdin', '-r', '--name-only', '--no-renames', '-z', '--always', '--format=%x01%H'],
      input,
    );
    const changed: string[][] = [];
    let afterHeader = false;
    for (const field of out.split('\0')) {
      if (field.startsWith('\x01')) {
        changed.push([]);
        afterHeader = true;
        continue;
      }
      // The first path after a header comes after the header's line break.
      const path = afterHeader ? field.replace(/^\n/, '') : field;
      afterHeader = false;
      if (path) changed[changed.length - 1]?.push(path);
    }
    if (changed.length !== pairs.length) {
      throw new GitCommandError(
        ['diff-tree', '--stdin'],
        0,
        `expected ${pairs.length} diffs, git printed ${changed.length}`,
      );
    }
    return changed;
  }

  /** The commits reachable from any of `tips` that `result` does not contain (none: it holds them all). */
  async commitsMissingFrom(tips: readonly string[], result: string): Promise<string[]> {
    if (tips.length === 0) return [];
    const out = await this.output(['rev-list', ...tips, '--not', result, '--']);
    return out.split('\n').filter(Boolean);
  }

  /** Paths that differ between two commits, limited to a directory. */
  async changedPaths(from: string, to: string, directory: string): Promise<string[]> {
    const out = await this.output(['diff', '--name-only', '--no-renames', '-z', from, to, '--', directory]);
    return out.split('\0').filter(Boolean);
  }

  /** Every local branch with its tip, from one `for-each-ref`. */
  async branchTips(): Promise<Map<string, string>> {
    const out = await this.output(['for-each-ref', '--format=%(refname:lstrip=2)%00%(objectname)', 'refs/heads']);
    const tips = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [name, sha] = line.split('\0');
      if (name && sha) tips.set(name, sha);
    }
    return tips;
  }

  /** Local branches whose tips are contained in `commit`, from one `for-each-ref --merged`. */
  async branchesMergedInto(commit: string): Promise<Set<string>> {
    const out = await this.output(['for-each-ref', `--merged=${commit}`, '--format=%(refname:lstrip=2)', 'refs/heads']);
    return new Set(out.split('\n').filter(Boolean));
  }

  /** Refs under a prefix with their commits. */
  async refsUnder(prefix: string): Promise<Map<string, string>> {
    const out = await this.output(['for-each-ref', '--format=%(refname)%00%(objectname)', prefix]);
    const refs = new Map<string, string>();
    for (const line of out.split('\n')) {
      const [name, sha] = line.split('\0');
      if (name && sha) refs.set(name, sha);
    }
    return refs;
  }

  /** Like isAncestor, but null instead of an error when either commit is unknown (e.g. garbage collected). */
  async isAncestorIfKnown(ancestor: string, descendant: string): Promise<boolean | null> {
    const result = await this.git.spawnGit(['merge-base', '--is-ancestor', ancestor, descendant]);
    return result.exitCode === 0 ? true : result.exitCode === 1 ? false : null;
  }

  /** True when `ancestor` is an ancestor of (or equal to) `descendant`. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.git.spawnGit(['merge-base', '--is-ancestor', ancestor, descendant]);
    if (result.exitCode === 0) return true;
    if (result.exitCode === 1) return false;
    throw new GitCommandError(['merge-base', '--is-ancestor', ancestor, descendant], result.exitCode, result.stderr);
  }

  /**
   * Changed, untracked and unmerged paths of a checkout, in git's order (changes, then untracked, then
   * ignored); ignored files only when asked, untracked ones unless `untracked: false`.
   */
  async status(
    checkout: string,
    options: { ignored?: boolean; untracked?: boolean; lowPriority?: boolean } = {},
  ): Promise<StatusEntry[]> {
    const args = [
      'status',
      '--porcelain=v2',
      '-z',
      options.untracked === false ? '--untracked-files=no' : '--untracked-files=all',
    ];
    if (options.ignored) args.push('--ignored=matching');
    const raw = (
      await this.output(args, undefined, { cwd: checkout, lowPriority: options.lowPriority === true })
    ).split('\0');
    const entries: StatusEntry[] = [];
    for (let i = 0; i < raw.length; i++) {
      const field = raw[i] ?? '';
      if (field.startsWith('1 ')) entries.push({ code: field.slice(2, 4), path: field.split(' ').slice(8).join(' ') });
      else if (field.startsWith('2 ')) {
        entries.push({ code: field.slice(2, 4), path: field.split(' ').slice(9).join(' ') });
        i++; // the rename's original path follows
      } else if (field.startsWith('u ')) entries.push({ code: 'UU', path: field.split(' ').slice(10).join(' ') });
      else if (field.startsWith('? ')) entries.push({ code: '??', path: field.slice(2) });
      else if (field.startsWith('! ')) entries.push({ code: '!!', path: field.slice(2) });
    }
    return entries;
  }
}

// Object ids are 20 bytes in SHA-1 repositories and 32 in SHA-256 ones; a commit id in hex tells which.
function idBytes(commitish: string): number {
  return /^[0-9a-f]{64}$/.test(commitish) ? 32 : 20;
}

// A raw tree object is a sequence of `<mode> <name>\0<object id>` entries.
function parseTreeNames(tree: Buffer, idLength: number): string[] {
  const names: string[] = [];
  let offset = 0;
  while (offset < tree.length) {
    const space = tree.indexOf(0x20, offset);
    const nul = tree.indexOf(0, space);
    if (space === -1 || nul === -1) break;
    names.push(tree.toString('utf8', space + 1, nul));
    offset = nul + 1 + idLength;
  }
  return names;
}

function keptIndexPath(stateDir: string, name: string): string {
  return join(stateDir, 'lane-index', encodeURIComponent(name));
}

function readStamp(index: string): string | null {
  try {
    return readFileSync(`${index}.commit`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Records that the kept index `name` now holds `commit`'s tree (the commit made from its last tree). */
export function keptIndexAt(stateDir: string, name: string, commit: string): void {
  try {
    writeFileSync(`${keptIndexPath(stateDir, name)}.commit`, `${commit}\n`);
  } catch {
    // Only a shortcut: without the stamp the next run reads the tree again.
  }
}

/** `git cat-file --batch` output for these ids (asked in this order): each object's bytes, missing ones left out. */
export function parseCatFileBatch(out: Buffer, ids: readonly string[]): Map<string, Buffer> {
  const blobs = new Map<string, Buffer>();
  let offset = 0;
  for (const id of ids) {
    const headerEnd = out.indexOf(0x0a, offset);
    if (headerEnd === -1) break;
    const header = out.toString('utf8', offset, headerEnd);
    offset = headerEnd + 1;
    if (header.endsWith(' missing')) continue;
    const size = Number(header.split(' ')[2]);
    blobs.set(id, out.subarray(offset, offset + size));
    offset += size + 1;
  }
  return blobs;
}
