import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forecastConflicts } from '../../src/io/conflict-forecast.js';
import { Git } from '../../src/io/git.js';
import { commitFile, expectSuccess, type FeatureRepo, makeFeatureRepo, tipOf } from '../helpers/lanes.js';
import { makeRepo, makeTempDir, resultOf } from '../helpers/repo.js';

interface StatusJson {
  features: {
    workPackages: {
      id: string;
      lane: string;
      staleBase: { dependency: string; newCommits: number }[];
      conflicts: { with: string; files: string[] }[] | null;
    }[];
  }[];
}

/**
 * Built for each test (test/helpers/repo.ts removes temporary repositories after every test).
 * WP01 and WP02 edit the same line of shared.txt; WP03 adds a file of its own; WP04 edits another line of
 * shared.txt (merges cleanly with both); WP05 is planned. All independent.
 */
let fx: FeatureRepo;
let cachePath: string;

async function conflictsOf(
  env?: Record<string, string>,
): Promise<Record<string, StatusJson['features'][0]['workPackages'][0]['conflicts']>> {
  const run = await fx.repo.kit(['status', '--json'], env ? { env } : {});
  expectSuccess(run, 'kit status --json');
  const wps = resultOf<StatusJson>(run).features[0]?.workPackages ?? [];
  return Object.fromEntries(wps.map((wp) => [wp.id, wp.conflicts]));
}

async function setUp(): Promise<void> {
  fx = await makeFeatureRepo({
    wps: ['WP01', 'WP02', 'WP03', 'WP04', 'WP05'].map((id) => ({ id, title: `Package ${id}` })),
  });
  fx.repo.write('shared.txt', 'one\ntwo\nthree\nfour\nfive\n');
  fx.repo.git(['add', 'shared.txt']);
  fx.repo.git(['commit', '-q', '-m', 'shared file']);
  for (const id of ['WP01', 'WP02', 'WP03', 'WP04']) {
    expectSuccess(await fx.repo.kit(['implement', id, '--agent', `agent-${id}`]), `kit implement ${id}`);
  }
  commitFile(fx.worktreePath('WP01'), 'shared.txt', 'ONE by WP01\ntwo\nthree\nfour\nfive\n', 'WP01: first line');
  commitFile(fx.worktreePath('WP02'), 'shared.txt', 'one by WP02\ntwo\nthree\nfour\nfive\n', 'WP02: first line');
  commitFile(fx.worktreePath('WP03'), 'own.txt', 'WP03\n', 'WP03: own file');
  commitFile(fx.worktreePath('WP04'), 'shared.txt', 'one\ntwo\nthree\nfour\nFIVE by WP04\n', 'WP04: last line');
  cachePath = join(fx.repo.root, '.git', 'kit', 'forecast.json');
}

describe('conflict forecast in kit status', () => {
  it('names the pair that would conflict and its file, and nothing for pairs that merge cleanly', async () => {
    await setUp();
    rmSync(cachePath, { force: true });
    const conflicts = await conflictsOf();
    expect(conflicts.WP01).toEqual([{ with: 'WP02', files: ['shared.txt'] }]);
    expect(conflicts.WP02).toEqual([{ with: 'WP01', files: ['shared.txt'] }]);
    expect(conflicts.WP03).toEqual([]);
    expect(conflicts.WP04).toEqual([]);
    expect(conflicts.WP05).toBeNull(); // planned: not in flight, nothing forecast
    const plain = await fx.repo.kit(['status', '--plain']);
    expect(plain.stdout).toContain('✗ WP01 and WP02 would conflict in shared.txt');
    expect(plain.stdout).not.toMatch(/WP0[34] would conflict|and WP0[34] would/);
  });

  it('caches by the two tips: a warm run reads the answers, a moved tip is merged again', async () => {
    await setUp();
    await conflictsOf();
    const cache = JSON.parse(readFileSync(cachePath, 'utf8')) as { version: number; pairs: Record<string, string[]> };
    expect(Object.keys(cache.pairs)).toHaveLength(6); // 4 WPs in flight
    const wp03 = tipOf(fx.repo, `refs/heads/${fx.branch('WP03')}`) ?? '';
    const wp04 = tipOf(fx.repo, `refs/heads/${fx.branch('WP04')}`) ?? '';
    const key = [wp03, wp04].sort().join(' ');
    expect(cache.pairs[key]).toEqual([]);
    // A planted answer is believed while the tips stay: proof the warm run merged nothing.
    cache.pairs[key] = ['planted.txt'];
    writeFileSync(cachePath, JSON.stringify(cache));
    expect((await conflictsOf()).WP03).toEqual([{ with: 'WP04', files: ['planted.txt'] }]);
    // The fast path and oclif agree.
    expect((await conflictsOf({ KIT_FAST: '0' })).WP03).toEqual([{ with: 'WP04', files: ['planted.txt'] }]);
    // WP03 moves: its pairs are merged again, and the truth comes back.
    commitFile(fx.worktreePath('WP03'), 'own2.txt', 'more\n', 'WP03: more');
    expect((await conflictsOf()).WP03).toEqual([]);
  });

  it('recomputes from a corrupt cache instead of failing', async () => {
    await setUp();
    writeFileSync(cachePath, '{"version": 1, "pairs": {"x": 3');
    const conflicts = await conflictsOf();
    expect(conflicts.WP01).toEqual([{ with: 'WP02', files: ['shared.txt'] }]);
    expect(JSON.parse(readFileSync(cachePath, 'utf8')).version).toBe(1);
  });

  it('two kit status at once with a cold cache: both answer alike and leave a whole cache', async () => {
    await setUp();
    rmSync(cachePath, { force: true });
    const [first, second] = await Promise.all([conflictsOf(), conflictsOf()]);
    expect(first).toEqual(second);
    expect(first.WP01).toEqual([{ with: 'WP02', files: ['shared.txt'] }]);
    const cache = JSON.parse(readFileSync(cachePath, 'utf8')) as { pairs: Record<string, string[]> };
    expect(Object.keys(cache.pairs)).toHaveLength(6);
    expect(readdirSync(join(fx.repo.root, '.git', 'kit')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('tells the agent in kit prompt, with what to run', async () => {
    await setUp();
    const run = await fx.repo.kit(['prompt', 'WP02']);
    expectSuccess(run, 'kit prompt WP02');
    expect(run.stdout).toMatch(/## Stack\n\n- Conflict forecast: this branch and WP01's would conflict in shared\.txt/);
    const clean = await fx.repo.kit(['prompt', 'WP03']);
    expect(clean.stdout).not.toContain('## Stack');
  });
});

describe('forecastConflicts (the io module)', () => {
  it('answers every pair git can merge even when one pair of the batch cannot be, and caches only those', async () => {
    const repo = makeRepo();
    repo.write('f.txt', 'base\n');
    repo.git(['add', 'f.txt']);
    repo.git(['commit', '-q', '-m', 'f']);
    const root = repo.git(['rev-parse', 'HEAD']).trim();
    const branch = (name: string, content: string) => {
      repo.git(['checkout', '-q', '-b', name, root]);
      repo.write('f.txt', content);
      repo.git(['commit', '-q', '-am', name]);
      return repo.git(['rev-parse', 'HEAD']).trim();
    };
    const left = branch('left', 'left\n');
    const right = branch('right', 'right\n');
    repo.git(['checkout', '-q', '-b', 'other', root]);
    repo.write('g.txt', 'g\n');
    repo.git(['add', 'g.txt']);
    repo.git(['commit', '-q', '-m', 'g']);
    const other = repo.git(['rev-parse', 'HEAD']).trim();
    const missing = '0123456789abcdef0123456789abcdef01234567';
    const stateDir = makeTempDir('kit-forecast-');
    const answers = await forecastConflicts(new Git(repo.root), stateDir, [
      { first: left, second: right },
      { first: left, second: missing },
      { first: right, second: other },
    ]);
    expect(answers.get([left, right].sort().join(' '))).toEqual(['f.txt']);
    expect(answers.get([right, other].sort().join(' '))).toEqual([]);
    expect(answers.has([left, missing].sort().join(' '))).toBe(false);
    const cached = JSON.parse(readFileSync(join(stateDir, 'forecast.json'), 'utf8')) as { pairs: object };
    expect(Object.keys(cached.pairs).sort()).toEqual(
      [[left, right].sort().join(' '), [right, other].sort().join(' ')].sort(),
    );
  });
});
