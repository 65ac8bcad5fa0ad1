/**
 * Watches what the live board shows and says "something changed", with chokidar on the operating system's
 * file events (inotify, FSEvents, ReadDirectoryChangesW): no polling, so an idle board uses no CPU.
 *
 * What is watched, and why:
 * - the specs dir of the main checkout: the WP files of the target branch's checkout (a `kit move` updates
 *   the checked-out copy), plus meta.json and new features;
 * - the git common dir's `refs/` and `packed-refs`: lane commits on a target branch that is not checked
 *   out, new WP branches (`kit implement`), commits in any worktree, and lane commits on kit's own lane ref
 *   (`refs/kit/lanes/<target>`, lane_store: ref: neither a branch nor a checked-out file changes then). All
 *   of `refs/`, because chokidar never watches a path that does not exist yet, and `refs/kit/` appears with
 *   the first lane commit; and its `HEAD` (the main checkout switched branches, which changes where lanes
 *   are read from);
 * - for every WP worktree, its git dir's `HEAD` and `index` (commits, staging) and its working tree minus
 *   `.git` and what git ignores (uncommitted files: an agent editing without staging).
 *
 * Nothing is missed between reading the data and the watches being in place: every root is registered
 * with the time the data it shows was read (`since`), and chokidar's first scan reports each file with its
 * stats; a file changed (or renamed into place) since then counts as a change, the rest is silence. So the
 * board needs no reload "just in case" after it starts.
 *
 * Bursts (a commit touches the index, a ref, the reflog; `kit move` writes a lock, a ref and a file) are
 * coalesced: one event after the changes stop for `debounceMs`, or at most `maxDelayMs` after the first.
 * Lock files and kit's temporary files are ignored, and nothing kit itself reads while refreshing (`git
 * status` runs with GIT_OPTIONAL_LOCKS=0) is written inside a watched path, so a refresh never triggers
 * another.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { Git } from './git.js';

export interface WatchTargets {
  /** Absolute path of the specs dir in the main checkout. */
  specsDir: string;
  /** The git common dir (`<main checkout>/.git`). */
  commonDir: string;
  /** When the data on screen was read (ms since the epoch): older files are not news. Default: now. */
  since?: number;
}

export interface WatchOptions {
  debounceMs?: number;
  maxDelayMs?: number;
  onError?: (error: Error) => void;
}

export interface WorkspaceWatcher {
  /** Resolves once the first watches are in place. */
  ready: Promise<void>;
  /**
   * Watches these WP worktrees (absolute paths) from now on, and stops watching any other. `since`: when
   * the data that listed them was read (a worktree file changed after that is reported). Default: now.
   */
  follow(worktrees: readonly string[], since?: number): Promise<void>;
  /** The paths being watched now (for tests and diagnostics). */
  roots(): string[];
  close(): Promise<void>;
}

export type WatchRule = (
  | { kind: 'specs' }
  | { kind: 'refs' }
  | { kind: 'gitdir'; allow: ReadonlySet<string> }
  | { kind: 'tree'; ignoredDirs: readonly string[] }
) & {
  /** Files last changed before this (ms since the epoch) are already in the data when first seen. */
  since?: number;
};

/** Timestamps are compared with a little slack: a change in the same instant as the read is reported. */
const SINCE_SLACK_MS = 20;

const COMMON_DIR_FILES = new Set(['HEAD', 'packed-refs']);
const WORKTREE_GITDIR_FILES = new Set(['HEAD', 'index']);
const SPEC_FILE = /\.(md|json|jsonl|ya?ml)$/i;
const SCRATCH_FILE = /(\.lock|\.tmp|~)$/;

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Whether an event path is noise for the board, under the rule of the watched root it belongs to (the
 * longest root that contains it). Pure: chokidar asks this for every path it meets.
 */
/** The watched root a path belongs to: the longest one that contains it. */
function ruleFor(rules: ReadonlyMap<string, WatchRule>, path: string): { root: string; rule: WatchRule } | undefined {
  let root: string | undefined;
  for (const candidate of rules.keys()) {
    if (isInside(path, candidate) && (root === undefined || candidate.length > root.length)) root = candidate;
  }
  return root === undefined ? undefined : { root, rule: rules.get(root) as WatchRule };
}

/**
 * Whether a file chokidar reports as added is news: always after the first scan; during it, only when it
 * changed (or was renamed into place: ctime) since the data was read. Pure.
 */
export function isNews(
  rules: ReadonlyMap<string, WatchRule>,
  event: string,
  path: string,
  stats?: { mtimeMs: number; ctimeMs: number },
): boolean {
  if (event !== 'add' && event !== 'addDir') return true;
  const since = ruleFor(rules, path)?.rule.since;
  if (since === undefined || !stats) return true;
  return Math.max(stats.mtimeMs, stats.ctimeMs) >= since - SINCE_SLACK_MS;
}

export function isIgnored(
  rules: ReadonlyMap<string, WatchRule>,
  path: string,
  stats?: { isFile(): boolean; isDirectory(): boolean },
): boolean {
  const found = ruleFor(rules, path);
  if (found === undefined || path === found.root) return false;
  const { root, rule } = found;
  const name = basename(path);
  switch (rule.kind) {
    case 'gitdir':
      return dirname(path) !== root || !rule.allow.has(name);
    case 'refs':
      return SCRATCH_FILE.test(name);
    case 'specs':
      return name.startsWith('.') || SCRATCH_FILE.test(name) || (stats?.isFile() === true && !SPEC_FILE.test(name));
    case 'tree': {
      const parts = relative(root, path).split(sep);
      if (parts.includes('.git')) return true;
      return rule.ignoredDirs.some((dir) => isInside(path, dir));
    }
  }
}

/** The git dir of a linked worktree, from its `.git` file (`gitdir: <path>`); null when it has none. */
export function worktreeGitDir(worktree: string): string | null {
  try {
    const text = readFileSync(join(worktree, '.git'), 'utf8');
    const match = /^gitdir:\s*(.+?)\s*$/m.exec(text);
    if (!match?.[1]) return null;
    return isAbsolute(match[1]) ? match[1] : resolve(worktree, match[1]);
  } catch {
    return null;
  }
}

/** Directories git ignores in a worktree (node_modules/, dist/, ...), absolute; they are not watched. */
async function ignoredDirectories(worktree: string): Promise<string[]> {
  const result = await new Git(worktree).spawnGit([
    'ls-files',
    '--others',
    '--ignored',
    '--exclude-standard',
    '--directory',
    '-z',
  ]);
  if (result.exitCode !== 0) return [];
  return result.stdout
    .toString('utf8')
    .split('\0')
    .filter((entry) => entry.endsWith('/'))
    .map((entry) => join(worktree, entry.slice(0, -1)));
}

export function watchWorkspace(
  targets: WatchTargets,
  onChange: (paths: string[]) => void,
  options: WatchOptions = {},
): WorkspaceWatcher {
  const debounceMs = options.debounceMs ?? 30;
  const maxDelayMs = options.maxDelayMs ?? 120;
  const since = targets.since ?? Date.now();
  const rules = new Map<string, WatchRule>([
    [targets.specsDir, { kind: 'specs', since }],
    [join(targets.commonDir, 'refs'), { kind: 'refs', since }],
    [targets.commonDir, { kind: 'gitdir', allow: COMMON_DIR_FILES, since }],
  ]);
  const followed = new Map<string, string[]>();
  let watcher: FSWatcher | undefined;
  let closed = false;

  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let firstAt = 0;
  const flush = () => {
    timer = undefined;
    const paths = [...pending];
    pending = new Set();
    if (!closed && paths.length > 0) onChange(paths);
  };
  const schedule = (path: string) => {
    if (closed) return;
    pending.add(path);
    const now = Date.now();
    if (timer === undefined) firstAt = now;
    else clearTimeout(timer);
    timer = setTimeout(flush, Math.max(0, Math.min(debounceMs, firstAt + maxDelayMs - now)));
  };

  const ready = (async () => {
    // chokidar is imported here, not at the top: only the board needs it.
    const { watch } = await import('chokidar');
    if (closed) return;
    const instance = watch([...rules.keys()], {
      // The first scan's files come with their stats, to tell what changed since the data was read.
      ignoreInitial: false,
      alwaysStat: true,
      persistent: true,
      followSymlinks: false,
      ignorePermissionErrors: true,
      // Report a replaced file at once (git and kit write by rename); we only need to know *that* it changed.
      atomic: false,
      ignored: (path: string, stats?: { isFile(): boolean; isDirectory(): boolean }) => isIgnored(rules, path, stats),
    });
    watcher = instance;
    instance.on('all', (event, path, stats) => {
      if (isNews(rules, event, path, stats)) schedule(path);
    });
    instance.on('error', (error) => options.onError?.(error instanceof Error ? error : new Error(String(error))));
    await new Promise<void>((done) => instance.once('ready', () => done()));
  })();

  let queue: Promise<void> = ready;
  const follow = (worktrees: readonly string[], listedAt = Date.now()): Promise<void> => {
    queue = queue
      .then(async () => {
        if (closed || !watcher) return;
        const wanted = new Set(worktrees.map((path) => resolve(path)));
        const gone = [...followed.keys()].filter((path) => !wanted.has(path));
        for (const path of gone) {
          const paths = followed.get(path) ?? [];
          followed.delete(path);
          for (const root of paths) rules.delete(root);
          watcher.unwatch(paths);
        }
        for (const path of wanted) {
          if (followed.has(path)) continue;
          const gitDir = worktreeGitDir(path);
          if (!gitDir) continue;
          rules.set(gitDir, { kind: 'gitdir', allow: WORKTREE_GITDIR_FILES, since: listedAt });
          rules.set(path, { kind: 'tree', ignoredDirs: await ignoredDirectories(path), since: listedAt });
          if (closed) return;
          followed.set(path, [gitDir, path]);
          watcher.add([gitDir, path]);
        }
      })
      .catch((error: unknown) => options.onError?.(error instanceof Error ? error : new Error(String(error))));
    return queue;
  };

  return {
    ready,
    follow,
    roots: () => [...rules.keys()],
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await ready.catch(() => undefined);
      await watcher?.close();
    },
  };
}
