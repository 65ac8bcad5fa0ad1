import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { historyEntry, laneChangeMessage } from '../domain/history.js';
import { fileForLane } from '../domain/work-package.js';
import { ExitCode, KitError, LaneMovedError } from '../errors.js';
import { resolveInside, toRepoPath } from '../io/files.js';
import {
  editFrontmatter,
  type FrontmatterEdit,
  parseFrontmatterForEdit,
  warmUpFrontmatterEditing,
} from '../io/frontmatter.js';
import { conflictedFiles, GitPlumbing, type MergeTreeResult } from '../io/git.js';
import { type LanePublication, writeWorkPackage } from '../io/work-package-store.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';
import {
  claimRef,
  deleteIfUnchanged,
  pushCreateOnly,
  readRemoteClaim,
  remoteArchivePrefix,
  rememberPublishedClaim,
  updatePendingClaims,
  writeClaimRecord,
} from '../io/remote.js';
import { copyWorktreeIncludes } from '../io/worktree-include.js';
import { parseStatusLog, reduceStatusLog } from '../domain/status-log.js';
import { actingAgent, statusChangeMessage } from './move-work-package.js';
import { planStatusChange, recordStatusLaneChanges } from './status-lane-change.js';
import { parseWorkPackageArgument, resolveWorkPackage, workPackageBranch } from './work-package-context.js';

export interface ImplementInput {
  wp: string;
  feature?: string | undefined;
  bases: readonly string[];
  agent?: string | undefined;
  now: Date;
}

export interface ImplementResult {
  feature: string;
  wp: string;
  worktree: string;
  branch: string;
  /** The commit the branch starts from. */
  base: string;
  /** What that commit is: the target branch, one WP branch, or the WP branches it merges. */
  baseBranches: string[];
  alreadyStarted: boolean;
  /** The WP was back in planned with its branch kept (e.g. after a review) and continues on it. */
  resumed: boolean;
  copiedFiles: string[];
  warnings: string[];
}

/**
 * Starts a WP: a branch `<feature>-<WP>` from the right base, a worktree for it, and the WP moved to
 * doing with its base recorded. Creating the branch is the claim: a compare-and-swap on a ref that must
 * not exist yet, so of two agents starting the same WP exactly one wins. Anything that fails after the
 * claim is rolled back (worktree and branch removed), so a failed run leaves nothing behind.
 */
export async function implementWorkPackage(workspace: Workspace, input: ImplementInput): Promise<ImplementResult> {
  const context = await resolveWorkPackage(workspace, { feature: input.feature, wp: input.wp });
  const { feature, wp, targetBranch } = context;
  const git = new GitPlumbing(workspace.git);
  const branch = workPackageBranch(feature.name, wp.id);
  const worktree = resolveInside(workspace.root, join(workspace.config.worktreesDir, branch), 'the worktree path');
  const agent = actingAgent(input.agent);
  const warnings: string[] = [];

  // Every branch tip this needs (its own, the target's, its dependencies') from one for-each-ref.
  const branchTips = await git.branchTips();
  const existingTip = branchTips.get(branch);
  if (existingTip) return alreadyStarted(workspace, context, { branch, worktree, agent, now: input.now });
  if (wp.lane !== 'planned') {
    // Started elsewhere (another clone, whose lane change this one has pulled): say by whom.
    const remote = workspace.config.remote;
    const holder = remote ? await readRemoteClaim(workspace.git, remote, claimRef(feature.name, wp.id)) : null;
    if (remote && holder?.agent) {
      throw new KitError(
        `${wp.id} is already claimed on ${remote} by ${holder.agent}${holder.host ? ` on ${holder.host}` : ''}${holder.at ? ` (${holder.at})` : ''}; it is in ${wp.statusLane ?? wp.lane}`,
        { hint: `pick another work package (kit next), or ask ${holder.agent} to hand it over` },
      );
    }
    throw new KitError(
      `${wp.id} is in ${wp.statusLane ?? wp.lane}${wp.agent ? ` (taken by ${wp.agent})` : ''}, and only a planned WP can be started`,
      { hint: `kit move ${wp.id} --to planned first if it really has to start again` },
    );
  }

  const requested = input.bases.map(parseWorkPackageArgument);
  for (const base of requested) {
    if (base === wp.id) throw new KitError(`--base ${base}: a work package cannot be based on itself`);
    if (!feature.workPackages.some((candidate) => candidate.id === base)) {
      throw new KitError(`--base ${base}: ${feature.name} has no ${base}`, {
        hint: `its work packages: ${feature.workPackages.map((candidate) => candidate.id).join(', ')}`,
      });
    }
    if (!wp.dependencies.includes(base)) {
      warnings.push(
        `${base} is not a declared dependency of ${wp.id} (it depends on ${wp.dependencies.join(', ') || 'nothing'})`,
      );
    }
  }
  const baseIds = [...new Set([...wp.dependencies, ...requested])];
  const tips: { id: string; branch: string; tip: string }[] = [];
  const targetTip = branchTips.get(targetBranch);
  if (!targetTip) {
    throw new KitError(`the target branch ${targetBranch} does not exist`, {
      hint: `create it, or set target_branch in ${feature.path}/meta.json`,
    });
  }
  const landedDependencies: string[] = [];
  for (const id of baseIds) {
    const baseBranch = workPackageBranch(feature.name, id);
    const tip = branchTips.get(baseBranch);
    if (tip) {
      tips.push({ id, branch: baseBranch, tip });
      continue;
    }
    // Merged and cleaned up by kit merge (it keeps an archive ref): its work is in the target now.
    const remote = workspace.config.remote;
    const archived =
      (await git.resolveCommit(`refs/kit/archive/${feature.name}/${id}`)) ??
      (remote ? await git.resolveCommit(`${remoteArchivePrefix(remote)}${feature.name}/${id}`) : null);
    if (archived) {
      landedDependencies.push(id);
      continue;
    }
    throw new KitError(`${id} has not been started: run kit implement ${id} first`, {
      hint: `${wp.id} builds on ${id}'s branch ${baseBranch}, which does not exist yet`,
    });
  }
  if (landedDependencies.length > 0 && tips.length > 0) {
    tips.unshift({ id: landedDependencies.join('+'), branch: targetBranch, tip: targetTip });
  }
  if (!(await git.readBlob(targetTip, wp.file))) {
    throw new KitError(`${wp.file} is not committed on ${targetBranch}`, {
      hint: `commit the planning files first (git add ${feature.path} && git commit -m "Plan ${feature.name}"): the worktree starts from ${targetBranch} and kit records lanes there`,
    });
  }
  if (existsSync(worktree)) {
    // Another kit process may have claimed the WP since the check above: say so rather than "exists".
    if (await git.resolveCommit(`refs/heads/${branch}`)) {
      return alreadyStarted(workspace, context, { branch, worktree, agent, now: input.now });
    }
    throw new KitError(`${toRepoPath(workspace.root, worktree)} already exists`, {
      hint: 'move it away or remove it (git worktree remove) and run kit implement again',
    });
  }

  const base =
    tips.length === 0
      ? { commit: targetTip, branches: [targetBranch] }
      : tips.length === 1 && tips[0]
        ? { commit: tips[0].tip, branches: [tips[0].branch] }
        : { commit: await mergedBase(git, wp.id, tips), branches: tips.map((entry) => entry.branch) };

  if (!(await git.compareAndSwapRef(`refs/heads/${branch}`, base.commit, null))) {
    return alreadyStarted(workspace, context, { branch, worktree, agent, now: input.now });
  }
  let remoteClaim: { ref: string; commit: string }[] = [];
  if (workspace.config.remote) {
    const claimed = await claimOnRemote(workspace, workspace.config.remote, {
      feature: feature.name,
      wp: wp.id,
      branch,
      commit: base.commit,
      agent,
      now: input.now,
    });
    if (claimed.warning) warnings.push(claimed.warning);
    remoteClaim = claimed.published;
  }
  // A start that fails after the claim gives the WP back on the remote too (only if nobody moved it).
  const releaseRemoteClaim = async () => {
    if (workspace.config.remote && remoteClaim.length > 0) {
      await deleteIfUnchanged(workspace.git, workspace.config.remote, remoteClaim);
    }
  };
  warmUpFrontmatterEditing(); // the lane edit comes after the checkout: load its parser meanwhile
  try {
    await addWorktree(git, worktree, branch);
  } catch (error) {
    await workspace.git.spawnGit(['update-ref', '-d', `refs/heads/${branch}`, base.commit]);
    await releaseRemoteClaim();
    throw error;
  }
  try {
    const copiedFiles = await copyWorktreeIncludes(
      workspace.git,
      workspace.root,
      worktree,
      workspace.config.worktreesDir,
    );
    const relativeWorktree = toRepoPath(workspace.root, worktree);
    const laneWarning = await recordDoing(workspace, context, {
      agent,
      now: input.now,
      detail: `Started in ${relativeWorktree} on ${branch}.`,
      action: `Started in ${relativeWorktree} from ${base.branches.join(' + ')} (${base.commit.slice(0, 12)})`,
      edits: [
        { kind: 'set', key: 'base_branch', value: base.branches.join(', ') },
        { kind: 'set', key: 'base_commit', value: base.commit },
        { kind: 'set', key: 'created_at', value: input.now.toISOString() },
      ],
      taken: (data) => new LaneMovedError(`${wp.id} moved to ${String(data.lane)} while kit was starting it`),
    });
    if (laneWarning) warnings.push(laneWarning);
    return {
      feature: feature.name,
      wp: wp.id,
      worktree,
      branch,
      base: base.commit,
      baseBranches: base.branches,
      alreadyStarted: false,
      resumed: false,
      copiedFiles,
      warnings,
    };
  } catch (error) {
    await rollBack(workspace, worktree, branch, base.commit);
    await releaseRemoteClaim();
    throw error;
  }
}

/**
 * With a remote, the claim is the WP branch created there too, with a record of who took it, in one
 * create-only atomic push: of several clones claiming one WP exactly one push succeeds. The others take
 * their local branch back and are told who won (exit 3). An unreachable remote keeps the local claim and
 * returns a warning saying it is not published, and the push that publishes it.
 */
async function claimOnRemote(
  workspace: Workspace,
  remote: string,
  claim: { feature: string; wp: string; branch: string; commit: string; agent: string; now: Date },
): Promise<{ warning: string | null; published: { ref: string; commit: string }[] }> {
  const record = await writeClaimRecord(workspace.git, claim);
  const refs = [
    { ref: `refs/heads/${claim.branch}`, commit: claim.commit },
    { ref: claimRef(claim.feature, claim.wp), commit: record },
  ];
  const outcome = await pushCreateOnly(workspace.git, remote, refs);
  if (outcome.kind === 'pushed') {
    await rememberPublishedClaim(workspace.git, remote, { ...claim, record });
    return { warning: null, published: refs };
  }
  if (outcome.kind === 'offline') {
    await updatePendingClaims(kitStateDir(workspace), (pending) => [
      ...pending.filter((entry) => entry.branch !== claim.branch),
      {
        feature: claim.feature,
        wp: claim.wp,
        branch: claim.branch,
        commit: claim.commit,
        record,
        agent: claim.agent,
        at: claim.now.toISOString(),
      },
    ]);
    return {
      warning:
        `the claim of ${claim.wp} is not published: ${remote} could not be reached (${outcome.reason}); ` +
        `other machines cannot see it yet. kit sync publishes it, or: git push --atomic ${remote} ${claim.branch} ` +
        `${record}:${claimRef(claim.feature, claim.wp)}`,
      published: [],
    };
  }
  await workspace.git.spawnGit(['update-ref', '-d', `refs/heads/${claim.branch}`, claim.commit]);
  if (outcome.kind === 'refused') {
    throw new KitError(`${remote} declined the claim of ${claim.wp} (${outcome.reason})`, {
      hint: `kit claims a WP by pushing its branch and ${claimRef(claim.feature, claim.wp)} to ${remote}; allow those pushes there (a hook or a host rule refused them), or remove remote: from .kit/config.yaml to work on this machine only`,
      exitCode: ExitCode.invalidInput,
    });
  }
  const holder = await readRemoteClaim(workspace.git, remote, claimRef(claim.feature, claim.wp));
  const who = holder?.agent ? `${holder.agent}${holder.host ? ` on ${holder.host}` : ''}` : null;
  throw new KitError(
    `${claim.wp} is already claimed on ${remote}${who ? ` by ${who}` : ''}${holder?.at ? ` (${holder.at})` : ''}: its branch ${claim.branch} exists there`,
    {
      hint: who
        ? `pick another work package (kit next), or ask ${holder?.agent} to hand it over`
        : `the branch was created on ${remote} without kit; look at it with git fetch ${remote} ${claim.branch}, or pick another work package (kit next)`,
      exitCode: ExitCode.invalidInput,
    },
  );
}

/** `git worktree add`; its refusal (a file in the way, no permission) is the user's to fix, not a kit bug. */
async function addWorktree(git: GitPlumbing, path: string, branch: string): Promise<void> {
  try {
    await git.output(['worktree', 'add', '--quiet', path, branch]);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n').slice(-1)[0] : String(error);
    throw new KitError(`git worktree add could not create ${path}: ${reason}`, {
      hint: 'clear the way (a file where the worktree directory goes, permissions), then run kit implement again',
    });
  }
}

/** A WP's 3.x lane and claiming agent as the log committed at `tip` reduces to. */
async function committedStatusOf(
  git: GitPlumbing,
  tip: string,
  featurePath: string,
  id: string,
): Promise<{ lane: string | null; agent: string | null }> {
  const log = await git.readBlob(tip, `${featurePath}/status.events.jsonl`);
  const state = reduceStatusLog(parseStatusLog(log?.toString('utf8') ?? '')).workPackages.get(id);
  const lane = state && state.lane !== 'uninitialized' ? state.lane : null;
  return { lane, agent: typeof state?.agent === 'string' && state.agent ? state.agent : null };
}

async function rollBack(workspace: Workspace, worktree: string, branch: string, commit: string): Promise<void> {
  // The worktree is brand new (a checkout plus copied include files), so removing it loses nothing.
  await workspace.git.spawnGit(['worktree', 'remove', '--force', worktree]);
  rmSync(worktree, { recursive: true, force: true });
  await workspace.git.spawnGit(['worktree', 'prune']);
  await workspace.git.spawnGit(['update-ref', '-d', `refs/heads/${branch}`, commit]);
}

/**
 * The WP's branch exists already. Still doing (or beyond) and held by this agent: hand back its worktree.
 * Held by someone else: say who. Back in planned (a reviewer sent it back, or it was stopped): resume it on
 * its existing branch, so no commit is lost, recreating the worktree if it was removed.
 */
async function alreadyStarted(
  workspace: Workspace,
  context: Awaited<ReturnType<typeof resolveWorkPackage>>,
  claim: { branch: string; worktree: string; agent: string; now: Date },
): Promise<ImplementResult> {
  const { feature, targetBranch, wp } = context;
  const { branch, agent } = claim;
  const git = new GitPlumbing(workspace.git);
  // Read the WP as it is on the target branch now: the snapshot may predate the other agent's claim.
  const tip = await git.resolveCommit(`refs/heads/${targetBranch}`);
  const bytes = tip ? await git.readBlob(tip, wp.file) : null;
  const fresh = bytes ? await parseFrontmatterForEdit(bytes.toString('utf8')) : null;
  const data = fresh?.ok ? fresh.data : {};
  // A 3.x feature keeps lane and claim in its event log, not in the WP file.
  const status = feature.format === '3.x' && tip ? await committedStatusOf(git, tip, feature.path, wp.id) : null;
  const holder = status ? status.agent : typeof data.agent === 'string' && data.agent ? data.agent : null;
  const lane = status
    ? status.lane === null || status.lane === 'planned'
      ? 'planned'
      : status.lane
    : typeof data.lane === 'string'
      ? data.lane
      : wp.lane;
  const baseCommit = typeof data.base_commit === 'string' ? data.base_commit : '';
  const baseBranches = typeof data.base_branch === 'string' && data.base_branch ? data.base_branch.split(', ') : [];
  let worktree = (await workspace.git.worktrees()).find((entry) => entry.branch === branch)?.path ?? null;
  const result = (alreadyStarted: boolean, copiedFiles: string[]): ImplementResult => ({
    feature: feature.name,
    wp: wp.id,
    worktree: worktree ?? claim.worktree,
    branch,
    base: baseCommit,
    baseBranches,
    alreadyStarted,
    resumed: !alreadyStarted,
    copiedFiles,
    warnings: [],
  });
  if (lane !== 'planned') {
    if (worktree && holder === agent) return result(true, []);
    throw new KitError(
      `${wp.id} is already taken${holder ? ` by ${holder}` : ''} (lane ${lane}, branch ${branch}${worktree ? `, worktree ${worktree}` : ''})`,
      {
        hint: holder
          ? `pick another work package (kit next), or ask ${holder} to hand it over`
          : 'another kit process is starting it right now; pick another work package (kit next)',
        exitCode: ExitCode.invalidInput,
      },
    );
  }
  // A branch whose WP was never recorded as started belongs to a kit process starting it right now (it
  // creates the branch, then records the lane): adopting it would race that process's rollback.
  if (!baseCommit) {
    throw new KitError(
      `${wp.id} is being started by another kit process (branch ${branch} exists, lane still planned)`,
      {
        hint:
          'pick another work package (kit next); if no kit process is running, delete the branch (git branch -D ' +
          branch +
          ') and retry',
        exitCode: ExitCode.invalidInput,
      },
    );
  }
  let copiedFiles: string[] = [];
  let createdWorktree = false;
  if (!worktree) {
    if (existsSync(claim.worktree)) {
      throw new KitError(`${toRepoPath(workspace.root, claim.worktree)} exists but is not the worktree of ${branch}`, {
        hint: 'move it away, then run kit implement again',
      });
    }
    warmUpFrontmatterEditing();
    await addWorktree(git, claim.worktree, branch);
    worktree = claim.worktree;
    createdWorktree = true;
    copiedFiles = await copyWorktreeIncludes(workspace.git, workspace.root, worktree, workspace.config.worktreesDir);
  }
  const relativeWorktree = toRepoPath(workspace.root, worktree);
  try {
    await recordResume();
  } catch (error) {
    // Only what this run made is undone: the branch (with its commits) existed before and stays.
    if (createdWorktree) {
      await workspace.git.spawnGit(['worktree', 'remove', '--force', claim.worktree]);
      await workspace.git.spawnGit(['worktree', 'prune']);
    }
    throw error;
  }
  return result(false, copiedFiles);

  async function recordResume(): Promise<void> {
    await recordDoing(workspace, context, {
      agent,
      now: claim.now,
      detail: `Resumed in ${relativeWorktree} on ${branch}.`,
      action: `Resumed in ${relativeWorktree} on its existing branch`,
      edits: [],
      taken: (data) =>
        new LaneMovedError(`${wp.id} was taken by ${String(data.agent || 'another agent')} while kit was resuming it`, {
          hint: 'pick another work package (kit next)',
        }),
    });
  }
}

/**
 * Records planned → doing as one lane commit, for a start and for a resume alike: checks under the lane
 * lock that the WP is still planned (else `taken` says who got there first), then sets the lane, the extra
 * fields, agent and shell pid, and appends the history entry.
 */
async function recordDoing(
  workspace: Workspace,
  context: Awaited<ReturnType<typeof resolveWorkPackage>>,
  input: {
    agent: string;
    now: Date;
    detail: string;
    action: string;
    edits: FrontmatterEdit[];
    taken: (data: Record<string, unknown>) => KitError;
  },
): Promise<string | null> {
  const { feature, wp, targetBranch } = context;
  if (feature.format === '3.x') {
    // 3.x: planned → claimed → in_progress in the event log; the WP file only gets the base it starts from.
    const path = planStatusChange(wp.id, wp.statusLane, 'in_progress', false);
    const recorded = await recordStatusLaneChanges(workspace, {
      feature,
      targetBranch,
      changes: [{ wp, to: 'in_progress', expectFrom: wp.statusLane, frontmatterEdits: input.edits }],
      force: false,
      actor: input.agent,
      note: null,
      reviewer: null,
      now: input.now,
      message: statusChangeMessage(feature.name, wp.id, wp.statusLane, path, input.detail),
      moved: (_id, current) => input.taken({ lane: current.lane ?? 'no lane', agent: current.agent ?? '' }),
    });
    return unpublished(recorded.publication);
  }
  const written = await writeWorkPackage(workspace, {
    targetBranch,
    file: wp.file,
    renameTo: fileForLane(wp, 'doing'),
    message: () => laneChangeMessage(feature.name, wp.id, 'planned', 'doing', input.detail),
    transform: async (current) => {
      const fresh = await parseFrontmatterForEdit(current);
      if (!fresh.ok) throw new KitError(`${wp.file}:${fresh.line}: ${fresh.reason}`);
      if (fresh.data.lane !== 'planned') throw input.taken(fresh.data);
      const shellPid = String(process.ppid);
      return editFrontmatter(current, [
        { kind: 'set', key: 'lane', value: 'doing' },
        ...input.edits,
        { kind: 'set', key: 'agent', value: input.agent },
        { kind: 'set', key: 'shell_pid', value: shellPid },
        {
          kind: 'append',
          key: 'history',
          item: {
            ...historyEntry({
              timestamp: input.now,
              lane: 'doing',
              agent: input.agent,
              shellPid,
              action: input.action,
            }),
          },
        },
      ]);
    },
  });
  return unpublished(written.publication);
}

/** A warning when a lane change with a remote did not reach it; null when it did or there is none. */
function unpublished(publication: LanePublication | null): string | null {
  if (!publication || publication.published) return null;
  return `the lane change is not published to ${publication.remote}: ${publication.reason ?? 'unknown'}; it is recorded here, and kit sync publishes it`;
}

/**
 * One commit that merges several WP branches, built in memory: `merge-tree` pairwise, then one
 * commit-tree with every branch as a parent. Nothing is checked out and no branch is created. Pairs are
 * tried first so that a conflict names the two WPs and the files they disagree on.
 */
export async function mergedBase(
  git: GitPlumbing,
  wpId: string,
  tips: readonly { id: string; branch: string; tip: string }[],
) {
  const conflicts: string[] = [];
  for (let i = 0; i < tips.length; i++) {
    for (let j = i + 1; j < tips.length; j++) {
      const a = tips[i];
      const b = tips[j];
      if (!a || !b) continue;
      const merged = await git.mergeTree(a.tip, b.tip);
      if (!merged.clean) conflicts.push(`${a.id} and ${b.id} conflict in ${describeConflicts(merged)}`);
    }
  }
  let accumulated = tips[0]?.tip ?? '';
  let tree = '';
  for (const next of tips.slice(1)) {
    const merged = await git.mergeTree(accumulated, next.tip);
    if (!merged.clean) {
      if (conflicts.length === 0)
        conflicts.push(`${tips.map((entry) => entry.id).join(', ')} conflict in ${describeConflicts(merged)}`);
      break;
    }
    tree = merged.tree;
    accumulated = await git.commitTree(tree, [accumulated, next.tip], `kit: partial base for ${wpId}\n`);
  }
  if (conflicts.length > 0) {
    throw new KitError(
      `the dependencies of ${wpId} conflict, so there is no base to start it from:\n  ${conflicts.join('\n  ')}`,
      {
        hint: `resolve the conflict on one of those WP branches (merge the other into it in its worktree and commit), then run kit implement ${wpId} again`,
        exitCode: ExitCode.mergeConflict,
      },
    );
  }
  const names = tips.map((entry) => entry.id).join(', ');
  return git.commitTree(
    tree,
    tips.map((entry) => entry.tip),
    `kit: base for ${wpId} (merges ${names})\n`,
  );
}

function describeConflicts(merged: MergeTreeResult): string {
  return conflictedFiles(merged)
    .map((file) => `${file.path} (${file.kind})`)
    .join(', ');
}
