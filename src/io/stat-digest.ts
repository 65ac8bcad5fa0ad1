/**
 * A digest of many files' stat data (size, mtime, ctime, inode, mode), for the read caches that decide
 * from stat data alone whether what they hold is still current (src/io/read-index.ts,
 * src/io/worktree-changes.ts). Thousands of stat calls are made per run, so the numbers go into one
 * Float64Array rather than being formatted as text: the labels (names, markers) and the numbers are hashed
 * as two streams, and every labelled stat adds five numbers, so the two stay aligned.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';

const NUMBERS_PER_STAT = 5;

/**
 * How long after a change stat data is not trusted (git's "racy" entries): a file changed twice within one
 * timestamp tick would show the same stat data, so a cache records nothing that changed this recently.
 * KIT_RACY_WINDOW_MS lowers it for tests, which change files and read them again within the window.
 */
export function racyWindowMs(): number {
  const override = Number(process.env.KIT_RACY_WINDOW_MS);
  return Number.isFinite(override) && override >= 0 ? override : 2000;
}

/** KIT_READ_INDEX=0 turns off the status read index and the worktrees' untracked records (for comparisons). */
export function readIndexEnabled(): boolean {
  return process.env.KIT_READ_INDEX !== '0';
}

/** The stat fields a digest takes, in the order of Node's internal stat arrays. */
const MODE = 1;
const INO = 7;
const SIZE = 8;
const MTIME_SECONDS = 12;
const CTIME_SECONDS = 14;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/** Stat fields as Node's binding gives them, or undefined when nothing is there. */
export type RawStat = (path: string) => ArrayLike<number> | undefined;

/**
 * Node's fs binding answers a stat with an array of numbers; fs.statSync builds a Stats object and four
 * Dates from it, which in a short-lived process (cold code, thousands of calls) costs three to four times
 * the system call: ~20 ms of a warm `kit status`. So the digest asks the binding directly, but only where
 * it demonstrably gives what fs.statSync gives (checked once per process on the working directory), and
 * never where asking it would print a deprecation warning (--pending-deprecation); otherwise, and if
 * anything about it differs in another Node version, fs.statSync. KIT_RAW_STAT=0 turns it off.
 */
export function rawStatter(): RawStat | null {
  const pending =
    process.execArgv.includes('--pending-deprecation') ||
    (process.env.NODE_OPTIONS ?? '').includes('--pending-deprecation') ||
    process.env.NODE_PENDING_DEPRECATION === '1';
  if (pending || process.env.KIT_RAW_STAT === '0') return null;
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding('fs') as {
      stat(path: string, bigint: boolean, request: undefined, throwIfNoEntry: boolean): ArrayLike<number> | undefined;
    };
    const raw: RawStat = (path) => binding.stat(path, false, undefined, false);
    const probe = process.cwd();
    const fields = raw(probe);
    const expected = statSync(probe);
    const agrees =
      fields !== undefined &&
      fields[MODE] === expected.mode &&
      fields[INO] === expected.ino &&
      fields[SIZE] === expected.size &&
      timeMs(fields, MTIME_SECONDS) === expected.mtimeMs &&
      timeMs(fields, CTIME_SECONDS) === expected.ctimeMs &&
      raw(join(probe, `.kit-no-such-file-${process.pid}-${Date.now()}`)) === undefined;
    return agrees ? raw : null;
  } catch {
    return null;
  }
}

/** Milliseconds as fs.Stats computes them from seconds and nanoseconds. */
function timeMs(fields: ArrayLike<number>, seconds: number): number {
  return (fields[seconds] ?? 0) * 1e3 + (fields[seconds + 1] ?? 0) / 1e6;
}

/** This process's way of statting, settled on first use. */
let processRawStat: RawStat | null | undefined;

export class StatDigest {
  /** `rawStat`: how to stat (the binding, or null for fs.statSync); by default this process's way. */
  constructor(private readonly rawStat: RawStat | null = (processRawStat ??= rawStatter())) {}

  private readonly labels: string[] = [];
  private numbers = new Float64Array(4096);
  private count = 0;
  /** The newest mtime or ctime seen, for the racy-entry rule of the caller. */
  newestMs = 0;

  /** Adds text that is part of what is digested (a file's content, a setting). */
  text(value: string): void {
    this.labels.push(value);
  }

  /**
   * Stats `path` (following symbolic links) and adds its stat data under `label`: 'dir', 'file' (anything
   * else that exists) or null when there is nothing there, or it cannot be read (which is digested too).
   */
  stat(label: string, path: string): 'dir' | 'file' | null {
    const rawStat = this.rawStat;
    let mode: number;
    let ino: number;
    let size: number;
    let mtimeMs: number;
    let ctimeMs: number;
    try {
      if (rawStat) {
        const fields = rawStat(path);
        if (!fields) {
          this.labels.push(`${label}\0-`);
          return null;
        }
        mode = fields[MODE] ?? 0;
        ino = fields[INO] ?? 0;
        size = fields[SIZE] ?? 0;
        mtimeMs = timeMs(fields, MTIME_SECONDS);
        ctimeMs = timeMs(fields, CTIME_SECONDS);
      } else {
        const stats = statSync(path, { throwIfNoEntry: false });
        if (!stats) {
          this.labels.push(`${label}\0-`);
          return null;
        }
        ({ mode, ino, size, mtimeMs, ctimeMs } = stats);
      }
    } catch (error) {
      this.labels.push(`${label}\0!${(error as NodeJS.ErrnoException).code ?? 'error'}`);
      return null;
    }
    this.labels.push(label);
    if (this.count + NUMBERS_PER_STAT > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const numbers = this.numbers;
    let at = this.count;
    numbers[at++] = size;
    numbers[at++] = mtimeMs;
    numbers[at++] = ctimeMs;
    numbers[at++] = ino;
    numbers[at++] = mode;
    this.count = at;
    if (mtimeMs > this.newestMs) this.newestMs = mtimeMs;
    if (ctimeMs > this.newestMs) this.newestMs = ctimeMs;
    return (mode & S_IFMT) === S_IFDIR ? 'dir' : 'file';
  }

  digest(): string {
    return createHash('sha1')
      .update(this.labels.join('\n'))
      .update('\n\0\n')
      .update(new Uint8Array(this.numbers.buffer, 0, this.count * Float64Array.BYTES_PER_ELEMENT))
      .digest('hex');
  }
}
