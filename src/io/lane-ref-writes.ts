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
import { type LaneOverlayEntry, unionEventLog } from '../domain/lane-overlay.js';
import { KitError, LaneMovedError } from '../errors.js';
import { GitPlumbing } from './git.js';
import { combineWorkPackageFile } from './lane-file-merge.js';
import { missionIdentity, parseStatusLog, reduceStatusLog, renderStatusJson } from '../domain/status-log.js';
import {
  laneRefName,
  readLaneCommit,
  readRef,
  remoteLaneRefName,
  sameLaneEntry,
  writeLaneCommit,
} from './lane-ref-store.js';
import { fetchRef, pauseBeforeRetry, PUBLISH_ATTEMPTS, pushRefWithLease } from './remote.js';
import type { LaneFileChange, LaneFilesResult, LaneFilesWrite, LanePublication } from './work-package-store.js';
import type { Workspace } from './workspace.js';

const STATUS_LOG_SUFFIX = '/status.events.jsonl';
const STATUS_SNAPSHOT_SUFFIX = '/status.json';

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
  const combinedLogs = new Set<string>();
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
      combinedLogs.add(path);
      continue;
    }
    // Derived from its log: rendered again from the combined log below.
    if (path.endsWith(STATUS_SNAPSHOT_SUFFIX)) continue;
    superseded.push(path);
  }
  let result = entries;
  if (combinedLogs.size > 0) {
    const targetTip = await git.resolveCommit(`refs/heads/${input.target}`);
    if (targetTip) await renderSnapshots(workspace, entries, combinedLogs, targetTip);
  }
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
  let superseded: string[] = [];
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
        const combined = await combineLaneLines(workspace, stateDir, {
          target,
          pending: local.parent,
          remoteTip: seen,
          localTip: local.commit,
          write,
          message: write.message(),
        });
        candidate = combined.commit;
        superseded = combined.superseded;
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
      return {
        remote,
        published: true,
        reason: null,
        commit: candidate,
        ...(superseded.length > 0 ? { superseded } : {}),
      };
    }
    if (outcome.kind === 'offline' || outcome.kind === 'refused') return unpublished(outcome.reason);
    await pauseBeforeRetry(attempt);
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
  outcome: 'kept' | 'dropped' | 'combined' | 'conflict' | 'deleted';
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
  const combinedLogs = new Set<string>();
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
    if (theirs === null) {
      // The target deleted the file (the WP was dropped from the plan): its lanes go with it.
      entries.delete(path);
      settled.push({ path, outcome: 'deleted' });
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
      combinedLogs.add(path);
      continue;
    }
    if (path.endsWith(STATUS_SNAPSHOT_SUFFIX)) {
      // Derived from the log: written again below from the combined log, or the target's is kept.
      entries.delete(path);
      settled.push({ path, outcome: 'dropped' });
      continue;
    }
    const merged =
      copy.content === null
        ? null
        : await combineWorkPackageFile(workspace.git, stateDir, {
            base: text(copy.base) ?? '',
            copy: copy.content,
            theirs,
          });
    if (merged === null) {
      settled.push({ path, outcome: 'conflict' });
      continue;
    }
    if (merged === theirs) {
      entries.delete(path);
      settled.push({ path, outcome: 'dropped' });
      continue;
    }
    entries.set(path, { content: merged, base: blob });
    settled.push({ path, outcome: 'combined' });
  }
  await renderSnapshots(workspace, entries, combinedLogs, targetCommit);
  return { entries, settled };
}

/**
 * A 3.x feature's status.json is its event log reduced: after logs were combined, each is rendered again
 * from its log (as every lane write renders it), so a copy never pairs one clone's log with another's
 * snapshot.
 */
async function renderSnapshots(
  workspace: Workspace,
  entries: Map<string, LaneOverlayEntry>,
  logs: ReadonlySet<string>,
  targetCommit: string,
): Promise<void> {
  const git = new GitPlumbing(workspace.git);
  for (const logPath of logs) {
    const dir = logPath.slice(0, -STATUS_LOG_SUFFIX.length);
    const snapshotPath = `${dir}${STATUS_SNAPSHOT_SUFFIX}`;
    const log = entries.get(logPath)?.content ?? (await git.readBlob(targetCommit, logPath))?.toString('utf8') ?? null;
    if (log === null) continue;
    const metaText = (await git.readBlob(targetCommit, `${dir}/meta.json`))?.toString('utf8');
    let meta: Record<string, unknown> | null = null;
    try {
      meta = metaText ? (JSON.parse(metaText) as Record<string, unknown>) : null;
    } catch {
      meta = null;
    }
    const reduced = reduceStatusLog(parseStatusLog(log));
    const slug = reduced.missionSlug || dir.slice(dir.lastIndexOf('/') + 1);
    const content = renderStatusJson(reduced, missionIdentity(meta, slug));
    const onTarget = (await git.readBlob(targetCommit, snapshotPath))?.toString('utf8') ?? null;
    if (content === onTarget) {
      entries.delete(snapshotPath);
      continue;
    }
    const listed = await workspace.git.listBlobs(targetCommit, [snapshotPath]);
    const base = entries.get(snapshotPath)?.base ?? listed?.find((blob) => blob.path === snapshotPath)?.id ?? null;
    entries.set(snapshotPath, { content, base });
  }
}

/** What `kit sync` did with one target's lane ref. */
export interface LaneRefSync {
  target: string;
  /**
   * `even` (nothing to do), `fetched` (took the remote's), `published` (pushed this clone's pending
   * changes), `combined` (both had changes: carried onto the remote's and pushed), `offline`/`refused`.
   */
  action: 'even' | 'fetched' | 'published' | 'combined' | 'offline' | 'refused' | 'unreadable';
  detail: string | null;
  /** Lane files whose copy here was replaced by another clone's change to the same file. */
  superseded: string[];
  /** Copies dropped because the remote's target now holds them (kit merge landed there). */
  dropped: string[];
  /** Copies the target changed too, and that kit could not combine line by line (kept as they are). */
  conflicts: string[];
  /** Copies of files the remote's target deleted: their lanes went with them. */
  deleted: string[];
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
  const report: LaneRefSync = {
    target,
    action: 'even',
    detail: null,
    superseded: [],
    dropped: [],
    conflicts: [],
    deleted: [],
  };
  try {
    return await syncLaneRefOnce(workspace, stateDir, remote, target, options, report);
  } catch (error) {
    // Another clone's lane commit kit cannot take: the rest of kit sync goes on, the local lane ref stays.
    if (!(error instanceof KitError)) throw error;
    return { ...report, action: 'unreadable', detail: `${error.message}; ${error.hint ?? ''}`.replace(/; $/, '') };
  }
}

async function syncLaneRefOnce(
  workspace: Workspace,
  stateDir: string,
  remote: string,
  target: string,
  options: { settle: boolean },
  report: LaneRefSync,
): Promise<LaneRefSync> {
  const git = new GitPlumbing(workspace.git);
  const ref = laneRefName(target);
  const tracking = remoteLaneRefName(remote, target);
  for (let attempt = 0; attempt < PUBLISH_ATTEMPTS; attempt++) {
    const [local, theirs] = await Promise.all([git.resolveCommit(ref), git.resolveCommit(tracking)]);
    let next = local;
    let action: LaneRefSync['action'] = 'even';
    if (theirs && (!local || (local !== theirs && (await git.isAncestor(local, theirs))))) {
      // Read (and so checked) before it is taken: every read here will decode it.
      await readLaneCommit(workspace.git, stateDir, theirs);
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
      const localTarget = await git.resolveCommit(`refs/heads/${target}`);
      // Only against a remote target this clone has too: a copy dropped because origin's main holds it
      // must still be readable here, from this clone's main (else its lane would go back until git pull).
      const pulled = !!targetTip && !!localTarget && (await git.isAncestor(targetTip, localTarget));
      const copies = (await readLaneCommit(workspace.git, stateDir, next)).entries;
      const settled = targetTip && pulled ? await settleLaneCopies(workspace, stateDir, copies, targetTip) : null;
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
      report.deleted = settled?.settled.filter((entry) => entry.outcome === 'deleted').map((entry) => entry.path) ?? [];
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
