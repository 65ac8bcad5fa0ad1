import { describe, expect, it } from 'vitest';
import { makeRepo, resultOf, type TempRepo, writeFeature } from '../helpers/repo.js';

interface PlanResultJson {
  feature: string;
  files: { path: string; action: string }[];
  warnings: string[];
}

const CLEAR_SPEC = '# Feature Specification: Alpha\n\nEverything is decided.\n';

/** A repository with features numbered from 001 in the order given, each with a spec without open questions. */
function repoWithFeatures(...slugs: string[]): TempRepo {
  const repo = makeRepo();
  for (const [index, slug] of slugs.entries()) {
    writeFeature(repo, `${String(index + 1).padStart(3, '0')}-${slug}`, `The ${slug} feature`, CLEAR_SPEC);
  }
  return repo;
}

describe('kit plan', () => {
  it('writes plan.md, and research.md and data-model.md only when asked', async () => {
    const repo = makeRepo();
    expect((await repo.kit(['specify', 'The alpha feature', '--slug', 'alpha'])).exitCode).toBe(0);
    const dir = 'kitty-specs/001-alpha';

    const plain = await repo.kit(['plan', '--json']);
    expect(plain.exitCode).toBe(0);
    const planned = resultOf<PlanResultJson>(plain);
    expect(planned).toMatchObject({ feature: '001-alpha', files: [{ path: `${dir}/plan.md`, action: 'created' }] });
    // The spec template itself asks a question, so a fresh spec is flagged.
    expect(planned.warnings.join('\n')).toContain('NEEDS CLARIFICATION');
    expect(repo.read(`${dir}/plan.md`)).toMatch(/^# Implementation Plan: The alpha feature$/m);
    expect(repo.read(`${dir}/plan.md`)).toContain('`001-alpha`');
    expect(repo.exists(`${dir}/research.md`)).toBe(false);
    expect(repo.exists(`${dir}/data-model.md`)).toBe(false);

    const all = await repo.kit(['plan', '--research', '--data-model', '--json']);
    expect(all.exitCode).toBe(0);
    expect(resultOf<PlanResultJson>(all).files).toEqual([
      { path: `${dir}/plan.md`, action: 'kept' },
      { path: `${dir}/research.md`, action: 'created' },
      { path: `${dir}/data-model.md`, action: 'created' },
    ]);
    expect(repo.read(`${dir}/research.md`)).toMatch(/^# Research: The alpha feature$/m);
    expect(repo.read(`${dir}/data-model.md`)).toMatch(/^# Data Model: The alpha feature$/m);
  });

  it('never overwrites a file that has content unless --force', async () => {
    const repo = repoWithFeatures('alpha');
    const dir = 'kitty-specs/001-alpha';
    const mine = '# My plan\r\n\r\nHours of careful work, with CRLF and a trailing space \n';
    repo.write(`${dir}/plan.md`, mine);
    repo.write(`${dir}/research.md`, 'my research\n');

    const kept = await repo.kit(['plan', '--research', '--json']);
    expect(kept.exitCode).toBe(0);
    const result = resultOf<PlanResultJson>(kept);
    expect(result.files).toEqual([
      { path: `${dir}/plan.md`, action: 'kept' },
      { path: `${dir}/research.md`, action: 'kept' },
    ]);
    expect(result.warnings.join('\n')).toContain(`${dir}/plan.md`);
    expect(repo.read(`${dir}/plan.md`)).toBe(mine);
    expect(repo.read(`${dir}/research.md`)).toBe('my research\n');

    const human = await repo.kit(['plan']);
    expect(human.exitCode).toBe(0);
    expect(human.stderr).toMatch(/plan\.md already has content/);
    expect(repo.read(`${dir}/plan.md`)).toBe(mine);

    const forced = await repo.kit(['plan', '--force', '--json']);
    expect(forced.exitCode).toBe(0);
    expect(resultOf<PlanResultJson>(forced).files).toEqual([{ path: `${dir}/plan.md`, action: 'overwritten' }]);
    expect(repo.read(`${dir}/plan.md`)).toMatch(/^# Implementation Plan: /);
    expect(repo.read(`${dir}/research.md`)).toBe('my research\n');
  });

  it('warns on stderr (exit 0) while spec.md has [NEEDS CLARIFICATION markers', async () => {
    const repo = repoWithFeatures('alpha');
    const dir = 'kitty-specs/001-alpha';
    repo.write(
      `${dir}/spec.md`,
      '# Spec\n\n- FR-001: System MUST log in\n- FR-002: [NEEDS CLARIFICATION: which provider?]\n',
    );

    const warned = await repo.kit(['plan']);
    expect(warned.exitCode).toBe(0);
    expect(warned.stderr).toMatch(/^warning: .*spec\.md.*NEEDS CLARIFICATION.*line 4/m);
    expect(warned.stdout).not.toContain('NEEDS CLARIFICATION');
    expect(warned.stdout).toContain(`${dir}/plan.md`);
    expect(repo.exists(`${dir}/plan.md`)).toBe(true);

    repo.write(`${dir}/spec.md`, CLEAR_SPEC);
    const quiet = await repo.kit(['plan', '--force']);
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stderr).toBe('');
  });

  it('finds the feature by directory name, number and slug', async () => {
    const repo = repoWithFeatures('alpha', 'beta');
    const cases: [string, string][] = [
      ['1', '001-alpha'],
      ['001', '001-alpha'],
      ['beta', '002-beta'],
      ['002-beta', '002-beta'],
    ];
    for (const [reference, feature] of cases) {
      const run = await repo.kit(['plan', '--feature', reference, '--json']);
      expect(run.exitCode, reference).toBe(0);
      expect(resultOf<PlanResultJson>(run).feature, reference).toBe(feature);
    }
    expect(repo.exists('kitty-specs/001-alpha/plan.md')).toBe(true);
    expect(repo.exists('kitty-specs/002-beta/plan.md')).toBe(true);
  });

  it('with two features and no --feature exits 3 listing both, and writes nothing', async () => {
    const repo = repoWithFeatures('alpha', 'beta');
    const before = repo.snapshot();

    const run = await repo.kit(['plan']);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/--feature/);
    expect(run.stderr).toContain('001-alpha');
    expect(run.stderr).toContain('002-beta');
    expect(repo.snapshot()).toEqual(before);
  });

  it('exits 3 for an unknown feature and writes nothing', async () => {
    const repo = repoWithFeatures('alpha');
    const before = repo.snapshot();
    for (const reference of ['9', 'gamma', '009-gamma']) {
      const run = await repo.kit(['plan', '--feature', reference, '--json']);
      expect(run.exitCode, reference).toBe(3);
      expect(run.json?.error?.message).toContain(reference);
      expect(run.json?.error?.hint).toContain('001-alpha');
    }
    expect(repo.snapshot()).toEqual(before);
  });

  it("inside a WP worktree (branch <feature>-WP01) picks that worktree's feature without --feature", async () => {
    const repo = repoWithFeatures('x', 'y');
    repo.git(['worktree', 'add', '-q', '-b', '001-x-WP01', '.worktrees/001-x-WP01']);

    const run = await repo.kit(['plan', '--json'], { cwd: '.worktrees/001-x-WP01' });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(resultOf<PlanResultJson>(run).feature).toBe('001-x');
    // Planning files live in the main checkout, not in the worktree.
    expect(repo.exists('kitty-specs/001-x/plan.md')).toBe(true);
    expect(repo.exists('kitty-specs/002-y/plan.md')).toBe(false);
    expect(repo.exists('.worktrees/001-x-WP01/kitty-specs')).toBe(false);
  });
});
