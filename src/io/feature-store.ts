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
import {
  describeFeatureDir,
  type FeatureDirName,
  parseFeatureDirName,
  workPackageIdFromFileName,
} from '../domain/identifiers.js';
import { EMPTY_LANE_OVERLAY, type LaneOverlay } from '../domain/lane-overlay.js';
import type { Problem } from '../domain/problem.js';
import { type FeatureLaneStatus, readFeatureLaneStatus } from '../domain/status-log.js';
import { interpretWorkPackage, type WorkPackage } from '../domain/work-package.js';
import { LANES } from '../lanes/lane.js';
import { MAX_TEXT_FILE_BYTES, toRepoPath } from './files.js';
import { FrontmatterCache, gitBlobId } from './frontmatter-cache.js';
import { checkedOutBranchOnDisk } from './checkout.js';
import { laneOverlayForReads, usesLaneRef } from './lane-ref-store.js';
import { GitPlumbing } from './git.js';
import { kitStateDir, mainCheckoutBranch, type Workspace } from './workspace.js';

const LANE_FOLDERS = new Set<string>([...LANES, 'in_progress']);
const WP_FILE = /^WP[^/]*\.md$/i;

export interface FeatureDir extends FeatureDirName {
  /** Absolute path. */
  dir: string;
}

// What marks a directory without an `NNN-` prefix as a feature (a Spec Kitty 3.x mission, or an odd name
// such as `WEB-001-login`): any of the files a feature is made of.
const FEATURE_MARKERS = ['meta.json', 'spec.md', 'tasks', 'tasks.md', 'status.events.jsonl', 'status.json'];

/**
 * Feature directories in the specs dir: numbered ones by number, then the others by name. A directory
 * counts when it is named `NNN-slug` or holds one of the files a feature is made of; anything else
 * (a `templates/` folder, stray files) is not a feature.
 */
export function listFeatureDirs(workspace: Workspace): FeatureDir[] {
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(workspace.specsPath, { withFileTypes: true });
  } catch {
    return [];
  }
  const features: FeatureDir[] = [];
  for (const entry of entries) {
    const dir = join(workspace.specsPath, entry.name);
    const isDir =
      entry.isDirectory() || (entry.isSymbolicLink() && statSync(dir, { throwIfNoEntry: false })?.isDirectory());
    if (!isDir) continue;
    const numbered = parseFeatureDirName(entry.name);
    if (numbered) {
      features.push({ ...numbered, dir });
      continue;
    }
    const described = describeFeatureDir(entry.name);
    if (described && FEATURE_MARKERS.some((marker) => existsSync(join(dir, marker))))
      features.push({ ...described, dir });
  }
  return features.sort(compareFeatureDirs);
}

function compareFeatureDirs(a: FeatureDirName, b: FeatureDirName): number {
  if (a.number !== null && b.number !== null) return a.number - b.number || a.name.localeCompare(b.name);
  if (a.number !== null) return -1;
  if (b.number !== null) return 1;
  return a.name.localeCompare(b.name);
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
    else if (entry.isDirectory()) {
      // Lane folders hold WPs; a WP file in any other folder is still listed, so it is reported, not ignored.
      let inside: import('node:fs').Dirent[];
      try {
        inside = readdirSync(join(tasksDir, entry.name), { withFileTypes: true });
      } catch {
        continue;
      }
      for (const inner of inside) {
        if (inner.isFile() && WP_FILE.test(inner.name))
          add(join(tasksDir, entry.name, inner.name), inner.name, entry.name);
      }
    }
  }
  return entries;
}

/**
 * A 3.x feature's status files: a signature that changes whenever either file does (their stat data in
 * the working tree, their blob ids on a branch) and a way to read their text (null for a missing file).
 * null when the feature has neither file.
 */
type StatusFiles = {
  signature: { kind: 'file'; id: string; mtimeMs: number; ctimeMs: number } | { kind: 'blob'; id: string };
  read: () => { log: string | null; snapshot: string | null };
} | null;

export const STATUS_LOG_FILE = 'status.events.jsonl';
export const STATUS_SNAPSHOT_FILE = 'status.json';

function readTextIfFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function workingTreeStatusFiles(featureDir: string): StatusFiles {
  const logPath = join(featureDir, STATUS_LOG_FILE);
  const snapshotPath = join(featureDir, STATUS_SNAPSHOT_FILE);
  const log = statSync(logPath, { throwIfNoEntry: false });
  const snapshot = statSync(snapshotPath, { throwIfNoEntry: false });
  if (!log?.isFile() && !snapshot?.isFile()) return null;
  const part = (stat: import('node:fs').Stats | undefined) =>
    stat?.isFile() ? `${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.ino}` : '-';
  return {
    signature: {
      kind: 'file',
      id: `${part(log)}|${part(snapshot)}`,
      mtimeMs: Math.max(log?.mtimeMs ?? 0, snapshot?.mtimeMs ?? 0),
      ctimeMs: Math.max(log?.ctimeMs ?? 0, snapshot?.ctimeMs ?? 0),
    },
    read: () => ({ log: readTextIfFile(logPath), snapshot: readTextIfFile(snapshotPath) }),
  };
}

/** Every WP file of a feature as committed on a branch; null when the branch or the feature is not there. */
async function committedEntries(
  workspace: Workspace,
  commit: string,
  featurePath: string,
  cache: FrontmatterCache,
): Promise<{ entries: WorkPackageFileEntry[]; status: StatusFiles } | null> {
  const statusPaths = [`${featurePath}/${STATUS_LOG_FILE}`, `${featurePath}/${STATUS_SNAPSHOT_FILE}`];
  const listed = await workspace.git.listBlobs(commit, [`${featurePath}/tasks`, ...statusPaths]);
  if (!listed || listed.length === 0) return null;
  const statusBlobs = listed.filter((blob) => statusPaths.includes(blob.path));
  const blobs = listed.filter((blob) => !statusPaths.includes(blob.path));
  const wanted = blobs.flatMap((blob) => {
    const match = WP_PATH.exec(blob.path.slice(featurePath.length));
    if (!match?.[2]) return [];
    const folder = match[1] ?? null;
    return [{ ...blob, fileName: match[2], folder }];
  });
  // One cat-file process for whatever the cache has not seen; most runs fetch nothing.
  const missing = wanted
    .filter((blob) => blob.size <= MAX_TEXT_FILE_BYTES && !cache.hasBlob(blob.path, blob.id))
    .map((blob) => blob.id);
  const contents = await workspace.git.readBlobs([...missing, ...statusBlobs.map((blob) => blob.id)]);
  const statusBlob = (path: string) => statusBlobs.find((candidate) => candidate.path === path);
  const statusText = (path: string) => {
    const blob = statusBlob(path);
    return blob ? (contents.get(blob.id)?.toString('utf8') ?? null) : null;
  };
  const [logPath = '', snapshotPath = ''] = statusPaths;
  const status: StatusFiles =
    statusBlobs.length === 0
      ? null
      : {
          signature: { kind: 'blob', id: `${statusBlob(logPath)?.id ?? '-'}|${statusBlob(snapshotPath)?.id ?? '-'}` },
          read: () => ({ log: statusText(logPath), snapshot: statusText(snapshotPath) }),
        };
  const entries = wanted.map((blob) => ({
    file: blob.path,
    fileName: blob.fileName,
    folder: blob.folder,
    size: blob.size,
    stat: null,
    blobId: blob.id,
    bytes: () => contents.get(blob.id) ?? Buffer.alloc(0),
  }));
  return { entries, status };
}

/**
 * Reads features (all, or the given ones) from the working tree of the main checkout, with their WPs
 * and every problem found on the way. This is what `kit check` and the planning commands see.
 */
export function loadFeatures(workspace: Workspace, only?: readonly FeatureDir[]): Feature[] {
  const cache = FrontmatterCache.open(join(kitStateDir(workspace), 'cache'));
  const lanes = laneOverlays(workspace, () => checkedOutBranchOnDisk(workspace.root) ?? null);
  const features = (only ?? listFeatureDirs(workspace)).map((dir) => {
    const meta = readFeatureMeta(workspace, dir);
    const files = withLaneCopies(
      lanes(meta.meta?.targetBranch),
      toRepoPath(workspace.root, dir.dir),
      workingTreeEntries(workspace, dir.dir),
      workingTreeStatusFiles(dir.dir),
    );
    return buildFeature(workspace, dir, meta, files.entries, files.status, cache);
  });
  cache.save();
  return features;
}

/**
 * With `lane_store: ref`, the lane ref of each target (read once per target): reads take its copies of lane
 * files over the target's. Without it, nothing.
 */
function laneOverlays(
  workspace: Workspace,
  checkedOut: () => string | null,
): (target: string | null | undefined) => LaneOverlay {
  const seen = new Map<string, LaneOverlay>();
  return (target) => {
    if (!usesLaneRef(workspace.config)) return EMPTY_LANE_OVERLAY;
    const branch = target?.trim() || checkedOut();
    if (!branch) return EMPTY_LANE_OVERLAY;
    let overlay = seen.get(branch);
    if (!overlay) {
      overlay = laneOverlayForReads(workspace, branch);
      seen.set(branch, overlay);
    }
    return overlay;
  };
}

/** A feature's files with the lane ref's copies (lane_store: ref) put over the target's. */
function withLaneCopies(
  overlay: LaneOverlay,
  featurePath: string,
  entries: WorkPackageFileEntry[],
  status: StatusFiles,
): { entries: WorkPackageFileEntry[]; status: StatusFiles } {
  if (overlay.entries.size === 0) return { entries, status };
  const prefix = `${featurePath}/`;
  const byPath = new Map(entries.map((entry) => [entry.file, entry]));
  const logPath = `${prefix}${STATUS_LOG_FILE}`;
  const snapshotPath = `${prefix}${STATUS_SNAPSHOT_FILE}`;
  for (const [path, copy] of overlay.entries) {
    if (!path.startsWith(prefix)) continue;
    const match = WP_PATH.exec(path.slice(featurePath.length));
    if (!match?.[2]) continue;
    if (copy.content === null) {
      byPath.delete(path);
      continue;
    }
    const bytes = Buffer.from(copy.content, 'utf8');
    byPath.set(path, {
      file: path,
      fileName: match[2],
      folder: match[1] ?? null,
      size: bytes.length,
      stat: null,
      blobId: gitBlobId(bytes),
      bytes: () => bytes,
    });
  }
  const log = overlay.entries.get(logPath);
  const snapshot = overlay.entries.get(snapshotPath);
  if (!log && !snapshot) return { entries: [...byPath.values()], status };
  const id = (copy: typeof log) =>
    copy ? (copy.content === null ? '-' : gitBlobId(Buffer.from(copy.content, 'utf8'))) : '=';
  return {
    entries: [...byPath.values()],
    status: {
      signature: { kind: 'blob', id: `lane:${id(log)}|${id(snapshot)}|${status?.signature.id ?? '-'}` },
      read: () => {
        const own = status?.read() ?? { log: null, snapshot: null };
        return {
          log: log ? log.content : own.log,
          snapshot: snapshot ? snapshot.content : own.snapshot,
        };
      },
    },
  };
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
  const lanes = laneOverlays(workspace, () => checkedOut);
  const features: Feature[] = [];
  for (const dir of only ?? listFeatureDirs(workspace)) {
    const meta = readFeatureMeta(workspace, dir);
    const target = meta.meta?.targetBranch?.trim() || checkedOut;
    let committed: Awaited<ReturnType<typeof committedEntries>> = null;
    if (target && target !== checkedOut) {
      const commit = await new GitPlumbing(workspace.git).resolveCommit(`refs/heads/${target}`);
      if (commit) committed = await committedEntries(workspace, commit, toRepoPath(workspace.root, dir.dir), cache);
    }
    const files = withLaneCopies(
      lanes(target),
      toRepoPath(workspace.root, dir.dir),
      committed?.entries ?? workingTreeEntries(workspace, dir.dir),
      committed ? committed.status : workingTreeStatusFiles(dir.dir),
    );
    features.push(buildFeature(workspace, dir, meta, files.entries, files.status, cache));
  }
  cache.save();
  return features;
}

function buildFeature(
  workspace: Workspace,
  feature: FeatureDir,
  { meta, problem }: ReturnType<typeof readFeatureMeta>,
  entries: readonly WorkPackageFileEntry[],
  statusFiles: StatusFiles,
  cache: FrontmatterCache,
): Feature {
  const problems: Problem[] = problem ? [problem] : [];
  const workPackages: WorkPackage[] = [];
  const featurePath = toRepoPath(workspace.root, feature.dir);
  // A feature with status.events.jsonl or status.json keeps its lanes there (Spec Kitty 3.x).
  const laneStatus: FeatureLaneStatus | null = statusFiles
    ? cache.laneStatus(featurePath, statusFiles.signature, () => {
        const { log, snapshot } = statusFiles.read();
        return readFeatureLaneStatus(log, snapshot);
      })
    : null;
  for (const found of laneStatus?.problems ?? []) {
    problems.push({
      kind: 'status',
      feature: feature.name,
      wp: null,
      file: `${featurePath}/${found.file}`,
      line: found.line,
      message: found.message,
    });
  }
  // By path, in code-point order: localeCompare would load ICU's collator for 2,000 comparisons.
  for (const entry of [...entries].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
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
    if (folder !== null && !LANE_FOLDERS.has(folder)) {
      // A gate must not pass a tree it did not understand: a WP file kit cannot place is a problem.
      report(
        'lane',
        null,
        `a WP file in tasks/${folder}/, which is not a lane folder (planned, doing, for_review, done): kit cannot place it; move it to tasks/ (or its lane's folder)`,
      );
      continue;
    }
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
    const interpreted = interpretWorkPackage({
      file,
      fileName,
      folder,
      data: parsed.data,
      keyLines: parsed.keyLines,
      statusLane: laneStatus ? { lane: null } : undefined,
      laneOf: laneStatus ? (id) => laneStatus.lanes.get(id)?.lane ?? null : undefined,
    });
    for (const found of interpreted.problems) problems.push({ ...found, feature: feature.name });
    const wp = interpreted.workPackage;
    if (wp && laneStatus) {
      // 3.x records who claimed a WP in the log (planned → claimed), not in the WP file.
      const agent = laneStatus.lanes.get(wp.id)?.agent;
      if (agent) wp.agent = agent;
    }
    if (wp) workPackages.push(wp);
  }
  problems.push(...workPackageSetProblems(feature.name, workPackages));
  if (laneStatus) {
    // Lane events for a WP that has no file: a WP deleted without its history, or a wrong wp_id.
    const ids = new Set(workPackages.map((wp) => wp.id));
    for (const [id, { lane, line }] of laneStatus.lanes) {
      if (ids.has(id) || lane === 'uninitialized') continue;
      problems.push({
        kind: 'status',
        feature: feature.name,
        wp: id,
        file: `${featurePath}/${laneStatus.source === 'events' ? STATUS_LOG_FILE : STATUS_SNAPSHOT_FILE}`,
        line,
        message: `${id} is in ${lane} here, but tasks/ has no WP file for it`,
      });
    }
  }
  // A duplicated id is reported above; kit acts on the first file (by path) so counts stay honest.
  const unique = new Map<string, WorkPackage>();
  for (const wp of workPackages) if (!unique.has(wp.id)) unique.set(wp.id, wp);
  return {
    name: feature.name,
    number: feature.number,
    numberText: feature.numberText,
    slug: feature.slug,
    path: featurePath,
    format: laneStatus
      ? '3.x'
      : entries.some((entry) => entry.folder !== null && LANE_FOLDERS.has(entry.folder))
        ? 'lane-folders'
        : '1.x',
    laneStatus,
    meta,
    workPackages: sortWorkPackages([...unique.values()]),
    problems,
  };
}
