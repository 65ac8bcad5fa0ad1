import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Git } from '../../src/io/git.js';
import { GitShell } from '../../src/io/git-shell.js';
import { makeRepo, makeTempDir } from '../helpers/repo.js';

describe('git through the shell (src/io/git-shell.ts)', () => {
  const env = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };

  it('runs git in the given directory and returns its exit code, stdout and stderr as they are', async () => {
    const repo = makeRepo();
    const shell = GitShell.start(env);
    expect(shell, 'a POSIX shell is available on the test machines').not.toBeNull();
    if (!shell) return;
    const head = await shell.run(['rev-parse', 'HEAD'], repo.root, undefined);
    expect(head.exitCode).toBe(0);
    expect(head.stdout.toString('utf8').trim()).toBe(
      execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo.root, encoding: 'utf8' }).trim(),
    );
    const missing = await shell.run(['rev-parse', '--verify', 'no-such-branch'], repo.root, undefined);
    expect(missing.exitCode).toBe(128);
    expect(missing.stderr).toMatch(/fatal/);
  });

  it('passes words with quotes, spaces and newlines, stdin, extra variables and binary output intact', async () => {
    const repo = makeRepo();
    const shell = GitShell.start(env);
    if (!shell) return;
    const message = 'it\'s a "message" with $HOME, `backticks` and\nseveral\n\nlines\n';
    const blob = await shell.run(['hash-object', '-w', '--stdin'], repo.root, message);
    const id = blob.stdout.toString('utf8').trim();
    const back = await shell.run(['cat-file', 'blob', id], repo.root, undefined);
    expect(back.stdout.toString('utf8')).toBe(message);
    const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 0]);
    const binary = await shell.run(['hash-object', '-w', '--stdin'], repo.root, bytes);
    const raw = await shell.run(['cat-file', 'blob', binary.stdout.toString('utf8').trim()], repo.root, undefined);
    expect(raw.stdout.equals(bytes)).toBe(true);
    const grep = await shell.run(['log', "--grep=it's $HOME", '--format=%s'], repo.root, undefined);
    expect(grep.exitCode).toBe(0);
    const index = join(makeTempDir(), "an index with 'quotes'");
    const tree = await shell.run(['read-tree', 'HEAD'], repo.root, undefined, { GIT_INDEX_FILE: index });
    expect(tree.exitCode).toBe(0);
    const listed = await shell.run(['ls-files'], repo.root, undefined, { GIT_INDEX_FILE: index });
    expect(listed.stdout.toString('utf8')).toContain('README.md');
  });

  it('runs many commands at once and gives each its own result', async () => {
    const repo = makeRepo();
    const shell = GitShell.start(env);
    if (!shell) return;
    const contents = Array.from({ length: 40 }, (_, index) => `content ${index}\n`);
    const ids = await Promise.all(contents.map((text) => shell.run(['hash-object', '--stdin'], repo.root, text)));
    const expected = contents.map((text) =>
      execFileSync('git', ['hash-object', '--stdin'], { cwd: repo.root, input: text, encoding: 'utf8' }).trim(),
    );
    expect(ids.map((result) => result.stdout.toString('utf8').trim())).toEqual(expected);
  });

  it('refuses a directory that does not exist, as a spawn would', async () => {
    const shell = GitShell.start(env);
    if (!shell) return;
    await expect(shell.run(['status'], join(makeTempDir(), 'gone'), undefined)).rejects.toThrow(/no such directory/);
  });

  it('runs a low-priority job ten steps nicer', async () => {
    // A stand-in for git that prints its own niceness.
    const bin = makeTempDir();
    writeFileSync(join(bin, 'git'), '#!/bin/sh\nnice\n', { mode: 0o755 });
    const withFake = { ...env, PATH: `${bin}:${process.env.PATH ?? ''}` };
    const shell = GitShell.start(withFake);
    if (!shell) return;
    const normal = Number((await shell.run(['x'], bin, undefined)).stdout.toString('utf8'));
    const low = Number((await shell.run(['x'], bin, undefined, {}, true)).stdout.toString('utf8'));
    expect(low).toBe(Math.min(19, normal + 10));
  });

  it('says so when git is not on PATH, rather than returning an exit code', async () => {
    const shell = GitShell.start({ ...env, PATH: makeTempDir() });
    if (!shell) return;
    await expect(shell.run(['--version'], makeTempDir(), undefined)).rejects.toThrow(
      /git is not installed or not on PATH/,
    );
  });

  it('is not used with KIT_GIT_SHELL=0: the gateway spawns git directly, with the same results', async () => {
    const repo = makeRepo();
    writeFileSync(join(repo.root, 'new.txt'), 'untracked\n');
    const previous = process.env.KIT_GIT_SHELL;
    process.env.KIT_GIT_SHELL = '0';
    try {
      expect(GitShell.start(env)).toBeNull();
      const direct = await new Git(repo.root).spawnGit(['status', '--porcelain']);
      expect(direct.stdout.toString('utf8')).toBe('?? new.txt\n');
    } finally {
      if (previous === undefined) delete process.env.KIT_GIT_SHELL;
      else process.env.KIT_GIT_SHELL = previous;
    }
  });
});
