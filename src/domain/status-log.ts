/**
 * Spec Kitty 3.x's lane state: an append-only event log (`status.events.jsonl`) and the snapshot it
 * reduces to (`status.json`). Pure: the caller reads and writes the files; this parses lines, reduces
 * them the way 3.x does and renders the snapshot byte for byte as 3.x's materializer writes it.
 *
 * The log holds three kinds of lines: lane transitions (`from_lane`/`to_lane`), annotations
 * (`"kind": "annotation"`, runtime slots such as agent, subtasks, notes) and mission-level events that
 * other 3.x subsystems write there (`event_type`, `event_name` or `type`), which do not touch lanes.
 * docs/spec-kitty-3.md describes the rules in prose.
 */
import type { Lane } from '../lanes/lane.js';

/** 3.x's lanes, in the order its snapshot summary lists them. */
export const STATUS_LANES = [
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
export type StatusLane = (typeof STATUS_LANES)[number];

/** `genesis` is the "from" of a WP's first event; `uninitialized` marks a WP that only has annotations. */
const NON_DISPLAY_LANES = new Set(['genesis', 'uninitialized']);

export function isStatusLane(value: unknown): value is StatusLane {
  return typeof value === 'string' && (STATUS_LANES as readonly string[]).includes(value);
}

/** The board column a 3.x lane is shown in: claimed/in_progress/blocked work, in_review/approved waits. */
export function kitLaneOfStatus(lane: string): Lane {
  switch (lane) {
    case 'claimed':
    case 'in_progress':
    case 'blocked':
      return 'doing';
    case 'for_review':
    case 'in_review':
    case 'approved':
      return 'for_review';
    case 'done':
    case 'canceled':
      return 'done';
    default:
      return 'planned';
  }
}

/** Finished, for the gate: done, or canceled (dropped on purpose). `approved` waits for its merge. */
export function isFinishedStatus(lane: string): boolean {
  return lane === 'done' || lane === 'canceled';
}

export interface StatusTransition {
  eventId: string;
  wpId: string;
  from: string;
  to: string;
  at: string;
  force: boolean;
  /** The line as parsed, for the fields the reducer carries into the snapshot. */
  raw: Record<string, unknown>;
  /** 1-based line in the log. */
  line: number;
}

export interface StatusAnnotation {
  eventId: string;
  wpId: string;
  at: string;
  raw: Record<string, unknown>;
  line: number;
}

export interface StatusLogProblem {
  line: number;
  message: string;
}

export interface ParsedStatusLog {
  transitions: StatusTransition[];
  annotations: StatusAnnotation[];
  problems: StatusLogProblem[];
}

const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const RETROSPECTIVE_TYPES = new Set(['RetrospectiveCaptured', 'RetrospectiveCaptureFailed', 'RetrospectiveSkipped']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** Lines that share the log but are not about lanes (decisions, retrospectives, mission lifecycle). */
function isNonLaneEvent(record: Record<string, unknown>): boolean {
  if (typeof record.event_name === 'string' && record.event_name.startsWith('retrospective.')) return true;
  if (typeof record.type === 'string' && RETROSPECTIVE_TYPES.has(record.type)) return true;
  return 'event_type' in record;
}

/**
 * Splits the log into transitions and annotations. Unlike 3.x, which stops at the first bad line, every
 * bad line is reported (with its number) and the rest is still read, so `kit check` can list them all.
 */
export function parseStatusLog(text: string): ParsedStatusLog {
  const transitions: StatusTransition[] = [];
  const annotations: StatusAnnotation[] = [];
  const problems: StatusLogProblem[] = [];
  const lines = text.split(/\r\n|\n|\r/);
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const trimmed = (lines[index] ?? '').trim();
    if (!trimmed) continue;
    let record: unknown;
    try {
      record = JSON.parse(trimmed);
    } catch (error) {
      problems.push({ line, message: `not valid JSON: ${(error as Error).message}` });
      continue;
    }
    if (!isRecord(record)) {
      problems.push({ line, message: 'an event must be a JSON object' });
      continue;
    }
    if (record.kind !== undefined && record.kind !== null) {
      if (record.kind !== 'annotation') {
        problems.push({ line, message: `unknown event kind ${JSON.stringify(record.kind)}` });
        continue;
      }
      const { event_id: eventId, wp_id: wpId, at, delta } = record;
      if (typeof eventId !== 'string' || !ULID.test(eventId)) {
        problems.push({ line, message: `annotation event_id ${JSON.stringify(eventId)} is not a ULID` });
      } else if (typeof wpId !== 'string' || !wpId || typeof at !== 'string' || !isRecord(delta)) {
        problems.push({ line, message: 'an annotation needs wp_id, at, actor and a delta object' });
      } else {
        annotations.push({ eventId, wpId, at, raw: record, line });
      }
      continue;
    }
    if (isNonLaneEvent(record)) continue;
    const missing = ['event_id', 'wp_id', 'from_lane', 'to_lane', 'at', 'actor', 'force', 'execution_mode'].filter(
      (key) => !(key in record),
    );
    if (missing.length > 0) {
      problems.push({ line, message: `a lane event needs ${missing.join(', ')}` });
      continue;
    }
    const { event_id: eventId, wp_id: wpId, from_lane: from, to_lane: to, at } = record;
    if (typeof eventId !== 'string' || !eventId || typeof wpId !== 'string' || !wpId || typeof at !== 'string') {
      problems.push({ line, message: 'event_id, wp_id and at must be non-empty strings' });
      continue;
    }
    if (typeof to !== 'string' || !isStatusLane(to)) {
      problems.push({ line, message: `unknown lane ${JSON.stringify(to)} (3.x lanes: ${STATUS_LANES.join(', ')})` });
      continue;
    }
    if (typeof from !== 'string' || (!isStatusLane(from) && !NON_DISPLAY_LANES.has(from))) {
      problems.push({ line, message: `unknown from_lane ${JSON.stringify(from)}` });
      continue;
    }
    transitions.push({ eventId, wpId, from, to, at, force: record.force === true, raw: record, line });
  }
  return { transitions, annotations, problems };
}

/** One WP's entry in status.json; keys as 3.x writes them. */
export type StatusWorkPackageState = Record<string, unknown> & { lane: string };

export interface StatusSnapshot {
  missionSlug: string;
  materializedAt: string;
  eventCount: number;
  lastEventId: string | null;
  workPackages: Map<string, StatusWorkPackageState>;
  summary: Record<string, number>;
}

const RUNTIME_SLOTS = [
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
const REPLACE_SLOTS = [
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
const CLAIM_RELEASE_SLOTS = ['agent', 'shell_pid', 'shell_pid_created_at'];

/** Sorts as Python sorts `(at, event_id)` tuples of strings: by code point. */
function compareByTime(a: { at: string; eventId: string }, b: { at: string; eventId: string }): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  if (a.eventId !== b.eventId) return a.eventId < b.eventId ? -1 : 1;
  return 0;
}

/** A reviewer sending work back: in_review → in_progress (older logs: for_review → in_progress with a review_ref). */
function isRollback(event: StatusTransition): boolean {
  if (event.to !== 'in_progress') return false;
  if (event.from === 'in_review') return true;
  return event.from === 'for_review' && event.raw.review_ref !== null && event.raw.review_ref !== undefined;
}

/** The string identity 3.x records as a snapshot's actor: a structured actor's tool, else its role. */
function actorIdentity(actor: unknown): unknown {
  if (isRecord(actor)) return String(actor.tool || actor.role || '');
  return actor;
}

/** 3.x's review result as its model keeps it: reviewer, verdict, reference, and a feedback path if any. */
function reviewResult(value: unknown): Record<string, unknown> | null {
  if (!isRecord(value)) return null;
  const result: Record<string, unknown> = {
    reviewer: value.reviewer,
    verdict: value.verdict,
    reference: value.reference,
  };
  if (value.feedback_path !== null && value.feedback_path !== undefined) result.feedback_path = value.feedback_path;
  return result;
}

function stateFromTransition(
  event: StatusTransition,
  previous: StatusWorkPackageState | undefined,
): StatusWorkPackageState {
  const priorForces = typeof previous?.force_count === 'number' ? previous.force_count : 0;
  const state: StatusWorkPackageState = {
    lane: event.to,
    actor: actorIdentity(event.raw.actor),
    last_transition_at: event.at,
    last_event_id: event.eventId,
    force_count: priorForces + (event.force ? 1 : 0),
  };
  if (previous) for (const slot of RUNTIME_SLOTS) if (slot in previous) state[slot] = previous[slot];
  if (event.from === 'planned' && event.to === 'claimed') {
    const meta = isRecord(event.raw.policy_metadata) ? event.raw.policy_metadata : {};
    if (meta.shell_pid !== null && meta.shell_pid !== undefined) state.shell_pid = meta.shell_pid;
    if (meta.shell_pid_created_at !== null && meta.shell_pid_created_at !== undefined) {
      state.shell_pid_created_at = meta.shell_pid_created_at;
    }
    if (meta.agent) state.agent = meta.agent;
  }
  const result = reviewResult(event.raw.review_result);
  if (result || event.from === 'in_review') state.review_result = result;
  else if (previous && 'review_result' in previous) state.review_result = previous.review_result;
  return state;
}

/** Rollback-aware precedence for two transitions of one WP at the same instant: the rollback wins. */
function shouldApply(
  current: StatusWorkPackageState | undefined,
  event: StatusTransition,
  byId: ReadonlyMap<string, StatusTransition>,
): boolean {
  if (!current || current.last_transition_at !== event.at) return true;
  const setter = typeof current.last_event_id === 'string' ? byId.get(current.last_event_id) : undefined;
  if (isRollback(event)) {
    if (setter && !isRollback(setter)) return true;
  }
  if (setter && isRollback(setter) && !isRollback(event)) return false;
  return true;
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

function applyAnnotation(state: StatusWorkPackageState, raw: Record<string, unknown>): void {
  const delta = raw.delta as Record<string, unknown>;
  if (delta.release_runtime_claim) for (const slot of CLAIM_RELEASE_SLOTS) state[slot] = null;
  for (const slot of REPLACE_SLOTS) {
    let value = delta[slot];
    if (slot === 'shell_pid' && value !== null && value !== undefined) {
      const pid = typeof value === 'number' ? Math.trunc(value) : Number.parseInt(String(value), 10);
      value = Number.isNaN(pid) ? value : pid;
    }
    if (value !== null && value !== undefined && value !== '') state[slot] = value;
  }
  if (isRecord(delta.subtasks)) {
    const subtasks: Record<string, unknown> = { ...(isRecord(state.subtasks) ? state.subtasks : {}) };
    for (const [id, status] of Object.entries(delta.subtasks)) subtasks[id] = String(status);
    state.subtasks = subtasks;
  }
  if (delta.note !== null && delta.note !== undefined) {
    state.notes = [...(Array.isArray(state.notes) ? state.notes : []), delta.note];
  }
  if (Array.isArray(delta.tracker_refs_replace)) {
    state.tracker_refs = [...new Set(delta.tracker_refs_replace)];
  } else if (Array.isArray(delta.tracker_refs)) {
    const merged = [...(Array.isArray(state.tracker_refs) ? state.tracker_refs : [])];
    for (const ref of delta.tracker_refs) if (!merged.includes(ref)) merged.push(ref);
    state.tracker_refs = merged;
  }
  if (isRecord(delta.review)) {
    const review = {
      at: text(delta.review.at) ?? '',
      actor: text(delta.review.actor) ?? '',
      wp_id: text(delta.review.wp_id) ?? '',
      reason: text(delta.review.reason) ?? '',
    };
    const release = !review.at && !review.actor && !review.wp_id && !review.reason;
    state.review = release ? null : review;
  }
}

/**
 * Reduces the log as 3.x does: transitions deduplicated by event id (first kept), sorted by (at, event
 * id), folded with rollback precedence; then every annotation, sorted the same way, folded on top.
 */
export function reduceStatusLog(log: Pick<ParsedStatusLog, 'transitions' | 'annotations'>): StatusSnapshot {
  const seen = new Set<string>();
  const unique: StatusTransition[] = [];
  for (const event of log.transitions) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    unique.push(event);
  }
  const sorted = unique.sort(compareByTime);
  const byId = new Map(sorted.map((event) => [event.eventId, event]));
  const states = new Map<string, StatusWorkPackageState>();
  for (const event of sorted) {
    const current = states.get(event.wpId);
    if (shouldApply(current, event, byId)) states.set(event.wpId, stateFromTransition(event, current));
  }
  for (const annotation of [...log.annotations].sort(compareByTime)) {
    let state = states.get(annotation.wpId);
    if (!state) {
      state = {
        lane: 'uninitialized',
        actor: actorIdentity(annotation.raw.actor),
        last_transition_at: null,
        last_event_id: null,
        force_count: 0,
      };
      states.set(annotation.wpId, state);
    }
    applyAnnotation(state, annotation.raw);
  }
  const summary = Object.fromEntries(STATUS_LANES.map((lane) => [lane, 0])) as Record<string, number>;
  for (const state of states.values()) if (state.lane in summary) summary[state.lane] = (summary[state.lane] ?? 0) + 1;
  const first = sorted[0];
  const last = sorted.at(-1);
  const slug = typeof first?.raw.mission_slug === 'string' ? first.raw.mission_slug : '';
  return {
    missionSlug: first ? safeMissionSlug(slug || text(first.raw.feature_slug) || '') : '',
    materializedAt: last?.at ?? '',
    eventCount: sorted.length,
    lastEventId: last?.eventId ?? null,
    workPackages: states,
    summary,
  };
}

/** 3.x drops a slug that could leave the specs dir (`..`, separators) to "". */
function safeMissionSlug(slug: string): string {
  if (!slug || slug.includes('/') || slug.includes('\\') || slug.includes('..') || slug.includes('\0')) return '';
  return slug;
}

export interface MissionIdentity {
  /** meta.json's mission_number (int or string), else the slug's `NNN-` prefix; "" when neither. */
  missionNumber: string;
  missionType: string;
}

/** mission_number and mission_type as 3.x's materializer derives them from meta.json and the slug. */
export function missionIdentity(meta: Record<string, unknown> | null, slug: string): MissionIdentity {
  const raw = meta?.mission_number;
  let number = '';
  if (typeof raw === 'number' && Number.isInteger(raw)) number = String(raw);
  else if (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw)) number = String(Number.parseInt(raw, 10));
  if (!number) {
    const prefix = /^(\d+)-/.exec(slug.trim());
    if (prefix?.[1]) number = String(Number.parseInt(prefix[1], 10));
  }
  const type = meta?.mission_type;
  return { missionNumber: number, missionType: typeof type === 'string' ? type.trim() : '' };
}

/** status.json as 3.x's materializer writes it: sorted keys, two-space indent, UTF-8, a final newline. */
export function renderStatusJson(snapshot: StatusSnapshot, identity: MissionIdentity): string {
  const document = {
    mission_slug: snapshot.missionSlug.trim(),
    mission_number: identity.missionNumber,
    mission_type: identity.missionType,
    materialized_at: snapshot.materializedAt,
    event_count: snapshot.eventCount,
    last_event_id: snapshot.lastEventId,
    work_packages: Object.fromEntries(snapshot.workPackages),
    summary: snapshot.summary,
  };
  return `${pythonJson(document, 2, 0)}\n`;
}

/** One event line as 3.x appends it: `json.dumps(event, sort_keys=True)` (ASCII-escaped), then "\n". */
export function renderStatusEventLine(event: Record<string, unknown>): string {
  return `${pythonJson(event, null, 0, true)}\n`;
}

/**
 * Python's `json.dumps(..., sort_keys=True)`: keys sorted by code point, `", "`/`": "` separators without
 * indent and `","`/`": "` with it, empty containers as `{}`/`[]`, and with `asciiOnly` every character
 * outside printable ASCII as a `\uXXXX` escape (Python's default `ensure_ascii`).
 */
export function pythonJson(value: unknown, indent: number | null, depth: number, asciiOnly = false): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string') return pythonString(value, asciiOnly);
  const newline = indent === null ? '' : `\n${' '.repeat(indent * (depth + 1))}`;
  const closing = indent === null ? '' : `\n${' '.repeat(indent * depth)}`;
  const separator = indent === null ? ', ' : ',';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((item) => newline + pythonJson(item, indent, depth + 1, asciiOnly));
    return `[${items.join(separator)}${closing}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (keys.length === 0) return '{}';
  const items = keys.map(
    (key) => `${newline}${pythonString(key, asciiOnly)}: ${pythonJson(record[key], indent, depth + 1, asciiOnly)}`,
  );
  return `{${items.join(separator)}${closing}}`;
}

function pythonString(value: string, asciiOnly: boolean): string {
  const json = JSON.stringify(value);
  if (!asciiOnly) return json;
  // JSON.stringify escapes quotes, backslashes and control characters as Python does; Python's
  // ensure_ascii also escapes DEL and everything beyond ASCII (UTF-16 units, so astral characters
  // become surrogate pairs).
  return json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Where a 3.x feature's lanes were read from, and what kit found on the way. */
export interface FeatureLaneStatus {
  /** `events`: the reduced log (authoritative); `snapshot`: status.json alone, as there is no log. */
  source: 'events' | 'snapshot';
  /** WP id → its 3.x lane and the log line of the transition that set it (null from a snapshot). */
  lanes: Map<string, { lane: string; line: number | null; agent: string | null }>;
  /** Problems with the log or the snapshot, with the 1-based line where there is one. */
  problems: { file: 'status.events.jsonl' | 'status.json'; line: number | null; message: string }[];
  /** Whether status.json says what the log reduces to (null when one of them is missing). */
  snapshotCurrent: boolean | null;
}

/**
 * A 3.x feature's lanes: the reduction of status.events.jsonl when there is one, else status.json.
 * status.json is only a cache of the log in 3.x (it may lag after annotations), so when both exist the
 * log wins and `snapshotCurrent` says whether the two agree.
 */
export function readFeatureLaneStatus(logText: string | null, snapshotText: string | null): FeatureLaneStatus {
  if (logText !== null) {
    const parsed = parseStatusLog(logText);
    const snapshot = reduceStatusLog(parsed);
    // The line of the transition that set each WP's lane: the first line with that id, as the reducer
    // keeps the first of duplicates (merged worktree logs repeat lines).
    const lastLine = new Map<string, number>();
    for (const event of parsed.transitions) {
      if (lastLine.has(event.wpId)) continue;
      if (snapshot.workPackages.get(event.wpId)?.last_event_id === event.eventId) lastLine.set(event.wpId, event.line);
    }
    const lanes = new Map<string, { lane: string; line: number | null; agent: string | null }>();
    for (const [id, state] of snapshot.workPackages) {
      lanes.set(id, { lane: state.lane, line: lastLine.get(id) ?? null, agent: text(state.agent) });
    }
    let snapshotCurrent: boolean | null = null;
    if (snapshotText !== null) {
      const stored = parseSnapshotJson(snapshotText);
      // Current means it holds what the log reduces to, WP entries included (annotations do not move
      // event_count or last_event_id, and 3.x's own drift check compares the entries too).
      snapshotCurrent =
        stored.ok &&
        stored.value.event_count === snapshot.eventCount &&
        (stored.value.last_event_id ?? null) === snapshot.lastEventId &&
        pythonJson(stored.value.work_packages, null, 0) ===
          pythonJson(Object.fromEntries(snapshot.workPackages), null, 0);
    }
    return {
      source: 'events',
      lanes,
      problems: parsed.problems.map((problem) => ({ file: 'status.events.jsonl', ...problem })),
      snapshotCurrent,
    };
  }
  const lanes = new Map<string, { lane: string; line: number | null; agent: string | null }>();
  const problems: FeatureLaneStatus['problems'] = [];
  const stored = parseSnapshotJson(snapshotText ?? '');
  if (!stored.ok) {
    problems.push({ file: 'status.json', line: null, message: stored.message });
  } else if (!isRecord(stored.value.work_packages)) {
    problems.push({ file: 'status.json', line: null, message: 'status.json has no work_packages object' });
  } else {
    for (const [id, state] of Object.entries(stored.value.work_packages)) {
      const lane = isRecord(state) ? state.lane : undefined;
      if (typeof lane === 'string' && (isStatusLane(lane) || lane === 'uninitialized')) {
        lanes.set(id, { lane, line: null, agent: isRecord(state) ? text(state.agent) : null });
      } else {
        problems.push({ file: 'status.json', line: null, message: `${id} has unknown lane ${JSON.stringify(lane)}` });
      }
    }
  }
  return { source: 'snapshot', lanes, problems, snapshotCurrent: null };
}

function parseSnapshotJson(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  try {
    const value: unknown = JSON.parse(text.replace(/^\ufeff/, ''));
    if (!isRecord(value)) return { ok: false, message: 'status.json must be a JSON object' };
    return { ok: true, value };
  } catch (error) {
    return { ok: false, message: `status.json is not valid JSON: ${(error as Error).message}` };
  }
}

/** Microseconds since the epoch of a 3.x `at` (`2026-07-28T10:23:31.830979+00:00`), or null. */
export function statusTimeMicros(at: string): number | null {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)?$/.exec(at.trim());
  if (!match?.[1]) return null;
  const seconds = Date.parse(`${match[1]}${match[3] ?? 'Z'}`);
  if (Number.isNaN(seconds)) return null;
  return seconds * 1000 + Number((match[2] ?? '').padEnd(6, '0').slice(0, 6) || '0');
}

/** A 3.x `at`: UTC with six fraction digits and `+00:00`, no fraction at a whole second (as Python's isoformat). */
export function formatStatusTime(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const fraction = micros - seconds * 1_000_000;
  const base = new Date(seconds * 1000).toISOString().slice(0, 19);
  return fraction === 0 ? `${base}+00:00` : `${base}.${String(fraction).padStart(6, '0')}+00:00`;
}

export interface StatusEventRequest {
  wpId: string;
  /** The WP's 3.x lane now; null when the log has none for it (3.x's "genesis"). */
  from: string | null;
  /** The chain of lanes to record, as statusPath gives it (or the one lane of a forced move). */
  path: readonly StatusLane[];
  force: boolean;
  actor: string;
  /** Why: required by 3.x for forced moves and for in_progress → planned; the review feedback of a rejection. */
  note: string | null;
  /** Who reviewed, for events leaving in_review or approved (3.x wants a review_result or review_ref there). */
  reviewer: string | null;
  /** The first event's time in microseconds; later events of the chain are a microsecond apart. */
  atMicros: number;
  /** One ULID per event of the chain (the genesis event included, when `from` is null). */
  eventIds: readonly string[];
  missionSlug: string;
  missionId: string | null;
  shellPid: number | null;
  /** The review result already in the snapshot, carried into approved → done evidence. */
  priorReview: Record<string, unknown> | null;
  /** For approved → done written by a merge: the branch it landed on. */
  mergedInto?: string | undefined;
}

/**
 * The event lines one kit lane change appends to a 3.x log: one per edge of the chain, each shaped as
 * 3.x's current writer shapes it (`review_result` only when set, `mission_id` only when known). Pure.
 */
export function statusEventsFor(request: StatusEventRequest): Record<string, unknown>[] {
  const events: Record<string, unknown>[] = [];
  const chain: [string, StatusLane][] = [];
  let from = request.from;
  if (from === null) {
    chain.push(['genesis', 'planned']);
    from = 'planned';
  }
  for (const lane of request.path) {
    if (lane === from) continue;
    chain.push([from, lane]);
    from = lane;
  }
  const approval = (reference: string) => ({
    reviewer: request.reviewer ?? request.actor,
    verdict: 'approved',
    reference,
  });
  chain.forEach(([edgeFrom, edgeTo], index) => {
    const last = index === chain.length - 1;
    let reason: string | null = last ? request.note : null;
    let evidence: Record<string, unknown> | null = null;
    let reviewResult: Record<string, unknown> | null = null;
    let reviewRef: string | null = null;
    let policy: Record<string, unknown> | null = null;
    if (edgeFrom === 'genesis') reason = 'canonical bootstrap';
    if (edgeFrom === 'planned' && edgeTo === 'claimed') {
      policy = { agent: request.actor, ...(request.shellPid !== null ? { shell_pid: request.shellPid } : {}) };
    }
    const reference = request.note ?? `kit: ${edgeTo} by ${request.reviewer ?? request.actor}`;
    if (edgeFrom === 'in_review') {
      const approved = edgeTo === 'approved' || edgeTo === 'done';
      reviewResult = approved
        ? approval(reference)
        : { reviewer: request.reviewer ?? request.actor, verdict: 'changes_requested', reference };
      if (approved) evidence = { review: approval(reference) };
    }
    if ((edgeFrom === 'approved' || edgeFrom === 'in_progress') && (edgeTo === 'done' || edgeTo === 'approved')) {
      const prior = request.priorReview;
      const review =
        prior && prior.verdict === 'approved'
          ? { reviewer: prior.reviewer, verdict: 'approved', reference: prior.reference }
          : approval(reference);
      evidence = { review };
    }
    if (edgeFrom === 'approved' && (edgeTo === 'in_progress' || edgeTo === 'planned')) reviewRef = reference;
    if (edgeFrom === 'in_progress' && edgeTo === 'planned' && !reason) reason = 'kit: moved back to planned';
    if (request.force === true && last && !reason) reason = 'kit: forced with --force';
    if (request.mergedInto && edgeTo === 'done') {
      policy = { merge_phase: 'lane_integrated', target_branch: request.mergedInto };
      reason = reason ?? `Merged ${request.wpId} into ${request.mergedInto}`;
    }
    const event: Record<string, unknown> = {
      actor: request.actor,
      at: formatStatusTime(request.atMicros + index),
      event_id: request.eventIds[index] ?? '',
      evidence,
      execution_mode: 'worktree',
      force: request.force === true && last,
      from_lane: edgeFrom,
      mission_slug: request.missionSlug,
      policy_metadata: policy,
      reason,
      review_ref: reviewRef,
      to_lane: edgeTo,
      wp_id: request.wpId,
    };
    if (request.missionId) event.mission_id = request.missionId;
    if (reviewResult) event.review_result = reviewResult;
    events.push(event);
  });
  return events;
}

/** How many events statusEventsFor writes for this chain (so the caller can mint that many ids). */
export function statusEventCount(from: string | null, path: readonly StatusLane[]): number {
  return path.length + (from === null ? 1 : 0);
}
