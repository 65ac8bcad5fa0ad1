/**
 * kit check against real Spec Kitty planning trees (read-only copies under ../shared/corpus; see its
 * README). The expected lanes and problems are computed from the files themselves, not from kit.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CheckResultJson, makeRepo, resultOf } from '../helpers/repo.js';

const CORPUS = fileURLToPath(new URL('../../../shared/corpus/kitty-specs', import.meta.url));
const FRANK = join(CORPUS, 'frank-fs__frank');
const BAKE = join(CORPUS, 'kentonium3__bake-tracker__at-0c42cf2-lane-folders');

const LANE_FOLDERS = new Set(['planned', 'doing', 'for_review', 'done', 'in_progress']);
const normalizeLane = (lane: string) => (lane === 'in_progress' ? 'doing' : lane);

interface CorpusWorkPackage {
  /** `kitty-specs/<feature>/tasks/[<lane>/]WPnn-x.md`, as kit reports it. */
  file: string;
  feature: string;
  id: string;
  /** The top-level `lane:` of the frontmatter, unquoted; null when absent. */
  frontmatterLane: string | null;
  /** The lane folder the file sits in (older layout), or null for the flat layout. */
  folderLane: string | null;
}

/** Every WP file of a corpus tree, read with a simple regex rather than kit's parser. */
function corpusWorkPackages(tree: string): CorpusWorkPackage[] {
  const result: CorpusWorkPackage[] = [];
  for (const feature of readdirSync(tree).sort()) {
    const tasks = join(tree, feature, 'tasks');
    if (!existsSync(tasks)) continue;
    const visit = (dir: string, folderLane: string | null) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory() && folderLane === null && LANE_FOLDERS.has(entry.name)) {
          visit(join(dir, entry.name), entry.name);
        } else if (entry.isFile() && /^WP.*\.md$/.test(entry.name)) {
          const path = join(dir, entry.name);
          const text = readFileSync(path, 'utf8').replace(/^\ufeff/, '');
          const block = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text)?.[1] ?? '';
          const lane = /^lane:[ \t]*["']?([A-Za-z_]+)["']?[ \t]*\r?$/m.exec(block)?.[1] ?? null;
          result.push({
            file: `kitty-specs/${relative(tree, path).split(sep).join('/')}`,
            feature,
            id: /^(WP\d+)/.exec(entry.name)?.[1] ?? entry.name,
            frontmatterLane: lane,
            folderLane,
          });
        }
      }
    };
    visit(tasks, null);
  }
  return result.sort((a, b) => a.file.localeCompare(b.file));
}

async function checkCorpusTree(tree: string): Promise<{ exitCode: number; result: CheckResultJson }> {
  const repo = makeRepo();
  cpSync(tree, join(repo.root, 'kitty-specs'), { recursive: true });
  const run = await repo.kit(['check', '--json']);
  expect(run.stderr).toBe('');
  return { exitCode: run.exitCode, result: resultOf<CheckResultJson>(run) };
}

function reportedLanes(result: CheckResultJson): Record<string, string> {
  const lanes: Record<string, string> = {};
  for (const feature of result.features) for (const wp of feature.workPackages) lanes[wp.file] = wp.lane;
  return lanes;
}

const sortProblems = <T extends { file: string | null; kind: string }>(list: T[]) =>
  [...list].sort((a, b) => (a.file ?? '').localeCompare(b.file ?? '') || a.kind.localeCompare(b.kind));

describe.skipIf(!existsSync(CORPUS))('kit check on the Spec Kitty corpus', () => {
  it('frank-fs/frank: every WP reports its frontmatter lane, and only unfinished WPs are problems', async () => {
    const expected = corpusWorkPackages(FRANK);
    expect(expected.length).toBeGreaterThan(100);
    for (const wp of expected) expect(wp.frontmatterLane, wp.file).not.toBeNull();

    const { exitCode, result } = await checkCorpusTree(FRANK);
    expect(reportedLanes(result)).toEqual(
      Object.fromEntries(expected.map((wp) => [wp.file, normalizeLane(wp.frontmatterLane ?? '')])),
    );
    const unfinished = expected
      .filter((wp) => ['doing', 'for_review'].includes(normalizeLane(wp.frontmatterLane ?? '')))
      .map((wp) => ({ kind: 'unfinished', feature: wp.feature, wp: wp.id, file: wp.file }));
    expect(sortProblems(result.problems.map(({ kind, feature, wp, file }) => ({ kind, feature, wp, file })))).toEqual(
      sortProblems(unfinished),
    );
    expect(exitCode).toBe(unfinished.length > 0 ? 1 : 0);
  });

  it('bake-tracker (lane folders): WPs report their folder lane, one lane-mismatch per disagreeing file', async () => {
    const expected = corpusWorkPackages(BAKE);
    expect(expected.length).toBeGreaterThan(0);
    for (const wp of expected) expect(wp.folderLane, wp.file).not.toBeNull();
    const mismatched = expected.filter(
      (wp) => wp.frontmatterLane !== null && normalizeLane(wp.frontmatterLane) !== normalizeLane(wp.folderLane ?? ''),
    );
    // The corpus is known to contain disagreeing files; if not, this test would prove nothing.
    expect(mismatched.length).toBeGreaterThan(0);

    const { exitCode, result } = await checkCorpusTree(BAKE);
    expect(reportedLanes(result)).toEqual(
      Object.fromEntries(expected.map((wp) => [wp.file, normalizeLane(wp.folderLane ?? '')])),
    );
    const problems = [
      ...mismatched.map((wp) => ({ kind: 'lane-mismatch', feature: wp.feature, wp: wp.id, file: wp.file })),
      ...expected
        .filter((wp) => ['doing', 'for_review'].includes(normalizeLane(wp.folderLane ?? '')))
        .map((wp) => ({ kind: 'unfinished', feature: wp.feature, wp: wp.id, file: wp.file })),
    ];
    expect(sortProblems(result.problems.map(({ kind, feature, wp, file }) => ({ kind, feature, wp, file })))).toEqual(
      sortProblems(problems),
    );
    expect(exitCode).toBe(1);
  });
});
