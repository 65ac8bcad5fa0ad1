/**
 * Spec Kitty 3.x test support, written from /work/speckitty3-format.md and nothing in src/:
 *
 * - an independent reading of 3.x's event log: a parser, the reducer and the status.json materializer,
 *   which the tests compare kit's own implementation against (two readings of one document agreeing);
 * - Python-compatible JSON writers (event lines as `json.dumps(sort_keys=True)`, status.json as
 *   `json.dumps(sort_keys=True, indent=2, ensure_ascii=False)`);
 * - a builder that lays a 3.x mission out in a repository (meta.json, WP files without a lane, the log,
 *   status.json), and a repository that outlives a single test, for suites that share one.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll } from 'vitest';
import { childEnv, kit, snapshotTree, type TempRepo } from './repo.js';

// ---------------------------------------------------------------------------------------------------
// Python's json.dumps

function pyString(value: string, ensureAscii: boolean): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    const char = value[i] ?? '';
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (char === '\b') out += '\\b';
    else if (char === '\f') out += '\\f';
    else if (code < 0x20 || (ensureAscii && code > 0x7e)) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** `json.dumps(value, sort_keys=True, indent=indent, ensure_ascii=ensureAscii)`. */
export function pyDumps(value: unknown, options: { indent?: number; ensureAscii: boolean }, level = 0): string {
  const { indent } = options;
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return pyString(value, options.ensureAscii);
  const entries: [string | null, unknown][] = Array.isArray(value)
    ? value.map((item) => [null, item])
    : Object.keys(value as object)
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
        .map((key) => [key, (value as Record<string, unknown>)[key]]);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  const items = entries.map(
    ([key, item]) =>
      (key === null ? '' : `${pyString(key, options.ensureAscii)}: `) + pyDumps(item, options, level + 1),
  );
  if (indent === undefined) return open + items.join(', ') + close;
  const pad = (n: number) => `\n${' '.repeat(indent * n)}`;
  return open + items.map((item) => pad(level + 1) + item).join(',') + pad(level) + close;
}

/** One log line exactly as 3.x appends it. */
export function eventLine(event: Record<string, unknown>): string {
  return `${pyDumps(event, { ensureAscii: true })}\n`;
}

// ---------------------------------------------------------------------------------------------------
// Events as 3.x writes them

export const LANES_3X = [
  'planned',
  'claimed',
  'in_progress',
  'for_review',
  'in_review',
  'approved',
  'done',
  'blocked',
  'canceled',
] as const;

export interface TransitionInput {
  wp: string;
  from: string;
  to: string;
  at: string;
  id: string;
  slug: string;
  missionId?: string;
  actor?: string | Record<string, string | null>;
  force?: boolean;
  reason?: string | null;
  reviewRef?: string | null;
  reviewResult?: Record<string, string> | null;
  policyMetadata?: Record<string, unknown> | null;
  evidence?: Record<string, unknown> | null;
}

/** A lane-transition event with the keys the current writer puts in (review_result and mission_id only when set). */
export function transition(input: TransitionInput): Record<string, unknown> {
  const event: Record<string, unknown> = {
    actor: input.actor ?? 'claude',
    at: input.at,
    event_id: input.id,
    evidence: input.evidence ?? null,
    execution_mode: 'worktree',
    force: input.force ?? false,
    from_lane: input.from,
    mission_slug: input.slug,
    policy_metadata: input.policyMetadata ?? null,
    reason: input.reason ?? null,
    review_ref: input.reviewRef ?? null,
    to_lane: input.to,
    wp_id: input.wp,
  };
  if (input.missionId) event.mission_id = input.missionId;
  if (input.reviewResult) event.review_result = input.reviewResult;
  return event;
}

export function annotation(input: {
  wp: string;
  at: string;
  id: string;
  delta: Record<string, unknown>;
  actor?: string;
}): Record<string, unknown> {
  return {
    actor: input.actor ?? 'user',
    at: input.at,
    delta: input.delta,
    event_id: input.id,
    kind: 'annotation',
    wp_id: input.wp,
  };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A well-formed ULID: 10 time characters from `time`, 16 from `serial` (so ids sort as they are made). */
export function ulid(time: number, serial: number): string {
  const encode = (n: number, width: number) => {
    let out = '';
    for (let i = 0; i < width; i++) {
      out = (CROCKFORD[n % 32] ?? '0') + out;
      n = Math.floor(n / 32);
    }
    return out;
  };
  return `0${encode(time, 9)}${encode(serial, 16)}`;
}

/** `datetime.isoformat()` of a UTC instant: microseconds, `+00:00`. */
export function isoAt(base: string, offsetSeconds: number, micros = 0): string {
  const date = new Date(Date.parse(base) + offsetSeconds * 1000);
  return `${date.toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}+00:00`;
}

// ---------------------------------------------------------------------------------------------------
// The independent reading: parse, reduce, materialize

export interface LogIssue {
  line: number;
  reason: 'json' | 'not-object' | 'kind' | 'missing' | 'lane' | 'annotation';
}

interface Row {
  id: string;
  wp: string;
  at: string;
  record: Record<string, unknown>;
}

export interface ReadLog {
  transitions: (Row & { line: number })[];
  annotations: Row[];
  issues: LogIssue[];
}

const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const REQUIRED = ['event_id', 'wp_id', 'from_lane', 'to_lane', 'at', 'actor', 'force', 'execution_mode'];
const RETRO_TYPES = ['RetrospectiveCaptured', 'RetrospectiveCaptureFailed', 'RetrospectiveSkipped'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads the log as 3.x does, but notes each bad line (3.x stops at the first) and reads on. */
export function readLog(text: string): ReadLog {
  const out: ReadLog = { transitions: [], annotations: [], issues: [] };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(raw.trim());
    } catch {
      out.issues.push({ line, reason: 'json' });
      return;
    }
    if (!isObject(record)) return void out.issues.push({ line, reason: 'not-object' });
    if ('kind' in record) {
      if (record.kind !== 'annotation') return void out.issues.push({ line, reason: 'kind' });
      if (typeof record.event_id !== 'string' || !ULID_RE.test(record.event_id) || !isObject(record.delta)) {
        return void out.issues.push({ line, reason: 'annotation' });
      }
      out.annotations.push({ id: record.event_id, wp: String(record.wp_id), at: String(record.at), record });
      return;
    }
    const retro = typeof record.event_name === 'string' && record.event_name.startsWith('retrospective.');
    if ('event_type' in record || retro || RETRO_TYPES.includes(String(record.type))) return;
    if (REQUIRED.some((key) => !(key in record))) return void out.issues.push({ line, reason: 'missing' });
    const known = (lane: unknown) => (LANES_3X as readonly unknown[]).includes(lane);
    if (!known(record.to_lane) || !(known(record.from_lane) || record.from_lane === 'genesis')) {
      return void out.issues.push({ line, reason: 'lane' });
    }
    out.transitions.push({
      id: String(record.event_id),
      wp: String(record.wp_id),
      at: String(record.at),
      record,
      line,
    });
  });
  return out;
}

export type WpState = Record<string, unknown>;

export interface Reduced {
  slug: string;
  materializedAt: string;
  count: number;
  lastId: string | null;
  wps: Map<string, WpState>;
  /** WP → the (1-based) line of the transition its state came from. */
  lines: Map<string, number>;
}

const CARRIED = [
  'shell_pid',
  'shell_pid_created_at',
  'subtasks',
  'notes',
  'tracker_refs',
  'agent',
  'assignee',
  'review',
  'role',
  'agent_profile',
  'agent_profile_version',
  'model',
  'provider',
];
const REPLACED = [
  'shell_pid',
  'shell_pid_created_at',
  'agent',
  'assignee',
  'role',
  'agent_profile',
  'agent_profile_version',
  'model',
  'provider',
];

const byTime = (a: Row, b: Row) => (a.at === b.at ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.at < b.at ? -1 : 1);

function actorName(actor: unknown): unknown {
  return isObject(actor) ? String(actor.tool || actor.role || '') : actor;
}

function rollsBack(record: Record<string, unknown>): boolean {
  if (record.to_lane !== 'in_progress') return false;
  return record.from_lane === 'in_review' || (record.from_lane === 'for_review' && record.review_ref != null);
}

export function reduceLog(log: Pick<ReadLog, 'transitions' | 'annotations'>): Reduced {
  const seen = new Set<string>();
  const events = log.transitions.filter((event) => !seen.has(event.id) && !!seen.add(event.id));
  events.sort(byTime);
  const wps = new Map<string, WpState>();
  const lines = new Map<string, number>();
  const setBy = new Map<string, Record<string, unknown>>();
  for (const event of events) {
    const r = event.record;
    const prev = wps.get(event.wp);
    // A rollback and a forward move at the same instant: the rollback stands.
    if (prev && prev.last_transition_at === event.at && rollsBack(setBy.get(event.wp) ?? {}) && !rollsBack(r)) continue;
    const next: WpState = {
      lane: r.to_lane,
      actor: actorName(r.actor),
      last_transition_at: event.at,
      last_event_id: event.id,
      force_count: (prev ? Number(prev.force_count) : 0) + (r.force === true ? 1 : 0),
    };
    for (const slot of CARRIED) if (prev && slot in prev) next[slot] = prev[slot];
    if (r.from_lane === 'planned' && r.to_lane === 'claimed' && isObject(r.policy_metadata)) {
      const pm = r.policy_metadata;
      if (pm.shell_pid != null) next.shell_pid = pm.shell_pid;
      if (pm.shell_pid_created_at != null) next.shell_pid_created_at = pm.shell_pid_created_at;
      if (pm.agent) next.agent = pm.agent;
    }
    if (r.review_result != null || r.from_lane === 'in_review') {
      const rr = r.review_result;
      next.review_result = isObject(rr)
        ? {
            reference: rr.reference,
            reviewer: rr.reviewer,
            verdict: rr.verdict,
            ...(rr.feedback_path != null ? { feedback_path: rr.feedback_path } : {}),
          }
        : null;
    } else if (prev && 'review_result' in prev) {
      next.review_result = prev.review_result;
    }
    wps.set(event.wp, next);
    lines.set(event.wp, event.line);
    setBy.set(event.wp, r);
  }
  for (const note of [...log.annotations].sort(byTime)) {
    const delta = note.record.delta as Record<string, unknown>;
    let state = wps.get(note.wp);
    if (!state) {
      state = {
        lane: 'uninitialized',
        actor: actorName(note.record.actor),
        last_transition_at: null,
        last_event_id: null,
        force_count: 0,
      };
      wps.set(note.wp, state);
    }
    if (delta.release_runtime_claim) Object.assign(state, { agent: null, shell_pid: null, shell_pid_created_at: null });
    for (const slot of REPLACED) if (delta[slot] != null && delta[slot] !== '') state[slot] = delta[slot];
    if (isObject(delta.subtasks)) state.subtasks = { ...(state.subtasks as object | undefined), ...delta.subtasks };
    if (delta.note != null) state.notes = [...((state.notes as unknown[] | undefined) ?? []), delta.note];
    if (Array.isArray(delta.tracker_refs)) {
      state.tracker_refs = [
        ...new Set([...((state.tracker_refs as unknown[] | undefined) ?? []), ...delta.tracker_refs]),
      ];
    }
    if (Array.isArray(delta.tracker_refs_replace)) state.tracker_refs = [...new Set(delta.tracker_refs_replace)];
    if (isObject(delta.review)) {
      const review = Object.fromEntries(
        ['at', 'actor', 'wp_id', 'reason'].map((key) => [
          key,
          delta.review && (delta.review as never)[key] != null ? String((delta.review as never)[key]) : '',
        ]),
      );
      state.review = Object.values(review).every((value) => value === '') ? null : review;
    }
  }
  const first = events[0]?.record;
  const last = events.at(-1);
  const slug = String(first?.mission_slug || first?.feature_slug || '');
  return {
    slug: /[/\\\0]|\.\./.test(slug) ? '' : slug,
    materializedAt: last?.at ?? '',
    count: events.length,
    lastId: last?.id ?? null,
    wps,
    lines,
  };
}

/** status.json as 3.x's materializer writes it. */
export function materialize(reduced: Reduced, meta: Record<string, unknown> | null, dirName: string): string {
  let number = '';
  const raw = meta?.mission_number;
  if (typeof raw === 'number') number = String(raw);
  else if (typeof raw === 'string' && /^\d+$/.test(raw.trim())) number = String(Number(raw.trim()));
  else if (/^\d+-/.test(dirName)) number = String(Number(dirName.slice(0, dirName.indexOf('-'))));
  const summary = Object.fromEntries(LANES_3X.map((lane) => [lane, 0]));
  for (const state of reduced.wps.values()) {
    const lane = String(state.lane);
    if (lane in summary) summary[lane] = (summary[lane] ?? 0) + 1;
  }
  const document = {
    event_count: reduced.count,
    last_event_id: reduced.lastId,
    materialized_at: reduced.materializedAt,
    mission_number: number,
    mission_slug: reduced.slug,
    mission_type: typeof meta?.mission_type === 'string' ? meta.mission_type : '',
    summary,
    work_packages: Object.fromEntries(reduced.wps),
  };
  return `${pyDumps(document, { indent: 2, ensureAscii: false })}\n`;
}

/** The whole independent reading of one mission: its log (and meta) to status.json text. */
export function independentStatusJson(logText: string, meta: Record<string, unknown> | null, dirName: string): string {
  return materialize(reduceLog(readLog(logText)), meta, dirName);
}

/** The kit column of a 3.x lane, and whether the gate counts it finished, as the contract states them. */
export const EXPECTED_COLUMN: Record<string, { column: string; finished: boolean }> = {
  planned: { column: 'planned', finished: false },
  claimed: { column: 'doing', finished: false },
  in_progress: { column: 'doing', finished: false },
  blocked: { column: 'doing', finished: false },
  for_review: { column: 'for_review', finished: false },
  in_review: { column: 'for_review', finished: false },
  approved: { column: 'for_review', finished: false },
  done: { column: 'done', finished: true },
  canceled: { column: 'done', finished: true },
};

// ---------------------------------------------------------------------------------------------------
// Writing missions into a repository

export interface MissionSpec {
  /** Directory name under kitty-specs/. */
  dir: string;
  meta?: Record<string, unknown> | null;
  /** WP files: file name → frontmatter fields (no lane, as 3.x writes them). */
  wps?: Record<string, Record<string, unknown>>;
  /** Log lines: objects are serialized as 3.x does, strings are written as they are (plus "\n"). */
  log?: (Record<string, unknown> | string)[] | null;
  /** status.json: "reduced" renders the independent reading of the log; a string is written as it is. */
  statusJson?: 'reduced' | string | null;
}

export function wpFile(fields: Record<string, unknown>): string {
  const yaml = Object.entries(fields).map(([key, value]) => `${key}: ${JSON.stringify(value)}`);
  return ['---', ...yaml, '---', `# ${String(fields.title ?? '')}`, '', 'Body.', ''].join('\n');
}

export function missionMeta(dir: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    created_at: '2026-05-02T09:00:00.000000+00:00',
    friendly_name: dir,
    mission_number: null,
    mission_slug: dir,
    mission_type: 'software-dev',
    slug: dir,
    target_branch: 'main',
    ...extra,
  };
}

/** Writes a mission under `root/kitty-specs/<dir>/`; returns the log text written (or null). */
export function writeMission(root: string, spec: MissionSpec): string | null {
  const base = join(root, 'kitty-specs', spec.dir);
  const put = (path: string, text: string) => {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), text);
  };
  const meta = spec.meta === undefined ? missionMeta(spec.dir) : spec.meta;
  if (meta) put('meta.json', `${pyDumps(meta, { indent: 2, ensureAscii: false })}\n`);
  for (const [name, fields] of Object.entries(spec.wps ?? {})) put(`tasks/${name}`, wpFile(fields));
  const log = spec.log
    ? spec.log.map((line) => (typeof line === 'string' ? `${line}\n` : eventLine(line))).join('')
    : null;
  if (log !== null) put('status.events.jsonl', log);
  if (spec.statusJson === 'reduced') put('status.json', independentStatusJson(log ?? '', meta ?? null, spec.dir));
  else if (typeof spec.statusJson === 'string') put('status.json', spec.statusJson);
  return log;
}

// ---------------------------------------------------------------------------------------------------
// A repository shared by the tests of a describe block (built in beforeAll, removed after the file)

const sharedDirs: string[] = [];
afterAll(() => {
  for (const dir of sharedDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function runGit(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, env: childEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Like makeRepo, but not removed after each test: build it once in beforeAll and share it. */
export function makeSharedRepo(missions: readonly MissionSpec[] = []): TempRepo {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'kit-sk3-')));
  sharedDirs.push(root);
  runGit(root, ['init', '-q', '-b', 'main']);
  runGit(root, ['config', 'user.name', 'Kit Test']);
  runGit(root, ['config', 'user.email', 'kit-test@example.com']);
  runGit(root, ['config', 'commit.gpgsign', 'false']);
  writeFileSync(join(root, 'README.md'), '# test repository\n');
  for (const mission of missions) writeMission(root, mission);
  runGit(root, ['add', '-A']);
  runGit(root, ['commit', '-q', '-m', 'initial commit']);
  const at = (path: string) => join(root, path);
  return {
    root,
    git: (args, cwd) => runGit(cwd ? at(cwd) : root, [...args]),
    kit: (args, options = {}) =>
      kit(args, { cwd: options.cwd ? at(options.cwd) : root, ...(options.env ? { env: options.env } : {}) }),
    write(path, content) {
      mkdirSync(dirname(at(path)), { recursive: true });
      writeFileSync(at(path), content);
      return at(path);
    },
    read: (path) => readFileSync(at(path), 'utf8'),
    readBytes: (path) => readFileSync(at(path)),
    exists: (path) => existsSync(at(path)),
    snapshot: () => snapshotTree(root),
  };
}

let plannedSerial = 0;

/**
 * A 3.x mission as finalize-tasks leaves it: every WP seeded genesis → planned (`<id>-work.md`, no
 * dependencies), status.json rendered.
 */
export function plannedMission(dir: string, ids: readonly string[], missionId?: string): MissionSpec {
  return {
    dir,
    meta: missionMeta(dir, missionId ? { mission_id: missionId } : {}),
    wps: Object.fromEntries(
      ids.map((id) => [`${id}-work.md`, { work_package_id: id, title: `Work ${id}`, dependencies: [] }]),
    ),
    log: ids.map((id, index) =>
      transition({
        wp: id,
        from: 'genesis',
        to: 'planned',
        at: isoAt('2026-05-02T09:00:00Z', index, 512_804),
        id: ulid(2_000_000 + index, ++plannedSerial),
        slug: dir,
        actor: 'finalize-tasks',
        reason: 'canonical bootstrap',
        ...(missionId ? { missionId } : {}),
      }),
    ),
    statusJson: 'reduced',
  };
}
