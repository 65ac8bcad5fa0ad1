/**
 * `lane_store: ref`: lane changes live on refs/kit/lanes/main, never on main, so a protected main (a
 * pre-receive hook on the bare origin that rejects every update of refs/heads/main) sees nothing until kit
 * merge. Real clones of a real bare repository; every kit step runs as a child process.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MergeResult } from '../../src/services/merge-feature.js';
import type { StatusResult, StatusWorkPackage } from '../../src/services/status.js';
import type { SyncResult } from '../../src/services/sync.js';
import {
  type Clone,
  hasGitDaemon,
  useGitDaemon,
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
import { kit, type KitRun, makeTempDir, resultOf } from '../helpers/repo.js';
import { makeSharedRepo, plannedMission, readLog, reduceLog } from '../helpers/spec-kitty-3.js';

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

    // The protection lifted (the pull request merged): origin's main gets the lanes.
    installOriginHook(origin, 'pre-receive', 'exit 0\n');
    a.git(['push', '-q', 'origin', 'main']);
    expect(wpFileOnOrigin(origin, 'WP02')).toMatch(/^lane: done$/m);
    // b has not pulled: its copies stay, or its lanes would go back to its own main's until git pull.
    const early = resultOf<SyncResult>(await ok(b, ['sync', '--json']));
    expect(early.lanes[0]?.dropped).toEqual([]);
    expect(await laneOf(b, 'WP01')).toBe('done');
    b.git(['pull', '-q', '--ff-only', 'origin', 'main']);
    const settled = resultOf<SyncResult>(await ok(b, ['sync', '--json']));
    expect(settled.lanes[0]?.dropped.sort()).toEqual([
      `kitty-specs/${FEATURE}/tasks/WP01-a.md`,
      `kitty-specs/${FEATURE}/tasks/WP02-a.md`,
    ]);
    expect(await laneOf(b, 'WP01')).toBe('done');
    expect(await laneOf(b, 'WP02')).toBe('done');
    expect(await laneOf(b, 'WP03')).toBe('planned');
  });

  it('two clones moving the same WP: the second is refused (exit 3) and keeps nothing', async () => {
    const origin = protectedOrigin();
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    const first = await ok(a, ['move', 'WP03', '--to', 'doing', '--force']);
    expect(first.stdout).toMatch(
      /WP03: planned → doing; committed on refs\/kit\/lanes\/main as [0-9a-f]{12}\n {2}published to origin/,
    );
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
    // A review's verdict says where its lane commit went, too.
    await ok(a, ['move', 'WP03', '--to', 'for_review', '--force']);
    const verdict = await ok(a, ['review', 'WP03', '--approve']);
    expect(verdict.stdout).toMatch(/WP03: approved by .*; committed on refs\/kit\/lanes\/main as [0-9a-f]{12}/);
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

describe('lane_store: ref, more', () => {
  it('an edit of a WP file on main while its lanes are on the lane ref: kit merge combines both, losing neither', async () => {
    const origin = protectedOrigin(2);
    const a = cloneOrigin(origin.url, 'agent-a');
    await finishWpInClone(a, 'WP01');
    // The user edits WP01's body on main (a pull request merged, say) while the lanes sit on the lane ref.
    const file = `kitty-specs/${FEATURE}/tasks/WP01-a.md`;
    // The body, and a frontmatter line right next to the one the lanes changed (git's line merge alone
    // would call that a conflict).
    const edited = readFileSync(join(a.root, file), 'utf8')
      .replace('Do it.', 'Do it, and document it.')
      .replace('title: Package WP01', 'title: Package WP01 (with docs)');
    writeFileSync(join(a.root, file), edited);
    a.git(['commit', '-q', '-am', 'Clarify WP01']);
    // Status still shows the lanes from the lane ref.
    expect(await laneOf(a, 'WP01')).toBe('done');
    // kit sync combines the two already (origin's main has the edit once it is pushed there).
    const run = await a.kit(['merge', '--ready-only', '--no-push', '--json', '--feature', FEATURE]);
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const onMain = a.git(['show', `main:${file}`]);
    expect(onMain).toMatch(/^lane: done$/m);
    expect(onMain).toContain('Do it, and document it.');
    expect(onMain).toMatch(/^title: Package WP01 \(with docs\)$/m);
    expect(resultOf<MergeResult>(run).steps.map((step) => step.wp)).toEqual(['WP01']);
    expect(onMain).toMatch(/Approved in review/);
    expect(resultOf<MergeResult>(run).warnings).toEqual([]);
  });

  it('an offline change another clone then replaced is named when the next move publishes', async () => {
    const origin = protectedOrigin();
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    await ok(a, ['sync']);
    const restore = takeOffline(origin);
    const offline = await a.kit(['move', 'WP02', '--to', 'doing', '--force']);
    restore();
    expect(offline.stderr).toMatch(/not published/);
    await ok(b, ['move', 'WP02', '--to', 'doing', '--force', '--agent', 'bee']);
    const next = await ok(a, ['move', 'WP03', '--to', 'doing', '--force', '--json']);
    const result = resultOf<{ publication: { published: boolean; superseded?: string[] } }>(next);
    expect(result.publication.published).toBe(true);
    expect(result.publication.superseded).toEqual([`kitty-specs/${FEATURE}/tasks/WP02-a.md`]);
    const text = await ok(a, ['move', 'WP03', '--to', 'planned', '--force']);
    expect(text.stderr).not.toMatch(/replaced/);
  });

  it('a lane commit kit cannot read, pushed by another clone, is not taken; the rest of kit sync goes on', async () => {
    const origin = protectedOrigin();
    const a = cloneOrigin(origin.url, 'agent-a');
    const b = cloneOrigin(origin.url, 'agent-b');
    await ok(b, ['move', 'WP01', '--to', 'doing', '--force']);
    const good = b.git(['rev-parse', LANE_REF]).trim();
    // A lane commit naming a file it holds no copy of (a newer or broken kit, or a hand-made one).
    const index = `${JSON.stringify({ version: 1, target: 'main', files: { [`kitty-specs/${FEATURE}/tasks/WP02-a.md`]: { base: null } } })}\n`;
    const blob = execFileSync('git', ['hash-object', '-w', '--stdin'], {
      cwd: a.root,
      input: index,
      encoding: 'utf8',
    }).trim();
    const tree = execFileSync('git', ['mktree'], {
      cwd: a.root,
      input: `100644 blob ${blob}\tlanes.json\n`,
      encoding: 'utf8',
    }).trim();
    const bad = a.git(['commit-tree', tree, '-m', 'broken']).trim();
    a.git(['push', '-q', '--force', 'origin', `${bad}:${LANE_REF}`]);
    await ok(a, ['implement', 'WP03']);
    const run = await ok(b, ['sync', '--json']);
    const synced = resultOf<SyncResult>(run);
    expect(synced.lanes[0]?.action).toBe('unreadable');
    expect(synced.lanes[0]?.detail).toMatch(
      /lane commit [0-9a-f]{12} cannot be read: it names .*WP02-a.md but holds no copy of it/,
    );
    expect(synced.claims.added.map((claim) => claim.wp)).toEqual(['WP03']);
    expect(b.git(['rev-parse', LANE_REF]).trim()).toBe(good);
    expect(await laneOf(b, 'WP01')).toBe('doing');
  });

  it('kit check and kit status through their read index see a lane change that only moved the lane ref', async () => {
    const origin = protectedOrigin(2);
    const a = cloneOrigin(origin.url, 'agent-a');
    const indexed = (args: string[]) =>
      kit(args, { cwd: a.root, env: { KIT_AGENT: a.agent, KIT_RACY_WINDOW_MS: '0' } });
    const unfinished = async () => {
      const run = await indexed(['check', '--json']);
      const result = JSON.parse(run.stdout) as { result: { problems: { kind: string; wp: string | null }[] } };
      return result.result.problems.filter((problem) => problem.kind === 'unfinished').map((problem) => problem.wp);
    };
    expect(await unfinished()).toEqual([]);
    expect(await unfinished()).toEqual([]); // answered by the read index
    await ok(a, ['move', 'WP01', '--to', 'doing', '--force']);
    expect(await unfinished()).toEqual(['WP01']);
    const status = resultOf<StatusResult>(await indexed(['status', '--json']));
    expect(status.features[0]?.workPackages.map((wp) => wp.lane)).toEqual(['doing', 'planned']);
  });

  it('a Spec Kitty 3.x mission: events go to the lane ref copy of status.events.jsonl; two clones’ logs combine', async () => {
    const dir = 'mission-lanes-01KZZZZZ';
    const seed = makeSharedRepo([plannedMission(dir, ['WP01', 'WP02'])]);
    seed.write('.kit/config.yaml', 'version: 1\nremote: origin\nlane_store: ref\n');
    seed.git(['add', '-A']);
    seed.git(['commit', '-q', '-m', 'kit config']);
    const base = makeTempDir('kit-origin-3x-');
    const originPath = join(base, 'origin.git');
    execFileSync('git', ['clone', '-q', '--bare', seed.root, originPath]);
    const main = readGit(originPath, ['rev-parse', 'main']).trim();
    installOriginHook({ path: originPath, url: originPath, main }, 'pre-receive', PROTECT_MAIN);
    const a = cloneOrigin(originPath, 'agent-a');
    const b = cloneOrigin(originPath, 'agent-b');
    await ok(a, ['move', 'WP01', '--to', 'doing', '--feature', dir]);
    // b has not synced: its move is made again on a's published log (a race), and both events survive.
    await ok(b, ['move', 'WP02', '--to', 'doing', '--feature', dir]);
    await ok(a, ['sync']);
    const log = readGit(originPath, ['show', `${LANE_REF}:files/kitty-specs/${dir}/status.events.jsonl`]);
    const reduced = reduceLog(readLog(log));
    expect(reduced.wps.get('WP01')?.lane).toBe('in_progress');
    expect(reduced.wps.get('WP02')?.lane).toBe('in_progress');
    expect(readGit(originPath, ['rev-parse', 'main']).trim()).toBe(main);
    expect(a.git(['show', `main:kitty-specs/${dir}/status.events.jsonl`])).toBe(
      seed.read(`kitty-specs/${dir}/status.events.jsonl`),
    );
    for (const clone of [a, b]) {
      await ok(clone, ['sync']);
      const status = resultOf<StatusResult>(await ok(clone, ['status', '--json']));
      const wps = status.features.find((feature) => feature.id === dir)?.workPackages ?? [];
      expect(
        wps.map((wp) => [wp.id, wp.statusLane]),
        clone.agent,
      ).toEqual([
        ['WP01', 'in_progress'],
        ['WP02', 'in_progress'],
      ]);
    }
  });

  describe.skipIf(!hasGitDaemon())('through git daemon on 127.0.0.1', () => {
    const served = useGitDaemon();

    it('two clones of git://127.0.0.1:<port>/origin.git moving WPs: both moves on the lane ref, main untouched', async () => {
      const { daemon, base } = served();
      const origin = makeOrigin({ wps: wpIds(2), dir: base, url: daemon.url('origin.git'), laneStore: 'ref' });
      installOriginHook(origin, 'pre-receive', PROTECT_MAIN);
      const a = cloneOrigin(origin.url, 'agent-a');
      const b = cloneOrigin(origin.url, 'agent-b');
      const runs = await Promise.all([
        a.kit(['move', 'WP01', '--to', 'doing', '--force']),
        b.kit(['move', 'WP02', '--to', 'doing', '--force']),
      ]);
      for (const run of runs) {
        expect(run.exitCode, run.stderr).toBe(0);
        expect(run.stderr + run.stdout).toMatch(/published to origin/);
      }
      await ok(a, ['sync']);
      expect(await laneOf(a, 'WP01')).toBe('doing');
      expect(await laneOf(a, 'WP02')).toBe('doing');
      expect(tipIn(origin.path, 'refs/heads/main')).toBe(origin.main);
    });
  });
});
