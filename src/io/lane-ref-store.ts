/**
 * The lane ref store (`lane_store: ref`): lane changes as commits on `refs/kit/lanes/<target>`, a ref only
 * kit writes, so a protected target branch sees nothing until `kit merge` writes the final lanes into it.
 * Each commit's tree is `lanes.json` (every copied file's path and the target blob it started from) and the
 * copies under `files/`, so a push or fetch of the ref carries everything (git only transfers what a tree
 * reaches).
 *
 * Reads must stay free of git processes: kit resolves the ref from the files git keeps (a loose ref, or
 * packed-refs) and keeps each commit it wrote or fetched decoded in `.git/kit/lane-overlay/<commit>.json`.
 * Only a commit kit never decoded (a ref moved by hand) costs a `git ls-tree` and a `cat-file`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  EMPTY_LANE_OVERLAY,
  LANE_OVERLAY_FILES,
  LANE_OVERLAY_INDEX,
  type LaneOverlay,
  type LaneOverlayEntry,
  type LaneOverlayIndexEntry,
  parseLaneOverlayIndex,
  renderLaneOverlayIndex,
} from '../domain/lane-overlay.js';
import { ExitCode, KitError } from '../errors.js';
import type { KitConfig } from './config.js';
import { writeFileAtomic } from './files.js';
import { type Git, GitPlumbing, parseCatFileBatch } from './git.js';
import { kitStateDir, type Workspace } from './workspace.js';

/** Whether lane changes are commits on kit's lane ref (`lane_store: ref`; not with commitLaneChanges: false). */
export function usesLaneRef(config: Pick<KitConfig, 'laneStore' | 'commitLaneChanges'>): boolean {
  return config.laneStore === 'ref' && config.commitLaneChanges;
}

/** The lane ref of a target branch, here and on the remote. */
export function laneRefName(target: string): string {
  return `refs/kit/lanes/${target}`;
}

/** Where kit keeps the lane refs it fetched from `remote` (what the remote had at the last fetch). */
export function remoteLaneRefName(remote: string, target: string): string {
  return `refs/kit/remote-lanes/${remote}/${target}`;
}

export function remoteLaneRefPrefix(remote: string): string {
  return `refs/kit/remote-lanes/${remote}/`;
}

const CACHE_DIR = 'lane-overlay';
const CACHE_VERSION = 1;
const KEEP_CACHED = 32;

/** A ref's commit from git's own files, without a git process; null when it does not exist. */
export function resolveRefOnDisk(commonDir: string, ref: string): string | null {
  try {
    const loose = readFileSync(join(commonDir, ref), 'utf8').trim();
    if (/^[0-9a-f]{40,64}$/.test(loose)) return loose;
  } catch {
    // not a loose ref: look in packed-refs
  }
  let packed: string;
  try {
    packed = readFileSync(join(commonDir, 'packed-refs'), 'utf8');
  } catch {
    return null;
  }
  for (const line of packed.split('\n')) {
    if (line.endsWith(` ${ref}`)) {
      const id = line.slice(0, line.indexOf(' '));
      if (/^[0-9a-f]{40,64}$/.test(id)) return id;
    }
  }
  return null;
}

/**
 * A ref's commit, from git's files where it can (no process), else from git: repositories with the
 * reftable backend keep refs where only git reads them.
 */
export async function readRef(workspace: Pick<Workspace, 'commonDir' | 'git'>, ref: string): Promise<string | null> {
  if (!existsSync(join(workspace.commonDir, 'reftable'))) return resolveRefOnDisk(workspace.commonDir, ref);
  return new GitPlumbing(workspace.git).resolveCommit(ref);
}

/**
 * The lane ref's files for `target` as reads see them: none unless the repository uses `lane_store: ref`.
 * Synchronous, so the planning reads (`kit check`) can use it as they are.
 */
export function laneOverlayForReads(workspace: Workspace, target: string | null): LaneOverlay {
  if (!usesLaneRef(workspace.config) || !target) {
    return EMPTY_LANE_OVERLAY;
  }
  const commit = existsSync(join(workspace.commonDir, 'reftable'))
    ? resolveWithGitSync(workspace.root, laneRefName(target))
    : resolveRefOnDisk(workspace.commonDir, laneRefName(target));
  if (!commit) return EMPTY_LANE_OVERLAY;
  const stateDir = kitStateDir(workspace);
  return readCachedOverlay(stateDir, commit) ?? decodeWithGitSync(workspace.root, stateDir, commit);
}

function cachePath(stateDir: string, commit: string): string {
  return join(stateDir, CACHE_DIR, `${commit}.json`);
}

function readCachedOverlay(stateDir: string, commit: string): LaneOverlay | null {
  let text: string;
  try {
    text = readFileSync(cachePath(stateDir, commit), 'utf8');
  } catch {
    return null;
  }
  try {
    const data = JSON.parse(text) as { version?: unknown; entries?: unknown };
    if (data.version !== CACHE_VERSION || !Array.isArray(data.entries)) return null;
    const entries = new Map<string, LaneOverlayEntry>();
    for (const item of data.entries as unknown[]) {
      const [path, content, base] = item as [unknown, unknown, unknown];
      if (typeof path !== 'string' || (content !== null && typeof content !== 'string')) return null;
      if (base !== null && typeof base !== 'string') return null;
      entries.set(path, { content, base });
    }
    return { commit, entries };
  } catch {
    // A torn or foreign cache file is only a cache: decode the commit again.
    return null;
  }
}

function writeCachedOverlay(stateDir: string, overlay: LaneOverlay): void {
  if (!overlay.commit) return;
  const dir = join(stateDir, CACHE_DIR);
  try {
    mkdirSync(dir, { recursive: true });
    const entries = [...overlay.entries].map(([path, entry]) => [path, entry.content, entry.base]);
    writeFileAtomic(cachePath(stateDir, overlay.commit), JSON.stringify({ version: CACHE_VERSION, entries }));
    pruneCache(dir);
  } catch {
    // The cache only saves a git process on the next read.
  }
}

/** Keeps the newest decoded commits; older ones are decoded again if ever needed. */
function pruneCache(dir: string): void {
  const files = readdirSync(dir).filter((name) => name.endsWith('.json'));
  if (files.length <= KEEP_CACHED * 2) return;
  const byAge = files
    .map((name) => ({ name, mtime: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of byAge.slice(KEEP_CACHED)) rmSync(join(dir, old.name), { force: true });
}

/** The most files and the largest file kit takes from a lane commit (another clone wrote it). */
const MAX_LANE_FILES = 20_000;
const MAX_LANE_FILE_BYTES = 16 * 1024 * 1024;

/** A lane commit kit cannot take: named, with where it came from and what to do. */
function unreadableLaneCommit(commit: string, reason: string): KitError {
  return new KitError(`lane commit ${commit.slice(0, 12)} cannot be read: ${reason}`, {
    hint: `another clone (git log -1 ${commit.slice(0, 12)} names its author) wrote it with a kit that writes another format, or it was made by hand; kit does not take it and keeps its own lane ref: update kit on that machine and have it run kit sync`,
    exitCode: ExitCode.invalidInput,
  });
}

/** The blobs a lane commit's index names: which to read, checked against the caps before any is read. */
function plannedRead(
  commit: string,
  listing: readonly { path: string; id: string; size: number }[],
  indexText: string | null,
): { index: LaneOverlayIndexEntry[]; blobs: Map<string, string> } {
  if (indexText === null) return { index: [], blobs: new Map() };
  let index: LaneOverlayIndexEntry[];
  try {
    index = parseLaneOverlayIndex(indexText);
  } catch (error) {
    throw unreadableLaneCommit(commit, `its ${LANE_OVERLAY_INDEX}: ${(error as Error).message}`);
  }
  if (index.length > MAX_LANE_FILES) {
    throw unreadableLaneCommit(commit, `it names ${index.length} files (kit takes at most ${MAX_LANE_FILES})`);
  }
  const byPath = new Map(listing.map((entry) => [entry.path, entry]));
  const blobs = new Map<string, string>();
  for (const item of index) {
    if (item.removed) continue;
    const found = byPath.get(`${LANE_OVERLAY_FILES}${item.path}`);
    if (!found) throw unreadableLaneCommit(commit, `it names ${item.path} but holds no copy of it`);
    if (found.size > MAX_LANE_FILE_BYTES) {
      throw unreadableLaneCommit(
        commit,
        `its copy of ${item.path} is ${found.size} bytes (at most ${MAX_LANE_FILE_BYTES})`,
      );
    }
    blobs.set(item.path, found.id);
  }
  return { index, blobs };
}

function decoded(
  commit: string,
  plan: { index: LaneOverlayIndexEntry[]; blobs: Map<string, string> },
  contents: ReadonlyMap<string, Buffer>,
): LaneOverlay {
  const entries = new Map<string, LaneOverlayEntry>();
  for (const item of plan.index) {
    if (item.removed) {
      entries.set(item.path, { content: null, base: item.base });
      continue;
    }
    const bytes = contents.get(plan.blobs.get(item.path) ?? '');
    if (!bytes) throw unreadableLaneCommit(commit, `its copy of ${item.path} is missing from the repository`);
    entries.set(item.path, { content: bytes.toString('utf8'), base: item.base });
  }
  return { commit, entries };
}

/** `git ls-tree -r -l -z`: each blob's path, id and size. */
function parseLsTree(text: string): { path: string; id: string; size: number }[] {
  const listing: { path: string; id: string; size: number }[] = [];
  for (const entry of text.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab === -1) continue;
    const [, type, id, size] = entry.slice(0, tab).split(/\s+/);
    if (type === 'blob' && id) listing.push({ path: entry.slice(tab + 1), id, size: Number(size) || 0 });
  }
  return listing;
}

function resolveWithGitSync(root: string, ref: string): string | null {
  try {
    const env = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
    const out = execFileSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.toString('utf8').trim() || null;
  } catch {
    return null;
  }
}

function decodeWithGitSync(root: string, stateDir: string, commit: string): LaneOverlay {
  const env = { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' };
  const git = (args: string[], input?: string) =>
    execFileSync('git', args, { cwd: root, env, input, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  const listing = parseLsTree(git(['ls-tree', '-r', '-l', '-z', '--full-tree', commit]).toString('utf8'));
  const indexBlob = listing.find((entry) => entry.path === LANE_OVERLAY_INDEX);
  const indexText = indexBlob ? git(['cat-file', 'blob', indexBlob.id]).toString('utf8') : null;
  const plan = plannedRead(commit, listing, indexText);
  const ids = [...new Set(plan.blobs.values())];
  const contents =
    ids.length > 0 ? parseCatFileBatch(git(['cat-file', '--batch'], `${ids.join('\n')}\n`), ids) : new Map();
  const overlay = decoded(commit, plan, contents);
  writeCachedOverlay(stateDir, overlay);
  return overlay;
}

/** A lane commit's files (from the cache when kit decoded it before). */
export async function readLaneCommit(git: Git, stateDir: string, commit: string | null): Promise<LaneOverlay> {
  if (!commit) return EMPTY_LANE_OVERLAY;
  const cached = readCachedOverlay(stateDir, commit);
  if (cached) return cached;
  const result = await git.spawnGit(['ls-tree', '-r', '-l', '-z', '--full-tree', commit]);
  if (result.exitCode !== 0) throw unreadableLaneCommit(commit, result.stderr.trim() || 'git ls-tree failed');
  const listing = parseLsTree(result.stdout.toString('utf8'));
  const indexBlob = listing.find((entry) => entry.path === LANE_OVERLAY_INDEX);
  const indexText = indexBlob
    ? ((await git.readBlobs([indexBlob.id])).get(indexBlob.id)?.toString('utf8') ?? null)
    : null;
  const plan = plannedRead(commit, listing, indexText);
  const contents = await git.readBlobs([...new Set(plan.blobs.values())]);
  const overlay = decoded(commit, plan, contents);
  writeCachedOverlay(stateDir, overlay);
  return overlay;
}

/**
 * Writes a lane commit holding `entries` on top of `parents` (none for the first), and decodes it into the
 * cache at once, so the next read needs no git. The ref itself is moved by the caller (compare-and-swap).
 */
export async function writeLaneCommit(
  git: Git,
  stateDir: string,
  input: {
    target: string;
    parents: readonly string[];
    entries: ReadonlyMap<string, LaneOverlayEntry>;
    message: string;
  },
): Promise<string> {
  const plumbing = new GitPlumbing(git);
  const files = [...input.entries].filter(([, entry]) => entry.content !== null);
  const blobs = await Promise.all([
    plumbing.writeBlob(renderLaneOverlayIndex(input.entries, input.target)),
    ...files.map(([, entry]) => plumbing.writeBlob(entry.content as string)),
  ]);
  mkdirSync(stateDir, { recursive: true });
  const index = join(stateDir, `lane-index-${process.pid}-${randomBytes(4).toString('hex')}`);
  const env = { GIT_INDEX_FILE: index };
  let tree: string;
  try {
    await plumbing.output(['read-tree', '--empty'], undefined, { env });
    const update = ['update-index', '--add', '--cacheinfo', `100644,${blobs[0]},${LANE_OVERLAY_INDEX}`];
    files.forEach(([path], position) => {
      update.push('--cacheinfo', `100644,${blobs[position + 1]},${LANE_OVERLAY_FILES}${path}`);
    });
    await plumbing.output(update, undefined, { env });
    tree = await plumbing.output(['write-tree'], undefined, { env });
  } finally {
    rmSync(index, { force: true });
  }
  const commit = await plumbing.commitTree(tree, input.parents, input.message);
  writeCachedOverlay(stateDir, { commit, entries: new Map(input.entries) });
  return commit;
}

/** Whether two copies are the same (both absent counts as the same). */
export function sameLaneEntry(a: LaneOverlayEntry | undefined, b: LaneOverlayEntry | undefined): boolean {
  if (!a || !b) return a === b;
  return a.content === b.content && a.base === b.base;
}

/** For tests and `kit sync`: the decoded overlay of whatever the local lane ref of `target` is at. */
export async function localLaneOverlay(workspace: Workspace, target: string): Promise<LaneOverlay> {
  const commit = await new GitPlumbing(workspace.git).resolveCommit(laneRefName(target));
  return readLaneCommit(workspace.git, kitStateDir(workspace), commit);
}

/** The lane ref's copy of a file, if it has one (undefined: it does not; null: it removed the file). */
export function overlaidText(overlay: LaneOverlay, path: string): string | null | undefined {
  const entry = overlay.entries.get(path);
  return entry ? entry.content : undefined;
}
