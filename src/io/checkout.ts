/**
 * Facts about a checkout (the main one or a linked worktree) that git leaves on disk rather than
 * reports through a command: where its git dir is, and whether an operation is half done there.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

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

/** True when `path` has identical bytes in both checkouts (e.g. a file kit copied into a worktree). */
export function sameFileIn(first: string, second: string, path: string): boolean {
  if (path.endsWith('/')) return false;
  try {
    return readFileSync(join(first, path)).equals(readFileSync(join(second, path)));
  } catch {
    return false;
  }
}
