/**
 * Combining a lane ref's copy of a WP file with the target's file when both changed since the copy was
 * made (a pull request edited the WP while its lanes were on the lane ref). git's three-way merge first;
 * when it reports a conflict (the two sides touched neighbouring lines, typically `lane:` next to
 * `dependencies:`), key by key: kit's lane changes are whole frontmatter keys (`lane`, `agent`, `history`,
 * review fields), so the keys the copy changed are set on the target's file, as long as the target did
 * not change those same keys too. Null when the two really disagree.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editFrontmatter, type FrontmatterEdit, parseFrontmatter, replaceBody } from './frontmatter.js';
import type { Git } from './git.js';

/** git's own three-way file merge (`git merge-file -p`); null when the two sides conflict. */
export async function mergeFile(
  git: Git,
  stateDir: string,
  sides: { ours: string; base: string; theirs: string },
): Promise<string | null> {
  const dir = join(stateDir, `merge-file-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files = ['ours', 'base', 'theirs'] as const;
    for (const side of files) writeFileSync(join(dir, side), sides[side]);
    const result = await git.spawnGit(['merge-file', '-p', ...files.map((side) => join(dir, side))]);
    return result.exitCode === 0 ? result.stdout.toString('utf8') : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function isStringRecord(value: unknown): value is Record<string, string> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.values(value).every((item) => typeof item === 'string')
  );
}

/** The lane ref's copy combined with the target's file; see the top of this file. */
export async function combineWorkPackageFile(
  git: Git,
  stateDir: string,
  sides: { base: string; copy: string; theirs: string },
): Promise<string | null> {
  const merged = await mergeFile(git, stateDir, { ours: sides.copy, base: sides.base, theirs: sides.theirs });
  if (merged !== null) return merged;
  const [base, copy, theirs] = [sides.base, sides.copy, sides.theirs].map((text) => parseFrontmatter(text));
  if (!base?.ok || !copy?.ok || !theirs?.ok) return null;
  const edits: FrontmatterEdit[] = [];
  for (const key of new Set([...Object.keys(base.data), ...Object.keys(copy.data)])) {
    const before = base.data[key];
    const mine = copy.data[key];
    if (same(before, mine)) continue;
    const now = theirs.data[key];
    if (!same(now, before) && !same(now, mine)) return null;
    if (same(now, mine)) continue;
    if (mine === undefined) return null;
    if (typeof mine === 'string' || mine === null) {
      edits.push({ kind: 'set', key, value: mine });
    } else if (typeof mine === 'number' || typeof mine === 'boolean') {
      edits.push({ kind: 'set', key, value: String(mine) });
    } else if (Array.isArray(mine) && mine.every((item) => typeof item === 'string')) {
      edits.push({ kind: 'set', key, value: mine as string[] });
    } else if (
      Array.isArray(mine) &&
      (before === undefined || Array.isArray(before)) &&
      same(mine.slice(0, (before as unknown[] | undefined)?.length ?? 0), before ?? [])
    ) {
      // A list kit appended to, or started (history): the new items go after the target's.
      const added = mine.slice((before as unknown[] | undefined)?.length ?? 0);
      if (!added.every(isStringRecord)) return null;
      for (const item of added) edits.push({ kind: 'append', key, item });
    } else {
      return null;
    }
  }
  let text = edits.length > 0 ? await editFrontmatter(sides.theirs, edits) : sides.theirs;
  const body = (parsed: { split: { bodyStart: number } }, source: string) => source.slice(parsed.split.bodyStart);
  const [baseBody, copyBody, theirBody] = [body(base, sides.base), body(copy, sides.copy), body(theirs, sides.theirs)];
  if (copyBody !== baseBody && copyBody !== theirBody) {
    const bodyMerged =
      theirBody === baseBody
        ? copyBody
        : await mergeFile(git, stateDir, { ours: copyBody, base: baseBody, theirs: theirBody });
    if (bodyMerged === null) return null;
    text = replaceBody(text, () => bodyMerged);
  }
  return text;
}
