/**
 * The lane ref store (`lane_store: ref`) as plain data. Lane changes then never touch the target branch:
 * each lane file kit changes (a WP file, a 3.x event log and its status.json) is kept whole on a ref of
 * kit's own, and reads take that copy instead of the target's until `kit merge` writes it into the target.
 * Each copy remembers the target's blob it was made from (`base`), so a later edit of the same file on
 * the target is noticed and combined, never overwritten.
 */

export interface LaneOverlayEntry {
  /** The file as the lane ref has it; null when the lane ref removed it (a lane-folder move). */
  content: string | null;
  /** The target's blob the copy started from; null when the target had no such file. */
  base: string | null;
}

/** The lane ref's files by repository path, and the commit they were read from (null: no lane ref yet). */
export interface LaneOverlay {
  commit: string | null;
  entries: ReadonlyMap<string, LaneOverlayEntry>;
}

export const EMPTY_LANE_OVERLAY: LaneOverlay = { commit: null, entries: new Map() };

/** The lane ref's tree: this index, and each file's copy under `files/<repository path>`. */
export const LANE_OVERLAY_INDEX = 'lanes.json';
export const LANE_OVERLAY_FILES = 'files/';
const INDEX_VERSION = 1;

/** A repository path kit accepts from a lane ref another clone wrote: relative, no `..`, no `.git`. */
export function isSafeLanePath(path: string): boolean {
  if (!path || path.includes('\0') || path.includes('\\') || path.startsWith('/')) return false;
  const parts = path.split('/');
  return parts.every((part) => part !== '' && part !== '.' && part !== '..') && parts[0] !== '.git';
}

// The files a lane change writes: WP files (flat or in a lane folder), a 3.x event log and its snapshot.
const LANE_FILE = /(?:^|\/)(?:tasks\/(?:[^/]+\/)?WP[^/]*\.md|status\.events\.jsonl|status\.json)$/i;

/**
 * Whether a lane ref may hold this path: a safe path to one of the files lane changes write. Anything
 * else (a feature's meta.json or spec, code) never comes from a lane ref, so kit merge cannot be made to
 * write it into the target.
 */
export function isLaneFilePath(path: string): boolean {
  return isSafeLanePath(path) && LANE_FILE.test(path);
}

/** The index's text: every entry's base and whether it is removed, sorted by path (stable diffs). */
export function renderLaneOverlayIndex(entries: ReadonlyMap<string, LaneOverlayEntry>, target: string): string {
  const sorted = [...entries.keys()].sort();
  const files: Record<string, { base: string | null; removed?: true }> = {};
  for (const path of sorted) {
    const entry = entries.get(path) as LaneOverlayEntry;
    files[path] = entry.content === null ? { base: entry.base, removed: true } : { base: entry.base };
  }
  return `${JSON.stringify({ version: INDEX_VERSION, target, files }, null, 2)}\n`;
}

export interface LaneOverlayIndexEntry {
  path: string;
  base: string | null;
  removed: boolean;
}

/** Reads the index; throws an Error naming what is wrong (the lane ref came from another clone). */
export function parseLaneOverlayIndex(text: string): LaneOverlayIndexEntry[] {
  const data: unknown = JSON.parse(text);
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not a JSON object');
  const record = data as Record<string, unknown>;
  if (record.version !== INDEX_VERSION) throw new Error(`version ${String(record.version)} is not one kit reads`);
  const files = record.files;
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw new Error('files is not an object');
  const entries: LaneOverlayIndexEntry[] = [];
  for (const [path, value] of Object.entries(files as Record<string, unknown>)) {
    if (!isSafeLanePath(path)) throw new Error(`${JSON.stringify(path)} is not a path inside the repository`);
    if (!isLaneFilePath(path)) throw new Error(`${path} is not a file lane changes write`);
    const entry = (value ?? {}) as Record<string, unknown>;
    const base = entry.base;
    if (base !== null && (typeof base !== 'string' || !/^[0-9a-f]{40,64}$/.test(base))) {
      throw new Error(`${path}: base is not a blob id`);
    }
    entries.push({ path, base, removed: entry.removed === true });
  }
  return entries;
}

/**
 * A 3.x event log combined from the target's and the lane ref's: the target's lines, then the lane ref's
 * lines the target lacks, in their order. Both logs only ever grow (lines are events with unique ids), so
 * nothing either side recorded is dropped and nothing is doubled.
 */
export function unionEventLog(target: string | null, lanes: string): string {
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
  const have = new Set(lines(target ?? ''));
  const extra = lines(lanes).filter((line) => !have.has(line));
  const head = target ?? '';
  if (extra.length === 0) return head;
  const joined = head === '' || head.endsWith('\n') ? head : `${head}\n`;
  return `${joined}${extra.join('\n')}\n`;
}
