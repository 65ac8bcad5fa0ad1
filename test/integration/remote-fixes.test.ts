/**
 * The review fixes of lane publication, claims and merges shared through a remote (a real bare origin and
 * real clones, test/helpers/remote.ts), and of two 3.x writes (test/helpers/spec-kitty-3.ts):
 *
 * - a lane change never publishes the user's own unpushed commits, and kit sync leaves them to the user;
 * - lane commits made offline are published by kit sync when they are all kit's;
 * - handing a WP in publishes its branch; a WP back in planned gives its claim back when origin's branch
 *   holds no work, and keeps it when it does;
 * - a feature whose WPs were done on two clones can be merged from either, and the other cleans up;
 * - a 3.x rejection writes its feedback into the WP file; a 3.x move never exits 0 keeping the old lane.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MergeResult } from '../../src/services/merge-feature.js';
import type { SyncResult } from '../../src/services/sync.js';
import {
  type Clone,
  cloneOrigin,
  FEATURE,
  finishWpInClone,
  makeOrigin,
  type Origin,
  refsOf,
  takeOffline,
  tipIn,
  branchOf,
  claimRefOf,
} from '../helpers/remote.js';
import { git, type KitRun, makeRepo, resultOf, type TempRepo } from '../helpers/repo.js';
import { isoAt, missionMeta, transition, ulid, writeMission } from '../helpers/spec-kitty-3.js';

function describeRun(who: string, run: KitRun): string {
  return `${who}: exit ${run.exitCode}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

async function ok(clone: Clone, args: readonly string[]): Promise<KitRun> {
  const run = await clone.kit(args);
  expect(run.exitCode, `kit ${args.join(' ')}\n${describeRun(clone.agent, run)}`).toBe(0);
  return run;
}

/** The lane a 1.x WP file has on `ref` of a repository (its frontmatter `lane:`). */
function laneOn(repoPath: string, ref: string, wp: string): string | null {
  const files = git(repoPath, ['ls-tree', '-r', '--name-only', ref, `kitty-specs/${FEATURE}/tasks/`])
    .split('\n')
    .filter((file) => file.split('/').pop()?.startsWith(`${wp}-`));
  if (files.length !== 1) throw new Error(`${wp} has ${files.length} files on ${ref}: ${files.join(', ')}`);
  const text = git(repoPath, ['show', `${ref}:${files[0] ?? ''}`]);
  return /^lane: *(\S+)$/m.exec(text)?.[1] ?? null;
}

function hasFile(repoPath: string, ref: string, file: string): boolean {
  try {
    git(repoPath, ['cat-file', '-e', `${ref}:${file}`]);
    return true;
  } catch {
    return false;
  }
}

function isAncestor(repoPath: string, commit: string, ref: string): boolean {
  try {
    git(repoPath, ['merge-base', '--is-ancestor', commit, ref]);
    return true;
  } catch {
    return false;
  }
}

/** A commit of the user's own on the clone's main (one new file), never pushed; returns the commit. */
function commitOwnWork(clone: Clone, file: string): string {
  writeFileSync(join(clone.root, file), 'my own work\n');
  clone.git(['add', '--', file]);
  clone.git(['commit', '-q', '-m', 'My own unpushed work']);
  return clone.git(['rev-parse', 'HEAD']).trim();
}

async function readyIds(clone: Clone): Promise<string[]> {
  const result = resultOf<{ ready: { id: string }[] }>(await ok(clone, ['next', '--json']));
  return result.ready.map((wp) => wp.id);
}

/** Clone A with a commit of its own on main, never pushed, then `kit move WP01 --to doing --force`. */
async function movedOverOwnWork(): Promise<{ origin: Origin; a: Clone; mine: string }> {
  const origin = makeOrigin({ wps: ['WP01', 'WP02'] });
  const a = cloneOrigin(origin.url, 'agent-a');
  const mine = commitOwnWork(a, 'mine.txt');
  const moved = await ok(a, ['move', 'WP01', '--to', 'doing', '--force']);
  expect(moved.stderr).not.toMatch(/not published/);
  return { origin, a, mine };
}

describe('lane publication never carries the user’s own commits', () => {
  it('kit move publishes the lane change on origin without the unpushed commit under it; A keeps both', async () => {
    const { origin, a, mine } = await movedOverOwnWork();
    expect(laneOn(origin.path, 'main', 'WP01')).toBe('doing');
    expect(hasFile(origin.path, 'main', 'mine.txt'), 'the user’s file on origin').toBe(false);
    expect(isAncestor(origin.path, mine, 'main'), 'the user’s commit on origin').toBe(false);
    expect(isAncestor(a.root, mine, 'main')).toBe(true);
    expect(hasFile(a.root, 'main', 'mine.txt')).toBe(true);
    expect(laneOn(a.root, 'main', 'WP01')).toBe('doing');

    // kit sync publishes nothing of it, whatever it calls the state.
    const synced = resultOf<SyncResult>(await ok(a, ['sync', '--json']));
    expect(synced.targets).toEqual([expect.objectContaining({ branch: 'main' })]);
    expect(synced.targets[0]?.action).not.toBe('published');
    expect(isAncestor(origin.path, mine, 'main')).toBe(false);
    expect(hasFile(origin.path, 'main', 'mine.txt')).toBe(false);

    // Once the published lane commit is pulled in, only the user's commits are ahead: left to the user.
    a.git(['pull', '-q', '--no-rebase', '--no-edit', 'origin', 'main']);
    const after = resultOf<SyncResult>(await ok(a, ['sync', '--json']));
    expect(after.targets[0], JSON.stringify(after.targets)).toMatchObject({ branch: 'main', action: 'ahead' });
    expect(after.targets[0]?.detail).toMatch(/of your own on main are not on origin/);
    expect(isAncestor(origin.path, mine, 'main')).toBe(false);
    expect(hasFile(origin.path, 'main', 'mine.txt')).toBe(false);
  });

  // BUG: right after such a move, kit sync reports main as 'diverged' ("bring origin/main in (git pull ...),
  // then kit sync") instead of 'ahead' naming the user's commits: publishLaneCommit makes the lane change again
  // on origin's tip but leaves A's main on its own copy of it (followPublished only moves a main that is just
  // the lane commit), so A's main and origin's main now differ by the same lane change, and sync's target check
  // (src/services/sync.ts) never says the user's commits are what is ahead.
  // Right after the move both mains hold the lane change, each as its own commit (origin's was made on
  // its tip so the user's commit stayed here): sync says to bring origin's in, and pushes nothing.
  it('kit sync right after the move: diverged, pull first, and still nothing of the user’s pushed', async () => {
    const { origin, a, mine } = await movedOverOwnWork();
    const synced = resultOf<SyncResult>(await ok(a, ['sync', '--json']));
    expect(synced.targets[0], JSON.stringify(synced.targets)).toMatchObject({ branch: 'main', action: 'diverged' });
    expect(synced.targets[0]?.detail).toMatch(/git pull/);
    expect(isAncestor(origin.path, mine, 'main')).toBe(false);
  });
});

describe('lane commits made offline', () => {
  it('are recorded with a warning, and published by kit sync once origin is back', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    const a = cloneOrigin(origin.url, 'agent-a');
    const restore = takeOffline(origin);
    const moved = await ok(a, ['move', 'WP01', '--to', 'doing', '--force']);
    expect(moved.stderr).toMatch(/not published/);
    expect(laneOn(a.root, 'main', 'WP01')).toBe('doing');
    restore();
    expect(laneOn(origin.path, 'main', 'WP01')).toBe('planned');

    const synced = resultOf<SyncResult>(await ok(a, ['sync', '--json']));
    expect(synced.targets[0], JSON.stringify(synced.targets)).toMatchObject({ branch: 'main', action: 'published' });
    expect(laneOn(origin.path, 'main', 'WP01')).toBe('doing');
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(tipIn(a.root, 'refs/heads/main'));
  });
});

describe('claims: handing in publishes the branch, going back to planned gives the claim back', () => {
  it('kit move --to for_review puts the worktree’s tip on origin’s WP branch', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    const a = cloneOrigin(origin.url, 'agent-a');
    const worktree = (await ok(a, ['implement', 'WP01'])).stdout.trim();
    writeFileSync(join(worktree, 'wp01.txt'), 'work\n');
    git(worktree, ['add', 'wp01.txt']);
    git(worktree, ['commit', '-q', '-m', 'WP01: work']);
    const tip = git(worktree, ['rev-parse', 'HEAD']).trim();
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP01')}`)).toBe(origin.main);
    const handed = await ok(a, ['move', 'WP01', '--to', 'for_review']);
    expect(handed.stderr).not.toMatch(/is not published/);
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP01')}`)).toBe(tip);
  });

  it('a WP back in planned with no work on origin’s branch is released there, and another clone takes it', async () => {
    const origin = makeOrigin({ wps: ['WP01', 'WP02'] });
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    await ok(a, ['implement', 'WP02']);
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP02')}`)).toBe(origin.main);
    expect(tipIn(origin.path, claimRefOf('WP02'))).not.toBeNull();
    await ok(b, ['sync']);
    expect(await readyIds(b)).not.toContain('WP02');

    const back = await ok(a, ['move', 'WP02', '--to', 'planned', '--force']);
    expect(back.stderr).not.toMatch(/holds work|could not be released/);
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP02')}`)).toBeNull();
    expect(tipIn(origin.path, claimRefOf('WP02'))).toBeNull();
    expect(laneOn(origin.path, 'main', 'WP02')).toBe('planned');

    b.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    await ok(b, ['sync']);
    expect(await readyIds(b)).toContain('WP02');
    const taken = await b.kit(['implement', 'WP02']);
    expect(taken.exitCode, describeRun('agent-b', taken)).toBe(0);
    expect(tipIn(origin.path, claimRefOf('WP02'))).not.toBeNull();
  });

  it('a WP sent back with work on origin’s branch keeps its claim, and says so', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    const a = cloneOrigin(origin.url, 'agent-a');
    const worktree = (await ok(a, ['implement', 'WP01'])).stdout.trim();
    writeFileSync(join(worktree, 'wp01.txt'), 'work\n');
    git(worktree, ['add', 'wp01.txt']);
    git(worktree, ['commit', '-q', '-m', 'WP01: work']);
    const tip = git(worktree, ['rev-parse', 'HEAD']).trim();
    await ok(a, ['move', 'WP01', '--to', 'for_review']);
    const claim = tipIn(origin.path, claimRefOf('WP01'));
    expect(claim).not.toBeNull();

    const back = await ok(a, ['move', 'WP01', '--to', 'planned', '--note', 'start over']);
    expect(back.stderr).toMatch(/holds work/);
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP01')}`)).toBe(tip);
    expect(tipIn(origin.path, claimRefOf('WP01'))).toBe(claim);
  });
});

describe('a feature done on two clones merges from either', () => {
  it('A lands WP01 and B’s WP02 (from origin); B then finds nothing to merge and cleans up', async () => {
    const origin = makeOrigin({ wps: ['WP01', 'WP02'] });
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    await finishWpInClone(a, 'WP01');
    expect(laneOn(origin.path, 'main', 'WP01')).toBe('done');

    b.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    await ok(b, ['sync']);
    const two = await finishWpInClone(b, 'WP02');
    expect(laneOn(origin.path, 'main', 'WP02')).toBe('done');
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP02')}`)).toBe(two.tip);

    a.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    expect(tipIn(a.root, `refs/heads/${branchOf('WP02')}`)).toBeNull();
    const merged = await a.kit(['merge', '--ready-only', '--json']);
    expect(merged.exitCode, describeRun('agent-a', merged)).toBe(0);
    const result = resultOf<MergeResult>(merged);
    expect(result.outcome).toBe('merged');
    expect(result.publish).toMatchObject({ outcome: 'pushed' });
    const landed = tipIn(origin.path, 'refs/heads/main') as string;
    expect(landed).toBe(tipIn(a.root, 'refs/heads/main'));
    expect(git(origin.path, ['show', 'main:wp01.txt'])).toBe('work of WP01\n');
    expect(git(origin.path, ['show', 'main:wp02.txt'])).toBe('work of WP02\n');

    b.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    await ok(b, ['sync']);
    const again = await b.kit(['merge', '--json']);
    expect(again.exitCode, describeRun('agent-b', again)).toBe(0);
    expect(resultOf<MergeResult>(again).outcome).toBe('nothing-to-merge');
    expect(tipIn(b.root, `refs/heads/${branchOf('WP02')}`), 'B’s WP02 branch').toBeNull();
    expect(existsSync(two.worktree), 'B’s WP02 worktree').toBe(false);
    expect(b.git(['worktree', 'list', '--porcelain'])).not.toContain(two.worktree);
    expect(Object.keys(refsOf(origin.path, `refs/kit/archive/${FEATURE}`)).sort()).toEqual([
      `refs/kit/archive/${FEATURE}/WP01`,
      `refs/kit/archive/${FEATURE}/WP02`,
    ]);
    expect(Object.keys(refsOf(origin.path, 'refs/heads'))).toEqual(['refs/heads/main']);
    expect(refsOf(origin.path, 'refs/kit/claims')).toEqual({});
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(landed);
  });
});

// ---------------------------------------------------------------------------------------------------
// Spec Kitty 3.x

const T0 = '2026-05-02T09:00:00Z';

/** A repository with one planned 3.x mission (WP01, WP02), the first WP's seed event at `firstAt`. */
function missionRepo(dir: string, firstAt = isoAt(T0, 0, 512_804)): TempRepo {
  const repo = makeRepo();
  const ids = ['WP02', 'WP01'];
  writeMission(repo.root, {
    dir,
    meta: missionMeta(dir),
    wps: Object.fromEntries(
      ids.map((id) => [`${id}-work.md`, { work_package_id: id, title: `Work ${id}`, dependencies: [] }]),
    ),
    // WP02 first: WP01's event is the log's last line, at `firstAt`.
    log: ids.map((id, index) =>
      transition({
        wp: id,
        from: 'genesis',
        to: 'planned',
        at: id === 'WP01' ? firstAt : isoAt(T0, index, 512_804),
        id: ulid(2_000_000 + index, index + 1),
        slug: dir,
        actor: 'finalize-tasks',
        reason: 'canonical bootstrap',
      }),
    ),
    statusJson: 'reduced',
  });
  writeFileSync(join(repo.root, '.git', 'info', 'exclude'), '/.worktrees/\n');
  repo.git(['add', '-A']);
  repo.git(['commit', '-q', '-m', `Plan ${dir}`]);
  return repo;
}

function expectKitOk(run: KitRun, what: string): void {
  expect(run.exitCode, describeRun(what, run)).toBe(0);
}

interface StatusJsonWp {
  id: string;
  lane: string;
  statusLane: string | null;
}

async function statusLanes(repo: TempRepo, dir: string): Promise<Record<string, string | null>> {
  const run = await repo.kit(['status', '--json', '--feature', dir]);
  expectKitOk(run, 'kit status');
  const result = resultOf<{ features: { id: string; workPackages: StatusJsonWp[] }[] }>(run);
  const feature = result.features.find((f) => f.id === dir);
  return Object.fromEntries((feature?.workPackages ?? []).map((wp) => [wp.id, wp.statusLane]));
}

describe('3.x', () => {
  it('kit review --reject writes the feedback into the WP file, no lane key, in the one lane commit', async () => {
    const dir = 'reject-01KQZR00';
    const repo = missionRepo(dir);
    expectKitOk(await repo.kit(['implement', 'WP01', '--agent', 'dev']), 'kit implement');
    const worktree = join(repo.root, '.worktrees', `${dir}-WP01`);
    writeFileSync(join(worktree, 'wp01.txt'), 'work\n');
    git(worktree, ['add', 'wp01.txt']);
    git(worktree, ['commit', '-q', '-m', 'WP01: work']);
    expectKitOk(await repo.kit(['move', 'WP01', '--to', 'for_review', '--agent', 'dev']), 'kit move');
    const before = repo.git(['rev-parse', 'main']).trim();

    const run = await repo.kit(['review', 'WP01', '--reject', '--note', 'Handle empty input', '--agent', 'rev']);
    expectKitOk(run, 'kit review --reject');
    const wpPath = `kitty-specs/${dir}/tasks/WP01-work.md`;
    const text = repo.git(['show', `main:${wpPath}`]);
    expect(text).toMatch(/^## Review Feedback/m);
    expect(text.slice(text.indexOf('## Review Feedback'))).toContain('Handle empty input');
    const frontmatter = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? '';
    expect(frontmatter).not.toBe('');
    expect(frontmatter).not.toMatch(/^lane:/m);
    expect(repo.git(['rev-list', '--count', `${before}..main`]).trim()).toBe('1');
    const files = repo
      .git(['diff-tree', '--no-commit-id', '--name-only', '-r', 'main'])
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(files).toEqual([`kitty-specs/${dir}/status.events.jsonl`, `kitty-specs/${dir}/status.json`, wpPath].sort());
    expect(readFileSync(join(repo.root, wpPath), 'utf8')).toBe(text);
  });

  it('a log whose last event is at 2030-01-01T00:00:00Z: kit move --to blocked lands, or exits 3 writing nothing', async () => {
    const dir = 'future-01KQZS00';
    const repo = missionRepo(dir, '2030-01-01T00:00:00Z');
    expect(repo.read(`kitty-specs/${dir}/status.events.jsonl`).trimEnd().split('\n').pop()).toContain(
      '"at": "2030-01-01T00:00:00Z"',
    );
    const before = repo.git(['rev-parse', 'main']).trim();
    const snapshot = repo.snapshot();
    const run = await repo.kit(['move', 'WP01', '--to', 'blocked', '--note', 'x', '--feature', dir]);
    expect([0, 3], describeRun('kit move', run)).toContain(run.exitCode);
    if (run.exitCode === 0) {
      const status = JSON.parse(repo.git(['show', `main:kitty-specs/${dir}/status.json`])) as {
        work_packages: Record<string, { lane: string }>;
      };
      expect(status.work_packages.WP01?.lane).toBe('blocked');
      expect((await statusLanes(repo, dir)).WP01).toBe('blocked');
    } else {
      expect(repo.git(['rev-parse', 'main']).trim()).toBe(before);
      expect(repo.snapshot()).toEqual(snapshot);
      expect((await statusLanes(repo, dir)).WP01).toBe('planned');
    }
  });
});

describe('second review: offline lane commits, spoofed subjects, stale WP branch copies', () => {
  it('a lane commit made offline goes out with the next online move, as it is', async () => {
    const origin = makeOrigin({ wps: ['WP01', 'WP02'] });
    const a = cloneOrigin(origin.url, 'agent-a');
    const restore = takeOffline(origin);
    await ok(a, ['move', 'WP01', '--to', 'doing', '--force']);
    restore();
    const online = await ok(a, ['move', 'WP02', '--to', 'doing', '--force']);
    expect(online.stdout).toMatch(/published to origin$/m);
    expect(online.stdout).not.toMatch(/other clones/);
    expect(laneOn(origin.path, 'main', 'WP01')).toBe('doing');
    expect(laneOn(origin.path, 'main', 'WP02')).toBe('doing');
    expect(tipIn(origin.path, 'refs/heads/main')).toBe(tipIn(a.root, 'refs/heads/main'));
  });

  it('a commit of the user whose subject starts with "kit: " is still theirs: kit sync does not push it', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    const a = cloneOrigin(origin.url, 'agent-a');
    writeFileSync(join(a.root, 'wip.txt'), 'not ready\n');
    a.git(['add', 'wip.txt']);
    a.git(['commit', '-q', '-m', 'kit: experiment, not ready to share']);
    const synced = resultOf<SyncResult>(await ok(a, ['sync', '--json']));
    expect(synced.targets[0]).toMatchObject({ branch: 'main', action: 'ahead' });
    expect(hasFile(origin.path, 'main', 'wip.txt')).toBe(false);
  });

  it('kit merge takes the newer copy of a WP branch from origin over an older local one', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    const started = await ok(a, ['implement', 'WP01']);
    const worktree = started.stdout.trim();
    writeFileSync(join(worktree, 'one.txt'), 'one\n');
    git(worktree, ['add', 'one.txt']);
    git(worktree, ['commit', '-q', '-m', 'one']);
    await ok(a, ['move', 'WP01', '--to', 'for_review']);
    // B's refused merge leaves a local copy of the branch at that first commit.
    b.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    expect((await b.kit(['merge'])).exitCode).not.toBe(0);
    // A goes on: a second commit, handed in again (origin's branch moves on), approved.
    await ok(a, ['move', 'WP01', '--to', 'doing', '--note', 'one more thing']);
    writeFileSync(join(worktree, 'two.txt'), 'two\n');
    git(worktree, ['add', 'two.txt']);
    git(worktree, ['commit', '-q', '-m', 'two']);
    await ok(a, ['move', 'WP01', '--to', 'for_review']);
    await ok(a, ['review', 'WP01', '--approve']);
    b.git(['pull', '-q', '--no-rebase', 'origin', 'main']);
    const merged = resultOf<MergeResult>(await ok(b, ['merge', '--json']));
    expect(merged.outcome).toBe('merged');
    expect(hasFile(origin.path, 'main', 'one.txt')).toBe(true);
    expect(hasFile(origin.path, 'main', 'two.txt')).toBe(true);
  });
});
