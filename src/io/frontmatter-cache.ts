/**
 * A cache of parsed WP frontmatter, keyed by the file's git blob id and kept in the git common dir
 * (`.git/kit/cache/`, shared by all worktrees, never committed). Reading and hashing 2,000 files is
 * cheap; parsing their YAML is not (~0.2 s), and agents call read commands hundreds of times a day.
 * Keying by content (not by path or mtime) means an edit can never be served stale, the same file on
 * another branch hits the same entry, and a blob id from `git ls-tree` can be looked up without reading.
 * The cache is an optimisation only: a missing, corrupt or unwritable cache is ignored.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';
import { type ParsedFrontmatter, parseFrontmatter } from './frontmatter.js';

/** Bump when what parseFrontmatter returns changes, so old entries are never trusted. */
const FORMAT = 2;
const MAX_ENTRIES = 20_000;

export type CachedFrontmatter =
  | { ok: true; data: Record<string, unknown>; keyLines: Record<string, number> }
  | { ok: false; reason: string; line: number };

/** Git's object id for a blob with these bytes (what `git hash-object` prints). */
export function gitBlobId(bytes: Buffer): string {
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export class FrontmatterCache {
  private entries: Record<string, CachedFrontmatter> = {};
  private readonly used = new Set<string>();
  private dirty = false;

  private constructor(private readonly file: string | null) {}

  static open(directory: string | null): FrontmatterCache {
    const cache = new FrontmatterCache(directory ? join(directory, `frontmatter-v${FORMAT}.json`) : null);
    if (cache.file) {
      try {
        const parsed = JSON.parse(readFileSync(cache.file, 'utf8')) as { entries?: Record<string, CachedFrontmatter> };
        if (parsed.entries && typeof parsed.entries === 'object') cache.entries = parsed.entries;
      } catch {
        // No cache yet, or a corrupt one: start empty.
      }
    }
    return cache;
  }

  /** Parsed frontmatter of a file's bytes, from the cache when this content was seen before. */
  parse(bytes: Buffer): CachedFrontmatter {
    return this.parseBlob(gitBlobId(bytes), () => bytes);
  }

  /** True when a blob id (e.g. from `git ls-tree`) is cached, so its content need not be fetched. */
  has(id: string): boolean {
    return id in this.entries;
  }

  /** Parsed frontmatter of the blob with this id; `bytes` is called only on a cache miss. */
  parseBlob(id: string, bytes: () => Buffer): CachedFrontmatter {
    this.used.add(id);
    const hit = this.entries[id];
    if (hit) return hit;
    const entry = summarize(parseFrontmatter(bytes().toString('utf8')));
    this.entries[id] = entry;
    this.dirty = true;
    return entry;
  }

  /** Writes new entries back; keeps entries used now plus older ones up to a bound. Never throws. */
  save(): void {
    if (!this.file || !this.dirty) return;
    let kept = this.entries;
    const ids = Object.keys(kept);
    if (ids.length > MAX_ENTRIES) {
      kept = {};
      for (const id of this.used) if (this.entries[id]) kept[id] = this.entries[id];
      for (const id of ids) {
        if (Object.keys(kept).length >= MAX_ENTRIES) break;
        if (!kept[id] && this.entries[id]) kept[id] = this.entries[id];
      }
    }
    try {
      writeFileAtomic(this.file, JSON.stringify({ format: FORMAT, entries: kept }));
      this.dirty = false;
    } catch {
      // A read-only git dir must not break a read command.
    }
  }
}

function summarize(parsed: ParsedFrontmatter): CachedFrontmatter {
  if (!parsed.ok) return { ok: false, reason: parsed.reason, line: parsed.line };
  return { ok: true, data: parsed.data, keyLines: parsed.keyLines };
}
