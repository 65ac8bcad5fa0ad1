/**
 * What `kit merge` does with `lane_store: ref`: before planning it brings the lane ref in step with the
 * remote's (the lanes other clones recorded decide what is ready), and after the landing it writes the
 * feature's lanes from the lane ref into the planning files on the target, in one lane commit, so the
 * target that reaches the remote (or the pull request) carries them. Copies the target holds from then on
 * are dropped from the lane ref by the next kit sync that sees them on the remote's target.
 */
import type { Feature } from '../domain/feature.js';
import { GitPlumbing } from '../io/git.js';
import { localLaneOverlay, laneRefName, remoteLaneRefName, usesLaneRef } from '../io/lane-ref-store.js';
import { settleLaneCopies, syncLaneRef } from '../io/lane-ref-writes.js';
import { fetchRef } from '../io/remote.js';
import { type LaneFileChange, withLaneLock, writeLaneFiles } from '../io/work-package-store.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';

/** Fetches the remote's lane ref and takes or publishes it; a warning when that could not be done. */
export async function catchUpLaneRef(workspace: Workspace, target: string): Promise<string | null> {
  const remote = workspace.config.remote;
  if (!remote || !usesLaneRef(workspace.config)) return null;
  const fetched = await fetchRef(workspace.git, remote, laneRefName(target), remoteLaneRefName(remote, target));
  if (fetched.kind === 'offline') {
    return `${remote} could not be reached (${fetched.reason}): the merge uses the lanes recorded here`;
  }
  const synced = await withLaneLock(workspace, () =>
    syncLaneRef(workspace, kitStateDir(workspace), remote, target, { settle: false }),
  );
  return synced.action === 'offline' || synced.action === 'refused'
    ? `the lane changes made here are not on ${remote} yet (${synced.detail ?? synced.action})`
    : null;
}

/**
 * Writes the feature's lane ref copies into the target as one lane commit. Each copy is first measured
 * against the target as it is now: one the target changed too is combined with it, one that cannot be
 * combined is left out and named (the target's file is kept; the copy stays on the lane ref).
 */
export async function writeLanesIntoTarget(
  workspace: Workspace,
  feature: Feature,
  target: string,
): Promise<{ commit: string | null; warnings: string[] }> {
  const overlay = await localLaneOverlay(workspace, target);
  const inFeature = (path: string) => path.startsWith(`${feature.path}/`);
  if (![...overlay.entries.keys()].some(inFeature)) return { commit: null, warnings: [] };
  const tip = await new GitPlumbing(workspace.git).resolveCommit(`refs/heads/${target}`);
  if (!tip) return { commit: null, warnings: [`${target} is gone: the lanes stay on ${laneRefName(target)}`] };
  const stateDir = kitStateDir(workspace);
  const settled = await settleLaneCopies(workspace, stateDir, overlay.entries, tip, inFeature);
  const entries = settled.entries ?? overlay.entries;
  const warnings = settled.settled
    .filter((entry) => entry.outcome === 'conflict')
    .map(
      (entry) =>
        `${entry.path} changed on ${target} and in ${laneRefName(target)} on the same lines: ${target}'s file is kept; the lanes are in git show ${laneRefName(target)}:files/${entry.path}`,
    );
  const writable = settled.settled.filter((entry) => entry.outcome === 'kept' || entry.outcome === 'combined');
  const added = writable.filter((entry) => entries.get(entry.path)?.content !== null);
  const removed = writable.filter((entry) => entries.get(entry.path)?.content === null).map((entry) => entry.path);
  const name = (path: string) => path.slice(path.lastIndexOf('/') + 1);
  const changes: LaneFileChange[] = added.map(({ path }) => {
    // A lane-folder move is a removal and an addition of the same file name in one feature.
    const from = removed.find((old) => name(old) === name(path));
    return { path, content: entries.get(path)?.content as string, movedFrom: from };
  });
  if (changes.length === 0) return { commit: null, warnings };
  const files = [
    ...new Set(changes.flatMap((change) => [change.path, ...(change.movedFrom ? [change.movedFrom] : [])])),
  ];
  const written = await writeLaneFiles(workspace, {
    targetBranch: target,
    files,
    store: 'target',
    publish: false,
    message: () =>
      `kit: ${feature.name} lanes from ${laneRefName(target)}\n\nThe lanes recorded while the work was in flight, written into the planning files.\n`,
    transform: async () => changes,
  });
  return { commit: written.commit, warnings };
}
