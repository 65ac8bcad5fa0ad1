/**
 * Facts about a checkout (the main one or a linked worktree) that git leaves on disk rather than
 * reports through a command: where its git dir is, and whether an operation is half done there.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/** The git dir of a checkout: `.git` itself, or for a linked worktree the dir its `.git` file points at. */
export function checkoutGitDir(checkout: string): string {
  const dotGit = join(checkout, '.git');
  try {
    const pointer = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
    if (pointer?.[1]) return resolve(checkout, pointer[1].trim());
  } catch {
    // A directory, not a pointer file: the main checkout.
  }
  return dotGit;
}

/**
 * The branch a checkout has out (null: HEAD is detached), read from its HEAD file, which git's files ref
 * backend keeps as `ref: refs/heads/<branch>` or a commit id: one git process fewer for every command
 * that asks. Anything else (the reftable backend's placeholder, a missing file) gives undefined, and the
 * caller asks git (`git symbolic-ref`).
 */
export function checkedOutBranchOnDisk(checkout: string): string | null | undefined {
  let head: string;
  try {
    head = readFileSync(join(checkoutGitDir(checkout), 'HEAD'), 'utf8');
  } catch {
    return undefined;
  }
  const branch = /^ref: refs\/heads\/(\S+)\n?$/.exec(head)?.[1];
  if (branch) return branch === '.invalid' ? undefined : branch;
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})\n?$/.test(head) ? null : undefined;
}

const OPERATION_MARKERS: readonly [string, string][] = [
  ['MERGE_HEAD', 'merge'],
  ['rebase-merge', 'rebase'],
  ['rebase-apply', 'rebase'],
  ['CHERRY_PICK_HEAD', 'cherry-pick'],
  ['REVERT_HEAD', 'revert'],
  ['BISECT_LOG', 'bisect'],
];

/** A merge, rebase, cherry-pick, revert or bisect going on in a checkout, from the files git leaves. */
export function operationInProgress(checkout: string): string | null {
  const gitDir = checkoutGitDir(checkout);
  for (const [file, name] of OPERATION_MARKERS) if (existsSync(join(gitDir, file))) return name;
  return null;
}

/**
 * The branch a detached checkout is in the middle of working on: git detaches HEAD for a rebase (and a
 * bisect once it starts checking out commits) and goes back to the branch only at the end, where a rebase
 * moves it. From the files git leaves (`head-name`, `BISECT_START`); null when there is none.
 */
export function branchOfOperation(checkout: string): string | null {
  const gitDir = checkoutGitDir(checkout);
  for (const file of ['rebase-merge/head-name', 'rebase-apply/head-name', 'BISECT_START']) {
    try {
      const name = readFileSync(join(gitDir, file), 'utf8').trim();
      if (name) return name.replace(/^refs\/heads\//, '');
    } catch {
      // Not this operation.
    }
  }
  return null;
}

/** True when `path` has identical bytes in both checkouts (e.g. a file kit copied into a worktree). */
export function sameFileIn(first: string, second: string, path: string): boolean {
  if (path.endsWith('/')) return false;
  try {
    return readFileSync(join(first, path)).equals(readFileSync(join(second, path)));
  } catch {
    return false;
  }
}

/** Variables that change how git finds a repository: with any of them set, only git can tell. */
const DISCOVERY_VARIABLES = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_CEILING_DIRECTORIES',
  'GIT_DISCOVERY_ACROSS_FILESYSTEM',
  'GIT_INDEX_FILE',
];

/**
 * What `git rev-parse --show-toplevel --git-common-dir --git-dir` answers, read from disk for the plain
 * layouts: a `.git` directory, or a linked worktree's `.git` file and its `commondir`. A command that needs
 * no other git process (kit check) then starts none. Anything unusual (the variables above, a repository
 * owned by someone else, `core.worktree` or `core.bare` in its config, no `.git` up to the root, a cwd
 * inside a git dir) gives undefined, and the caller asks git.
 */
export function locateOnDisk(cwd: string): { toplevel: string; commonDir: string; gitDir: string } | undefined {
  if (DISCOVERY_VARIABLES.some((name) => process.env[name] !== undefined)) return undefined;
  let dir: string;
  try {
    dir = realpathSync(cwd);
  } catch {
    return undefined;
  }
  if (dir.split(sep).includes('.git')) return undefined;
  for (;;) {
    const dotGit = join(dir, '.git');
    const stat = statSync(dotGit, { throwIfNoEntry: false });
    if (stat) {
      let gitDir: string;
      if (stat.isDirectory()) gitDir = dotGit;
      else if (stat.isFile()) {
        const pointer = /^gitdir: (.+)$/m.exec(readTextOrEmpty(dotGit))?.[1]?.trim();
        if (!pointer) return undefined;
        gitDir = resolve(dir, pointer);
      } else return undefined;
      const common = readTextOrEmpty(join(gitDir, 'commondir')).trim();
      const commonDir = common ? resolve(gitDir, common) : gitDir;
      if (!existsSync(join(gitDir, 'HEAD')) || !existsSync(join(commonDir, 'objects'))) return undefined;
      // git refuses a repository another user owns (safe.directory): let it say so.
      const owner = statSync(commonDir, { throwIfNoEntry: false });
      if (!owner || (typeof process.getuid === 'function' && owner.uid !== process.getuid())) return undefined;
      if (/^\s*(worktree|bare\s*=\s*true)/im.test(readTextOrEmpty(join(commonDir, 'config')))) return undefined;
      try {
        return { toplevel: dir, commonDir: realpathSync(commonDir), gitDir: realpathSync(gitDir) };
      } catch {
        return undefined;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function readTextOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
