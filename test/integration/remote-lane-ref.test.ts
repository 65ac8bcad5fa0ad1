/**
 * `lane_store: ref`: lane changes live on refs/kit/lanes/main, never on main, so a protected main (a
 * pre-receive hook on the bare origin that rejects every update of refs/heads/main) sees nothing until kit
 * merge. Real clones of a real bare repository; every kit step runs as a child process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MergeResult } from '../../src/services/merge-feature.js';
import type { StatusResult, StatusWorkPackage } from '../../src/services/status.js';
import type { SyncResult } from '../../src/services/sync.js';
import {
  type Clone,
  cloneOrigin,
  FEATURE,
  finishWpInClone,
  installOriginHook,
  makeOrigin,
  type Origin,
  takeOffline,
  tipIn,
  wpIds,
} from '../helpers/remote.js';
import { type KitRun, resultOf } from '../helpers/repo.js';

const LANE_REF = 'refs/kit/lanes/main';
const PROTECT_MAIN = `while read old new ref; do
  if [ "$ref" = refs/heads/main ]; then echo "main is protected: open a pull request" >&2; exit 1; fi
done
`;

async function ok(clone: Clone, args: readonly string[]): Promise<KitRun> {
  const run = await clone.kit(args);
  expect(run.exitCode, `${clone.agent}: kit ${args.join(' ')}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
  return run;
}

async function laneOf(clone: Clone, wp: string): Promise<string> {
  const status = resultOf<StatusResult>(await ok(clone, ['status', '--json']));
  const found: StatusWorkPackage | undefined = status.features
    .find((feature) => feature.id === FEATURE)
    ?.workPackages.find((entry) => entry.id === wp);
  if (!found) throw new Error(`${wp} not in ${JSON.stringify(status)}`);
  return found.lane;
}

function wpFileOnOrigin(origin: Origin, wp: string, ref = 'refs/heads/main'): string {
  return readGit(origin.path, ['show', `${ref}:kitty-specs/${FEATURE}/tasks/${wp}-a.md`]);
}

function readGit(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function protectedOrigin(wps = 3): Origin {
  const origin = makeOrigin({ wps: wpIds(wps), laneStore: 'ref' });
  installOriginHook(origin, 'pre-receive', PROTECT_MAIN);
  return origin;
}

describe('lane_store: ref with a protected main', () => {
  it('claims, moves and reviews publish to refs/kit/lanes/main; main is untouched until kit merge writes the lanes', async () => {
    const origin = protectedOrigin();
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    const { tip } = await finishWpInClone(a, 'WP01');
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(origin.main);
    expect(a.git(['rev-parse', 'main']).trim()).toBe(origin.main);
    expect(a.git(['status', '--porcelain'])).toBe('');
    expect(tipIn(origin.path, `refs/heads/${FEATURE}-WP01`)).toBe(tip);
    expect(tipIn(origin.path, LANE_REF)).toBe(a.git(['rev-parse', LANE_REF]).trim());
    expect(await laneOf(a, 'WP01')).toBe('done');
    // Another clone sees it after kit sync, and only then (reads stay local).
    expect(await laneOf(b, 'WP01')).toBe('planned');
    const synced = resultOf<SyncResult>(await ok(b, ['sync', '--json']));
    expect(synced.offline).toBeNull();
    expect(synced.lanes).toEqual([expect.objectContaining({ target: 'main', action: 'fetched' })]);
    expect(await laneOf(b, 'WP01')).toBe('done');

    // b finishes WP02; a merges both: main here gets the lanes, origin refuses the push.
    await finishWpInClone(b, 'WP02');
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(origin.main);
    await ok(a, ['sync']);
    const run = await a.kit(['merge', '--ready-only', '--json']);
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const merged = resultOf<MergeResult>(run);
    expect(merged.outcome).toBe('merged');
    expect(merged.steps.map((step) => step.wp).sort()).toEqual(['WP01', 'WP02']);
    expect(merged.publish?.outcome).toBe('refused');
    expect(merged.publish?.command).toBe('git push origin main');
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(origin.main);
    for (const wp of ['WP01', 'WP02']) {
      expect(a.git(['show', `main:kitty-specs/${FEATURE}/tasks/${wp}-a.md`])).toMatch(/^lane: done$/m);
      expect(readFileSync(join(a.root, `kitty-specs/${FEATURE}/tasks/${wp}-a.md`), 'utf8')).toMatch(/^lane: done$/m);
    }
    expect(a.git(['show', `main:kitty-specs/${FEATURE}/tasks/WP03-a.md`])).toMatch(/^lane: planned$/m);
    expect(a.git(['status', '--porcelain'])).toBe('');

    // The protection lifted (the pull request merged): origin's main gets the lanes, a sync drops the copies.
    installOriginHook(origin, 'pre-receive', 'exit 0\n');
    a.git(['push', '-q', 'origin', 'main']);
    expect(wpFileOnOrigin(origin, 'WP02')).toMatch(/^lane: done$/m);
    const settled = resultOf<SyncResult>(await ok(b, ['sync', '--json']));
    expect(settled.lanes[0]?.dropped.sort()).toEqual([
      `kitty-specs/${FEATURE}/tasks/WP01-a.md`,
      `kitty-specs/${FEATURE}/tasks/WP02-a.md`,
    ]);
    b.git(['pull', '-q', '--ff-only', 'origin', 'main']);
    expect(await laneOf(b, 'WP01')).toBe('done');
    expect(await laneOf(b, 'WP02')).toBe('done');
    expect(await laneOf(b, 'WP03')).toBe('planned');
  });

  it('two clones moving the same WP: the second is refused (exit 3) and keeps nothing', async () => {
    const origin = protectedOrigin();
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    await ok(a, ['move', 'WP03', '--to', 'doing', '--force']);
    const before = b.git(['for-each-ref', 'refs/kit/lanes/']);
    const late = await b.kit(['move', 'WP03', '--to', 'for_review', '--force', '--json']);
    expect(late.exitCode, late.stderr + late.stdout).toBe(3);
    expect(late.stderr + late.stdout).toMatch(/another clone changed it/);
    expect(b.git(['for-each-ref', 'refs/kit/lanes/'])).toBe(before);
    await ok(b, ['sync']);
    expect(await laneOf(b, 'WP03')).toBe('doing');
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(origin.main);
  });

  it('offline: a move is kept locally, says not published, and kit sync publishes it', async () => {
    const origin = protectedOrigin();
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    const restore = takeOffline(origin);
    const run = await b.kit(['move', 'WP03', '--to', 'doing', '--force']);
    restore();
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stderr + run.stdout).toMatch(/not published/);
    // Meanwhile another clone moved a different WP: the sync combines both.
    await ok(a, ['move', 'WP01', '--to', 'doing', '--force']);
    const synced = resultOf<SyncResult>(await ok(b, ['sync', '--json']));
    expect(synced.lanes[0]?.action).toBe('combined');
    expect(tipIn(origin.path, LANE_REF)).toBe(b.git(['rev-parse', LANE_REF]).trim());
    await ok(a, ['sync']);
    expect(await laneOf(a, 'WP03')).toBe('doing');
    expect(await laneOf(a, 'WP01')).toBe('doing');
    expect(await laneOf(b, 'WP01')).toBe('doing');
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(origin.main);
  });

  it('eight clones moving eight WPs at once: every move reaches origin, main untouched', async () => {
    const ids = wpIds(8);
    const origin = protectedOrigin(8);
    const clones = ids.map((_, index) => cloneOrigin(origin.url, `agent-${index + 1}`));
    const runs = await Promise.all(
      clones.map((clone, index) => clone.kit(['move', ids[index] as string, '--to', 'doing', '--force'])),
    );
    runs.forEach((run, index) => {
      expect(run.exitCode, `${ids[index]}: ${run.stderr}`).toBe(0);
      expect(run.stderr + run.stdout, ids[index]).not.toMatch(/not published/);
    });
    const reader = cloneOrigin(origin.url, 'reader');
    await ok(reader, ['sync']);
    for (const id of ids) expect(await laneOf(reader, id), id).toBe('doing');
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(origin.main);
  });
});
