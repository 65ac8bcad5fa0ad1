/**
 * Reads features from the specs dir of the main checkout: meta.json, and every WP file in both layouts
 * Spec Kitty has used (flat `tasks/WPnn-x.md` with the lane in frontmatter, and the older
 * `tasks/<lane>/WPnn-x.md`). Problems are collected, never thrown, so `kit check` can report them all.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Feature,
  type FeatureMeta,
  interpretMeta,
  sortWorkPackages,
  workPackageSetProblems,
} from '../domain/feature.js';
import { type FeatureDirName, parseFeatureDirName, workPackageIdFromFileName } from '../domain/identifiers.js';
import type { Problem } from '../domain/problem.js';
import { interpretWorkPackage, type WorkPackage } from '../domain/work-package.js';
import { LANES } from '../lanes/lane.js';
import { MAX_TEXT_FILE_BYTES, toRepoPath } from './files.js';
import { FrontmatterCache } from './frontmatter-cache.js';
import { GitPlumbing } from './git.js';
import { kitStateDir, mainCheckoutBranch, type Workspace } from './workspace.js';

const LANE_FOLDERS = new Set<string>([...LANES, 'in_progress']);
const WP_FILE = /^WP[^/]*\.md$/i;

export interface FeatureDir extends FeatureDirName {
  /** Absolute path. */
  dir: string;
}

/** Feature directories in the specs dir, by number then name. Other entries are not features. */
export function listFeatureDirs(workspace: Workspace): FeatureDir[] {
  let entries: string[];
  try {
    entries = readdirSync(workspace.specsPath);
  } catch {
    return [];
  }
  const features: FeatureDir[] = [];
  for (const name of entries) {
    const parsed = parseFeatureDirName(name);
    if (!parsed) continue;
    const dir = join(workspace.specsPath, name);
    if (statSync(dir, { throwIfNoEntry: false })?.isDirectory()) features.push({ ...parsed, dir });
  }
  return features.sort((a, b) => a.number - b.number || a.name.localeCompare(b.name));
}

/** Reads meta.json; missing is fine (null), unreadable is a problem. */
export function readFeatureMeta(
  workspace: Workspace,
  feature: FeatureDir,
): { meta: FeatureMeta | null; raw: Record<string, unknown> | null; problem: Problem | null } {
  const path = join(feature.dir, 'meta.json');
  if (!existsSync(path)) return { meta: null, raw: null, problem: null };
  const file = toRepoPath(workspace.root, path);
  try {
    const raw: unknown = JSON.parse(readFileSync(path, 'utf8').replace(/^\ufeff/, ''));
    const meta = interpretMeta(raw);
    if (!meta) {
      return { meta: null, raw: null, problem: metaProblem(feature, file, 'meta.json must be a JSON object') };
    }
    return { meta, raw: raw as Record<string, unknown>, problem: null };
  } catch (error) {
    return {
      meta: null,
      raw: null,
      problem: metaProblem(feature, file, `meta.json is not valid JSON: ${(error as Error).message}`),
    };
  }
}

function metaProblem(feature: FeatureDir, file: string, message: string): Problem {
  return { kind: 'meta', feature: feature.name, wp: null, file, line: null, message };
}

interface WorkPackageFileEntry {
  /** Repository-relative path. */
  file: string;
  fileName: string;
  folder: string | null;
  size: number;
  /** Stat data of a working-tree file, which lets the cache answer without reading it. */
  stat: import('node:fs').Stats | null;
  /** Blob id when it is known without reading (from git), so the cache can answer first. */
  blobId: string | null;
  bytes: () => Buffer;
}

const WP_PATH = /(?:^|\/)tasks\/(?:([^/]+)\/)?(WP[^/]*\.md)$/i;

/** Every WP file of a feature in the working tree, with the lane folder it sits in (null: flat layout). */
function workingTreeEntries(workspace: Workspace, featureDir: string): WorkPackageFileEntry[] {
  const tasksDir = join(featureDir, 'tasks');
  const entries: WorkPackageFileEntry[] = [];
  const add = (path: string, fileName: string, folder: string | null) => {
    const stat = statSync(path);
    entries.push({
      file: toRepoPath(workspace.root, path),
      fileName,
      folder,
      size: stat.size,
      stat,
      blobId: null,
      bytes: () => readFileSync(path),
    });
  };
  let dirents: import('node:fs').Dirent[];
  try {
    dirents = readdirSync(tasksDir, { withFileTypes: true });
  } catch {
    return entries;
  }
  for (const entry of dirents) {
    if (entry.isFile() && WP_FILE.test(entry.name)) add(join(tasksDir, entry.name), entry.name, null);
    else if (entry.isDirectory() && LANE_FOLDERS.has(entry.name)) {
      for (const inner of readdirSync(join(tasksDir, entry.name), { withFileTypes: true })) {
        if (inner.isFile() && WP_FILE.test(inner.name))
          add(join(tasksDir, entry.name, inner.name), inner.name, entry.name);
      }
    }
  }
  return entries;
}

/** Every WP file of a feature as committed on a branch; null when the branch or the feature is not there. */
async function committedEntries(
  workspace: Workspace,
  commit: string,
  featurePath: string,
  cache: FrontmatterCache,
): Promise<WorkPackageFileEntry[] | null> {
  const blobs = await workspace.git.listBlobs(commit, `${featurePath}/tasks`);
  if (!blobs || blobs.length === 0) return null;
  const wanted = blobs.flatMap((blob) => {
    const match = WP_PATH.exec(blob.path.slice(featurePath.length));
    if (!match?.[2]) return [];
    const folder = match[1] ?? null;
    if (folder !== null && !LANE_FOLDERS.has(folder)) return [];
    return [{ ...blob, fileName: match[2], folder }];
  });
  // One cat-file process for whatever the cache has not seen; most runs fetch nothing.
  const missing = wanted
    .filter((blob) => blob.size <= MAX_TEXT_FILE_BYTES && !cache.hasBlob(blob.path, blob.id))
    .map((blob) => blob.id);
  const contents = await workspace.git.readBlobs(missing);
  return wanted.map((blob) => ({
    file: blob.path,
    fileName: blob.fileName,
    folder: blob.folder,
    size: blob.size,
    stat: null,
    blobId: blob.id,
    bytes: () => contents.get(blob.id) ?? Buffer.alloc(0),
  }));
}

/**
 * Reads features (all, or the given ones) from the working tree of the main checkout, with their WPs
 * and every problem found on the way. This is what `kit check` and the planning commands see.
 */
export function loadFeatures(workspace: Workspace, only?: readonly FeatureDir[]): Feature[] {
  const cache = FrontmatterCache.open(join(kitStateDir(workspace), 'cache'));
  const features = (only ?? listFeatureDirs(workspace)).map((dir) =>
    buildFeature(workspace, dir, readFeatureMeta(workspace, dir), workingTreeEntries(workspace, dir.dir), cache),
  );
  cache.save();
  return features;
}

/**
 * Reads features where their lane state lives: the feature's target branch. When the main checkout has
 * that branch checked out, its working tree is the same thing plus any planning not committed yet (kit
 * keeps the checked-out WP files in step with its lane commits), so it is read from there. Otherwise the
 * WP files come from the branch itself, so a main checkout switched to another branch never shows stale
 * lanes. A feature not committed on its target yet is read from the working tree.
 */
export async function loadLaneState(workspace: Workspace, only?: readonly FeatureDir[]): Promise<Feature[]> {
  const cache = FrontmatterCache.open(join(kitStateDir(workspace), 'cache'));
  const checkedOut = await mainCheckoutBranch(workspace);
  const features: Feature[] = [];
  for (const dir of only ?? listFeatureDirs(workspace)) {
    const meta = readFeatureMeta(workspace, dir);
    const target = meta.meta?.targetBranch?.trim() || checkedOut;
    let entries: WorkPackageFileEntry[] | null = null;
    if (target && target !== checkedOut) {
      const commit = await new GitPlumbing(workspace.git).resolveCommit(`refs/heads/${target}`);
      if (commit) entries = await committedEntries(workspace, commit, toRepoPath(workspace.root, dir.dir), cache);
    }
    features.push(buildFeature(workspace, dir, meta, entries ?? workingTreeEntries(workspace, dir.dir), cache));
  }
  cache.save();
  return features;
}

function buildFeature(
  workspace: Workspace,
  feature: FeatureDir,
  { meta, problem }: ReturnType<typeof readFeatureMeta>,
  entries: readonly WorkPackageFileEntry[],
  cache: FrontmatterCache,
): Feature {
  const problems: Problem[] = problem ? [problem] : [];
  const workPackages: WorkPackage[] = [];
  for (const entry of [...entries].sort((a, b) => a.file.localeCompare(b.file))) {
    const { file, fileName, folder } = entry;
    const report = (kind: Problem['kind'], line: number | null, message: string) =>
      problems.push({
        kind,
        feature: feature.name,
        wp: workPackageIdFromFileName(fileName) ?? null,
        file,
        line,
        message,
      });
    if (entry.size > MAX_TEXT_FILE_BYTES) {
      report(
        'file',
        null,
        `the file is too large (${(entry.size / 1024 / 1024).toFixed(1)} MB; a WP file is at most 1 MB)`,
      );
      continue;
    }
    const parsed = entry.stat
      ? cache.parseFile(file, entry.stat, entry.bytes)
      : cache.parseBlob(file, entry.blobId ?? '', entry.bytes);
    if (!parsed.ok) {
      report(parsed.binary ? 'file' : 'frontmatter', parsed.binary ? null : parsed.line, parsed.reason);
      continue;
    }
    const interpreted = interpretWorkPackage({ file, fileName, folder, data: parsed.data, keyLines: parsed.keyLines });
    for (const found of interpreted.problems) problems.push({ ...found, feature: feature.name });
    if (interpreted.workPackage) workPackages.push(interpreted.workPackage);
  }
  problems.push(...workPackageSetProblems(feature.name, workPackages));
  // A duplicated id is reported above; kit acts on the first file (by path) so counts stay honest.
  const unique = new Map<string, WorkPackage>();
  for (const wp of workPackages) if (!unique.has(wp.id)) unique.set(wp.id, wp);
  return {
    name: feature.name,
    number: feature.number,
    numberText: feature.numberText,
    slug: feature.slug,
    path: toRepoPath(workspace.root, feature.dir),
    meta,
    workPackages: sortWorkPackages([...unique.values()]),
    problems,
  };
}
