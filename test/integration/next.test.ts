import { describe, expect, it } from 'vitest';
import { addFeature, commitFile, expectSuccess, type FeatureRepo, makeFeatureRepo } from '../helpers/lanes.js';
import { resultOf } from '../helpers/repo.js';

interface NextJson {
  ready: { feature: string; id: string; title: string; dependencies: string[]; command: string }[];
}

async function next(fx: FeatureRepo, args: readonly string[] = []): Promise<NextJson['ready']> {
  const run = await fx.repo.kit(['next', '--json', ...args]);
  expectSuccess(run, 'kit next --json');
  expect(run.json?.ok).toBe(true);
  return resultOf<NextJson>(run).ready;
}

/** Runs a command line `kit ...` as printed by kit next. */
async function runPrinted(fx: FeatureRepo, command: string): Promise<string> {
  const [bin, ...args] = command.split(' ');
  expect(bin).toBe('kit');
  const run = await fx.repo.kit(args);
  expectSuccess(run, command);
  return run.stdout.trim();
}

/** Takes a started WP through review to done, the way a user would. */
async function finish(fx: FeatureRepo, wp: string, worktree: string): Promise<void> {
  commitFile(worktree, `${wp}.txt`, `${wp}\n`);
  expectSuccess(await fx.repo.kit(['move', wp, '--to', 'for_review']));
  expectSuccess(await fx.repo.kit(['move', wp, '--to', 'done']));
}

describe('kit next', () => {
  it('lists the planned WPs without pending dependencies, each with the command that starts it', async () => {
    const fx = await makeFeatureRepo();

    expect(await next(fx)).toEqual([
      { feature: '001-x', id: 'WP01', title: 'Set up the core', dependencies: [], command: 'kit implement WP01' },
      { feature: '001-x', id: 'WP05', title: 'Write the docs', dependencies: [], command: 'kit implement WP05' },
    ]);
  });

  it('as dependencies get done, offers their dependents with --base, and the printed commands work', async () => {
    const fx = await makeFeatureRepo();
    const core = await runPrinted(fx, 'kit implement WP01');
    // Started, not done: nothing new becomes ready, and WP01 is no longer offered.
    expect((await next(fx)).map((wp) => wp.id)).toEqual(['WP05']);

    await finish(fx, 'WP01', core);
    const ready = await next(fx);
    expect(ready.map((wp) => [wp.id, wp.command])).toEqual([
      ['WP02', 'kit implement WP02 --base WP01'],
      ['WP03', 'kit implement WP03 --base WP01'],
      ['WP05', 'kit implement WP05'],
    ]);

    const plain = await fx.repo.kit(['next']);
    expectSuccess(plain);
    for (const wp of ready) expect(plain.stdout).toContain(wp.command);

    const parser = await runPrinted(fx, ready[0]?.command ?? '');
    expect(parser).toBe(fx.worktreePath('WP02'));
    const printer = await runPrinted(fx, ready[1]?.command ?? '');
    await finish(fx, 'WP02', parser);
    // WP04 needs WP03 too.
    expect((await next(fx)).map((wp) => wp.id)).toEqual(['WP05']);
    await finish(fx, 'WP03', printer);

    const last = await next(fx);
    expect(last.map((wp) => wp.id)).toEqual(['WP04', 'WP05']);
    expect(last[0]?.dependencies).toEqual(['WP02', 'WP03']);
    expect(last[0]?.command).toMatch(/^kit implement WP04\b/);
    expect(await runPrinted(fx, last[0]?.command ?? '')).toBe(fx.worktreePath('WP04'));
  });

  it('follows dependencies, not ids: a WP that depends on a higher-numbered one waits for it', async () => {
    const fx = await makeFeatureRepo({
      wps: [
        { id: 'WP01', title: 'Needs the third', dependencies: ['WP03'] },
        { id: 'WP02', title: 'Needs the first', dependencies: ['WP01'] },
        { id: 'WP03', title: 'Foundation' },
      ],
    });
    expect((await next(fx)).map((wp) => wp.id)).toEqual(['WP03']);
    expectSuccess(await fx.repo.kit(['move', 'WP03', '--to', 'done', '--force']));
    expect(await next(fx)).toEqual([
      {
        feature: '001-x',
        id: 'WP01',
        title: 'Needs the third',
        dependencies: ['WP03'],
        command: 'kit implement WP01 --base WP03',
      },
    ]);
  });

  it('says when nothing can start', async () => {
    const fx = await makeFeatureRepo({ wps: [{ id: 'WP01', title: 'Only' }] });
    expectSuccess(await fx.repo.kit(['move', 'WP01', '--to', 'doing']));

    expect(await next(fx)).toEqual([]);
    const plain = await fx.repo.kit(['next']);
    expectSuccess(plain);
    expect(plain.stdout).toMatch(/nothing/i);
    expect(plain.stdout).not.toContain('kit implement');
  });

  it('with several features, --feature limits the list, and the commands name the feature they need', async () => {
    const fx = await makeFeatureRepo({ wps: [{ id: 'WP01', title: 'In x' }] });
    const other = await addFeature(fx.repo, { slug: 'y', wps: [{ id: 'WP01', title: 'In y' }] });

    expect((await next(fx, ['--feature', '001-x'])).map((wp) => [wp.feature, wp.id])).toEqual([['001-x', 'WP01']]);
    const all = await next(fx);
    expect(all.map((wp) => [wp.feature, wp.id])).toEqual([
      ['001-x', 'WP01'],
      ['002-y', 'WP01'],
    ]);
    // Without --feature `kit implement` cannot tell the two WP01s apart, so the printed command must say.
    const started = await runPrinted(fx, all[1]?.command ?? '');
    expect(started).toBe(other.worktreePath('WP01'));
  });
});
