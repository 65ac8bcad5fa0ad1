/**
 * StatDigest (src/io/stat-digest.ts) takes stat fields from Node's fs binding where a probe shows they
 * agree with fs.statSync: both ways must give the same digest, the same newest time and the same kinds,
 * and any change of a file's stat data must change the digest.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RawStat, rawStatter, StatDigest } from '../../src/io/stat-digest.js';

const dir = mkdtempSync(join(tmpdir(), 'kit-stat-digest-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function digestOf(rawStat: RawStat | null, paths: string[]) {
  const digest = new StatDigest(rawStat);
  const kinds = paths.map((path) => digest.stat(path, path));
  return { digest: digest.digest(), newestMs: digest.newestMs, kinds };
}

describe('StatDigest', () => {
  const file = join(dir, 'a.md');
  const sub = join(dir, 'sub');
  writeFileSync(file, 'one\n');
  mkdirSync(sub);
  const paths = [file, sub, join(dir, 'missing.md')];

  it('uses the binding only where it may (KIT_RAW_STAT=0 turns it off)', () => {
    process.env.KIT_RAW_STAT = '0';
    try {
      expect(rawStatter()).toBeNull();
    } finally {
      delete process.env.KIT_RAW_STAT;
    }
  });

  it('gives the same digest, newest time and kinds from the fs binding as from fs.statSync', async () => {
    const binding = rawStatter();
    // Node 20 on Linux, where kit is measured, has the binding.
    expect(binding).not.toBeNull();
    const raw = digestOf(binding, paths);
    const plain = digestOf(null, paths);
    expect(raw).toEqual(plain);
    expect(raw.kinds).toEqual(['file', 'dir', null]);
    expect(raw.newestMs).toBeGreaterThan(0);
  });

  it('changes with a same-size edit whose mtime is put back (the ctime still moves)', async () => {
    const binding = rawStatter();
    const before = digestOf(binding, paths).digest;
    const { atime, mtime } = statSync(file);
    await new Promise((resolve) => setTimeout(resolve, 20));
    writeFileSync(file, 'two\n');
    utimesSync(file, atime, mtime);
    expect(digestOf(binding, paths).digest).not.toBe(before);
  });
});
