/**
 * `.worktreeinclude` at the repository root lists, in gitignore syntax, local files a fresh worktree
 * needs but git does not carry (typically `.env`). kit copies the ones that exist and that git ignores;
 * a tracked file arrives with the checkout anyway, and an untracked but not ignored file is the user's
 * pending work, which kit does not spread around.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Git } from './git.js';

export const WORKTREE_INCLUDE_FILE = '.worktreeinclude';

/** Copies the included files from the main checkout into a new worktree; returns the paths copied. */
export async function copyWorktreeIncludes(
  git: Git,
  root: string,
  worktree: string,
  worktreesDir: string,
): Promise<string[]> {
  if (!existsSync(join(root, WORKTREE_INCLUDE_FILE))) return [];
  const listed = await git.spawnGit([
    'ls-files',
    '--others',
    '--ignored',
    `--exclude-from=${join(root, WORKTREE_INCLUDE_FILE)}`,
    '-z',
  ]);
  if (listed.exitCode !== 0) return [];
  const insideWorktrees = `${worktreesDir.replace(/\/+$/, '')}/`;
  const candidates = listed.stdout
    .toString('utf8')
    .split('\0')
    .filter((path) => path && !path.startsWith(insideWorktrees));
  if (candidates.length === 0) return [];
  const ignored = await git.spawnGit(['check-ignore', '-z', '--stdin'], `${candidates.join('\0')}\0`);
  const copied: string[] = [];
  for (const path of ignored.stdout.toString('utf8').split('\0').filter(Boolean)) {
    const destination = join(worktree, path);
    if (existsSync(destination)) continue;
    mkdirSync(dirname(destination), { recursive: true });
    copyFileSync(join(root, path), destination);
    copied.push(path);
  }
  return copied.sort();
}
