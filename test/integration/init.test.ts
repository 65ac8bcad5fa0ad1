import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kit, makeRepo, makeTempDir, resultOf, STACK_LINE } from '../helpers/repo.js';

interface InitResultJson {
  root: string;
  config: { file: string; action: string };
  specsDir: { path: string; action: string };
  exclude: { file: string; entry: string; action: string };
}

describe('kit init', () => {
  it('creates .kit/config.yaml and kitty-specs/, and excludes /.worktrees/ exactly once when run twice', async () => {
    const repo = makeRepo();

    const first = await repo.kit(['init']);
    expect(first.exitCode).toBe(0);
    expect(first.stderr).toBe('');
    expect(repo.read('.kit/config.yaml')).toMatch(/^specsDir: kitty-specs$/m);
    expect(repo.read('.kit/config.yaml')).toMatch(/^worktreesDir: \.worktrees$/m);
    expect(statSync(join(repo.root, 'kitty-specs')).isDirectory()).toBe(true);

    const second = await repo.kit(['init', '--json']);
    expect(second.exitCode).toBe(0);
    const result = resultOf<InitResultJson>(second);
    expect(second.json?.ok).toBe(true);
    expect(result.root).toBe(repo.root);
    expect(result.config.action).toBe('kept');
    expect(result.specsDir.action).toBe('kept');
    expect(result.exclude).toMatchObject({ entry: '/.worktrees/', action: 'kept' });

    const lines = repo.read('.git/info/exclude').split('\n');
    expect(lines.filter((line) => line.trim() === '/.worktrees/')).toHaveLength(1);
    // The exclude entry works: a worktree dir never shows up as something to commit.
    repo.write('.worktrees/001-x-WP01/file.txt', 'x\n');
    expect(repo.git(['status', '--porcelain', '--untracked-files=all'])).not.toContain('.worktrees');
  });

  it('appends its entry on a line of its own when the exclude file does not end in a newline', async () => {
    const repo = makeRepo();
    repo.write('.git/info/exclude', '*.log');
    const run = await repo.kit(['init']);
    expect(run.exitCode).toBe(0);
    const lines = repo.read('.git/info/exclude').split('\n');
    expect(lines).toContain('*.log');
    expect(lines).toContain('/.worktrees/');
    expect(lines.filter((line) => line === '/.worktrees/')).toHaveLength(1);
  });

  it('keeps an edited config byte-for-byte unless --force', async () => {
    const repo = makeRepo();
    const edited = '# my settings\nversion: 1\nspecsDir: kitty-specs\ncommitLaneChanges: false # keep it quiet\n';
    repo.write('.kit/config.yaml', edited);

    const kept = await repo.kit(['init']);
    expect(kept.exitCode).toBe(0);
    expect(kept.stdout).toMatch(/\.kit\/config\.yaml: kept/);
    expect(repo.read('.kit/config.yaml')).toBe(edited);

    const forced = await repo.kit(['init', '--force', '--json']);
    expect(forced.exitCode).toBe(0);
    expect(resultOf<InitResultJson>(forced).config.action).toBe('overwritten');
    const rewritten = repo.read('.kit/config.yaml');
    expect(rewritten).not.toBe(edited);
    expect(rewritten).toMatch(/^commitLaneChanges: true$/m);
    expect(rewritten).not.toContain('my settings');
  });

  it('outside a git repository exits 3 with a clear message and writes nothing', async () => {
    const dir = makeTempDir('kit-nogit-');
    // Stop git from finding a repository above the temporary directory.
    const env = { GIT_CEILING_DIRECTORIES: dirname(dir) };

    const run = await kit(['init'], { cwd: dir, env });
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/not inside a git repository/);
    expect(run.stderr).not.toMatch(STACK_LINE);

    const json = await kit(['init', '--json'], { cwd: dir, env });
    expect(json.exitCode).toBe(3);
    expect(json.stderr).toBe('');
    expect(json.json).toMatchObject({ ok: false, error: { exitCode: 3 } });
    expect(json.json?.error?.message).toMatch(/not inside a git repository/);
    expect(json.json?.error?.hint).toBeTruthy();

    expect(readdirSync(dir)).toEqual([]);
  });

  it('run from a subdirectory, puts its files at the repository root', async () => {
    const repo = makeRepo();
    mkdirSync(join(repo.root, 'src', 'deep'), { recursive: true });

    const run = await repo.kit(['init', '--json'], { cwd: 'src/deep' });
    expect(run.exitCode).toBe(0);
    expect(resultOf<InitResultJson>(run).root).toBe(repo.root);
    expect(repo.exists('.kit/config.yaml')).toBe(true);
    expect(repo.exists('kitty-specs')).toBe(true);
    expect(readdirSync(join(repo.root, 'src', 'deep'))).toEqual([]);
    expect(readdirSync(join(repo.root, 'src'))).toEqual(['deep']);
  });
});
