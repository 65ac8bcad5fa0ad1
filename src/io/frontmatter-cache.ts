/**
 * A cache of parsed WP frontmatter in the git common dir (`.git/kit/cache/`, shared by all worktrees,
 * never committed). Parsing YAML is the expensive part of every read command (~0.2 s for 2,000 files),
 * and agents call read commands hundreds of times a day.
 *
 * One entry per file (so the cache is as big as the planning tree, however often lanes change), holding
 * the content's git blob id and only the fields kit reads:
 * - Working-tree files are trusted by their stat data (size, mtime, inode), the way git's index is, so
 *   a warm run reads no WP file at all. Like git, an entry whose mtime is too close to the moment it was
 *   cached is "racy" (the file could change again within the same timestamp) and is re-hashed next time.
 * - On a stat mismatch the file is read and hashed: same blob id, same parse.
 * - Files read from a branch come with their blob id from `git ls-tree`, so a hit needs no read at all.
 * - Entries are stored per feature, one file each (`frontmatter-v5/<hash of the feature path>.json`), and
 *   a feature's file is read the first time one of its paths is asked for: a command that reads one
 *   feature (`kit move`, `--feature`) loads and writes that feature's entries, not the whole tree's.
 * The cache is an optimisation only: a missing, corrupt or unwritable cache is ignored.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './files.js';
import type { FeatureLaneStatus } from '../domain/status-log.js';
import { type ParsedFrontmatter, parseFrontmatter } from './frontmatter.js';

/** Bump when what is stored changes, so old entries are never trusted. */
const FORMAT = 5;
/** Entries cached less than this after their file's mtime are re-validated by content next time. */
const RACY_WINDOW_MS = 2000;
/**
 * Entries of files that no read has seen (deleted or renamed since) are dropped once a feature has more
 * than this many; below it they are kept, as they cost little.
 */
const MAX_UNSEEN_ENTRIES_PER_FEATURE = 500;
/** Earlier formats' files and folders (v4 did not keep wp_code): removed when entries are next written. */
const LEGACY_FILES = ['frontmatter-v3.json', 'frontmatter-v4'];

/** The frontmatter keys kit interprets; the rest of a file's data is not worth caching. */
const KEPT_KEYS = new Set([
  'work_package_id',
  'wp_code',
  'title',
  'lane',
  'dependencies',
  'subtasks',
  'phase',
  'agent',
  'assignee',
  'shell_pid',
  'review_status',
  'reviewed_by',
  'base_branch',
  'base_commit',
  'created_at',
  'history',
]);

export type CachedFrontmatter =
  | { ok: true; data: Record<string, unknown>; keyLines: Record<string, number> }
  | { ok: false; reason: string; line: number; binary?: true };

/** A 3.x feature's lanes as reduced from its status files, in a form JSON can hold. */
interface CachedLaneStatus {
  source: FeatureLaneStatus['source'];
  lanes: [string, string, number | null, string | null][];
  problems: FeatureLaneStatus['problems'];
  snapshotCurrent: boolean | null;
}

interface Entry {
  id: string;
  size: number;
  mtimeMs: number;
  /** ctime changes with any write and cannot be set back by tools that restore mtimes. */
  ctimeMs: number;
  ino: number;
  /** Stat data alone may answer for this entry (it was not racy when cached). */
  trusted: boolean;
  value: CachedFrontmatter | CachedLaneStatus;
}

/** Git's object id for a blob with these bytes (what `git hash-object` prints). */
export function gitBlobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

/** The entries of one feature, as stored in its file. */
interface Shard {
  file: string | null;
  entries: Record<string, Entry>;
  dirty: boolean;
}

export class FrontmatterCache {
  private readonly shards = new Map<string, Shard>();
  private readonly seen = new Set<string>();
  private legacyRemoved = false;

  private constructor(private readonly directory: string | null) {}

  static open(directory: string | null): FrontmatterCache {
    return new FrontmatterCache(directory ? join(directory, `frontmatter-v${FORMAT}`) : null);
  }

  /** A working-tree file: answered from stat data when it can be, else read (via `bytes`) and hashed. */
  parseFile(
    path: string,
    stat: Pick<Stats, 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>,
    bytes: () => Buffer,
  ): CachedFrontmatter {
    const key = `file:${path}`;
    this.seen.add(key);
    const shard = this.shardOf(path);
    const entry = shard.entries[key];
    if (
      entry?.trusted &&
      entry.size === stat.size &&
      entry.mtimeMs === stat.mtimeMs &&
      entry.ctimeMs === stat.ctimeMs &&
      entry.ino === stat.ino
    ) {
      return entry.value as CachedFrontmatter;
    }
    const content = bytes();
    const id = gitBlobId(content);
    const value = entry?.id === id ? (entry.value as CachedFrontmatter) : parseContent(content);
    const { size, mtimeMs, ctimeMs, ino } = stat;
    shard.entries[key] = { id, size, mtimeMs, ctimeMs, ino, trusted: false, value };
    shard.dirty = true;
    return value;
  }

  /** True when this blob is what the cache holds for the path, so its content need not be fetched. */
  hasBlob(path: string, id: string): boolean {
    return this.shardOf(path).entries[`blob:${path}`]?.id === id;
  }

  /** A file as committed on a branch, known by its blob id; `bytes` is called only on a miss. */
  parseBlob(path: string, id: string, bytes: () => Buffer): CachedFrontmatter {
    const key = `blob:${path}`;
    this.seen.add(key);
    const shard = this.shardOf(path);
    const entry = shard.entries[key];
    if (entry?.id === id) return entry.value as CachedFrontmatter;
    const value = parseContent(bytes());
    shard.entries[key] = { id, size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0, trusted: false, value };
    shard.dirty = true;
    return value;
  }

  /**
   * A 3.x feature's lanes (`featurePath`'s status.events.jsonl and status.json reduced by `compute`),
   * answered without reading either file when their signature matches the entry: the stat data of both
   * working-tree files (trusted once settled, like a WP file's entry) or, read from a branch, their blob
   * ids. Reducing a large log is the one expensive part of reading a 3.x feature.
   */
  laneStatus(
    featurePath: string,
    signature: { kind: 'file'; id: string; mtimeMs: number; ctimeMs: number } | { kind: 'blob'; id: string },
    compute: () => FeatureLaneStatus,
  ): FeatureLaneStatus {
    const key = `${signature.kind}:${featurePath}/status`;
    this.seen.add(key);
    const shard = this.shardOf(`${featurePath}/status`);
    const entry = shard.entries[key];
    if (entry?.id === signature.id && (signature.kind === 'blob' || entry.trusted)) {
      const cached = entry.value as CachedLaneStatus;
      return {
        source: cached.source,
        lanes: new Map(cached.lanes.map(([id, lane, line, agent]) => [id, { lane, line, agent }])),
        problems: cached.problems,
        snapshotCurrent: cached.snapshotCurrent,
      };
    }
    const status = compute();
    const value: CachedLaneStatus = {
      source: status.source,
      lanes: [...status.lanes].map(([id, { lane, line, agent }]) => [id, lane, line, agent]),
      problems: status.problems,
      snapshotCurrent: status.snapshotCurrent,
    };
    const mtimeMs = signature.kind === 'file' ? signature.mtimeMs : 0;
    const ctimeMs = signature.kind === 'file' ? signature.ctimeMs : 0;
    shard.entries[key] = { id: signature.id, size: 0, mtimeMs, ctimeMs, ino: 0, trusted: false, value };
    shard.dirty = true;
    return status;
  }

  /** Writes the features whose entries changed back, marking the non-racy ones trusted. Never throws. */
  save(now: number = Date.now()): void {
    for (const shard of this.shards.values()) {
      if (!shard.file) continue;
      const unseen: string[] = [];
      for (const [key, entry] of Object.entries(shard.entries)) {
        if (!this.seen.has(key)) {
          unseen.push(key);
          continue;
        }
        const settled = now - Math.max(entry.mtimeMs, entry.ctimeMs) > RACY_WINDOW_MS;
        if (!entry.trusted && key.startsWith('file:') && settled) {
          entry.trusted = true;
          shard.dirty = true;
        }
      }
      if (!shard.dirty) continue;
      if (unseen.length > MAX_UNSEEN_ENTRIES_PER_FEATURE) for (const key of unseen) delete shard.entries[key];
      try {
        writeFileAtomic(shard.file, JSON.stringify({ format: FORMAT, entries: shard.entries }));
        shard.dirty = false;
        this.removeLegacyFiles();
      } catch {
        // A read-only git dir must not break a read command.
      }
    }
  }

  private removeLegacyFiles(): void {
    if (this.legacyRemoved || !this.directory) return;
    this.legacyRemoved = true;
    for (const legacy of LEGACY_FILES) {
      rmSync(join(dirname(this.directory), legacy), { force: true, recursive: true });
    }
  }

  /** The entries of the feature `path` belongs to, read from its file the first time. */
  private shardOf(path: string): Shard {
    const name = featureOf(path);
    let shard = this.shards.get(name);
    if (shard) return shard;
    const file = this.directory
      ? join(this.directory, `${createHash('sha1').update(name).digest('hex').slice(0, 16)}.json`)
      : null;
    shard = { file, entries: {}, dirty: false };
    if (file) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as { format?: number; entries?: Record<string, Entry> };
        if (parsed.format === FORMAT && parsed.entries && typeof parsed.entries === 'object') {
          shard.entries = parsed.entries;
        }
      } catch {
        // No cache yet, or a corrupt one: start empty.
      }
    }
    this.shards.set(name, shard);
    return shard;
  }
}

/** The feature dir of a WP file (`kitty-specs/001-x` of `kitty-specs/001-x/tasks/WP01.md`), else its dir. */
function featureOf(path: string): string {
  const tasks = path.lastIndexOf('/tasks/');
  return tasks !== -1 ? path.slice(0, tasks) : path.slice(0, Math.max(path.lastIndexOf('/'), 0));
}

function parseContent(content: Buffer): CachedFrontmatter {
  if (content.includes(0)) return { ok: false, reason: 'the file is binary, not Markdown text', line: 1, binary: true };
  return summarize(parseFrontmatter(content.toString('utf8')));
}

function summarize(parsed: ParsedFrontmatter): CachedFrontmatter {
  if (!parsed.ok) return { ok: false, reason: parsed.reason, line: parsed.line };
  const data: Record<string, unknown> = {};
  const keyLines: Record<string, number> = {};
  for (const [key, value] of Object.entries(parsed.data)) if (KEPT_KEYS.has(key)) data[key] = value;
  for (const [key, line] of Object.entries(parsed.keyLines)) if (KEPT_KEYS.has(key)) keyLines[key] = line;
  return { ok: true, data, keyLines };
}
