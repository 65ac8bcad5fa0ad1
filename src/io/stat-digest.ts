/**
 * A digest of many files' stat data (size, mtime, ctime, inode, mode), for the read caches that decide
 * from stat data alone whether what they hold is still current (src/io/read-index.ts,
 * src/io/worktree-changes.ts). Thousands of stat calls are made per run, so the numbers go into one
 * Float64Array rather than being formatted as text: the labels (names, markers) and the numbers are hashed
 * as two streams, and every labelled stat adds five numbers, so the two stay aligned.
 */
import { createHash } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';

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

export class StatDigest {
  private readonly labels: string[] = [];
  private numbers = new Float64Array(4096);
  private count = 0;
  /** The newest mtime or ctime seen, for the racy-entry rule of the caller. */
  newestMs = 0;

  /** Adds text that is part of what is digested (a file's content, a setting). */
  text(value: string): void {
    this.labels.push(value);
  }

  /** Stats `path` (following symbolic links) and adds its stat data under `label`; the Stats, if any. */
  stat(label: string, path: string): Stats | undefined {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) {
      this.labels.push(`${label}\0-`);
      return undefined;
    }
    this.labels.push(label);
    if (this.count + NUMBERS_PER_STAT > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const numbers = this.numbers;
    let at = this.count;
    numbers[at++] = stat.size;
    numbers[at++] = stat.mtimeMs;
    numbers[at++] = stat.ctimeMs;
    numbers[at++] = stat.ino;
    numbers[at++] = stat.mode;
    this.count = at;
    if (stat.mtimeMs > this.newestMs) this.newestMs = stat.mtimeMs;
    if (stat.ctimeMs > this.newestMs) this.newestMs = stat.ctimeMs;
    return stat;
  }

  digest(): string {
    return createHash('sha1')
      .update(this.labels.join('\n'))
      .update('\n\0\n')
      .update(new Uint8Array(this.numbers.buffer, 0, this.count * Float64Array.BYTES_PER_ELEMENT))
      .digest('hex');
  }
}
