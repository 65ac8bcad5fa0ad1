// Creating many git worktrees quickly, for fixtures: `git worktree add` in parallel, then each worktree's
// index refreshed once its files are at least a second old. Without that refresh, the files checked out in
// the same second as the index was written stay "racily clean" (git re-reads them on every `git status`,
// and kit's status calls run with GIT_OPTIONAL_LOCKS=0, so they never write the refreshed index back):
// a 5,000-file worktree's status then costs ~50 ms instead of ~15 ms. A worktree an agent has used for a
// while has had its index refreshed long ago, which is the state the bench measures.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { gitEnv } from './generate.mjs';

/** Runs git asynchronously; resolves with stdout, rejects with git's message. */
export function gitAsync(cwd, args) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', ['-c', 'core.hooksPath=/dev/null', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      env: gitEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = [];
    const err = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out).toString('utf8').trim());
      else {
        const message = Buffer.concat(err).toString('utf8').trim();
        reject(new Error(`git ${args.join(' ')} failed (exit ${code}) in ${cwd}: ${message}`));
      }
    });
  });
}

/** Maps `items` through the async `map` with at most `limit` at a time. */
export async function mapLimited(items, limit, map) {
  const results = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await map(items[index], index);
    }
  });
  await Promise.all(workers);
  return results;
}

const sleep = (ms) => new Promise((resolvePromise) => setTimeout(resolvePromise, ms));

/**
 * Adds worktrees to the repository at `repo`: each `{ path, branch, base? }` gets `git worktree add
 * --no-checkout path branch` (or `-b branch path base` when `base` is given, creating the branch), one at a
 * time (concurrent `worktree add`s read each other's half-written admin dirs and fail), then the checkout
 * that `worktree add` would have made, `git reset --hard` in the new worktree, `jobs` at a time. Then
 * waits until every checkout is more than a second old and refreshes each index (see the top of this file),
 * unless `settle: false` (the caller settles later, after committing in them).
 */
export async function addWorktrees(repo, worktrees, { jobs = 4, settle: settleAfter = true } = {}) {
  if (worktrees.length === 0) return;
  mkdirSync(join(repo, '.git', 'worktrees'), { recursive: true });
  for (const worktree of worktrees) {
    await gitAsync(
      repo,
      worktree.base
        ? ['worktree', 'add', '--quiet', '--no-checkout', '-b', worktree.branch, worktree.path, worktree.base]
        : ['worktree', 'add', '--quiet', '--no-checkout', worktree.path, worktree.branch],
    );
  }
  await mapLimited(worktrees, jobs, (worktree) => gitAsync(worktree.path, ['reset', '-q', '--hard']));
  if (settleAfter) await settle(worktrees.map((worktree) => worktree.path));
}

/** Waits until files written now are "old" for git's racy check, then refreshes each checkout's index. */
export async function settle(paths) {
  await sleep(1100);
  await mapLimited(paths, 4, (path) => gitAsync(path, ['update-index', '-q', '--refresh']).catch(() => ''));
}
