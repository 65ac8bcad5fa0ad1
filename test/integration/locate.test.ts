/**
 * kit reads where the repository is from disk for the plain layouts (src/io/checkout.ts locateOnDisk);
 * it must say exactly what `git rev-parse` says, and leave anything unusual to git.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { locateOnDisk } from '../../src/io/checkout.js';
import { git, makeRepo } from '../helpers/repo.js';

function gitSays(cwd: string): { toplevel: string; commonDir: string; gitDir: string } {
  const [commonDir = '', gitDir = '', toplevel = ''] = execFileSync(
    'git',
    ['rev-parse', '--path-format=absolute', '--git-common-dir', '--git-dir', '--show-toplevel'],
    { cwd, encoding: 'utf8' },
  )
    .trim()
    .split('\n');
  return { toplevel, commonDir, gitDir };
}

describe('locateOnDisk', () => {
  const saved = process.env.GIT_DIR;
  afterEach(() => {
    if (saved === undefined) delete process.env.GIT_DIR;
    else process.env.GIT_DIR = saved;
  });

  it('agrees with git in the main checkout, a subdirectory, a linked worktree and inside it', () => {
    const repo = makeRepo();
    mkdirSync(join(repo.root, 'a', 'b'), { recursive: true });
    git(repo.root, ['worktree', 'add', '--quiet', '-b', 'side', join(repo.root, '.worktrees', 'side')]);
    const worktree = join(repo.root, '.worktrees', 'side');
    mkdirSync(join(worktree, 'deep'), { recursive: true });
    for (const cwd of [repo.root, join(repo.root, 'a', 'b'), worktree, join(worktree, 'deep')]) {
      expect(locateOnDisk(cwd), cwd).toEqual(gitSays(cwd));
    }
  });

  it('leaves GIT_DIR, a cwd inside .git and a directory outside any repository to git', () => {
    const repo = makeRepo();
    expect(locateOnDisk(join(repo.root, '.git'))).toBeUndefined();
    process.env.GIT_DIR = join(repo.root, '.git');
    expect(locateOnDisk(repo.root)).toBeUndefined();
    delete process.env.GIT_DIR;
    expect(locateOnDisk('/')).toBeUndefined();
  });
});
