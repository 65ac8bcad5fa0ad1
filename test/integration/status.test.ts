import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFile, expectSuccess, type FeatureRepo, makeFeatureRepo, type WpSpec } from '../helpers/lanes.js';
import { git, resultOf, STACK_LINE } from '../helpers/repo.js';

interface StatusGitJson {
  tip: string;
  ahead: number;
  behind: Record<string, number>;
  staleBase: boolean;
  uncommitted: number | null;
  lastCommitAt: string;
}

interface StatusWpJson {
  id: string;
  title: string;
  lane: string;
  dependencies: string[];
  blockedBy: string[];
  agent: string | null;
  branch: string | null;
  worktree: string | null;
  git: StatusGitJson | null;
}

interface StatusJson {
  schemaVersion: number;
  features: {
    id: string;
    title: string;
    targetBranch: string;
    progress: { done: number; total: number };
    workPackages: StatusWpJson[];
  }[];
}

async function status(fx: FeatureRepo): Promise<StatusJson> {
  const run = await fx.repo.kit(['status', '--json']);
  expectSuccess(run, 'kit status --json');
  expect(run.json?.ok).toBe(true);
  return resultOf<StatusJson>(run);
}

function wpOf(result: StatusJson, id: string): StatusWpJson {
  const wp = result.features[0]?.workPackages.find((candidate) => candidate.id === id);
  if (!wp) throw new Error(`status has no ${id}: ${JSON.stringify(result)}`);
  return wp;
}

async function implement(fx: FeatureRepo, wp: string, agent: string): Promise<string> {
  const run = await fx.repo.kit(['implement', wp, '--agent', agent]);
  expectSuccess(run, `kit implement ${wp}`);
  return run.stdout.trim();
}

function committedAt(dir: string, ref: string): number {
  return Number(git(dir, ['log', '-1', '--format=%ct', ref]).trim()) * 1000;
}

/** Display width of a line: code points (the board uses no wide characters). */
function width(line: string): number {
  return [...line].length;
}

describe('kit status', () => {
  it('--json reports lanes, dependencies and blockers of a freshly planned feature, with no git facts', async () => {
    const fx = await makeFeatureRepo();

    const result = await status(fx);

    expect(result.schemaVersion).toBe(1);
    expect(result.features).toHaveLength(1);
    const feature = result.features[0];
    expect(feature).toMatchObject({ id: '001-x', targetBranch: 'main', progress: { done: 0, total: 5 } });
    expect(typeof feature?.title).toBe('string');
    expect(feature?.workPackages.map((wp) => [wp.id, wp.lane, wp.dependencies, wp.blockedBy])).toEqual([
      ['WP01', 'planned', [], []],
      ['WP02', 'planned', ['WP01'], ['WP01']],
      ['WP03', 'planned', ['WP01'], ['WP01']],
      ['WP04', 'planned', ['WP02', 'WP03'], ['WP02', 'WP03']],
      ['WP05', 'planned', [], []],
    ]);
    expect(wpOf(result, 'WP02')).toMatchObject({
      title: 'Build the parser',
      agent: null,
      branch: null,
      worktree: null,
      git: null,
    });
  });

  it('--json counts commits ahead, uncommitted files and commits behind a dependency', async () => {
    const fx = await makeFeatureRepo();
    const core = await implement(fx, 'WP01', 'alice');
    commitFile(core, 'core.txt', 'core 1\n');
    commitFile(core, 'core.txt', 'core 2\n');
    const parser = await implement(fx, 'WP02', 'bob');
    commitFile(parser, 'parser.txt', 'parser\n');
    // WP01 moves on after WP02 branched from it: WP02's base is now stale by one commit.
    commitFile(core, 'core.txt', 'core 3\n');
    // Uncommitted work in WP01: one modified, one staged new, one untracked file.
    writeFileSync(join(core, 'core.txt'), 'core 4, not committed\n');
    writeFileSync(join(core, 'staged.txt'), 'staged\n');
    git(core, ['add', 'staged.txt']);
    writeFileSync(join(core, 'untracked.txt'), 'untracked\n');

    const result = await status(fx);

    expect(wpOf(result, 'WP01')).toMatchObject({
      lane: 'doing',
      agent: 'alice',
      branch: '001-x-WP01',
      worktree: fx.worktreePath('WP01'),
      blockedBy: [],
      git: { ahead: 3, uncommitted: 3, behind: {}, staleBase: false },
    });
    expect(wpOf(result, 'WP02')).toMatchObject({
      lane: 'doing',
      agent: 'bob',
      branch: '001-x-WP02',
      worktree: fx.worktreePath('WP02'),
      git: { ahead: 1, uncommitted: 0, behind: { WP01: 1 }, staleBase: true },
    });
    expect(wpOf(result, 'WP01').git?.behind).toEqual({});
    expect(wpOf(result, 'WP02').git?.behind).toEqual({ WP01: 1 });
    expect(wpOf(result, 'WP03')).toMatchObject({ lane: 'planned', blockedBy: ['WP01'], git: null });
    expect(wpOf(result, 'WP04')).toMatchObject({ lane: 'planned', blockedBy: ['WP02', 'WP03'] });
    for (const id of ['WP01', 'WP02']) {
      const facts = wpOf(result, id).git;
      expect(facts?.tip).toBe(git(fx.repo.root, ['rev-parse', fx.branch(id)]).trim());
      expect(Date.parse(facts?.lastCommitAt ?? '')).toBe(committedAt(fx.repo.root, fx.branch(id)));
    }

    // WP02 catches up by merging WP01: no longer behind, and WP01 finishing unblocks WP03.
    git(parser, ['merge', '-q', '--no-edit', fx.branch('WP01')]);
    expectSuccess(await fx.repo.kit(['move', 'WP01', '--to', 'done', '--force']));
    const after = await status(fx);
    expect(wpOf(after, 'WP02').git).toMatchObject({ behind: { WP01: 0 }, staleBase: false });
    expect(wpOf(after, 'WP03').blockedBy).toEqual([]);
    expect(wpOf(after, 'WP04').blockedBy).toEqual(['WP02', 'WP03']);
    expect(after.features[0]?.progress).toMatchObject({ done: 1, total: 5 });
  });

  it('--plain lists every lane and WP in lines of at most 80 columns', async () => {
    const longTitle = 'An extraordinarily long work package title that keeps going on and on';
    const wps: WpSpec[] = [
      { id: 'WP01', title: longTitle },
      { id: 'WP02', title: 'Second', dependencies: ['WP01'] },
      { id: 'WP03', title: 'Third' },
      { id: 'WP04', title: 'Fourth', dependencies: ['WP02', 'WP03'] },
      { id: 'WP05', title: 'Fifth' },
    ];
    const fx = await makeFeatureRepo({ wps, slug: 'a-feature-with-a-rather-long-slug-for-the-board' });
    const agent = 'an-agent-with-a-very-long-name-indeed';
    const core = await implement(fx, 'WP01', agent);
    commitFile(core, 'core.txt', 'core\n');
    writeFileSync(join(core, 'wip.txt'), 'wip\n');
    const parser = await implement(fx, 'WP02', 'bob');
    commitFile(parser, 'parser.txt', 'parser\n');
    commitFile(core, 'core.txt', 'core again\n');
    await implement(fx, 'WP03', 'carol');
    commitFile(fx.worktreePath('WP03'), 'third.txt', 'third\n');
    expectSuccess(await fx.repo.kit(['move', 'WP03', '--to', 'for_review']));
    expectSuccess(await fx.repo.kit(['move', 'WP05', '--to', 'done', '--force']));

    const run = await fx.repo.kit(['status', '--plain']);

    expectSuccess(run);
    expect(run.stderr).not.toMatch(STACK_LINE);
    const lines = run.stdout.split('\n');
    const tooWide = lines.filter((line) => width(line) > 80);
    expect(tooWide, run.stdout).toEqual([]);
    // Each lane heading, then the WPs in that lane, before the next heading.
    const headings = ['PLANNED', 'DOING', 'FOR REVIEW', 'DONE'];
    const headingLines = headings.map((heading) => lines.findIndex((line) => line.startsWith(heading)));
    for (const [index, at] of headingLines.entries()) expect(at, headings[index]).toBeGreaterThan(-1);
    expect([...headingLines].sort((a, b) => a - b)).toEqual(headingLines);
    const section = (lane: number): string => {
      const from = headingLines[lane] ?? -1;
      const to = headingLines[lane + 1] ?? lines.length;
      return lines.slice(from, to).join('\n');
    };
    expect(section(0)).toMatch(/WP04/);
    expect(section(1)).toMatch(/WP01/);
    expect(section(1)).toMatch(/WP02/);
    expect(section(2)).toMatch(/WP03/);
    expect(section(3)).toMatch(/WP05/);
    expect(section(1)).toContain('an-agent');
    expect(run.stdout).toContain(fx.feature);
  });

  it('without flags and without a terminal prints the plain board', async () => {
    const fx = await makeFeatureRepo();
    const core = await implement(fx, 'WP01', 'alice');
    commitFile(core, 'core.txt', 'core\n');
    const ages = /\b\d+[smhd]\b/g;

    const [bare, plain] = await Promise.all([fx.repo.kit(['status']), fx.repo.kit(['status', '--plain'])]);

    expectSuccess(bare);
    expectSuccess(plain);
    expect(bare.json).toBeUndefined();
    expect(bare.stdout).toMatch(/PLANNED/);
    expect(bare.stdout.replace(ages, 'AGE')).toBe(plain.stdout.replace(ages, 'AGE'));
  });
});
