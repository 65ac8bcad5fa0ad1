/**
 * Lane writes with `lane_store: ref`: the same transforms as on the target branch, but the files they see
 * are the lane ref's copies (or the target's where the lane ref has none) and the result is a commit on
 * `refs/kit/lanes/<target>`, never on the target. The target branch, the main checkout and its index are
 * not touched at all.
 *
 * Publication mirrors the target store: a push with a lease on what this clone last saw of the remote's lane
 * ref; when another clone got there first, its commit is fetched, this clone's pending copies are carried
 * onto it, and the one change is made again on the remote's files (so a WP another clone moved meanwhile is
 * refused, exactly as on one machine). Commits are combined, never overwritten: the new commit has both
 * lines as parents, so nothing either clone recorded becomes unreachable.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type LaneOverlayEntry, unionEventLog } from '../domain/lane-overlay.js';
import { KitError, LaneMovedError } from '../errors.js';
import { GitPlumbing } from './git.js';
import {
  laneRefName,
  readLaneCommit,
  readRef,
  remoteLaneRefName,
  sameLaneEntry,
  writeLaneCommit,
} from './lane-ref-store.js';
import { fetchRef, pushRefWithLease } from './remote.js';
import type { LaneFileChange, LaneFilesResult, LaneFilesWrite, LanePublication } from './work-package-store.js';
import type { Workspace } from './workspace.js';

const PUBLISH_ATTEMPTS = 12;
const STATUS_LOG_SUFFIX = '/status.events.jsonl';

export async function commitOnLaneRef(
  workspace: Workspace,
  write: LaneFilesWrite,
  stateDir: string,
): Promise<LaneFilesResult> {
  const git = new GitPlumbing(workspace.git);
  const target = write.targetBranch;
  const ref = laneRefName(target);
  for (let attempt = 0; attempt < 5; attempt++) {
    const [laneTip, targetTip] = await Promise.all([git.resolveCommit(ref), git.resolveCommit(`refs/heads/${target}`)]);
    if (!targetTip) {
      throw new KitError(`the target branch ${target} does not exist`, {
        hint: "create it, or set target_branch in the feature's meta.json to the branch features merge into",
      });
    }
    const start = (await readLaneCommit(workspace.git, stateDir, laneTip)).entries;
    const applied = await applyWrite(workspace, write, targetTip, start);
    const commit = await writeLaneCommit(workspace.git, stateDir, {
      target,
      parents: laneTip ? [laneTip] : [],
      entries: applied.entries,
      message: write.message(),
    });
    if (!(await git.compareAndSwapRef(ref, commit, laneTip))) continue;
    const publication =
      workspace.config.remote && write.publish !== false
        ? await publishLaneRef(workspace, write, stateDir, { commit, parent: laneTip, targetTip })
        : null;
    return { commit, changes: applied.changes, publication };
  }
  throw new KitError(`${ref} kept moving while kit tried to record the change`, { hint: 'run the command again' });
}

/**
 * The write's transform on the files as the lane ref has them over the target: its changes become lane
 * ref copies, each remembering the target blob it started from.
 */
async function applyWrite(
  workspace: Workspace,
  write: LaneFilesWrite,
  targetTip: string,
  start: ReadonlyMap<string, LaneOverlayEntry>,
): Promise<{ entries: Map<string, LaneOverlayEntry>; changes: LaneFileChange[] }> {
  const listed = (await workspace.git.listBlobs(targetTip, [...write.files])) ?? [];
  const targetBlob = new Map(listed.filter((blob) => write.files.includes(blob.path)).map((b) => [b.path, b.id]));
  const needed = write.files.filter((file) => !start.has(file) && targetBlob.has(file));
  const contents = await workspace.git.readBlobs(needed.map((file) => targetBlob.get(file) as string));
  const current = new Map<string, string | null>();
  for (const file of write.files) {
    const entry = start.get(file);
    if (entry) current.set(file, entry.content);
    else {
      const blob = targetBlob.get(file);
      current.set(file, blob ? (contents.get(blob)?.toString('utf8') ?? null) : null);
    }
  }
  const changes = await write.transform(current);
  const entries = new Map(start);
  const baseOf = (path: string) => start.get(path)?.base ?? targetBlob.get(path) ?? null;
  for (const change of changes) {
    entries.set(change.path, { content: change.content, base: baseOf(change.path) });
    if (change.movedFrom) entries.set(change.movedFrom, { content: null, base: baseOf(change.movedFrom) });
  }
  return {
    entries,
    changes: changes.map(({ path, content, movedFrom }) => ({ path, content, movedFrom })),
  };
}

/**
 * This clone's lane line carried onto the remote's: every copy this clone changed since the two lines
 * parted and the remote did not is taken as it is; event logs both changed are combined (they only grow);
 * any other file both changed keeps the remote's copy and is reported as superseded. With a write, its
 * change is then made again on the result. The commit has both tips as parents.
 */
export async function combineLaneLines(
  workspace: Workspace,
  stateDir: string,
  input: {
    target: string;
    /** This clone's line without the write being published (null: nothing of its own). */
    pending: string | null;
    remoteTip: string;
    /** The local commit kept reachable as a second parent. */
    localTip: string | null;
    write: LaneFilesWrite | null;
    message: string;
  },
): Promise<{ commit: string; superseded: string[] }> {
  const git = new GitPlumbing(workspace.git);
  const base = input.pending ? await mergeBase(workspace, input.pending, input.remoteTip) : null;
  const [B, L, R] = await Promise.all([
    readLaneCommit(workspace.git, stateDir, base),
    readLaneCommit(workspace.git, stateDir, input.pending),
    readLaneCommit(workspace.git, stateDir, input.remoteTip),
  ]);
  const entries = new Map(R.entries);
  const superseded: string[] = [];
  for (const path of new Set([...B.entries.keys(), ...L.entries.keys()])) {
    const before = B.entries.get(path);
    const mine = L.entries.get(path);
    if (sameLaneEntry(mine, before)) continue;
    const theirs = R.entries.get(path);
    if (sameLaneEntry(theirs, before)) {
      if (mine) entries.set(path, mine);
      else entries.delete(path);
      continue;
    }
    if (sameLaneEntry(theirs, mine)) continue;
    if (path.endsWith(STATUS_LOG_SUFFIX) && typeof mine?.content === 'string' && typeof theirs?.content === 'string') {
      entries.set(path, { content: unionEventLog(theirs.content, mine.content), base: theirs.base });
      continue;
    }
    superseded.push(path);
  }
  let result = entries;
  if (input.write) {
    const targetTip = await git.resolveCommit(`refs/heads/${input.target}`);
    if (!targetTip) throw new KitError(`the target branch ${input.target} does not exist`);
    result = (await applyWrite(workspace, input.write, targetTip, entries)).entries;
  }
  const parents = [input.remoteTip, ...(input.localTip && input.localTip !== input.remoteTip ? [input.localTip] : [])];
  const commit = await writeLaneCommit(workspace.git, stateDir, {
    target: input.target,
    parents,
    entries: result,
    message: input.message,
  });
  return { commit, superseded };
}

async function mergeBase(workspace: Workspace, a: string, b: string): Promise<string | null> {
  const result = await workspace.git.spawnGit(['merge-base', a, b]);
  return result.exitCode === 0 ? result.stdout.toString('utf8').trim() || null : null;
}

async function publishLaneRef(
  workspace: Workspace,
  write: LaneFilesWrite,
  stateDir: string,
  local: { commit: string; parent: string | null; targetTip: string },
): Promise<LanePublication> {
  const remote = workspace.config.remote as string;
  const git = new GitPlumbing(workspace.git);
  const target = write.targetBranch;
  const ref = laneRefName(target);
  const tracking = remoteLaneRefName(remote, target);
  const unpublished = (reason: string): LanePublication => ({ remote, published: false, reason, commit: null });
  let seen = await readRef(workspace, tracking);
  if (seen === null) {
    // Never fetched here (or the remote has none yet): ask before pushing anything.
    const fetched = await fetchRef(workspace.git, remote, ref, tracking);
    if (fetched.kind === 'offline') return unpublished(fetched.reason);
    seen = fetched.tip;
  }
  for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
    let candidate = local.commit;
    const onTop = seen === null || seen === local.parent || (await git.isAncestor(seen, local.commit));
    if (!onTop && seen !== null) {
      try {
        candidate = (
          await combineLaneLines(workspace, stateDir, {
            target,
            pending: local.parent,
            remoteTip: seen,
            localTip: local.commit,
            write,
            message: write.message(),
          })
        ).commit;
      } catch (error) {
        if (error instanceof LaneMovedError) {
          await takeBack(workspace, ref, local);
          throw new LaneMovedError(`${error.message} (on ${remote}: another clone changed it)`, {
            hint: 'kit sync, then check kit status; this change was not recorded',
            exitCode: error.exitCode,
          });
        }
        return unpublished(error instanceof Error ? error.message : String(error));
      }
    }
    const outcome = await pushRefWithLease(workspace.git, remote, ref, candidate, seen);
    if (outcome.kind === 'pushed') {
      await git.output(['update-ref', '-m', 'kit: published', tracking, candidate]);
      if (candidate !== local.commit) await git.compareAndSwapRef(ref, candidate, local.commit);
      return { remote, published: true, reason: null, commit: candidate };
    }
    if (outcome.kind === 'offline' || outcome.kind === 'refused') return unpublished(outcome.reason);
    await sleep(Math.random() * 40 * (attempt + 1));
    const fetched = await fetchRef(workspace.git, remote, ref, tracking);
    if (fetched.kind === 'offline') return unpublished(fetched.reason);
    seen = fetched.tip;
  }
  return unpublished(`${ref} on ${remote} kept moving`);
}

/** A lane commit the remote showed to be stale (the same WP moved there) is taken back here. */
async function takeBack(workspace: Workspace, ref: string, local: { commit: string; parent: string | null }) {
  const git = new GitPlumbing(workspace.git);
  if (local.parent) await git.compareAndSwapRef(ref, local.parent, local.commit);
  else await workspace.git.spawnGit(['update-ref', '-d', ref, local.commit]);
}

/** What became of one lane ref copy when it met the target's file. */
export interface SettledCopy {
  path: string;
  outcome: 'kept' | 'dropped' | 'combined' | 'conflict';
}

/**
 * The lane ref's copies measured against a target commit: a copy the target now holds as it is (kit merge
 * wrote it there) is dropped; a copy whose target file changed since it was made (an edit of the user's on
 * the target, a Spec Kitty command) is combined with it: event logs by their union, other files by git's
 * three-way merge from the blob the copy started from. A file both sides changed on the same lines keeps
 * the lane ref's copy and is reported, so nothing of either side is lost. Null entries: nothing changed.
 */
export async function settleLaneCopies(
  workspace: Workspace,
  stateDir: string,
  copies: ReadonlyMap<string, LaneOverlayEntry>,
  targetCommit: string,
  only?: (path: string) => boolean,
): Promise<{ entries: Map<string, LaneOverlayEntry> | null; settled: SettledCopy[] }> {
  const paths = [...copies.keys()].filter((path) => !only || only(path));
  if (paths.length === 0) return { entries: null, settled: [] };
  const listed = (await workspace.git.listBlobs(targetCommit, paths)) ?? [];
  const targetBlob = new Map(listed.filter((blob) => paths.includes(blob.path)).map((blob) => [blob.path, blob.id]));
  const changed = paths.filter((path) => (targetBlob.get(path) ?? null) !== (copies.get(path)?.base ?? null));
  if (changed.length === 0) return { entries: null, settled: paths.map((path) => ({ path, outcome: 'kept' })) };
  const wanted = new Set<string>();
  for (const path of changed) {
    const blob = targetBlob.get(path);
    if (blob) wanted.add(blob);
    const base = copies.get(path)?.base;
    if (base) wanted.add(base);
  }
  const contents = await workspace.git.readBlobs([...wanted]);
  const text = (blob: string | null | undefined) => (blob ? (contents.get(blob)?.toString('utf8') ?? null) : null);
  const entries = new Map(copies);
  const settled: SettledCopy[] = [];
  for (const path of paths) {
    const copy = copies.get(path) as LaneOverlayEntry;
    const blob = targetBlob.get(path) ?? null;
    if (!changed.includes(path)) {
      settled.push({ path, outcome: 'kept' });
      continue;
    }
    const theirs = text(blob);
    if (theirs === copy.content) {
      entries.delete(path);
      settled.push({ path, outcome: 'dropped' });
      continue;
    }
    if (path.endsWith(STATUS_LOG_SUFFIX) && copy.content !== null) {
      const union = unionEventLog(theirs, copy.content);
      if (union === theirs) {
        entries.delete(path);
        settled.push({ path, outcome: 'dropped' });
      } else {
        entries.set(path, { content: union, base: blob });
        settled.push({ path, outcome: 'combined' });
      }
      continue;
    }
    const merged =
      copy.content !== null && theirs !== null
        ? await mergeFile(workspace, stateDir, { ours: copy.content, base: text(copy.base) ?? '', theirs })
        : null;
    if (merged === null) {
      settled.push({ path, outcome: 'conflict' });
      continue;
    }
    entries.set(path, { content: merged, base: blob });
    settled.push({ path, outcome: 'combined' });
  }
  return { entries, settled };
}

/** git's own three-way file merge (`git merge-file -p`); null when the two sides conflict. */
async function mergeFile(
  workspace: Workspace,
  stateDir: string,
  sides: { ours: string; base: string; theirs: string },
): Promise<string | null> {
  const dir = join(stateDir, `merge-file-${process.pid}-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  try {
    const files = ['ours', 'base', 'theirs'] as const;
    for (const side of files) writeFileSync(join(dir, side), sides[side]);
    const result = await workspace.git.spawnGit(['merge-file', '-p', ...files.map((side) => join(dir, side))]);
    return result.exitCode === 0 ? result.stdout.toString('utf8') : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What `kit sync` did with one target's lane ref. */
export interface LaneRefSync {
  target: string;
  /**
   * `even` (nothing to do), `fetched` (took the remote's), `published` (pushed this clone's pending
   * changes), `combined` (both had changes: carried onto the remote's and pushed), `offline`/`refused`.
   */
  action: 'even' | 'fetched' | 'published' | 'combined' | 'offline' | 'refused';
  detail: string | null;
  /** Lane files whose copy here was replaced by another clone's change to the same file. */
  superseded: string[];
  /** Copies dropped because the remote's target now holds them (kit merge landed there). */
  dropped: string[];
  /** Copies the target changed too, and that kit could not combine line by line (kept as they are). */
  conflicts: string[];
}

/**
 * Brings one target's lane ref in step with the remote's (already fetched into the tracking ref): takes
 * it, publishes this clone's pending changes, or combines both; then drops the copies the remote's target
 * holds and combines those it changed. Runs under the lane lock, so no lane write of this clone interleaves.
 */
export async function syncLaneRef(
  workspace: Workspace,
  stateDir: string,
  remote: string,
  target: string,
  options: { settle: boolean },
): Promise<LaneRefSync> {
  const git = new GitPlumbing(workspace.git);
  const ref = laneRefName(target);
  const tracking = remoteLaneRefName(remote, target);
  const report: LaneRefSync = { target, action: 'even', detail: null, superseded: [], dropped: [], conflicts: [] };
  for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
    const [local, theirs] = await Promise.all([git.resolveCommit(ref), git.resolveCommit(tracking)]);
    let next = local;
    let action: LaneRefSync['action'] = 'even';
    if (theirs && (!local || (local !== theirs && (await git.isAncestor(local, theirs))))) {
      next = theirs;
      action = 'fetched';
    } else if (local && theirs && local !== theirs && !(await git.isAncestor(theirs, local))) {
      const combined = await combineLaneLines(workspace, stateDir, {
        target,
        pending: local,
        remoteTip: theirs,
        localTip: local,
        write: null,
        message: `kit: lanes of ${target} combined with ${remote}`,
      });
      next = combined.commit;
      report.superseded = combined.superseded;
      action = 'combined';
    } else if (local && local !== theirs) action = 'published';
    if (options.settle && next) {
      const targetTip = await git.resolveCommit(`refs/remotes/${remote}/${target}`);
      const copies = (await readLaneCommit(workspace.git, stateDir, next)).entries;
      const settled = targetTip ? await settleLaneCopies(workspace, stateDir, copies, targetTip) : null;
      if (settled?.entries) {
        next = await writeLaneCommit(workspace.git, stateDir, {
          target,
          parents: [next],
          entries: settled.entries,
          message: `kit: lanes of ${target} settled against ${remote}/${target}`,
        });
        if (action === 'even' || action === 'fetched') action = 'published';
      }
      report.dropped = settled?.settled.filter((entry) => entry.outcome === 'dropped').map((entry) => entry.path) ?? [];
      report.conflicts =
        settled?.settled.filter((entry) => entry.outcome === 'conflict').map((entry) => entry.path) ?? [];
    }
    if (next && next !== theirs) {
      const pushed = await pushRefWithLease(workspace.git, remote, ref, next, theirs);
      if (pushed.kind === 'rejected') {
        const fetched = await fetchRef(workspace.git, remote, ref, tracking);
        if (fetched.kind === 'offline') return { ...report, action: 'offline', detail: fetched.reason };
        continue;
      }
      if (pushed.kind !== 'pushed') {
        // Kept here (its local ref moves only to what this clone made of its own and the remote's).
        if (next !== local) await git.compareAndSwapRef(ref, next, local);
        return { ...report, action: pushed.kind, detail: pushed.reason };
      }
      await git.output(['update-ref', '-m', 'kit sync', tracking, next]);
    }
    if (next && next !== local && !(await git.compareAndSwapRef(ref, next, local))) continue;
    return { ...report, action };
  }
  return { ...report, action: 'offline', detail: `${ref} on ${remote} kept moving` };
}
