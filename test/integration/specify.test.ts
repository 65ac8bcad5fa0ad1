import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeRepo, resultOf, STACK_LINE, type TempRepo } from '../helpers/repo.js';

interface SpecifyResultJson {
  feature: string;
  number: string;
  slug: string;
  path: string;
  files: string[];
  targetBranch: string;
}

function features(repo: TempRepo): string[] {
  return repo.exists('kitty-specs') ? readdirSync(join(repo.root, 'kitty-specs')).sort() : [];
}

async function specify(repo: TempRepo, args: string[]): Promise<SpecifyResultJson> {
  const run = await repo.kit(['specify', ...args, '--json']);
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  return resultOf<SpecifyResultJson>(run);
}

describe('kit specify', () => {
  it('creates NNN-slug/ with spec.md (description filled in) and meta.json for the checked-out branch', async () => {
    const repo = makeRepo();
    repo.git(['switch', '-q', '-c', 'release-2']);
    const before = Date.now();

    const run = await repo.kit(['specify', 'Users can sign in with GitHub. Email login keeps working.', '--json']);
    const after = Date.now();
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toBe('');
    const result = resultOf<SpecifyResultJson>(run);
    expect(result).toMatchObject({
      feature: '001-users-can-sign-in-with-github-email-login-keeps-working',
      number: '001',
      targetBranch: 'release-2',
    });
    const dir = `kitty-specs/${result.feature}`;
    expect(result.files.sort()).toEqual([`${dir}/meta.json`, `${dir}/spec.md`]);
    expect(features(repo)).toEqual([result.feature]);
    expect(readdirSync(join(repo.root, dir)).sort()).toEqual(['meta.json', 'spec.md']);

    const spec = repo.read(`${dir}/spec.md`);
    expect(spec).toContain('Users can sign in with GitHub. Email login keeps working.');
    expect(spec).toContain(result.feature);
    expect(spec).not.toMatch(/\{\{\w+\}\}/);

    const meta = JSON.parse(repo.read(`${dir}/meta.json`)) as Record<string, unknown>;
    expect(meta).toMatchObject({
      feature_number: '001',
      slug: result.feature,
      friendly_name: 'Users can sign in with GitHub',
      target_branch: 'release-2',
    });
    const created = Date.parse(String(meta.created_at));
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(created).toBeLessThanOrEqual(after + 1000);

    const second = await specify(repo, ['A second feature']);
    expect(second.feature).toBe('002-a-second-feature');
  });

  it('numbers after features committed on another local branch that is not checked out', async () => {
    const repo = makeRepo();
    repo.git(['switch', '-q', '-c', 'other']);
    repo.write('kitty-specs/004-x/spec.md', '# x\n');
    repo.git(['add', '.']);
    repo.git(['commit', '-q', '-m', 'feature 004 on another branch']);
    repo.git(['switch', '-q', 'main']);
    expect(repo.exists('kitty-specs/004-x')).toBe(false);

    const result = await specify(repo, ['Next feature']);
    expect(result.feature).toBe('005-next-feature');
    expect(result.targetBranch).toBe('main');
    expect(features(repo)).toEqual(['005-next-feature']);
  });

  it('numbers after an uncommitted feature in another worktree', async () => {
    const repo = makeRepo();
    repo.git(['worktree', 'add', '-q', '-b', 'side', '.worktrees/side']);
    repo.write('.worktrees/side/kitty-specs/007-y/spec.md', '# y\n');

    const result = await specify(repo, ['After the worktree one']);
    expect(result.feature).toBe('008-after-the-worktree-one');
    expect(features(repo)).toEqual(['008-after-the-worktree-one']);
  });

  it('rejects a bad --slug with exit 3 and creates nothing', async () => {
    const repo = makeRepo();
    const before = repo.snapshot();
    for (const slug of ['../x', 'Has Spaces', 'a'.repeat(61)]) {
      const run = await repo.kit(['specify', 'Some feature', '--slug', slug]);
      expect(run.exitCode, slug).toBe(3);
      expect(run.stderr).toContain('not a valid slug');
      expect(run.stderr).not.toMatch(STACK_LINE);
      expect(repo.snapshot()).toEqual(before);
    }

    const ok = await specify(repo, ['Some feature', '--slug', 'a'.repeat(60)]);
    expect(ok.feature).toBe(`001-${'a'.repeat(60)}`);
  });

  it('derives the slug: accents folded, punctuation dropped, at most 60 characters cut at a word', async () => {
    const repo = makeRepo();
    const accents = await specify(repo, ['Crème brûlée: façade & naïve café!!']);
    expect(accents.feature).toBe('001-creme-brulee-facade-naive-cafe');

    const long = await specify(repo, [
      'Users can export every report as CSV, JSON or PDF from the dashboard and schedule weekly emails',
    ]);
    expect(long.slug).toBe('users-can-export-every-report-as-csv-json-or-pdf-from-the');
    expect(long.slug.length).toBeLessThanOrEqual(60);
    expect(long.feature).toBe(`002-${long.slug}`);

    const symbols = await repo.kit(['specify', '🎉 !!! ???']);
    expect(symbols.exitCode).toBe(3);
    expect(symbols.stderr).toMatch(/slug/);
    expect(features(repo)).toEqual([accents.feature, long.feature]);
  });

  it('rejects an empty description with exit 3 and creates nothing', async () => {
    const repo = makeRepo();
    const before = repo.snapshot();
    for (const description of ['', '   ']) {
      const run = await repo.kit(['specify', description]);
      expect(run.exitCode).toBe(3);
      expect(run.stderr).toMatch(/description is empty/);
    }
    expect(repo.snapshot()).toEqual(before);
  });

  it('refuses to run on a detached HEAD (exit 3) and creates nothing', async () => {
    const repo = makeRepo();
    repo.git(['switch', '-q', '--detach']);
    const before = repo.snapshot();

    const run = await repo.kit(['specify', 'Detached feature', '--json']);
    expect(run.exitCode).toBe(3);
    expect(run.json).toMatchObject({ ok: false, error: { exitCode: 3 } });
    expect(run.json?.error?.message).toMatch(/detached/i);
    expect(repo.snapshot()).toEqual(before);
  });

  // BUG: kit passes the user's environment to simple-git, whose safety guard rejects these variables, so
  // kit specify dies with an internal error (exit 70) for anyone whose shell sets one of them.
  for (const [name, value] of [
    ['GIT_SSH_COMMAND', 'ssh -o BatchMode=yes'],
    ['PREFIX', '/usr/local'],
    ['GIT_CONFIG_GLOBAL', '/dev/null'],
  ] as const) {
    it(`works when the environment sets ${name}`, async () => {
      const repo = makeRepo();
      const run = await repo.kit(['specify', 'Some feature', '--json'], { env: { [name]: value } });
      expect(run.stdout).not.toContain('internal error');
      expect(run.exitCode).toBe(0);
      expect(features(repo)).toEqual(['001-some-feature']);
    });
  }

  it('gives two concurrent runs different numbers', async () => {
    const repo = makeRepo();
    const runs = await Promise.all([
      repo.kit(['specify', 'Parallel feature', '--json']),
      repo.kit(['specify', 'Parallel feature', '--json']),
    ]);
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    const names = runs.map((run) => resultOf<SpecifyResultJson>(run).feature).sort();
    expect(names).toEqual(['001-parallel-feature', '002-parallel-feature']);
    // Both directories are complete and nothing half-built is left behind.
    expect(features(repo)).toEqual(names);
    for (const name of names) {
      expect(readdirSync(join(repo.root, 'kitty-specs', name)).sort()).toEqual(['meta.json', 'spec.md']);
    }
  });
});
