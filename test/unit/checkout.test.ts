import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkedOutBranchOnDisk } from '../../src/io/checkout.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
}

/** What `git symbolic-ref --quiet --short HEAD` says (kit's question when the HEAD file cannot answer). */
function branchFromGit(cwd: string): string | null {
  try {
    return git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']).trim();
  } catch {
    return null;
  }
}

describe('checkedOutBranchOnDisk', () => {
  it('reads what git symbolic-ref says: a branch, an unborn one, a detached HEAD, a linked worktree', () => {
    const repo = mkdtempSync(join(tmpdir(), 'kit-head-'));
    dirs.push(repo);
    git(repo, ['init', '-q', '-b', 'feature/x']);
    expect(checkedOutBranchOnDisk(repo)).toBe('feature/x');
    expect(branchFromGit(repo)).toBe('feature/x');

    writeFileSync(join(repo, 'a.txt'), 'a\n');
    git(repo, ['add', 'a.txt']);
    git(repo, ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'a']);
    git(repo, ['worktree', 'add', '-q', '-b', 'wp', join(repo, 'wt')]);
    expect(checkedOutBranchOnDisk(join(repo, 'wt'))).toBe('wp');

    git(repo, ['checkout', '-q', '--detach']);
    expect(checkedOutBranchOnDisk(repo)).toBeNull();
    expect(branchFromGit(repo)).toBeNull();
  });

  it('leaves anything else to git', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kit-head-'));
    dirs.push(dir);
    expect(checkedOutBranchOnDisk(dir)).toBeUndefined();
    mkdirSync(join(dir, '.git'));
    // The reftable backend keeps this placeholder in HEAD.
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/.invalid\n');
    expect(checkedOutBranchOnDisk(dir)).toBeUndefined();
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/remotes/origin/main\n');
    expect(checkedOutBranchOnDisk(dir)).toBeUndefined();
  });
});
