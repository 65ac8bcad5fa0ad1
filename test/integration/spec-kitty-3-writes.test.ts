/**
 * kit WRITING Spec Kitty 3.x lanes (status.events.jsonl + status.json) through the built CLI: implement,
 * move, review and merge append 3.x events in one lane commit each. Every write is checked against the
 * independent reading in test/helpers/spec-kitty-3.ts (status.json byte for byte, and kit status), and
 * every event line against the 3.x serialization rules. Each describe block shares one repository; its
 * tests run in order and build on each other.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitFile, holdLaneLock, startKit } from '../helpers/lanes.js';
import { frontmatterBlock, type KitRun, resultOf, type TempRepo } from '../helpers/repo.js';
import {
  EXPECTED_COLUMN,
  eventLine,
  independentStatusJson,
  isoAt,
  makeSharedRepo,
  missionMeta,
  type MissionSpec,
  plannedMission,
  readLog,
  reduceLog,
  transition,
  ulid,
} from '../helpers/spec-kitty-3.js';

// ---------------------------------------------------------------------------------------------------
// Missions and what a write must leave behind

const T0 = '2026-05-02T09:00:00Z';
const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const AT_RE = /^20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?\+00:00$/;
/** A repository with the given missions committed, `.worktrees/` ignored as `kit init` does. */
function sharedRepo(missions: readonly MissionSpec[]): TempRepo {
  const repo = makeSharedRepo(missions);
  writeFileSync(join(repo.root, '.git', 'info', 'exclude'), '/.worktrees/\n');
  return repo;
}

const logPath = (dir: string) => `kitty-specs/${dir}/status.events.jsonl`;
const snapshotPath = (dir: string) => `kitty-specs/${dir}/status.json`;

function head(repo: TempRepo, ref = 'main'): string {
  return repo.git(['rev-parse', ref]).trim();
}

/** The commits on `ref` after `from`, oldest first, with subject, full message and changed files. */
function commitsSince(repo: TempRepo, from: string, ref = 'main') {
  return repo
    .git(['rev-list', '--reverse', '--first-parent', `${from}..${ref}`])
    .split('\n')
    .filter(Boolean)
    .map((sha) => ({
      sha,
      message: repo.git(['log', '-1', '--format=%B', sha]),
      files: repo.git(['diff-tree', '--no-commit-id', '--name-only', '-r', sha]).split('\n').filter(Boolean).sort(),
    }));
}

function micros(at: string): number {
  const match = /^(.{19})(?:\.(\d{6}))?\+00:00$/.exec(at);
  if (!match?.[1]) throw new Error(`not a 3.x time: ${at}`);
  return Date.parse(`${match[1]}Z`) * 1000 + Number(match[2] ?? '0');
}

type Event = Record<string, unknown>;

/**
 * Checks a mission after a write: the log and status.json in the main checkout are what main holds; every
 * line is a 3.x line (keys sorted, 3.x separators, ULID ids, unique); the lines past `previousLog` are
 * appended to it and later than every earlier event; status.json is the independent rendering of the log.
 * Returns the appended events.
 */
function checkWrite(repo: TempRepo, dir: string, previousLog: string): Event[] {
  const log = repo.read(logPath(dir));
  const status = repo.read(snapshotPath(dir));
  expect(repo.git(['show', `main:${logPath(dir)}`])).toBe(log);
  expect(repo.git(['show', `main:${snapshotPath(dir)}`])).toBe(status);
  expect(log.startsWith(previousLog), 'the log is only appended to').toBe(true);
  expect(log.endsWith('\n')).toBe(true);
  const lines = log
    .slice(0, -1)
    .split('\n')
    .filter((line) => line.trim() !== '');
  const events = lines.map((line) => JSON.parse(line) as Event);
  lines.forEach((line, index) => expect(`${line}\n`, 'a 3.x line').toBe(eventLine(events[index] ?? {})));
  const ids = events.map((event) => String(event.event_id));
  for (const id of ids) expect(id).toMatch(ULID_RE);
  expect(new Set(ids).size, 'event ids are unique').toBe(ids.length);
  const earlier = previousLog.split('\n').filter((line) => line.trim() !== '').length;
  const added = events.slice(earlier);
  const timed = events.slice(0, earlier).filter((event) => typeof event.at === 'string');
  let latest = Math.max(...timed.map((event) => micros(String(event.at))));
  for (const event of added) {
    expect(event.at).toMatch(AT_RE);
    expect(micros(String(event.at)), `${String(event.at)} comes after the events before it`).toBeGreaterThan(latest);
    latest = micros(String(event.at));
  }
  const meta = JSON.parse(repo.read(`kitty-specs/${dir}/meta.json`)) as Record<string, unknown>;
  expect(status, 'status.json is the independent rendering of the log').toBe(independentStatusJson(log, meta, dir));
  expect(readLog(log).issues).toEqual([]);
  return added;
}

interface StatusJson {
  features: { id: string; format: string; workPackages: { id: string; lane: string; statusLane: string | null }[] }[];
}

/** `kit status --json` agrees with the independent reading of the log on disk; returns WP → 3.x lane. */
async function checkStatus(repo: TempRepo, dir: string): Promise<Record<string, string>> {
  const run = await repo.kit(['status', '--json', '--feature', dir]);
  expect(run.exitCode, run.stderr).toBe(0);
  const feature = resultOf<StatusJson>(run).features.find((candidate) => candidate.id === dir);
  expect(feature?.format).toBe('3.x');
  const reduced = reduceLog(readLog(repo.read(logPath(dir))));
  const expected = Object.fromEntries(
    [...reduced.wps].map(([id, state]) => [id, [EXPECTED_COLUMN[String(state.lane)]?.column, state.lane]]),
  );
  expect(Object.fromEntries((feature?.workPackages ?? []).map((wp) => [wp.id, [wp.lane, wp.statusLane]]))).toEqual(
    expected,
  );
  return Object.fromEntries([...reduced.wps].map(([id, state]) => [id, String(state.lane)]));
}

/** What each appended event says, in brief. */
const edges = (events: readonly Event[]) =>
  events.map((event) => `${String(event.wp_id)} ${String(event.from_lane)}→${String(event.to_lane)}`);

function expectOk(run: KitRun, what: string): void {
  expect(run.exitCode, `${what}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
}

const wpText = (repo: TempRepo, dir: string, id: string) => repo.read(`kitty-specs/${dir}/tasks/${id}-work.md`);

// ---------------------------------------------------------------------------------------------------

describe('3.x writes: implement, move to for_review, review', () => {
  const dir = 'review-flow-01KQZK7A';
  const missionId = '01KQZK7A8M3XJ5V2T9RQW4N6PB';
  let repo: TempRepo;
  beforeAll(() => {
    repo = sharedRepo([plannedMission(dir, ['WP01', 'WP02', 'WP03'], missionId)]);
  });

  it('kit implement records planned → claimed → in_progress in one commit with the WP base, never a lane', async () => {
    const before = head(repo);
    const previousLog = repo.read(logPath(dir));
    const run = await repo.kit(['implement', 'WP01', '--agent', 'claude']);
    expectOk(run, 'kit implement');
    expect(run.stdout.trim()).toBe(join(repo.root, '.worktrees', `${dir}-WP01`));

    const commits = commitsSince(repo, before);
    expect(commits).toHaveLength(1);
    expect(commits[0]?.message.startsWith(`kit: ${dir} WP01 planned → claimed → in_progress`)).toBe(true);
    expect(commits[0]?.files).toEqual(
      [logPath(dir), snapshotPath(dir), `kitty-specs/${dir}/tasks/WP01-work.md`].sort(),
    );
    const added = checkWrite(repo, dir, previousLog);
    expect(edges(added)).toEqual(['WP01 planned→claimed', 'WP01 claimed→in_progress']);
    expect(added.map((event) => event.actor)).toEqual(['claude', 'claude']);
    expect(added[0]).toMatchObject({
      policy_metadata: { agent: 'claude' },
      force: false,
      mission_slug: dir,
      mission_id: missionId,
      execution_mode: 'worktree',
      evidence: null,
      review_ref: null,
    });
    for (const event of added) expect(event).not.toHaveProperty('review_result');

    const frontmatter = frontmatterBlock(wpText(repo, dir, 'WP01'));
    expect(frontmatter).toMatch(/^base_commit: /m);
    expect(frontmatter).not.toMatch(/^lane:/m);
    expect(repo.git(['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(await checkStatus(repo, dir)).toMatchObject({ WP01: 'in_progress', WP02: 'planned' });
    const status = JSON.parse(repo.read(snapshotPath(dir))) as { work_packages: Record<string, Event> };
    expect(status.work_packages.WP01).toMatchObject({ agent: 'claude', lane: 'in_progress' });
  });

  it('takes the actor from KIT_AGENT when there is no --agent', async () => {
    const previousLog = repo.read(logPath(dir));
    expectOk(await repo.kit(['implement', 'WP02'], { env: { KIT_AGENT: 'codex' } }), 'kit implement WP02');
    const added = checkWrite(repo, dir, previousLog);
    expect(edges(added)).toEqual(['WP02 planned→claimed', 'WP02 claimed→in_progress']);
    expect(added.map((event) => event.actor)).toEqual(['codex', 'codex']);
    expect(added[0]?.policy_metadata).toMatchObject({ agent: 'codex' });
    await checkStatus(repo, dir);
  });

  it('kit move --to for_review records in_progress → for_review', async () => {
    for (const id of ['WP01', 'WP02']) {
      commitFile(join(repo.root, '.worktrees', `${dir}-${id}`), `${id}.txt`, `work of ${id}\n`, `${id}: work`);
      const before = head(repo);
      const previousLog = repo.read(logPath(dir));
      expectOk(await repo.kit(['move', id, '--to', 'for_review']), `kit move ${id}`);
      const commits = commitsSince(repo, before);
      expect(commits.map((commit) => commit.files)).toEqual([[logPath(dir), snapshotPath(dir)].sort()]);
      expect(commits[0]?.message.startsWith(`kit: ${dir} ${id} in_progress → for_review`)).toBe(true);
      expect(edges(checkWrite(repo, dir, previousLog))).toEqual([`${id} in_progress→for_review`]);
    }
    expect(await checkStatus(repo, dir)).toMatchObject({ WP01: 'for_review', WP02: 'for_review' });
    expect(frontmatterBlock(wpText(repo, dir, 'WP01'))).not.toMatch(/^lane:/m);
  });

  it('kit review --approve records for_review → in_review → approved with the review result', async () => {
    const before = head(repo);
    const previousLog = repo.read(logPath(dir));
    expectOk(await repo.kit(['review', 'WP01', '--approve', '--agent', 'rev']), 'kit review --approve');
    expect(commitsSince(repo, before).map((commit) => commit.files)).toEqual([
      [logPath(dir), snapshotPath(dir)].sort(),
    ]);
    const added = checkWrite(repo, dir, previousLog);
    expect(edges(added)).toEqual(['WP01 for_review→in_review', 'WP01 in_review→approved']);
    const result = added[1]?.review_result as Record<string, unknown>;
    expect(result).toMatchObject({ reviewer: 'rev', verdict: 'approved' });
    expect(Object.keys(result).sort()).toEqual(['reference', 'reviewer', 'verdict']);
    expect(String(result.reference)).not.toBe('');
    expect(added[1]?.evidence).toEqual({ review: result });
    expect(added[0]).not.toHaveProperty('review_result');
    expect(await checkStatus(repo, dir)).toMatchObject({ WP01: 'approved' });
    expect(frontmatterBlock(wpText(repo, dir, 'WP01'))).not.toMatch(/^lane:/m);
  });

  it('kit check fails (exit 1) while WP01 is approved', async () => {
    const run = await repo.kit(['check', '--feature', dir]);
    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.stdout).toContain('approved (for_review)');
    expect(run.stdout).toContain('WP01');
  });

  it('kit review --reject --note records for_review → in_review → planned with changes_requested', async () => {
    const note = 'tighten the parser \u2014 it accepts "a,,b" (na\u00efve)';
    const previousLog = repo.read(logPath(dir));
    expectOk(await repo.kit(['review', 'WP02', '--reject', '--note', note, '--agent', 'rev2']), 'kit review --reject');
    const added = checkWrite(repo, dir, previousLog);
    expect(edges(added)).toEqual(['WP02 for_review→in_review', 'WP02 in_review→planned']);
    expect(added[1]?.review_result).toEqual({ reviewer: 'rev2', verdict: 'changes_requested', reference: note });
    expect(added[1]?.reason).toBe(note);
    // ensure_ascii in the log, raw UTF-8 in status.json, as 3.x writes them.
    expect(repo.read(logPath(dir))).toContain('tighten the parser \\u2014 it accepts \\"a,,b\\" (na\\u00efve)');
    expect(repo.read(snapshotPath(dir))).toContain('tighten the parser \u2014 it accepts \\"a,,b\\" (na\u00efve)');
    expect(await checkStatus(repo, dir)).toMatchObject({ WP01: 'approved', WP02: 'planned' });
    const status = JSON.parse(repo.read(snapshotPath(dir))) as { work_packages: Record<string, Event> };
    expect(status.work_packages.WP02?.review_result).toEqual({
      reference: note,
      reviewer: 'rev2',
      verdict: 'changes_requested',
    });
  });
});

// ---------------------------------------------------------------------------------------------------

describe('3.x writes: kit move', () => {
  const dir = 'moves-01KQZM00';
  const legacy = '001-legacy';
  let repo: TempRepo;
  beforeAll(() => {
    repo = sharedRepo([plannedMission(dir, ['WP01', 'WP02', 'WP03', 'WP04', 'WP05'])]);
    repo.write(
      `kitty-specs/${legacy}/tasks/WP01-a.md`,
      '---\nwork_package_id: WP01\ntitle: Legacy one\nlane: planned\ndependencies: []\n---\n# WP01\n',
    );
    repo.git(['add', '-A']);
    repo.git(['commit', '-q', '-m', 'a 1.x feature']);
  });

  async function move(args: string[], expected: string[]): Promise<Event[]> {
    const before = head(repo);
    const previousLog = repo.read(logPath(dir));
    expectOk(await repo.kit(['move', ...args, '--feature', dir]), `kit move ${args.join(' ')}`);
    expect(commitsSince(repo, before).map((commit) => commit.files)).toEqual([
      [logPath(dir), snapshotPath(dir)].sort(),
    ]);
    const added = checkWrite(repo, dir, previousLog);
    expect(edges(added)).toEqual(expected);
    await checkStatus(repo, dir);
    return added;
  }

  it('--to blocked --note records the note as the reason', async () => {
    const added = await move(['WP02', '--to', 'blocked', '--note', 'x', '--agent', 'ann'], ['WP02 planned→blocked']);
    expect(added[0]).toMatchObject({ reason: 'x', actor: 'ann', force: false });
  });

  it('--to canceled', async () => {
    await move(['WP03', '--to', 'canceled'], ['WP03 planned→canceled']);
  });

  it('a 3.x lane name as the target (claimed), then --to doing as the alias of in_progress', async () => {
    await move(['WP04', '--to', 'claimed', '--agent', 'bob'], ['WP04 planned→claimed']);
    await move(['WP04', '--to', 'doing'], ['WP04 claimed→in_progress']);
    await move(['WP02', '--to', 'doing'], ['WP02 blocked→in_progress']);
    expect(await checkStatus(repo, dir)).toEqual({
      WP01: 'planned',
      WP02: 'in_progress',
      WP03: 'canceled',
      WP04: 'in_progress',
      WP05: 'planned',
    });
  });

  it('a move out of a final lane exits 3, says so, points at --force and writes nothing', async () => {
    const before = head(repo);
    const snapshot = repo.snapshot();
    for (const to of ['planned', 'in_progress', 'approved']) {
      const run = await repo.kit(['move', 'WP03', '--to', to, '--feature', dir]);
      expect(run.exitCode, run.stderr).toBe(3);
      expect(run.stderr).toContain('WP03 cannot move from canceled');
      expect(run.stderr).toContain('final');
      expect(run.stderr).toContain('--force');
    }
    const same = await repo.kit(['move', 'WP04', '--to', 'in_progress', '--feature', dir]);
    expect(same.exitCode, same.stderr).toBe(3);
    expect(same.stderr).toContain('already in in_progress');
    expect(head(repo)).toBe(before);
    expect(repo.snapshot()).toEqual(snapshot);
  });

  it('--force --note records one forced event with the note as its reason', async () => {
    const added = await move(['WP05', '--to', 'approved', '--force', '--note', 'why'], ['WP05 planned→approved']);
    expect(added[0]).toMatchObject({ force: true, reason: 'why' });
    const status = JSON.parse(repo.read(snapshotPath(dir))) as { work_packages: Record<string, Event> };
    expect(status.work_packages.WP05).toMatchObject({ lane: 'approved', force_count: 1 });
  });

  it('a 1.x feature in the same repo still moves by its frontmatter lane, and the 3.x files stay as they were', async () => {
    const mission = () =>
      repo
        .git(['ls-tree', '-r', 'main', `kitty-specs/${dir}`])
        .split('\n')
        .filter(Boolean);
    const before = mission();
    const onDisk = [logPath(dir), snapshotPath(dir)].map((path) => repo.read(path));
    const run = await repo.kit(['move', 'WP01', '--to', 'doing', '--feature', legacy, '--agent', 'old']);
    expectOk(run, 'kit move in a 1.x feature');
    const text = repo.read(`kitty-specs/${legacy}/tasks/WP01-a.md`);
    expect(frontmatterBlock(text)).toMatch(/^lane: "?doing"?$/m);
    expect(mission()).toEqual(before);
    expect([logPath(dir), snapshotPath(dir)].map((path) => repo.read(path))).toEqual(onDisk);
    expect(repo.exists(`kitty-specs/${legacy}/status.events.jsonl`)).toBe(false);
    const status = await repo.kit(['status', '--json', '--feature', legacy]);
    const feature = resultOf<StatusJson>(status).features[0];
    expect(feature?.format).toBe('1.x');
    expect(feature?.workPackages.map((wp) => [wp.id, wp.lane, wp.statusLane])).toEqual([['WP01', 'doing', null]]);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('3.x writes: kit merge', () => {
  const dir = 'landing-01KQZN00';
  let repo: TempRepo;
  let worktree3: string;
  beforeAll(async () => {
    repo = sharedRepo([plannedMission(dir, ['WP01', 'WP02', 'WP03'])]);
    for (const id of ['WP01', 'WP03']) {
      expectOk(await repo.kit(['implement', id, '--agent', 'dev']), `implement ${id}`);
      commitFile(join(repo.root, '.worktrees', `${dir}-${id}`), `${id}.txt`, `work of ${id}\n`, `${id}: work`);
    }
    worktree3 = join(repo.root, '.worktrees', `${dir}-WP03`);
    expectOk(await repo.kit(['move', 'WP01', '--to', 'for_review']), 'move WP01');
    expectOk(await repo.kit(['review', 'WP01', '--approve', '--agent', 'rev']), 'approve WP01');
    expectOk(await repo.kit(['move', 'WP03', '--to', 'canceled', '--note', 'dropped']), 'cancel WP03');
  });

  it('--ready-only lands the approved WP, then records approved → done in a second commit', async () => {
    const before = head(repo);
    const previousLog = repo.read(logPath(dir));
    const wp1Tip = head(repo, `${dir}-WP01`);
    const wp3Tip = repo.git(['rev-parse', 'HEAD'], worktree3.slice(repo.root.length + 1)).trim();
    const run = await repo.kit(['merge', '--ready-only', '--feature', dir]);
    expectOk(run, 'kit merge --ready-only');

    const commits = commitsSince(repo, before);
    expect(commits.length).toBeGreaterThanOrEqual(2);
    const last = commits.at(-1);
    expect(last?.message.startsWith(`kit: ${dir} WP01 approved → done`)).toBe(true);
    expect(last?.files).toEqual([logPath(dir), snapshotPath(dir)].sort());
    // WP01's work landed before the lane commit; WP03 (canceled) did not land.
    const isAncestor = (commit: string, of: string) => {
      try {
        repo.git(['merge-base', '--is-ancestor', commit, of]);
        return true;
      } catch {
        return false;
      }
    };
    expect(isAncestor(wp1Tip, `${last?.sha}~1`)).toBe(true);
    expect(isAncestor(wp3Tip, 'main')).toBe(false);
    expect(repo.exists('WP01.txt')).toBe(true);
    expect(repo.exists('WP03.txt')).toBe(false);

    const added = checkWrite(repo, dir, previousLog);
    expect(edges(added)).toEqual(['WP01 approved→done']);
    expect(added[0]).toMatchObject({ actor: 'merge', force: false, policy_metadata: { target_branch: 'main' } });
    expect((added[0]?.evidence as { review?: Record<string, unknown> } | null)?.review).toMatchObject({
      reviewer: 'rev',
      verdict: 'approved',
    });
    expect(await checkStatus(repo, dir)).toEqual({ WP01: 'done', WP02: 'planned', WP03: 'canceled' });
    expect(repo.git(['status', '--porcelain', '--untracked-files=all'])).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('3.x writes: a log kit cannot read is refused and nothing is written', () => {
  const seed = (dir: string) => plannedMission(dir, ['WP01', 'WP02']);
  const bad = (dir: string, line: Event | string): MissionSpec => {
    const spec = seed(dir);
    return { ...spec, log: [...(spec.log ?? []), line], statusJson: 'reduced' };
  };
  const cases = {
    json: bad('bad-json-01KQZP00', '{"actor": "claude", "at": '),
    lane: bad(
      'bad-lane-01KQZP01',
      transition({
        wp: 'WP02',
        from: 'planned',
        to: 'shipped',
        at: isoAt(T0, 50),
        id: ulid(2_100_000, 1),
        slug: 'bad-lane-01KQZP01',
      }),
    ),
    orphan: bad(
      'orphan-01KQZP02',
      transition({
        wp: 'WP07',
        from: 'genesis',
        to: 'planned',
        at: isoAt(T0, 50),
        id: ulid(2_100_000, 2),
        slug: 'orphan-01KQZP02',
      }),
    ),
  };
  let repo: TempRepo;
  beforeAll(() => {
    repo = sharedRepo(Object.values(cases));
  });

  for (const [name, spec] of Object.entries(cases)) {
    it(`${name}: kit move exits 3 naming status.events.jsonl:3`, async () => {
      const before = head(repo);
      const snapshot = repo.snapshot();
      const run = await repo.kit(['move', 'WP01', '--to', 'blocked', '--note', 'x', '--feature', spec.dir]);
      expect(run.exitCode, run.stderr).toBe(3);
      expect(run.stderr).toContain(`${logPath(spec.dir)}:3`);
      if (name === 'lane') expect(run.stderr).toContain('shipped');
      if (name === 'orphan') expect(run.stderr).toContain('WP07');
      expect(head(repo)).toBe(before);
      expect(repo.snapshot()).toEqual(snapshot);
      expect(repo.git(['status', '--porcelain', '--untracked-files=all'])).toBe('');
    });
  }
});

// ---------------------------------------------------------------------------------------------------

describe('3.x writes: concurrent moves', () => {
  const dir = 'racing-01KQZQ00';
  const ids = ['WP01', 'WP02', 'WP03', 'WP04', 'WP05', 'WP06', 'WP07', 'WP08'];
  let repo: TempRepo;
  beforeAll(async () => {
    repo = sharedRepo([plannedMission(dir, ids)]);
    expectOk(await repo.kit(['implement', 'WP01', '--agent', 'dev']), 'implement WP01');
    commitFile(join(repo.root, '.worktrees', `${dir}-WP01`), 'WP01.txt', 'work\n', 'WP01: work');
  });

  /** Starts every move while the lane lock is held (so each reads the lanes before any writes), then lets go. */
  async function racing(moves: readonly string[][]) {
    const release = holdLaneLock(repo);
    try {
      const running = moves.map((args) => startKit(repo.root, ['move', ...args, '--feature', dir]));
      await sleep(2500);
      release();
      return await Promise.all(running.map((run) => run.result));
    } finally {
      release();
    }
  }

  it('two moves of the same WP: exactly one lands, the other is refused', async () => {
    const before = head(repo);
    const previousLog = repo.read(logPath(dir));
    const pairs = [
      ['WP01', ['--to', 'for_review'], ['--to', 'for_review']],
      ['WP02', ['--to', 'blocked', '--note', 'x'], ['--to', 'canceled']],
    ] as const;
    const runs = await racing(
      pairs.flatMap(([wp, a, b]) => [
        [wp, ...a],
        [wp, ...b],
      ]),
    );
    const output = runs.map((run) => `exit ${run.exitCode}: ${run.stderr}`).join('\n');
    for (let pair = 0; pair < pairs.length; pair++) {
      const [first, second] = [runs[pair * 2], runs[pair * 2 + 1]];
      expect(
        [first?.exitCode, second?.exitCode].filter((code) => code === 0),
        output,
      ).toHaveLength(1);
      const loser = first?.exitCode === 0 ? second : first;
      expect(loser?.exitCode, output).not.toBe(0);
      expect(loser?.stderr, output).toMatch(/moved .* while this command ran|cannot move/);
    }
    expect(commitsSince(repo, before)).toHaveLength(2);
    const added = checkWrite(repo, dir, previousLog);
    const lanes = await checkStatus(repo, dir);
    expect(edges(added).filter((edge) => edge.startsWith('WP01'))).toEqual(['WP01 in_progress→for_review']);
    expect(edges(added).filter((edge) => edge.startsWith('WP02'))).toHaveLength(1);
    expect(lanes.WP02, output).toBe(runs[2]?.exitCode === 0 ? 'blocked' : 'canceled');
  });

  it('six moves of different WPs all land, one commit each', async () => {
    const before = head(repo);
    const previousLog = repo.read(logPath(dir));
    const moves = [
      ['WP03', '--to', 'blocked', '--note', 'waits'],
      ['WP04', '--to', 'canceled'],
      ['WP05', '--to', 'claimed'],
      ['WP06', '--to', 'doing'],
      ['WP07', '--to', 'in_progress'],
      ['WP08', '--to', 'canceled'],
    ];
    const runs = await racing(moves);
    for (const run of runs) expect(run.exitCode, run.stderr).toBe(0);
    expect(commitsSince(repo, before)).toHaveLength(6);
    const added = checkWrite(repo, dir, previousLog);
    expect(edges(added).sort()).toEqual(
      [
        'WP03 planned→blocked',
        'WP04 planned→canceled',
        'WP05 planned→claimed',
        'WP06 planned→claimed',
        'WP06 claimed→in_progress',
        'WP07 planned→claimed',
        'WP07 claimed→in_progress',
        'WP08 planned→canceled',
      ].sort(),
    );
    expect(await checkStatus(repo, dir)).toMatchObject({
      WP03: 'blocked',
      WP04: 'canceled',
      WP05: 'claimed',
      WP06: 'in_progress',
      WP07: 'in_progress',
      WP08: 'canceled',
    });
    expect(repo.git(['status', '--porcelain', '--untracked-files=all'])).toBe('');
  });
});

// ---------------------------------------------------------------------------------------------------

describe('3.x writes: logs as other writers leave them', () => {
  const dir = 'odd-log-01KQZR00';
  const spec = { ...plannedMission(dir, ['WP01', 'WP02']), meta: missionMeta(dir, { mission_number: '042' }) };
  const numbered = '051-numbered';
  const numberedSpec: MissionSpec = {
    ...plannedMission(numbered, ['WP01']),
    meta: { slug: numbered, target_branch: 'main' },
  };
  const future = '2027-03-01T10:00:00Z';
  const log = [
    {
      aggregate_id: dir,
      aggregate_type: 'Mission',
      event_id: ulid(1_000_000, 1),
      event_type: 'SpecifyStarted',
      payload: { mission_slug: dir },
      schema_version: '5.0.0',
      timestamp: '2026-05-01T09:00:00.000000+00:00',
    },
    ...(spec.log ?? []),
    {
      actor: 'user',
      at: isoAt(T0, 30, 1),
      delta: { subtasks: { T001: 'done' }, note: 'caf\u00e9' },
      event_id: ulid(2_000_100, 1),
      kind: 'annotation',
      wp_id: 'WP01',
    },
    // A later event without microseconds (Python's isoformat at a whole second), dated after now.
    transition({
      wp: 'WP02',
      from: 'planned',
      to: 'blocked',
      at: `${future.slice(0, 19)}+00:00`,
      id: ulid(9, 9),
      slug: dir,
    }),
  ];
  let repo: TempRepo;
  beforeAll(() => {
    repo = sharedRepo([{ ...spec, log }, numberedSpec]);
    // The log's last line without its newline, as a hand edit leaves it.
    const text = repo.read(logPath(dir));
    repo.write(logPath(dir), text.slice(0, -1));
    repo.write(snapshotPath(dir), independentStatusJson(text, spec.meta ?? null, dir));
    repo.git(['add', '-A']);
    repo.git(['commit', '-q', '-m', 'no final newline']);
  });

  it('appends after a last line without a newline, keeps other rows, and dates its events after a future event', async () => {
    const previousLog = repo.read(logPath(dir));
    expect(previousLog.endsWith('}')).toBe(true);
    expectOk(await repo.kit(['move', 'WP01', '--to', 'blocked', '--feature', dir, '--note', 'waits']), 'kit move');
    const log = repo.read(logPath(dir));
    expect(log.startsWith(`${previousLog}\n`)).toBe(true);
    const added = checkWrite(repo, dir, previousLog);
    expect(edges(added)).toEqual(['WP01 planned\u2192blocked']);
    expect(String(added[0]?.at) > '2027-03-01T10:00:00+00:00').toBe(true);
    const status = JSON.parse(repo.read(snapshotPath(dir))) as { work_packages: Record<string, Event> };
    expect(status.work_packages.WP01).toMatchObject({
      lane: 'blocked',
      subtasks: { T001: 'done' },
      notes: ['caf\u00e9'],
    });
    expect(await checkStatus(repo, dir)).toEqual({ WP01: 'blocked', WP02: 'blocked' });
    expect(status).toMatchObject({ mission_number: '42', mission_type: 'software-dev' });
  });

  it('renders mission_number from a legacy NNN- slug and an empty mission_type when meta.json has neither', async () => {
    const previousLog = repo.read(logPath(numbered));
    expectOk(await repo.kit(['move', 'WP01', '--to', 'canceled', '--feature', numbered]), 'kit move');
    expect(edges(checkWrite(repo, numbered, previousLog))).toEqual(['WP01 planned\u2192canceled']);
    expect(JSON.parse(repo.read(snapshotPath(numbered)))).toMatchObject({ mission_number: '51', mission_type: '' });
    expect(await checkStatus(repo, numbered)).toEqual({ WP01: 'canceled' });
  });
});

// ---------------------------------------------------------------------------------------------------
// Found by these tests and fixed: the writer took the shortest chain of allowed edges to any destination,
// so `kit move --to approved` or `--to done` from planned went through without --force, inventing a review
// approval. Without --force a chain may now only pass through claimed and in_review, and only kit review
// records an approval.

describe('3.x writes: no skipping review without --force', () => {
  const dir = 'skip-review-01KQZS00';
  let repo: TempRepo;
  beforeAll(() => {
    repo = sharedRepo([plannedMission(dir, ['WP01', 'WP02'])]);
  });

  for (const [wp, to] of [
    ['WP01', 'approved'],
    ['WP02', 'done'],
  ] as const) {
    it(`planned \u2192 ${to} without --force exits 3, lists the legal next lanes and writes nothing`, async () => {
      const before = head(repo);
      const snapshot = repo.snapshot();
      const run = await repo.kit(['move', wp, '--to', to, '--feature', dir, '--agent', 'zed']);
      expect(run.exitCode, `${run.stdout}${run.stderr}`).toBe(3);
      for (const lane of ['claimed', 'blocked', 'canceled']) expect(run.stderr).toContain(lane);
      expect(head(repo)).toBe(before);
      expect(repo.snapshot()).toEqual(snapshot);
    });
  }
});
