import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FrontmatterCache, gitBlobId } from '../../src/io/frontmatter-cache.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kit-cache-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('FrontmatterCache', () => {
  it('computes git blob ids', () => {
    // `printf 'hello\n' | git hash-object --stdin`
    expect(gitBlobId(Buffer.from('hello\n'))).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });

  it('answers a settled file from its stat data without reading it, and re-reads it once it changes', () => {
    const dir = tempDir();
    const file = join(dir, 'WP01.md');
    writeFileSync(file, '---\nlane: planned\n---\n');
    const old = new Date(Date.now() - 60_000);
    utimesSync(file, old, old);
    let reads = 0;
    const read = () => {
      reads++;
      return readFileSync(file);
    };
    const first = FrontmatterCache.open(join(dir, 'cache'));
    expect(first.parseFile('WP01.md', statSync(file), read)).toMatchObject({ ok: true, data: { lane: 'planned' } });
    // Saved well after the file's last change (its ctime is now, whatever its mtime says).
    first.save(Date.now() + 10_000);
    expect(reads).toBe(1);

    const second = FrontmatterCache.open(join(dir, 'cache'));
    expect(second.parseFile('WP01.md', statSync(file), read)).toMatchObject({ data: { lane: 'planned' } });
    expect(reads).toBe(1);

    // Same size, mtime restored: ctime still tells the file was written.
    writeFileSync(file, '---\nlane: done\n---\n\n');
    utimesSync(file, old, old);
    expect(second.parseFile('WP01.md', statSync(file), read)).toMatchObject({ data: { lane: 'done' } });
    expect(reads).toBe(2);
  });

  it('does not trust stat data cached right after the file was written (racy entries)', () => {
    const dir = tempDir();
    const file = join(dir, 'WP01.md');
    writeFileSync(file, '---\nlane: planned\n---\n');
    let reads = 0;
    const read = () => {
      reads++;
      return readFileSync(file);
    };
    const cache = FrontmatterCache.open(join(dir, 'cache'));
    cache.parseFile('WP01.md', statSync(file), read);
    cache.save();
    const again = FrontmatterCache.open(join(dir, 'cache'));
    again.parseFile('WP01.md', statSync(file), read);
    expect(reads).toBe(2);
  });

  it('keeps one entry per file however often it changes, and only the fields kit reads', () => {
    const dir = tempDir();
    const cache = FrontmatterCache.open(join(dir, 'cache'));
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.from(`---\nlane: planned\nrequirement_refs: [FR-${i}]\nnote: ${i}\n---\n`);
      cache.parseBlob('tasks/WP01.md', gitBlobId(bytes), () => bytes);
    }
    cache.save();
    const files = readdirSync(join(dir, 'cache', 'frontmatter-v5'));
    expect(files).toHaveLength(1);
    const stored = JSON.parse(readFileSync(join(dir, 'cache', 'frontmatter-v5', files[0] ?? ''), 'utf8')) as {
      entries: Record<string, { value: { data: Record<string, unknown> } }>;
    };
    expect(Object.keys(stored.entries)).toEqual(['blob:tasks/WP01.md']);
    expect(stored.entries['blob:tasks/WP01.md']?.value.data).toEqual({ lane: 'planned' });
  });

  it('keeps each feature in a file of its own', () => {
    const dir = tempDir();
    const cache = FrontmatterCache.open(join(dir, 'cache'));
    const bytes = Buffer.from('---\nlane: planned\n---\n');
    for (const feature of ['001-a', '002-b', '003-c']) {
      cache.parseBlob(`kitty-specs/${feature}/tasks/WP01.md`, gitBlobId(bytes), () => bytes);
    }
    cache.save();
    const shards = join(dir, 'cache', 'frontmatter-v5');
    const files = readdirSync(shards);
    expect(files).toHaveLength(3);
    // Spoil every feature's file but 002-b's: 002-b still answers without a read, 001-a needs one.
    for (const file of files) {
      if (!readFileSync(join(shards, file), 'utf8').includes('002-b')) writeFileSync(join(shards, file), 'not json');
    }
    const again = FrontmatterCache.open(join(dir, 'cache'));
    let reads = 0;
    const read = () => {
      reads++;
      return bytes;
    };
    again.parseBlob('kitty-specs/002-b/tasks/WP01.md', gitBlobId(bytes), read);
    expect(reads).toBe(0);
    again.parseBlob('kitty-specs/001-a/tasks/WP01.md', gitBlobId(bytes), read);
    expect(reads).toBe(1);
  });

  it('removes the single file of the earlier format when it writes', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'cache'));
    writeFileSync(join(dir, 'cache', 'frontmatter-v3.json'), '{}');
    const cache = FrontmatterCache.open(join(dir, 'cache'));
    const bytes = Buffer.from('---\nlane: planned\n---\n');
    cache.parseBlob('kitty-specs/001-a/tasks/WP01.md', gitBlobId(bytes), () => bytes);
    cache.save();
    expect(readdirSync(join(dir, 'cache'))).toEqual(['frontmatter-v5']);
  });

  it('reports binary content as such', () => {
    const dir = tempDir();
    const cache = FrontmatterCache.open(join(dir, 'cache'));
    const bytes = Buffer.from([0x2d, 0x2d, 0x2d, 0x0a, 0x00, 0x01]);
    expect(cache.parseBlob('x.md', gitBlobId(bytes), () => bytes)).toMatchObject({ ok: false, binary: true });
  });
});
