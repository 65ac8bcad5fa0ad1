/**
 * Spec Kitty 3.x missions (lanes in status.events.jsonl / status.json) through the built CLI. Each describe
 * block builds its repository once; the tests only read it. Expected lanes and log lines come from the
 * independent reading in test/helpers/spec-kitty-3.ts, not from kit.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CheckResultJson, type KitRun, type ProblemJson, resultOf, type TempRepo } from '../helpers/repo.js';
import {
  EXPECTED_COLUMN,
  eventLine,
  independentStatusJson,
  isoAt,
  LANES_3X,
  makeSharedRepo,
  missionMeta,
  type MissionSpec,
  readLog,
  reduceLog,
  transition,
  ulid,
} from '../helpers/spec-kitty-3.js';

interface StatusJson {
  features: {
    id: string;
    format: '1.x' | 'lane-folders' | '3.x';
    laneStatus: { source: 'events' | 'snapshot'; snapshotCurrent: boolean | null } | null;
    workPackages: { id: string; lane: string; statusLane: string | null }[];
    problems: ProblemJson[];
  }[];
}

const T0 = '2026-05-02T09:00:00Z';
let serial = 0;

/** A mission whose WPs are seeded (genesis → planned) and then moved (forced) to the given 3.x lanes. */
function mission(dir: string, lanes: Record<string, string>, extra: Partial<MissionSpec> = {}): MissionSpec {
  const ids = Object.keys(lanes);
  const event = (wp: string, from: string, to: string, seconds: number) =>
    transition({
      wp,
      from,
      to,
      at: isoAt(T0, seconds),
      id: ulid(2_000_000 + seconds, ++serial),
      slug: dir,
      force: from !== 'genesis',
      reason: 'test',
    });
  return {
    dir,
    wps: Object.fromEntries(
      ids.map((id) => [`${id}-work.md`, { work_package_id: id, title: `Work ${id}`, dependencies: [] }]),
    ),
    log: [
      ...ids.map((id, index) => event(id, 'genesis', 'planned', index)),
      ...ids
        .filter((id) => lanes[id] !== 'planned')
        .map((id, index) => event(id, 'planned', lanes[id] ?? '', 100 + index)),
    ],
    statusJson: 'reduced',
    ...extra,
  };
}

function logText(spec: MissionSpec): string {
  return (spec.log ?? []).map((line) => (typeof line === 'string' ? `${line}\n` : eventLine(line))).join('');
}

/** The independent reading of a mission's log: WP → [3.x lane, line of the transition it came from]. */
function expectedLanes(log: string): Map<string, { lane: string; line: number | undefined }> {
  const reduced = reduceLog(readLog(log));
  return new Map(
    [...reduced.wps].map(([id, state]) => [id, { lane: String(state.lane), line: reduced.lines.get(id) }]),
  );
}

async function checkJson(repo: TempRepo, args: string[] = []): Promise<{ run: KitRun; result: CheckResultJson }> {
  const run = await repo.kit(['check', '--json', ...args]);
  expect(run.stderr).toBe('');
  return { run, result: resultOf<CheckResultJson>(run) };
}

async function statusJson(repo: TempRepo, args: string[] = []): Promise<StatusJson> {
  const run = await repo.kit(['status', '--json', ...args]);
  expect(run.exitCode, run.stderr).toBe(0);
  return resultOf<StatusJson>(run);
}

const lanesOf = (wps: readonly { id: string; lane: string; statusLane: string | null }[]) =>
  Object.fromEntries(wps.map((wp) => [wp.id, [wp.lane, wp.statusLane]]));

// ---------------------------------------------------------------------------------------------------

describe('3.x missions: the gate', () => {
  const allLanes = Object.fromEntries(LANES_3X.map((lane, index) => [`WP0${index + 1}`, lane]));
  const specs = {
    lanes: mission('alert-pipeline-01KQZC7A', allLanes),
    finished: mission('finished-work-01KQZD00', { WP01: 'done', WP02: 'canceled', WP03: 'done' }),
    approved: mission('approved-only-01KQZE00', { WP01: 'done', WP02: 'approved', WP03: 'approved' }),
  };
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeSharedRepo(Object.values(specs));
  });

  it('fails (exit 1) on approved WPs where it used to print "OK: 0 features"', async () => {
    const run = await repo.kit(['check', '--feature', 'approved-only-01KQZE00']);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).not.toMatch(/OK/);
    expect(run.stdout).toContain('WP02');
    expect(run.stdout).toContain('WP03');
    const { result } = await checkJson(repo, ['--feature', 'approved-only']);
    const lines = expectedLanes(logText(specs.approved));
    expect(result.features.map((feature) => [feature.id, feature.format])).toEqual([['approved-only-01KQZE00', '3.x']]);
    expect(result.problems).toEqual(
      ['WP02', 'WP03'].map((wp) => ({
        kind: 'unfinished',
        feature: 'approved-only-01KQZE00',
        wp,
        file: 'kitty-specs/approved-only-01KQZE00/status.events.jsonl',
        line: lines.get(wp)?.line,
        message: expect.stringContaining(`${wp} is in approved (for_review)`),
      })),
    );
  });

  it('passes (exit 0) when every WP is done or canceled', async () => {
    const run = await repo.kit(['check', '--feature', 'finished-work']);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/OK/);
    const { result } = await checkJson(repo, ['--feature', 'finished-work-01KQZD00', '--strict']);
    expect(result.problems).toEqual([]);
    expect(lanesOf(result.features[0]?.workPackages ?? [])).toEqual({
      WP01: ['done', 'done'],
      WP02: ['done', 'canceled'],
      WP03: ['done', 'done'],
    });
  });

  it('checks every feature without --feature, and fails on any unfinished one', async () => {
    const { run, result } = await checkJson(repo);
    expect(run.exitCode).toBe(1);
    expect(result.features.map((feature) => feature.id).sort()).toEqual(
      Object.values(specs)
        .map((s) => s.dir)
        .sort(),
    );
  });

  it('reports every 3.x lane but planned, done and canceled as unfinished (planned too with --strict)', async () => {
    const lines = expectedLanes(logText(specs.lanes));
    const unfinished = (strict: boolean) =>
      LANES_3X.flatMap((lane, index) =>
        EXPECTED_COLUMN[lane]?.finished || (lane === 'planned' && !strict) ? [] : [`WP0${index + 1}`],
      );
    for (const strict of [false, true]) {
      const { run, result } = await checkJson(repo, ['--feature', 'alert-pipeline', ...(strict ? ['--strict'] : [])]);
      expect(run.exitCode).toBe(1);
      expect(result.problems.every((problem) => problem.kind === 'unfinished')).toBe(true);
      expect(result.problems.map((problem) => problem.wp).sort()).toEqual(unfinished(strict));
      for (const problem of result.problems) {
        expect(problem.file).toBe('kitty-specs/alert-pipeline-01KQZC7A/status.events.jsonl');
        expect(problem.line).toBe(lines.get(problem.wp ?? '')?.line);
      }
    }
  });

  it('status --json shows each 3.x lane with its kit column', async () => {
    const result = await statusJson(repo, ['--feature', 'alert-pipeline']);
    const feature = result.features[0];
    expect(feature).toMatchObject({
      id: 'alert-pipeline-01KQZC7A',
      format: '3.x',
      laneStatus: { source: 'events', snapshotCurrent: true },
    });
    expect(lanesOf(feature?.workPackages ?? [])).toEqual(
      Object.fromEntries(LANES_3X.map((lane, index) => [`WP0${index + 1}`, [EXPECTED_COLUMN[lane]?.column, lane]])),
    );
  });

  it('plain kit status marks the 3.x lane and lists canceled WPs apart', async () => {
    const run = await repo.kit(['status', '--feature', 'alert-pipeline']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/WP06 .*\[approved\]/);
    expect(run.stdout).toMatch(/WP08 .*\[blocked\]/);
    expect(run.stdout).toMatch(/WP05 .*\[in review\]/);
    expect(run.stdout).toMatch(/CANCELED \(1\)\n\s+WP09/);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('3.x missions beside 1.x and lane-folder features', () => {
  const wp1x = (id: string, lane: string) =>
    `---\nwork_package_id: ${id}\ntitle: Work ${id}\nlane: ${lane}\ndependencies: []\n---\n# ${id}\n`;
  const fresh = mission('stale-snapshot-01KQZH00', { WP01: 'planned' });
  const stale: MissionSpec = {
    ...mission('stale-snapshot-01KQZH00', { WP01: 'done' }),
    statusJson: independentStatusJson(logText(fresh), null, fresh.dir),
  };
  const ulidIds: MissionSpec = {
    ...mission('ulid-ids-01KQZF00', { WP01: 'approved', WP02: 'done' }),
    wps: {
      'WP01-first.md': { work_package_id: '01KQZF00AAAAAAAAAAAAAAAAAA', wp_code: 'WP01', title: 'First' },
      'WP02-second.md': { work_package_id: '01KQZF00BBBBBBBBBBBBBBBBBB', title: 'Second' },
    },
  };
  const snapshotOnly: MissionSpec = {
    ...mission('snapshot-only-01KQZG00', { WP01: 'in_review', WP02: 'done' }),
    log: null,
  };
  snapshotOnly.statusJson = independentStatusJson(
    logText(mission(snapshotOnly.dir, { WP01: 'in_review', WP02: 'done' })),
    null,
    snapshotOnly.dir,
  );
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeSharedRepo([
      mission('alert-pipeline-01KQZC7A', { WP01: 'approved', WP02: 'in_progress' }),
      stale,
      ulidIds,
      snapshotOnly,
    ]);
    repo.write('kitty-specs/001-legacy/tasks/WP01-a.md', wp1x('WP01', 'done'));
    repo.write('kitty-specs/001-legacy/tasks/WP02-b.md', wp1x('WP02', 'doing'));
    repo.write('kitty-specs/002-folders/tasks/done/WP01-a.md', wp1x('WP01', 'done'));
    repo.write('kitty-specs/002-folders/tasks/for_review/WP02-b.md', wp1x('WP02', 'for_review'));
    repo.write('kitty-specs/WEB-001-login/spec.md', '# Login\n');
    repo.write('kitty-specs/WEB-001-login/tasks/WP01-a.md', wp1x('WP01', 'planned'));
    repo.write('kitty-specs/templates/notes.txt', 'not a feature\n');
    repo.git(['add', '-A']);
    repo.git(['commit', '-q', '-m', 'features']);
  });

  it('gives each feature its format and lanes', async () => {
    const result = await statusJson(repo);
    const byId = Object.fromEntries(result.features.map((feature) => [feature.id, feature]));
    expect(Object.keys(byId).sort()).toEqual(
      [
        '001-legacy',
        '002-folders',
        'WEB-001-login',
        'alert-pipeline-01KQZC7A',
        'snapshot-only-01KQZG00',
        'stale-snapshot-01KQZH00',
        'ulid-ids-01KQZF00',
      ].sort(),
    );
    expect(byId['001-legacy']).toMatchObject({ format: '1.x', laneStatus: null });
    expect(lanesOf(byId['001-legacy']?.workPackages ?? [])).toEqual({ WP01: ['done', null], WP02: ['doing', null] });
    expect(byId['002-folders']).toMatchObject({ format: 'lane-folders', laneStatus: null });
    expect(lanesOf(byId['002-folders']?.workPackages ?? [])).toEqual({
      WP01: ['done', null],
      WP02: ['for_review', null],
    });
    expect(byId['WEB-001-login']).toMatchObject({ format: '1.x' });
    expect(byId['alert-pipeline-01KQZC7A']).toMatchObject({
      format: '3.x',
      laneStatus: { source: 'events', snapshotCurrent: true },
    });
    expect(lanesOf(byId['alert-pipeline-01KQZC7A']?.workPackages ?? [])).toEqual({
      WP01: ['for_review', 'approved'],
      WP02: ['doing', 'in_progress'],
    });
    const { result: checked } = await checkJson(repo);
    expect(Object.fromEntries(checked.features.map((feature) => [feature.id, feature.format]))).toEqual(
      Object.fromEntries(result.features.map((feature) => [feature.id, feature.format])),
    );
  });

  it('finds a feature by its dir name or by its slug without the ULID suffix', async () => {
    for (const reference of ['alert-pipeline', 'alert-pipeline-01KQZC7A']) {
      const result = await statusJson(repo, ['--feature', reference]);
      expect(result.features.map((feature) => feature.id)).toEqual(['alert-pipeline-01KQZC7A']);
    }
    expect((await statusJson(repo, ['--feature', 'WEB-001-login'])).features.map((f) => f.id)).toEqual([
      'WEB-001-login',
    ]);
    const missing = await repo.kit(['status', '--json', '--feature', 'templates']);
    expect(missing.exitCode).not.toBe(0);
  });

  it('takes the WP id from wp_code, or from the file name, when work_package_id is a ULID', async () => {
    const { result } = await checkJson(repo, ['--feature', 'ulid-ids']);
    expect(lanesOf(result.features[0]?.workPackages ?? [])).toEqual({
      WP01: ['for_review', 'approved'],
      WP02: ['done', 'done'],
    });
    expect(result.problems.map((problem) => [problem.kind, problem.wp])).toEqual([['unfinished', 'WP01']]);
  });

  it('reads lanes from status.json when there is no log', async () => {
    const result = await statusJson(repo, ['--feature', 'snapshot-only']);
    expect(result.features[0]).toMatchObject({
      format: '3.x',
      laneStatus: { source: 'snapshot', snapshotCurrent: null },
    });
    expect(lanesOf(result.features[0]?.workPackages ?? [])).toEqual({
      WP01: ['for_review', 'in_review'],
      WP02: ['done', 'done'],
    });
    const { run, result: checked } = await checkJson(repo, ['--feature', 'snapshot-only']);
    expect(run.exitCode).toBe(1);
    expect(checked.problems.map((problem) => [problem.kind, problem.wp])).toEqual([['unfinished', 'WP01']]);
  });

  it('reads lanes from the log when status.json lags behind it, and says the snapshot is not current', async () => {
    expect(repo.read('kitty-specs/stale-snapshot-01KQZH00/status.json')).toContain('"planned": 1');
    const result = await statusJson(repo, ['--feature', 'stale-snapshot']);
    expect(result.features[0]).toMatchObject({ laneStatus: { source: 'events', snapshotCurrent: false } });
    expect(lanesOf(result.features[0]?.workPackages ?? [])).toEqual({ WP01: ['done', 'done'] });
    expect((await repo.kit(['check', '--feature', 'stale-snapshot', '--strict'])).exitCode).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('3.x missions with a broken log', () => {
  const dir = 'broken-log-01KQZJ00';
  const good = mission(dir, { WP01: 'done', WP02: 'done', WP03: 'done' });
  const log = [
    ...(good.log ?? []),
    '{"actor": "claude", "at": ', // line 7: malformed
    transition({ wp: 'WP02', from: 'done', to: 'shipped', at: isoAt(T0, 500), id: ulid(3_000_000, 1), slug: dir }), // 8
    transition({ wp: 'WP07', from: 'genesis', to: 'planned', at: isoAt(T0, 501), id: ulid(3_000_000, 2), slug: dir }), // 9
  ];
  let repo: TempRepo;
  beforeAll(() => {
    const spec: MissionSpec = {
      ...good,
      log,
      wps: { ...good.wps, 'WP04-unplaced.md': { work_package_id: 'WP04', title: 'No event' } },
    };
    repo = makeSharedRepo([spec]);
  });

  it('reports each problem with its file and line and exits 1', async () => {
    const { run, result } = await checkJson(repo);
    expect(run.exitCode).toBe(1);
    const brief = result.problems.map((problem) => ({
      kind: problem.kind,
      wp: problem.wp,
      file: problem.file,
      line: problem.line,
    }));
    const logFile = `kitty-specs/${dir}/status.events.jsonl`;
    expect(brief).toEqual(
      expect.arrayContaining([
        { kind: 'status', wp: null, file: logFile, line: 7 },
        { kind: 'status', wp: null, file: logFile, line: 8 },
        { kind: 'status', wp: 'WP07', file: logFile, line: 9 },
        { kind: 'lane', wp: 'WP04', file: `kitty-specs/${dir}/tasks/WP04-unplaced.md`, line: null },
      ]),
    );
    expect(result.problems.find((problem) => problem.line === 8)?.message).toContain('shipped');
    expect(result.problems.find((problem) => problem.wp === 'WP07')?.message).toContain(
      'WP07 is in planned here, but tasks/ has no WP file for it',
    );
    expect(result.problems.find((problem) => problem.wp === 'WP04')?.message).toContain('has no lane');
    const text = await repo.kit(['check']);
    expect(text.exitCode).toBe(1);
    for (const line of [7, 8, 9]) expect(text.stdout).toContain(`${logFile}:${line}`);
  });
});

// ---------------------------------------------------------------------------------------------------

describe('real 3.x missions (test/fixtures/spec-kitty-3)', () => {
  const fixtures = fileURLToPath(new URL('../fixtures/spec-kitty-3/', import.meta.url));
  const missions = readdirSync(fixtures, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeSharedRepo();
    for (const name of missions)
      cpSync(join(fixtures, name), join(repo.root, 'kitty-specs', name), { recursive: true });
    repo.git(['add', '-A']);
    repo.git(['commit', '-q', '-m', 'missions']);
  });

  it('kit check reads the lanes the independent reading gives, and only unfinished WPs are problems', async () => {
    const { run, result } = await checkJson(repo);
    const unfinished: string[] = [];
    for (const name of missions) {
      const log = readFileSync(join(fixtures, name, 'status.events.jsonl'), 'utf8');
      const expected = expectedLanes(log);
      const feature = result.features.find((candidate) => candidate.id === name);
      expect(feature?.format, name).toBe('3.x');
      const files = readdirSync(join(fixtures, name, 'tasks')).filter((file) => /^WP\d+.*\.md$/.test(file));
      expect(feature?.workPackages).toHaveLength(files.length);
      for (const wp of feature?.workPackages ?? []) {
        const lane = expected.get(wp.id)?.lane ?? '';
        expect([name, wp.id, wp.statusLane, wp.lane]).toEqual([name, wp.id, lane, EXPECTED_COLUMN[lane]?.column]);
        if (!EXPECTED_COLUMN[lane]?.finished && lane !== 'planned')
          unfinished.push(`${name}/${wp.id}:${expected.get(wp.id)?.line}`);
      }
    }
    expect(result.problems.filter((problem) => problem.kind !== 'unfinished')).toEqual([]);
    expect(result.problems.map((problem) => `${problem.feature}/${problem.wp}:${problem.line}`).sort()).toEqual(
      unfinished.sort(),
    );
    expect(unfinished.length).toBeGreaterThan(0);
    expect(run.exitCode).toBe(1);
  });

  it('says which committed status.json files are current', async () => {
    const result = await statusJson(repo);
    for (const feature of result.features) {
      const current =
        readFileSync(join(fixtures, feature.id, 'status.json'), 'utf8') ===
        independentStatusJson(
          readFileSync(join(fixtures, feature.id, 'status.events.jsonl'), 'utf8'),
          JSON.parse(readFileSync(join(fixtures, feature.id, 'meta.json'), 'utf8')) as Record<string, unknown>,
          feature.id,
        );
      expect(feature.laneStatus?.source).toBe('events');
      // kit compares event_count and last_event_id only, so a snapshot stale in its WP slots alone still counts.
      if (current) expect(feature.laneStatus?.snapshotCurrent, feature.id).toBe(true);
    }
    expect(existsSync(join(fixtures, 'symbolkey-source-module-01M0B0SF'))).toBe(true);
  });
});

describe('3.x: a mission named by its meta.json identity', () => {
  const dir = 'named-by-id-01KQZF00';
  const missionId = '01KQZF00AAAAAAAAAAAAAAAAAA';
  let repo: TempRepo;
  beforeAll(() => {
    repo = makeSharedRepo([
      { ...mission(dir, { WP01: 'done', WP02: 'approved' }), meta: missionMeta(dir, { mission_id: missionId }) },
      mission('other-mission-01KQZG00', { WP01: 'done' }),
    ]);
  });

  it('--feature takes the mission id, the mission slug, the directory name or the slug', async () => {
    for (const reference of [missionId, dir, 'named-by-id']) {
      const { result } = await checkJson(repo, ['--feature', reference]);
      expect(
        result.features.map((feature) => feature.id),
        reference,
      ).toEqual([dir]);
    }
    const unknown = await repo.kit(['check', '--feature', '01KQZF00BBBBBBBBBBBBBBBBBB']);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toContain('no feature');
  });
});
