/**
 * `kit sync`: what other clones share through the remote comes in (their claims, their branches, the
 * targets' lanes) and what this clone could not publish goes out (claims made offline). Reads stay local:
 * `kit status` only shows what the last sync fetched, and how old it is.
 */
import { ExitCode, KitError } from '../errors.js';
import { GitPlumbing } from '../io/git.js';
import {
  claimRef,
  fetchShared,
  type PendingClaim,
  pushCreateOnly,
  pushWithLease,
  readPendingClaims,
  readRemoteClaims,
  type RemoteClaim,
  forgetOwnClaim,
  onlyLaneCommits,
  rememberPublishedClaim,
  updatePendingClaims,
  writeLastSync,
} from '../io/remote.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';
import { type LaneRefSync, syncLaneRef } from '../io/lane-ref-writes.js';
import { withLaneLock } from '../io/work-package-store.js';
import { listFeatureDirs, readFeatureMeta } from '../io/feature-store.js';
import { mainCheckoutBranch } from '../io/workspace.js';

export interface SyncResult {
  remote: string;
  at: string;
  /** Why the remote could not be reached; null when it could. Nothing is lost: the next sync retries. */
  offline: string | null;
  claims: {
    /** Claims on the remote that this clone had not seen at its previous sync. */
    added: Omit<RemoteClaim, 'commit' | 'own'>[];
    /** Claims gone from the remote since (merged and cleaned up, or released). */
    released: { feature: string; wp: string }[];
  };
  /** Claims made while offline: published now, taken meanwhile by another clone, or still waiting. */
  published: {
    feature: string;
    wp: string;
    branch: string;
    outcome: 'published' | 'taken' | 'refused' | 'offline';
    detail: string | null;
  }[];
  /** With lane_store: ref, what sync did with each target's lane ref (refs/kit/lanes/<target>). */
  lanes: LaneRefSync[];
  /**
   * Each target branch against its copy on the remote, and what sync did: `published` (lane commits made
   * offline, pushed now as a fast-forward), `behind` (the remote has commits this clone lacks: git pull),
   * `diverged` (both have commits: git pull, then kit sync), `refused`/`offline` (push failed), `even`.
   */
  targets: {
    branch: string;
    ahead: number;
    behind: number;
    remoteTip: string | null;
    action: 'even' | 'published' | 'ahead' | 'behind' | 'diverged' | 'refused' | 'offline';
    detail: string | null;
  }[];
}

export function requireRemote(workspace: Workspace): string {
  const remote = workspace.config.remote;
  if (!remote) {
    throw new KitError('this repository shares nothing through a remote yet', {
      hint: 'kit init --remote origin (any git remote other clones can reach)',
      exitCode: ExitCode.invalidInput,
    });
  }
  return remote;
}

export async function syncWithRemote(workspace: Workspace, input: { now: Date }): Promise<SyncResult> {
  const remote = requireRemote(workspace);
  const stateDir = kitStateDir(workspace);
  const before = await readRemoteClaims(workspace.git, remote);
  const fetched = await fetchShared(workspace.git, remote);
  const result: SyncResult = {
    remote,
    at: input.now.toISOString(),
    offline: fetched.ok ? null : fetched.reason,
    claims: { added: [], released: [] },
    published: [],
    lanes: [],
    targets: [],
  };
  const pending = readPendingClaims(stateDir);
  if (!fetched.ok) {
    result.published = pending.map((claim) => ({ ...brief(claim), outcome: 'offline', detail: fetched.reason }));
    return result;
  }
  const after = await readRemoteClaims(workspace.git, remote);
  const key = (claim: { feature: string; wp: string }) => `${claim.feature}/${claim.wp}`;
  const seen = new Map(before.map((claim) => [key(claim), claim.commit]));
  const now = new Set(after.map(key));
  result.claims.added = after
    .filter((claim) => seen.get(key(claim)) !== claim.commit)
    .filter((claim) => !claim.own)
    .map(({ commit: _commit, own: _own, ...claim }) => claim);
  // This clone's own claims that ended (its merge removed them) are not news from other machines.
  result.claims.released = before
    .filter((claim) => !now.has(key(claim)) && !claim.own)
    .map(({ feature, wp }) => ({ feature, wp }));
  for (const claim of before) {
    if (claim.own && !now.has(key(claim))) await forgetOwnClaim(workspace.git, remote, claim);
  }

  const waiting: PendingClaim[] = [];
  const git = new GitPlumbing(workspace.git);
  for (const claim of pending) {
    // A branch deleted or moved on since (merged, reset) is no longer this claim: nothing to publish.
    const tip = await git.resolveCommit(`refs/heads/${claim.branch}`);
    if (!tip) continue;
    const outcome = await pushCreateOnly(workspace.git, remote, [
      { ref: `refs/heads/${claim.branch}`, commit: claim.commit },
      { ref: claimRef(claim.feature, claim.wp), commit: claim.record },
    ]);
    if (outcome.kind === 'offline') waiting.push(claim);
    if (outcome.kind === 'pushed') await rememberPublishedClaim(workspace.git, remote, claim);
    const holder = after.find((other) => other.feature === claim.feature && other.wp === claim.wp);
    result.published.push({
      ...brief(claim),
      outcome: outcome.kind === 'pushed' ? 'published' : outcome.kind === 'rejected' ? 'taken' : outcome.kind,
      detail:
        outcome.kind === 'rejected'
          ? `${claim.wp} was claimed on ${remote}${holder?.agent ? ` by ${holder.agent}${holder.host ? ` on ${holder.host}` : ''}` : ''} while this clone was offline; your branch ${claim.branch} and its worktree are kept: agree who continues, then remove the other's branch`
          : outcome.kind === 'pushed'
            ? null
            : outcome.reason,
    });
  }
  // Under the lock, and against the journal as it is now: a claim added meanwhile stays.
  const handled = new Set(pending.map((claim) => claim.branch));
  const still = new Set(waiting.map((claim) => claim.branch));
  await updatePendingClaims(stateDir, (now) =>
    now.filter((claim) => !handled.has(claim.branch) || still.has(claim.branch)),
  );

  const checkedOut = await mainCheckoutBranch(workspace);
  const targets = new Set<string>();
  for (const dir of listFeatureDirs(workspace)) {
    const target = readFeatureMeta(workspace, dir).meta?.targetBranch?.trim() || checkedOut;
    if (target) targets.add(target);
  }
  if (workspace.config.laneStore === 'ref') {
    for (const branch of [...targets].sort()) {
      result.lanes.push(
        await withLaneLock(workspace, () => syncLaneRef(workspace, stateDir, remote, branch, { settle: true })),
      );
    }
  }
  for (const branch of [...targets].sort()) {
    const remoteTip = await git.resolveCommit(`refs/remotes/${remote}/${branch}`);
    const localTip = await git.resolveCommit(`refs/heads/${branch}`);
    let ahead = 0;
    let behind = 0;
    if (remoteTip && localTip) {
      const counts = (await git.output(['rev-list', '--left-right', '--count', `${localTip}...${remoteTip}`])).split(
        /\s+/,
      );
      ahead = Number(counts[0]) || 0;
      behind = Number(counts[1]) || 0;
    }
    let action: SyncResult['targets'][number]['action'] = 'even';
    let detail: string | null = null;
    if (ahead > 0 && behind > 0) {
      action = 'diverged';
      detail = `bring ${remote}/${branch} in (git pull in the checkout that has ${branch}), then kit sync`;
    } else if (behind > 0) {
      action = 'behind';
      detail = `git pull in the checkout that has ${branch} brings the other clones' lane changes`;
    } else if (localTip && remoteTip && ahead > 0 && workspace.config.laneStore === 'target') {
      // Lane commits made offline go out as a fast-forward, but only when kit's own lane commits are all
      // there is: commits of the user's that were never pushed are theirs to publish.
      const own = (await onlyLaneCommits(workspace.git, remoteTip, localTip, workspace.config.specsDir))
        ? []
        : ['commits'];
      if (own.length > 0) {
        result.targets.push({
          branch,
          ahead,
          behind,
          remoteTip,
          action: 'ahead',
          detail: `commits of your own on ${branch} are not on ${remote}; kit publishes only its lane commits: push yours when ready (git push ${remote} ${branch})`,
        });
        continue;
      }
      const pushed = await pushWithLease(workspace.git, remote, branch, localTip, remoteTip);
      if (pushed.kind === 'pushed') {
        await git.output(['update-ref', '-m', 'kit sync', `refs/remotes/${remote}/${branch}`, localTip]);
        action = 'published';
      } else {
        action = pushed.kind === 'rejected' ? 'diverged' : pushed.kind;
        detail = pushed.reason;
      }
    }
    result.targets.push({ branch, ahead, behind, remoteTip, action, detail });
  }
  writeLastSync(stateDir, { remote, at: result.at });
  return result;
}

function brief(claim: PendingClaim): { feature: string; wp: string; branch: string } {
  return { feature: claim.feature, wp: claim.wp, branch: claim.branch };
}
