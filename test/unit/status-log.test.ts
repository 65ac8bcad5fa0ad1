import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  isFinishedStatus,
  kitLaneOfStatus,
  missionIdentity,
  parseStatusLog,
  readFeatureLaneStatus,
  reduceStatusLog,
  renderStatusJson,
} from '../../src/domain/status-log.js';
import {
  annotation,
  eventLine,
  EXPECTED_COLUMN,
  independentStatusJson,
  isoAt,
  LANES_3X,
  missionMeta,
  readLog,
  reduceLog,
  transition,
  type TransitionInput,
  ulid,
} from '../helpers/spec-kitty-3.js';

const SLUG = 'community-alert-pipeline-01KQZC7A';
const T0 = '2026-05-02T09:00:00Z';

/** kit's reading of a log, as status.json text. */
function kitStatusJson(log: string, meta: Record<string, unknown> | null = missionMeta(SLUG), dir = SLUG): string {
  return renderStatusJson(reduceStatusLog(parseStatusLog(log)), missionIdentity(meta, dir));
}

/** kit's reduced WP states, as plain objects. */
function kitStates(log: string): Record<string, Record<string, unknown>> {
  return Object.fromEntries(reduceStatusLog(parseStatusLog(log)).workPackages);
}

let serial = 0;
/** A transition at T0 + `seconds`, with a fresh (time-ordered) id unless one is given. */
function move(
  wp: string,
  from: string,
  to: string,
  seconds: number,
  extra: Partial<TransitionInput> = {},
): Record<string, unknown> {
  serial++;
  return transition({
    wp,
    from,
    to,
    at: isoAt(T0, seconds),
    id: ulid(1_000_000 + seconds, serial),
    slug: SLUG,
    ...extra,
  });
}

function note(wp: string, seconds: number, delta: Record<string, unknown>, actor = 'user'): Record<string, unknown> {
  serial++;
  return annotation({ wp, at: isoAt(T0, seconds), id: ulid(1_000_000 + seconds, serial), delta, actor });
}

const logOf = (...lines: (Record<string, unknown> | string)[]) =>
  lines.map((line) => (typeof line === 'string' ? `${line}\n` : eventLine(line))).join('');

/** Expects kit and the independent reading to agree on this log, and returns kit's states. */
function agreed(log: string): Record<string, Record<string, unknown>> {
  expect(kitStatusJson(log)).toBe(independentStatusJson(log, missionMeta(SLUG), SLUG));
  return kitStates(log);
}

describe('3.x lanes: kit column and finished', () => {
  for (const lane of LANES_3X) {
    const { column, finished } = EXPECTED_COLUMN[lane] ?? { column: '?', finished: false };
    it(`${lane} → ${column}, ${finished ? 'finished' : 'unfinished'}`, () => {
      expect(kitLaneOfStatus(lane)).toBe(column);
      expect(isFinishedStatus(lane)).toBe(finished);
      const log = logOf(move('WP01', 'genesis', 'planned', 0), move('WP01', 'planned', lane, 1, { force: true }));
      expect(agreed(log).WP01?.lane).toBe(lane);
    });
  }
});

describe('3.x reducer', () => {
  it('sorts out-of-order lines by (at, event_id), as strings', () => {
    const seed = move('WP01', 'genesis', 'planned', 0);
    const claim = move('WP01', 'planned', 'claimed', 10);
    const start = move('WP01', 'claimed', 'in_progress', 20);
    const states = agreed(logOf(start, seed, claim));
    expect(states.WP01).toMatchObject({ lane: 'in_progress', last_event_id: start.event_id });
    // Same instant: the smaller event id sorts first, so the larger one is the last word.
    const a = transition({ ...base('WP02', 'planned', 'claimed', 30), id: '01KQZD1E5W2N8R4T6V0XAB3CDZ' });
    const b = transition({ ...base('WP02', 'claimed', 'in_progress', 30), id: '01KQZD1E5W2N8R4T6V0XAB3CDA' });
    expect(agreed(logOf(seed, a, b)).WP02?.lane).toBe('claimed');
  });

  it('keeps the first occurrence of a duplicate event id, even when a later copy differs', () => {
    const first = move('WP01', 'genesis', 'planned', 0);
    const copy = { ...first, to_lane: 'done', at: isoAt(T0, 99) };
    const log = logOf(first, copy);
    expect(agreed(log).WP01).toMatchObject({ lane: 'planned', last_transition_at: isoAt(T0, 0) });
    expect(JSON.parse(kitStatusJson(log)).event_count).toBe(1);
  });

  it('lets a rollback beat a forward move at the same timestamp, in either sort order', () => {
    for (const [rollbackId, forwardId] of [
      ['01KQZD1E5W2N8R4T6V0XAB3CD1', '01KQZD1E5W2N8R4T6V0XAB3CD2'],
      ['01KQZD1E5W2N8R4T6V0XAB3CD2', '01KQZD1E5W2N8R4T6V0XAB3CD1'],
    ]) {
      const setup = [
        move('WP01', 'genesis', 'planned', 0),
        move('WP01', 'planned', 'claimed', 1),
        move('WP01', 'claimed', 'in_progress', 2),
        move('WP01', 'in_progress', 'for_review', 3),
        move('WP01', 'for_review', 'in_review', 4),
      ];
      const result = { reviewer: 'renata', verdict: 'changes_requested', reference: 'review-1' };
      const rollback = transition({
        ...base('WP01', 'in_review', 'in_progress', 5),
        id: rollbackId ?? '',
        reviewResult: result,
      });
      const forward = transition({
        ...base('WP01', 'in_review', 'approved', 5),
        id: forwardId ?? '',
        reviewResult: result,
      });
      expect(agreed(logOf(...setup, rollback, forward)).WP01).toMatchObject({
        lane: 'in_progress',
        last_event_id: rollbackId,
      });
      // for_review → in_progress counts as a rollback only with a review_ref.
      const legacy = transition({
        ...base('WP02', 'for_review', 'in_progress', 7),
        id: rollbackId ?? '',
        reviewRef: 'r-1',
      });
      const ahead = transition({ ...base('WP02', 'for_review', 'in_review', 7), id: forwardId ?? '' });
      expect(agreed(logOf(move('WP02', 'genesis', 'for_review', 6, { force: true }), legacy, ahead)).WP02?.lane).toBe(
        'in_progress',
      );
    }
  });

  it('folds annotations after every transition, even one whose at is earlier', () => {
    const states = agreed(
      logOf(
        note('WP01', 50, { agent: 'late-agent' }),
        move('WP01', 'genesis', 'planned', 0),
        move('WP01', 'planned', 'claimed', 100, { policyMetadata: { agent: 'claimer', shell_pid: 11 } }),
        note('WP01', 10, { shell_pid: 22 }),
      ),
    );
    // The claim copied agent/shell_pid, but the annotations (folded later) replace them.
    expect(states.WP01).toMatchObject({ lane: 'claimed', agent: 'late-agent', shell_pid: 22 });
  });

  it('applies each annotation field by its own rule', () => {
    const states = agreed(
      logOf(
        move('WP01', 'genesis', 'planned', 0),
        note('WP01', 1, { agent: 'a1', model: 'm1', role: 'implementer', provider: 'p', assignee: 'x' }),
        note('WP01', 2, { agent: '', model: 'm2' }),
        note('WP01', 3, { subtasks: { T001: 'done', T002: 'planned' }, note: 'first', tracker_refs: ['1', '2'] }),
        note('WP01', 4, { subtasks: { T002: 'done' }, note: 'second — with a dash', tracker_refs: ['2', '3'] }),
        note('WP01', 5, { review: { at: isoAt(T0, 5), actor: 'rev', wp_id: 'WP01', reason: 'look' } }),
        move('WP02', 'genesis', 'planned', 0),
        note('WP02', 1, { tracker_refs: ['9'], review: { at: 'x', actor: 'y', wp_id: 'WP02', reason: 'z' } }),
        note('WP02', 2, {
          tracker_refs_replace: ['7', '7', '8'],
          review: { at: '', actor: '', wp_id: '', reason: '' },
        }),
        note('WP02', 3, { shell_pid: 5, shell_pid_created_at: '1.5', agent: 'b' }),
        note('WP02', 4, { release_runtime_claim: true }),
      ),
    );
    expect(states.WP01).toMatchObject({
      agent: 'a1',
      model: 'm2',
      role: 'implementer',
      provider: 'p',
      assignee: 'x',
      subtasks: { T001: 'done', T002: 'done' },
      notes: ['first', 'second — with a dash'],
      tracker_refs: ['1', '2', '3'],
      review: { at: isoAt(T0, 5), actor: 'rev', wp_id: 'WP01', reason: 'look' },
    });
    expect(states.WP02).toMatchObject({
      tracker_refs: ['7', '8'],
      review: null,
      agent: null,
      shell_pid: null,
      shell_pid_created_at: null,
    });
  });

  it('copies agent and shell_pid from policy_metadata on planned → claimed only', () => {
    const pm = { agent: 'claude', shell_pid: 48213, shell_pid_created_at: '1777712560.42' };
    const states = agreed(
      logOf(
        move('WP01', 'genesis', 'planned', 0),
        move('WP01', 'planned', 'claimed', 1, { policyMetadata: pm }),
        move('WP02', 'genesis', 'planned', 0),
        move('WP02', 'planned', 'in_progress', 1, { force: true, policyMetadata: pm }),
        move('WP03', 'genesis', 'planned', 0),
        move('WP03', 'planned', 'claimed', 1, { policyMetadata: { agent: '', shell_pid: null } }),
      ),
    );
    expect(states.WP01).toMatchObject({ agent: 'claude', shell_pid: 48213, shell_pid_created_at: '1777712560.42' });
    expect(states.WP02).not.toHaveProperty('agent');
    expect(states.WP03).not.toHaveProperty('agent');
    expect(states.WP03).not.toHaveProperty('shell_pid');
  });

  it('counts forced transitions', () => {
    const states = agreed(
      logOf(
        move('WP01', 'genesis', 'planned', 0, { force: true }),
        move('WP01', 'planned', 'done', 1, { force: true, reason: 'skip' }),
        move('WP01', 'done', 'planned', 2, { force: true, reason: 'reopen' }),
        move('WP01', 'planned', 'claimed', 3),
      ),
    );
    expect(states.WP01?.force_count).toBe(3);
  });

  it('carries review_result forward, and sets it to null on a forced exit from in_review without one', () => {
    const result = { reviewer: 'renata', verdict: 'approved', reference: 'ok', feedback_path: 'reviews/1.md' };
    const approved = agreed(
      logOf(
        move('WP01', 'genesis', 'in_review', 0, { force: true }),
        move('WP01', 'in_review', 'approved', 1, { reviewResult: result }),
        move('WP01', 'approved', 'done', 2),
        move('WP02', 'genesis', 'in_review', 0, { force: true }),
        move('WP03', 'genesis', 'in_review', 0, { force: true }),
        move('WP03', 'in_review', 'canceled', 1, { force: true, reason: 'dropped' }),
      ),
    );
    expect(approved.WP01?.review_result).toEqual(result);
    expect(approved.WP02).not.toHaveProperty('review_result');
    expect(approved.WP03).toHaveProperty('review_result', null);
  });

  it('gives an annotation-only WP the lane "uninitialized", outside the summary', () => {
    const log = logOf(move('WP01', 'genesis', 'planned', 0), note('WP09', 1, { agent: 'ghost' }, 'bot'));
    expect(agreed(log).WP09).toEqual({
      lane: 'uninitialized',
      actor: 'bot',
      agent: 'ghost',
      force_count: 0,
      last_event_id: null,
      last_transition_at: null,
    });
    const summary = JSON.parse(kitStatusJson(log)).summary as Record<string, number>;
    expect(Object.keys(summary).sort()).toEqual([...LANES_3X].sort());
    expect(Object.values(summary).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('skips mission-lifecycle and retrospective lines', () => {
    const log = logOf(
      { aggregate_id: SLUG, event_id: ulid(1, 1), event_type: 'MissionCreated', payload: {}, to_lane: 'done' },
      move('WP01', 'genesis', 'planned', 0),
      { event_name: 'retrospective.captured', event_id: ulid(1, 2), wp_id: 'WP01', to_lane: 'done' },
      { type: 'RetrospectiveSkipped', event_id: ulid(1, 3) },
    );
    expect(parseStatusLog(log).problems).toEqual([]);
    expect(agreed(log).WP01?.lane).toBe('planned');
    expect(JSON.parse(kitStatusJson(log)).event_count).toBe(1);
  });

  it('reports each bad line with its 1-based number and still reads the rest', () => {
    const good = move('WP01', 'genesis', 'planned', 0);
    const { to_lane: _dropped, ...missingTo } = move('WP02', 'genesis', 'planned', 0);
    const log = logOf(
      good,
      '{"not json',
      '',
      '[1, 2]',
      { ...move('WP02', 'genesis', 'planned', 1), to_lane: 'doing' },
      { kind: 'decision', event_id: ulid(1, 9), wp_id: 'WP01' },
      missingTo,
      move('WP03', 'genesis', 'approved', 2, { force: true }),
    );
    const kitLines = parseStatusLog(log).problems.map((problem) => problem.line);
    expect(kitLines).toEqual([2, 4, 5, 6, 7]);
    expect(kitLines).toEqual(readLog(log).issues.map((issue) => issue.line));
    expect(Object.keys(agreed(log))).toEqual(['WP01', 'WP03']);
  });
});

describe('status.json rendering', () => {
  it('writes the reconstruction in the format notes byte for byte', () => {
    const slug = 'community-alert-pipeline-01KQZC7A';
    const mid = '01KQZC7A8M3XJ5V2T9RQW4N6PB';
    const seed = (wp: string, at: string, id: string) =>
      transition({
        wp,
        from: 'genesis',
        to: 'planned',
        at,
        id,
        slug,
        missionId: mid,
        actor: 'finalize-tasks',
        reason: 'canonical bootstrap',
      });
    const log = logOf(
      seed('WP01', '2026-05-02T09:14:03.512804+00:00', '01KQZD1E5W2N8R4T6V0XAB3CDE'),
      seed('WP02', '2026-05-02T09:14:03.871220+00:00', '01KQZD1E9H7K3M5P1Q8SFG2HJK'),
      transition({
        wp: 'WP01',
        from: 'planned',
        to: 'claimed',
        at: '2026-05-02T10:02:41.004117+00:00',
        id: '01KQZF4B2C6D8E0F1G3H5J7K9M',
        slug,
        missionId: mid,
        policyMetadata: { agent: 'claude', shell_pid: 48213, shell_pid_created_at: '1777712560.42' },
      }),
    );
    expect(log.split('\n')[0]).toBe(
      '{"actor": "finalize-tasks", "at": "2026-05-02T09:14:03.512804+00:00", "event_id": "01KQZD1E5W2N8R4T6V0XAB3CDE", "evidence": null, "execution_mode": "worktree", "force": false, "from_lane": "genesis", "mission_id": "01KQZC7A8M3XJ5V2T9RQW4N6PB", "mission_slug": "community-alert-pipeline-01KQZC7A", "policy_metadata": null, "reason": "canonical bootstrap", "review_ref": null, "to_lane": "planned", "wp_id": "WP01"}',
    );
    const expected = `{
  "event_count": 3,
  "last_event_id": "01KQZF4B2C6D8E0F1G3H5J7K9M",
  "materialized_at": "2026-05-02T10:02:41.004117+00:00",
  "mission_number": "",
  "mission_slug": "community-alert-pipeline-01KQZC7A",
  "mission_type": "software-dev",
  "summary": {
    "approved": 0,
    "blocked": 0,
    "canceled": 0,
    "claimed": 1,
    "done": 0,
    "for_review": 0,
    "in_progress": 0,
    "in_review": 0,
    "planned": 1
  },
  "work_packages": {
    "WP01": {
      "actor": "claude",
      "agent": "claude",
      "force_count": 0,
      "lane": "claimed",
      "last_event_id": "01KQZF4B2C6D8E0F1G3H5J7K9M",
      "last_transition_at": "2026-05-02T10:02:41.004117+00:00",
      "shell_pid": 48213,
      "shell_pid_created_at": "1777712560.42"
    },
    "WP02": {
      "actor": "finalize-tasks",
      "force_count": 0,
      "lane": "planned",
      "last_event_id": "01KQZD1E9H7K3M5P1Q8SFG2HJK",
      "last_transition_at": "2026-05-02T09:14:03.871220+00:00"
    }
  }
}
`;
    const meta = { mission_id: mid, mission_number: null, mission_slug: slug, mission_type: 'software-dev' };
    expect(kitStatusJson(log, meta, slug)).toBe(expected);
    expect(independentStatusJson(log, meta, slug)).toBe(expected);
  });

  it('escapes non-ASCII in log lines, and writes it raw (UTF-8) in status.json', () => {
    const line = eventLine(move('WP01', 'genesis', 'planned', 0, { actor: 'rené — 🚀' }));
    expect(line).toContain('"actor": "ren\\u00e9 \\u2014 \\ud83d\\ude80"');
    expect(kitStatusJson(line)).toContain('"actor": "rené — 🚀"');
  });

  it('takes materialized_at from the last transition, not from an annotation after it', () => {
    const log = logOf(move('WP01', 'genesis', 'planned', 0), note('WP01', 500, { agent: 'a' }));
    expect(JSON.parse(kitStatusJson(log)).materialized_at).toBe(isoAt(T0, 0));
  });

  it('renders mission_number as a string, from meta.json or from the slug', () => {
    const log = logOf(move('WP01', 'genesis', 'planned', 0));
    const number = (meta: Record<string, unknown> | null, dir: string) =>
      JSON.parse(kitStatusJson(log, meta, dir)).mission_number as unknown;
    expect(number({ mission_number: 51 }, '051-foo')).toBe('51');
    expect(number({ mission_number: '042' }, 'x-01KQZC7A')).toBe('42');
    expect(number({ mission_number: null }, '051-foo')).toBe('51');
    expect(number(null, '007-bar')).toBe('7');
    expect(number({ mission_number: null }, SLUG)).toBe('');
    for (const [meta, dir] of [
      [{ mission_number: 51 }, '051-foo'],
      [{ mission_number: '042' }, 'x-01KQZC7A'],
      [null, '007-bar'],
    ] as const) {
      expect(kitStatusJson(log, meta, dir)).toBe(independentStatusJson(log, meta, dir));
    }
  });

  it('renders an empty log as 3.x does', () => {
    expect(kitStatusJson('')).toBe(independentStatusJson('', missionMeta(SLUG), SLUG));
    expect(JSON.parse(kitStatusJson(''))).toMatchObject({
      event_count: 0,
      last_event_id: null,
      materialized_at: '',
      mission_slug: '',
    });
  });
});

describe('kit against the independent reading on random logs', () => {
  it('renders the same status.json for 400 seeded random logs', () => {
    let checked = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const log = randomLog(seed);
      const ours = independentStatusJson(log, missionMeta(SLUG), SLUG);
      const kits = kitStatusJson(log);
      if (kits !== ours) expect({ seed, log, kit: kits }).toEqual({ seed, log, kit: ours });
      expect(parseStatusLog(log).problems.map((p) => p.line)).toEqual(readLog(log).issues.map((i) => i.line));
      checked++;
    }
    expect(checked).toBe(400);
  });
});

// KNOWN BUG in src/domain/status-log.ts (readFeatureLaneStatus): when the transition a WP's lane came from is
// repeated later in the log (same event_id, as merged worktree logs do), the reducer keeps the first line
// but kit points `kit check` at the last copy. Remove `.fails` once it points at the applied line.
it('points at the applied line of a WP, not at a later duplicate of it', () => {
  const approved = move('WP01', 'genesis', 'approved', 0, { force: true });
  const log = logOf(approved, move('WP02', 'genesis', 'planned', 1), approved);
  expect(reduceLog(readLog(log)).lines.get('WP01')).toBe(1);
  expect(readFeatureLaneStatus(log, null).lanes.get('WP01')?.line).toBe(1);
});

describe('real 3.x missions (test/fixtures/spec-kitty-3)', () => {
  const root = fileURLToPath(new URL('../fixtures/spec-kitty-3/', import.meta.url));
  const missions = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  const STALE = new Set(['symbolkey-source-module-01M0B0SF']);

  it('has the missions the README lists', () => {
    expect(missions.length).toBeGreaterThanOrEqual(5);
    expect(missions).toEqual(expect.arrayContaining([...STALE]));
  });

  for (const dir of missions) {
    it(`${dir}: kit renders its log as the independent reading does${STALE.has(dir) ? '' : ', and as committed'}`, () => {
      const read = (file: string) => readFileSync(join(root, dir, file), 'utf8');
      const meta = JSON.parse(read('meta.json')) as Record<string, unknown>;
      const log = read('status.events.jsonl');
      expect(parseStatusLog(log).problems).toEqual([]);
      const rendered = kitStatusJson(log, meta, dir);
      expect(rendered).toBe(independentStatusJson(log, meta, dir));
      if (STALE.has(dir)) expect(rendered).not.toBe(read('status.json'));
      else expect(rendered).toBe(read('status.json'));
      expect(existsSync(join(root, dir, 'tasks'))).toBe(true);
    });
  }
});

// ---------------------------------------------------------------------------------------------------

function base(wp: string, from: string, to: string, seconds: number): TransitionInput {
  return { wp, from, to, at: isoAt(T0, seconds), id: '', slug: SLUG };
}

/** mulberry32: a small seeded generator, so a failing seed can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A log of 3.x-shaped lines in random order: transitions between any lanes (ties in `at` on purpose),
 * repeated ids, forced moves, reviews, claims with policy metadata, annotations with every field,
 * lifecycle rows, blank lines, non-ASCII text, and now and then a bad line.
 */
function randomLog(seed: number): string {
  const rand = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const wps = ['WP01', 'WP02', 'WP03', 'WP04'];
  const words = ['a', 'b', 'zoë', 'naïve — ok', '日本', '🚀 go', 'x"y', 'tab\there'];
  const ids: string[] = [];
  const lines: string[] = [];
  const count = 5 + Math.floor(rand() * 30);
  for (let n = 0; n < count; n++) {
    const at = isoAt(T0, Math.floor(rand() * 12), pick([0, 0, 1, 500000]));
    const id = ids.length > 0 && rand() < 0.08 ? pick(ids) : ulid(Math.floor(rand() * 1e6), Math.floor(rand() * 1e9));
    ids.push(id);
    const wp = pick(wps);
    const roll = rand();
    if (roll < 0.62) {
      const from = pick(['genesis', ...LANES_3X, 'planned', 'in_review', 'for_review']);
      const to = pick([...LANES_3X, 'in_progress', 'in_progress']);
      const reviewResult =
        rand() < 0.25
          ? { reviewer: pick(words), verdict: pick(['approved', 'changes_requested']), reference: pick(words) }
          : null;
      const extra: Partial<TransitionInput> = {
        force: rand() < 0.3,
        reason: rand() < 0.5 ? pick(words) : null,
        reviewRef: rand() < 0.3 ? pick(words) : null,
        reviewResult: reviewResult && rand() < 0.3 ? { ...reviewResult, feedback_path: 'f.md' } : reviewResult,
        actor:
          rand() < 0.15
            ? {
                model: null,
                profile: null,
                role: pick(['reviewer', 'implementer']),
                tool: rand() < 0.5 ? pick(words) : null,
              }
            : pick(words),
        policyMetadata:
          rand() < 0.5
            ? {
                agent: pick(['claude', '', 'codex']),
                shell_pid: rand() < 0.8 ? Math.floor(rand() * 99999) : null,
                shell_pid_created_at: rand() < 0.7 ? '1777712560.42' : null,
              }
            : null,
      };
      const event = transition({ wp, from, to, at, id, slug: SLUG, ...extra });
      if (rand() < 0.2) event.review_result = null;
      lines.push(eventLine(event));
    } else if (roll < 0.9) {
      const delta: Record<string, unknown> = {};
      const keys = [
        'shell_pid',
        'agent',
        'assignee',
        'role',
        'model',
        'provider',
        'agent_profile',
        'agent_profile_version',
      ];
      for (const key of keys)
        if (rand() < 0.2) delta[key] = key === 'shell_pid' ? Math.floor(rand() * 9999) : pick([...words, '']);
      if (rand() < 0.2) delta.shell_pid_created_at = pick(['1.5', '2.25']);
      if (rand() < 0.3) delta.subtasks = { [pick(['T001', 'T002', 'T003'])]: pick(LANES_3X) };
      if (rand() < 0.3) delta.note = pick(words);
      if (rand() < 0.3) {
        if (rand() < 0.5) delta.tracker_refs = [pick(['1', '2', '3']), pick(['3', '4'])];
        else delta.tracker_refs_replace = [pick(['5', '6']), pick(['6', '7'])];
      }
      if (rand() < 0.2) {
        delta.review =
          rand() < 0.4
            ? { at: '', actor: '', wp_id: '', reason: '' }
            : { at, actor: pick(words), wp_id: wp, reason: pick(words) };
      }
      if (rand() < 0.1) delta.release_runtime_claim = true;
      lines.push(eventLine(annotation({ wp, at, id: ulid(Math.floor(rand() * 1e6), n), delta, actor: pick(words) })));
    } else if (roll < 0.95) {
      lines.push(eventLine({ event_id: id, event_type: 'WPCreated', aggregate_id: SLUG, payload: { wp_id: wp } }));
    } else if (roll < 0.98) {
      lines.push('\n');
    } else {
      lines.push(
        pick([
          '{"truncated\n',
          '"a string"\n',
          `${eventLine({ ...transition({ wp, from: 'planned', to: 'doing', at, id, slug: SLUG }) })}`,
        ]),
      );
    }
  }
  return lines.join('');
}
