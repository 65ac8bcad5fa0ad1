import { rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  commitsBetween,
  committedWp,
  deadPid,
  expectSuccess,
  type FeatureRepo,
  historyOf,
  independentWps,
  makeFeatureRepo,
  tipOf,
} from '../helpers/lanes.js';
import type { KitRun } from '../helpers/repo.js';

const WP_COUNT = 16;
const ROUNDS = 3;

function tip(fx: FeatureRepo): string {
  const sha = tipOf(fx.repo, 'main');
  if (!sha) throw new Error('main does not exist');
  return sha;
}

/** Every WP moved at the same moment, each by its own process and agent. */
async function moveAll(fx: FeatureRepo, ids: readonly string[], to: (id: string) => string[]): Promise<KitRun[]> {
  const runs = await Promise.all(ids.map((id) => fx.repo.kit(['move', id, ...to(id), '--agent', `agent-${id}`])));
  runs.forEach((run, index) => {
    expect(run.exitCode, `${ids[index]}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
  });
  return runs;
}

function lockFile(fx: FeatureRepo): string {
  return join(fx.repo.root, '.git', 'kit', 'locks', 'lanes.lock');
}

describe('concurrent lane changes', () => {
  it(`${WP_COUNT} processes moving their own WPs at once, ${ROUNDS} rounds: every move lands, once`, async () => {
    const fx = await makeFeatureRepo({ wps: independentWps(WP_COUNT) });
    const ids = Object.keys(fx.files).sort();
    expect(ids).toHaveLength(WP_COUNT);
    const planned = tip(fx);
    const stderr: string[] = [];

    // The last wave leaves the WPs in different lanes: odd ones back in planned, even ones forced to done.
    const odd = (id: string) => Number(id.slice(2)) % 2 === 1;
    const finalLane = (id: string) => (odd(id) ? 'planned' : 'done');
    for (let round = 0; round < ROUNDS; round++) {
      for (const run of await moveAll(fx, ids, () => ['--to', 'doing'])) stderr.push(run.stderr);
      const back = (id: string) =>
        round < ROUNDS - 1 || odd(id) ? ['--to', 'planned'] : ['--to', finalLane(id), '--force'];
      for (const run of await moveAll(fx, ids, back)) stderr.push(run.stderr);
    }

    const movesPerWp = ROUNDS * 2;
    for (const id of ids) {
      const data = committedWp(fx, id);
      expect(data.lane, id).toBe(finalLane(id));
      const history = historyOf(data);
      // One entry from kit tasks, then one per move, in order.
      expect(history, id).toHaveLength(1 + movesPerWp);
      const lanes = history.slice(1).map((entry) => entry.lane);
      const expectedLanes = Array.from({ length: ROUNDS }, () => ['doing', 'planned']).flat();
      expectedLanes[expectedLanes.length - 1] = finalLane(id);
      expect(lanes, id).toEqual(expectedLanes);
      expect(new Set(history.slice(1).map((entry) => entry.agent)), id).toEqual(new Set([`agent-${id}`]));
    }
    // Exactly one commit per move, each holding only its WP's file, in a straight line on main.
    const commits = commitsBetween(fx.repo, planned, 'main');
    expect(commits).toHaveLength(WP_COUNT * movesPerWp);
    for (const commit of commits) {
      expect(commit.files).toHaveLength(1);
      expect(commit.subject).toMatch(/^kit: 001-x WP\d\d \S+ → \S+$/);
    }
    for (const id of ids) {
      const own = commits.filter((commit) => commit.files[0] === fx.file(id));
      expect(own, id).toHaveLength(movesPerWp);
    }
    expect(fx.repo.git(['rev-list', '--merges', `${planned}..main`])).toBe('');
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
    expect(fx.repo.git(['diff', 'HEAD'])).toBe('');
    for (const text of stderr) {
      expect(text).not.toContain('index.lock');
      expect(text).not.toContain('cannot lock ref');
      expect(text).not.toMatch(/internal error/);
    }
    expect(fx.repo.exists('.git/kit/locks/lanes.lock')).toBe(false);
  }, 240_000);

  it('takes over a lock left behind by a process that no longer exists', async () => {
    const fx = await makeFeatureRepo({ wps: independentWps(2) });
    const pid = await deadPid();
    fx.repo.write('.git/kit/locks/lanes.lock', JSON.stringify({ pid, host: hostname(), command: 'x' }));
    const before = tip(fx);

    const started = Date.now();
    const run = await fx.repo.kit(['move', 'WP01', '--to', 'doing']);

    expectSuccess(run);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(committedWp(fx, 'WP01').lane).toBe('doing');
    expect(commitsBetween(fx.repo, before, 'main')).toHaveLength(1);
    expect(fx.repo.exists('.git/kit/locks/lanes.lock')).toBe(false);
  });

  it('waits for a lock held by a live process instead of breaking it', async () => {
    const fx = await makeFeatureRepo({ wps: independentWps(2) });
    // The test process itself is alive: its lock must be respected.
    fx.repo.write(
      '.git/kit/locks/lanes.lock',
      JSON.stringify({ pid: process.pid, host: hostname(), command: 'move WP02 --to doing' }),
    );
    const before = tip(fx);

    const pending = fx.repo.kit(['move', 'WP01', '--to', 'doing']);
    await sleep(2500);
    expect(tip(fx), 'nothing lands while the lock is held').toBe(before);
    rmSync(lockFile(fx));
    const run = await pending;

    expectSuccess(run);
    expect(committedWp(fx, 'WP01').lane).toBe('doing');
    expect(commitsBetween(fx.repo, before, 'main')).toHaveLength(1);
  });

  it("a user's git holding the main checkout's index.lock for a moment does not break a move", async () => {
    const fx = await makeFeatureRepo({ wps: independentWps(2) });
    const before = tip(fx);
    fx.repo.write('.git/index.lock', '');

    const pending = fx.repo.kit(['move', 'WP01', '--to', 'doing']);
    await sleep(300);
    rmSync(join(fx.repo.root, '.git', 'index.lock'));
    const run = await pending;

    expectSuccess(run);
    expect(run.stderr).not.toContain('index.lock');
    expect(commitsBetween(fx.repo, before, 'main')).toHaveLength(1);
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
  });

  it("a move while the user's git keeps index.lock either lands cleanly or changes nothing", async () => {
    const fx = await makeFeatureRepo({ wps: independentWps(2) });
    const before = tip(fx);
    // e.g. `git commit` waiting for its editor, or a git that crashed and left its lock.
    fx.repo.write('.git/index.lock', '');

    const run = await fx.repo.kit(['move', 'WP01', '--to', 'doing']);
    rmSync(join(fx.repo.root, '.git', 'index.lock'));

    expect(run.stderr).not.toMatch(/internal error|bug in kit/);
    expect([0, 3]).toContain(run.exitCode);
    const landed = tip(fx) !== before;
    expect(landed).toBe(run.exitCode === 0);
    // What must never happen: the lane commit lands while the user's index keeps the old file, so that
    // `git status` shows a staged change undoing it, which the user's next commit would record.
    expect(fx.repo.git(['diff', '--cached', '--name-only'])).toBe('');
  });
});
