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
import { kitStateDir, type Workspace } from './workspace.js';

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

/** Every WP file of a feature with the lane folder it sits in (null for the flat layout). */
function workPackageFiles(tasksDir: string): { path: string; fileName: string; folder: string | null }[] {
  const files: { path: string; fileName: string; folder: string | null }[] = [];
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(tasksDir, { withFileTypes: true });
  } catch {
    return files;
  }
  for (const entry of entries) {
    if (entry.isFile() && WP_FILE.test(entry.name)) {
      files.push({ path: join(tasksDir, entry.name), fileName: entry.name, folder: null });
    } else if (entry.isDirectory() && LANE_FOLDERS.has(entry.name)) {
      for (const inner of readdirSync(join(tasksDir, entry.name), { withFileTypes: true })) {
        if (inner.isFile() && WP_FILE.test(inner.name)) {
          files.push({ path: join(tasksDir, entry.name, inner.name), fileName: inner.name, folder: entry.name });
        }
      }
    }
  }
  return files;
}

/** Reads features (all, or the given ones) with their WPs and every problem found on the way. */
export function loadFeatures(workspace: Workspace, only?: readonly FeatureDir[]): Feature[] {
  const cache = FrontmatterCache.open(join(kitStateDir(workspace), 'cache'));
  const features = (only ?? listFeatureDirs(workspace)).map((dir) => loadFeature(workspace, dir, cache));
  cache.save();
  return features;
}

function loadFeature(workspace: Workspace, feature: FeatureDir, cache: FrontmatterCache): Feature {
  const { meta, problem } = readFeatureMeta(workspace, feature);
  const problems: Problem[] = problem ? [problem] : [];
  const workPackages: WorkPackage[] = [];
  for (const { path, fileName, folder } of workPackageFiles(join(feature.dir, 'tasks'))) {
    const file = toRepoPath(workspace.root, path);
    const report = (kind: Problem['kind'], line: number | null, message: string) =>
      problems.push({
        kind,
        feature: feature.name,
        wp: workPackageIdFromFileName(fileName) ?? null,
        file,
        line,
        message,
      });
    const size = statSync(path).size;
    if (size > MAX_TEXT_FILE_BYTES) {
      report('file', null, `the file is too large (${(size / 1024 / 1024).toFixed(1)} MB; a WP file is at most 1 MB)`);
      continue;
    }
    const bytes = readFileSync(path);
    if (bytes.includes(0)) {
      report('file', null, 'the file is binary, not Markdown text');
      continue;
    }
    const parsed = cache.parse(bytes);
    if (!parsed.ok) {
      report('frontmatter', parsed.line, parsed.reason);
      continue;
    }
    const interpreted = interpretWorkPackage({ file, fileName, folder, data: parsed.data, keyLines: parsed.keyLines });
    for (const found of interpreted.problems) problems.push({ ...found, feature: feature.name });
    if (interpreted.workPackage) workPackages.push(interpreted.workPackage);
  }
  problems.push(...workPackageSetProblems(feature.name, workPackages));
  return {
    name: feature.name,
    number: feature.number,
    numberText: feature.numberText,
    slug: feature.slug,
    path: toRepoPath(workspace.root, feature.dir),
    meta,
    workPackages: sortWorkPackages(workPackages),
    problems,
  };
}
