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
