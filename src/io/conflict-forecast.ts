/**
 * Whether two WP branches would conflict if merged, from `git merge-tree --write-tree --name-only`, which
 * merges in memory (the default merge bases, as a real merge of the two would use) and never touches a
 * worktree, an index or a ref.
 *
 * The answer depends on nothing but the two commits, so it is cached in `<git common dir>/kit/forecast.json`
 * keyed by the two tips: a status whose tips did not move runs no merge-tree at all. Pairs not in the
 * cache go to `merge-tree --stdin`, one git process per batch and a few batches at once, instead of one
 * process per pair.
 *
 * Traps guarded against:
 * - In `--stdin` mode git prints `1` for a clean merge and `0` for a conflict: the inverse of the exit code.
 * - One bad line (unrelated histories, an object gone) ends the whole batch: its pairs are then merged one
 *   by one, and a pair that still fails stays unknown (neither cached nor reported as a conflict).
 * - The cache is only an optimisation: a missing, corrupt or unwritable file means recomputing, never an
 *   error. It is written atomically (two kit processes at once: the last one wins, both are right).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapLimited } from '../concurrency.js';
import { pairKey } from '../domain/stack.js';
import { writeFileAtomic } from './files.js';
import type { Git } from './git.js';

const CACHE_FILE = 'forecast.json';
const CACHE_VERSION = 1;
/** Entries kept: far more than the pairs of every feature in flight, so a pair is only dropped once gone. */
const MAX_CACHED_PAIRS = 5000;
/** Pairs per `merge-tree --stdin` process, and how many such processes run at once. */
const BATCH_SIZE = 48;
const PARALLEL_BATCHES = 4;

export interface TipPair {
  first: string;
  second: string;
}

/**
 * The files each pair of commits would conflict in if merged (empty: merges cleanly), by `pairKey`.
 * A pair git could not merge at all is missing from the map.
 */
export async function forecastConflicts(
  git: Git,
  stateDir: string,
  pairs: readonly TipPair[],
): Promise<Map<string, string[]>> {
  const answers = new Map<string, string[]>();
  if (pairs.length === 0) return answers;
  const cachePath = join(stateDir, CACHE_FILE);
  const cached = readCache(cachePath);
  const cold: TipPair[] = [];
  const seen = new Set<string>();
  for (const pair of pairs) {
    const key = pairKey(pair.first, pair.second);
    if (seen.has(key)) continue;
    seen.add(key);
    const hit = cached.get(key);
    if (hit) answers.set(key, hit);
    else cold.push(pair);
  }
  if (cold.length === 0) return answers;

  const batches: TipPair[][] = [];
  for (let index = 0; index < cold.length; index += BATCH_SIZE) batches.push(cold.slice(index, index + BATCH_SIZE));
  const computed = (await mapLimited(batches, PARALLEL_BATCHES, (batch) => mergeBatch(git, batch))).flat();
  for (const [key, files] of computed) {
    answers.set(key, files);
    cached.delete(key); // re-inserted below as the newest entry
    cached.set(key, files);
  }
  if (computed.length > 0) writeCache(cachePath, cached);
  return answers;
}

async function mergeBatch(git: Git, batch: readonly TipPair[]): Promise<[string, string[]][]> {
  const input = batch.map((pair) => `${pair.first} ${pair.second}\n`).join('');
  const result = await git.spawnGit(['merge-tree', '--stdin', '--write-tree', '--name-only', '-z'], input);
  const parsed = result.exitCode === 0 ? parseStdinOutput(result.stdout.toString('utf8'), batch.length) : null;
  if (parsed) return batch.map((pair, index) => [pairKey(pair.first, pair.second), parsed[index] ?? []]);
  // One pair the batch could not merge ended it: merge each pair on its own, keeping what git can answer.
  const one = await Promise.all(batch.map((pair) => mergePair(git, pair)));
  return batch.flatMap((pair, index): [string, string[]][] => {
    const files = one[index];
    return files ? [[pairKey(pair.first, pair.second), files]] : [];
  });
}

async function mergePair(git: Git, pair: TipPair): Promise<string[] | null> {
  const result = await git.spawnGit(['merge-tree', '--write-tree', '--name-only', '-z', pair.first, pair.second]);
  if (result.exitCode === 0) return [];
  if (result.exitCode !== 1) return null;
  const fields = result.stdout.toString('utf8').split('\0');
  const files = conflictedNames(fields, 1).files;
  // Exit 1 with no tree is an unknown commit, not a conflict.
  return fields[0] ? files : null;
}

/**
 * Parses `merge-tree --stdin -z --name-only` output: per merge, its status (`1` clean, `0` conflict), the
 * tree, for a conflict the conflicted names up to an empty field and then messages (`<count>`, that many
 * paths, a type and a text) up to an empty field; a clean merge ends after its tree with one empty field.
 * Null when the output does not hold `expected` merges.
 */
export function parseStdinOutput(output: string, expected: number): string[][] | null {
  const fields = output.split('\0');
  const merges: string[][] = [];
  let index = 0;
  while (merges.length < expected) {
    const status = fields[index];
    const tree = fields[index + 1];
    if ((status !== '0' && status !== '1') || !tree) return null;
    index += 2;
    if (status === '1') {
      if (fields[index] !== '') return null;
      index++;
      merges.push([]);
      continue;
    }
    const names = conflictedNames(fields, index);
    index = names.next;
    // Messages: `<count> <path>... <type> <text>`, until the empty field that ends this merge.
    while (index < fields.length && fields[index] !== '') {
      const count = Number(fields[index]);
      if (!Number.isInteger(count) || count < 0) return null;
      index += count + 3;
    }
    index++;
    merges.push(names.files);
  }
  return merges;
}

function conflictedNames(fields: readonly string[], start: number): { files: string[]; next: number } {
  const files = new Set<string>();
  let index = start;
  for (; index < fields.length && fields[index] !== ''; index++) files.add(fields[index] as string);
  return { files: [...files].sort(), next: index + 1 };
}

function readCache(path: string): Map<string, string[]> {
  const entries = new Map<string, string[]>();
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as { version?: unknown; pairs?: unknown };
    if (data.version !== CACHE_VERSION || !data.pairs || typeof data.pairs !== 'object') return entries;
    for (const [key, files] of Object.entries(data.pairs as Record<string, unknown>)) {
      if (/^[0-9a-f]{40,64} [0-9a-f]{40,64}$/.test(key) && Array.isArray(files)) {
        if (files.every((file) => typeof file === 'string')) entries.set(key, files as string[]);
      }
    }
  } catch {
    // Missing or unreadable: every pair is computed again.
  }
  return entries;
}

function writeCache(path: string, entries: Map<string, string[]>): void {
  const kept = [...entries].slice(-MAX_CACHED_PAIRS);
  try {
    writeFileAtomic(path, `${JSON.stringify({ version: CACHE_VERSION, pairs: Object.fromEntries(kept) })}\n`);
  } catch {
    // A read-only git dir: the forecast is still right, only the next run repeats the work.
  }
}
