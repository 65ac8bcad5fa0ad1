/**
 * kit merge: fold every WP branch of a feature into its target branch, losing nothing.
 *
 * The steps, and why each is shaped the way it is:
 * 1. Preflight gathers git facts and asks the pure planner what blocks the merge; nothing is written.
 * 2. Build: every step is a `merge-tree` + `commit-tree` in memory on top of the previous one, so no
 *    checkout, index or ref is touched until the whole result exists. Squash and rebase apply each WP
 *    with its own fork point as the merge base, so a dependency that moved after its dependent branched
 *    neither conflicts nor gets reverted. A conflict is never resolved by taking one side.
 * 3. Land: one `update-ref --stdin` transaction that verifies every WP tip and moves the target from its
 *    old commit to the new one: all or nothing.
 * 4. The checkout that has the target out is moved along (`read-tree -m -u`, which refuses to overwrite
 *    the user's changes); if it cannot be, the target goes back where it was.
 * 5. Proof: every WP's change is in the new target and nothing the target had is reverted.
 * 6. Cleanup removes worktrees and branches only when that cannot lose anything, and says what it kept.
 * The state file (src/io/merge-state.ts) makes every step resumable and a crash recoverable.
 */
import { relative, sep } from 'node:path';
import { type MergeCandidate, type MergePlan, type MergeStrategy, planMerge } from '../domain/merge-plan.js';
import type { Feature } from '../domain/feature.js';
import { ExitCode, KitError } from '../errors.js';
import { failpoint } from '../io/failpoint.js';
import { withLock } from '../io/lock.js';
import { kitStateDir, type Workspace } from '../io/workspace.js';
import { loadLaneState } from '../io/feature-store.js';
import { recordStatusLaneChanges } from './status-lane-change.js';
import { catchUpLaneRef, writeLanesIntoTarget } from './lane-ref-merge.js';
import { usesLaneRef } from '../io/lane-ref-store.js';
import {
  claimRef,
  deleteIfUnchanged,
  fetchBranch,
  fetchBranchesStartingWith,
  listRemoteRefs,
  pushCreateOnly,
  pushWithLease,
  remoteArchivePrefix,
} from '../io/remote.js';
import { operationInProgress, sameFileIn } from '../io/checkout.js';
import { CommitAncestry } from '../io/commit-ancestry.js';
import { conflictedFiles, GitPlumbing, type MergeTreeResult, type StatusEntry, type WorktreeEntry } from '../io/git.js';
import { mapLimited } from '../concurrency.js';
import { type MergeState, readMergeState, removeMergeState, writeMergeState } from '../io/merge-state.js';
import { selectFeature } from './feature-selection.js';
import { targetBranchOf, workPackageBranch } from './work-package-context.js';

export interface MergeInput {
  feature?: string | undefined;
  strategy?: MergeStrategy | undefined;
  dryRun: boolean;
  continue: boolean;
  abort: boolean;
  keepWorktrees: boolean;
  readyOnly: boolean;
  now: Date;
  /** With a remote: push the target after landing (default); false prints the push instead. */
  push?: boolean | undefined;
}

/** What happened to the landed target on the remote (null without a remote or when nothing landed). */
export interface MergePublish {
  remote: string;
  outcome: 'pushed' | 'skipped' | 'refused' | 'offline' | 'stale';
  /** The push that publishes it, when kit did not (protected branch, --no-push, offline). */
  command: string | null;
  detail: string | null;
  /** WP branches and claim records removed from the remote after the push (their work is in the target). */
  removedRemoteBranches: string[];
}

export interface MergeStepReport {
  wp: string;
  branch: string;
  tip: string;
  commits: { sha: string; subject: string }[];
  clean: boolean;
  /** The commit this step produced on top of the previous one (in memory until landing). */
  result: string | null;
}

export interface ConflictReport {
  wp: string;
  /** The tree with conflict markers: `git show <tree>:<path>` previews a file. */
  tree: string;
  files: { path: string; kind: string; preview: string }[];
  /** WPs that merged cleanly before this one. */
  mergedBefore: string[];
}

export interface CleanupReport {
  removedWorktrees: string[];
  keptWorktrees: { path: string; wp: string; reason: string }[];
  deletedBranches: string[];
  keptBranches: { branch: string; wp: string; reason: string }[];
  archiveRefs: string[];
}

export interface MergeResult {
  feature: string;
  targetBranch: string;
  strategy: MergeStrategy;
  dryRun: boolean;
  outcome: 'merged' | 'would-merge' | 'conflict' | 'aborted' | 'nothing-to-merge';
  before: string;
  after: string | null;
  steps: MergeStepReport[];
  skipped: { id: string; reason: string }[];
  conflict: ConflictReport | null;
  checkout: { path: string; updated: boolean } | null;
  proof: { checked: number; ok: boolean } | null;
  cleanup: CleanupReport | null;
  /** What cleanup would do (dry run). */
  cleanupPreview: { wp: string; worktree: string | null; branch: string; action: 'remove' | 'keep'; reason: string }[];
  warnings: string[];
  publish?: MergePublish | null;
}

interface MergeContext {
  workspace: Workspace;
  git: GitPlumbing;
  feature: Feature;
  targetBranch: string;
  targetRef: string;
  strategy: MergeStrategy;
  readyOnly: boolean;
  keepWorktrees: boolean;
}

export async function mergeFeature(workspace: Workspace, input: MergeInput): Promise<MergeResult> {
  if (input.continue && input.abort) throw new KitError('--continue and --abort cannot be used together');
  // The worktree list is the first thing the preflight needs: read it while the lanes load.
  const worktreeList = workspace.git.worktrees();
  worktreeList.catch(() => undefined); // unused by --abort; read again (and awaited) where it matters
  const featureDir = await selectFeature(workspace, input.feature);
  let [feature] = await loadLaneState(workspace, [featureDir]);
  if (!feature) throw new Error(`feature ${featureDir.name} vanished while loading`);
  const targetBranch = await targetBranchOf(workspace, feature);
  // lane_store: ref: the lanes other clones published decide what is ready, so they come first.
  const laneWarning = input.abort ? null : await catchUpLaneRef(workspace, targetBranch);
  if (usesLaneRef(workspace.config) && !input.abort) {
    [feature] = await loadLaneState(workspace, [featureDir]);
    if (!feature) throw new Error(`feature ${featureDir.name} vanished while loading`);
  }
  const git = new GitPlumbing(workspace.git);
  const state = readMergeState(workspace, feature.name);

  if (input.abort) return abortMerge(workspace, git, feature.name, state);
  if (input.continue) {
    if (!state) {
      throw new KitError(`no merge of ${feature.name} is in progress`, {
        hint: `start one with kit merge --feature ${feature.name}`,
      });
    }
    if (input.strategy && input.strategy !== state.strategy) {
      throw new KitError(`this merge was started with --strategy ${state.strategy}; --continue keeps it`, {
        hint: `run kit merge --continue without --strategy, or kit merge --abort and start again`,
        exitCode: ExitCode.usage,
      });
    }
  } else if (state && !input.dryRun) {
    throw new KitError(`a merge of ${feature.name} is already in progress (${state.phase})`, {
      hint: 'finish it with kit merge --continue, or drop it with kit merge --abort',
    });
  }

  const context: MergeContext = {
    workspace,
    git,
    feature,
    targetBranch,
    targetRef: `refs/heads/${targetBranch}`,
    strategy: (input.continue && state ? state.strategy : input.strategy) ?? 'merge',
    readyOnly: input.continue && state ? state.readyOnly : input.readyOnly,
    keepWorktrees: input.continue && state ? state.keepWorktrees : input.keepWorktrees,
  };

  const remote = workspace.config.remote;
  const remoteCheck = remote ? await checkRemoteTarget(workspace, git, remote, targetBranch, feature.name) : null;
  const finish = async (landed: MergeResult): Promise<MergeResult> => {
    const result = laneWarning ? { ...landed, warnings: [...landed.warnings, laneWarning] } : landed;
    if (!remote || !remoteCheck) return result;
    const warnings = remoteCheck.warning ? [...result.warnings, remoteCheck.warning] : result.warnings;
    if (result.outcome !== 'merged' || result.dryRun) return { ...result, warnings, publish: null };
    const publish = await publishLanded(
      workspace,
      git,
      remote,
      targetBranch,
      feature.name,
      remoteCheck,
      input.push !== false,
      result,
    );
    return { ...result, warnings, publish };
  };

  if (input.continue && state && (state.phase === 'landing' || state.phase === 'landed')) {
    const current = await git.resolveCommit(context.targetRef);
    const landed = state.result !== null && current !== null && (await git.isAncestor(state.result, current));
    // Landed (the target may have moved on since, e.g. another agent's lane commit): finish the rest.
    if (landed) return finish(await finishLanded(context, state, [], { targetNow: current }));
    if (state.phase === 'landed') {
      throw new KitError(`the merge had landed on ${targetBranch}, but ${targetBranch} no longer contains it`, {
        hint: `someone moved ${targetBranch} back; kit merge --abort drops kit's merge state, then kit merge starts again`,
      });
    }
    // The transaction never happened: plan and build again from the saved options.
  }
  return finish(await planBuildLand(context, input, state, worktreeList));
}

interface RemoteTargetCheck {
  /** The target's tip on the remote before the merge (null: the remote has no such branch); undefined offline. */
  tip: string | null | undefined;
  warning: string | null;
}

/**
 * With a remote the merge starts from what is there: the target is fetched, and a local target that lacks
 * commits the remote has is refused (landing on it would publish a merge that drops them). Offline, the
 * merge still lands here and says it is not published.
 */
async function checkRemoteTarget(
  workspace: Workspace,
  git: GitPlumbing,
  remote: string,
  targetBranch: string,
  feature: string,
): Promise<RemoteTargetCheck> {
  const [fetched] = await Promise.all([
    fetchBranch(workspace.git, remote, targetBranch),
    // The WPs' branches as other machines published them (kit move --to for_review pushes them).
    fetchBranchesStartingWith(workspace.git, remote, `${feature}-WP`),
  ]);
  if (fetched.kind === 'offline') {
    return {
      tip: undefined,
      warning: `${remote} could not be reached (${fetched.reason}): the merge lands on ${targetBranch} here only; push it once ${remote} is back (git push ${remote} ${targetBranch})`,
    };
  }
  const local = await git.resolveCommit(`refs/heads/${targetBranch}`);
  if (fetched.tip && local && fetched.tip !== local && !(await git.isAncestor(fetched.tip, local))) {
    const missing = (await git.output(['rev-list', '--count', `${local}..${fetched.tip}`])).trim();
    throw new KitError(
      `${targetBranch} on ${remote} has ${missing} commit${missing === '1' ? '' : 's'} your ${targetBranch} lacks: kit will not land on a stale target`,
      {
        hint: `bring ${targetBranch} up to date first (git pull, or git merge ${remote}/${targetBranch} in the checkout that has it), then run kit merge again`,
        exitCode: ExitCode.invalidInput,
      },
    );
  }
  return { tip: fetched.tip, warning: null };
}

/**
 * Pushes the landed target with a lease on what the remote had before the merge, then removes the landed
 * WPs' branches and claim records from the remote where their tips are in the target (nothing of theirs is
 * lost). A protected target (the push is declined) gets the push to make instead; so does --no-push.
 */
async function publishLanded(
  workspace: Workspace,
  git: GitPlumbing,
  remote: string,
  targetBranch: string,
  feature: string,
  check: RemoteTargetCheck,
  push: boolean,
  result: MergeResult,
): Promise<MergePublish> {
  const command = `git push ${remote} ${targetBranch}`;
  const base = { remote, command: null, detail: null, removedRemoteBranches: [] as string[] };
  if (check.tip === undefined) return { ...base, outcome: 'offline', command, detail: check.warning };
  if (!push) return { ...base, outcome: 'skipped', command };
  const local = await git.resolveCommit(`refs/heads/${targetBranch}`);
  if (!local) return { ...base, outcome: 'skipped', command, detail: `${targetBranch} is gone` };
  const outcome = await pushWithLease(workspace.git, remote, targetBranch, local, check.tip);
  if (outcome.kind === 'offline') return { ...base, outcome: 'offline', command, detail: outcome.reason };
  if (outcome.kind === 'rejected') {
    return {
      ...base,
      outcome: 'stale',
      command,
      detail: `${targetBranch} moved on ${remote} during the merge; bring it in (git pull), then push`,
    };
  }
  if (outcome.kind === 'refused') {
    return {
      ...base,
      outcome: 'refused',
      command,
      detail: `${remote} declined the push (${outcome.reason}); if ${targetBranch} is protected, push the merge to another branch and open a pull request`,
    };
  }
  // The landed WPs' archive refs go too: a merge in another clone then knows they landed.
  const archives = await git.refsUnder(`refs/kit/archive/${feature}/`);
  const landedArchives = result.steps
    .map((step) => ({
      ref: `refs/kit/archive/${feature}/${step.wp}`,
      commit: archives.get(`refs/kit/archive/${feature}/${step.wp}`),
    }))
    .filter((entry): entry is { ref: string; commit: string } => entry.commit !== undefined);
  if (landedArchives.length > 0) await pushCreateOnly(workspace.git, remote, landedArchives);
  const removed: string[] = [];
  const listed = await listRemoteRefs(
    workspace.git,
    remote,
    result.steps.flatMap((step) => [`refs/heads/${step.branch}`, claimRef(feature, step.wp)]),
  );
  if (listed.ok) {
    const { tips } = listed;
    for (const step of result.steps) {
      const branchRef = `refs/heads/${step.branch}`;
      const branchTip = tips.get(branchRef);
      const claim = claimRef(feature, step.wp);
      const refs: { ref: string; commit: string }[] = [];
      // Only a remote branch whose every commit is in the target: an agent's later push stays.
      if (branchTip && (await git.isAncestorIfKnown(branchTip, local)))
        refs.push({ ref: branchRef, commit: branchTip });
      const claimTip = tips.get(claim);
      if (claimTip && (refs.length > 0 || !branchTip)) refs.push({ ref: claim, commit: claimTip });
      if (refs.length > 0 && (await deleteIfUnchanged(workspace.git, remote, refs))) {
        removed.push(...refs.map((entry) => entry.ref));
      }
    }
  }
  return { ...base, outcome: 'pushed', removedRemoteBranches: removed };
}

async function planBuildLand(
  context: MergeContext,
  input: MergeInput,
  previous: MergeState | null,
  firstWorktreeList: Promise<WorktreeEntry[]>,
): Promise<MergeResult> {
  const { workspace, git, feature, targetBranch, targetRef } = context;
  const warnings: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const [before, worktrees] = await Promise.all([
      git.resolveCommit(targetRef),
      attempt === 0 ? firstWorktreeList : workspace.git.worktrees(),
    ]);
    if (!before) throw new KitError(`the target branch ${targetBranch} does not exist`);
    // The worktree checks (one `git status` each, the slowest part of a preflight) start now, and the
    // in-memory build does not wait for them: it starts on the plan the refs alone give. Worktree
    // problems only ever add blockers, so when none turns up that plan stands; when one does, the build
    // is dropped (it wrote nothing but unreferenced objects).
    const inspecting = inspectWorktrees(context, worktrees);
    inspecting.catch(() => undefined); // awaited below
    const { candidates: fromRefs, ancestry } = await gatherCandidates(context, before);
    const early = planMerge(fromRefs, { readyOnly: context.readyOnly });
    const building = early.blockers.length === 0 ? buildInMemory(context, ancestry, before, early.order) : null;
    building?.catch(() => undefined); // awaited below when the plan stands
    const inspections = await inspecting;
    // A landed WP's worktree is cleanup's business, not the preflight's.
    const candidates = fromRefs.map((wp) => ({
      ...wp,
      worktree: wp.landed ? null : (inspections.get(wp.branch)?.worktree ?? null),
    }));
    const plan = planMerge(candidates, { readyOnly: context.readyOnly });
    const base = emptyResult(context, input, before, plan);
    if (plan.blockers.length === 1 && plan.blockers[0]?.kind === 'nothing-to-merge') {
      // Already merged (by an earlier run or by hand): still clean up what is left of those WPs.
      const landed = candidates
        .filter((wp) => wp.landed && wp.tip)
        .map((wp) => ({ wp: wp.id, branch: wp.branch, tip: wp.tip as string }));
      if (input.dryRun)
        return { ...base, outcome: 'nothing-to-merge', warnings: [...warnings, plan.blockers[0].message] };
      removeMergeState(workspace, feature.name);
      const cleanup = context.keepWorktrees || landed.length === 0 ? null : await cleanUp(context, landed);
      return { ...base, outcome: 'nothing-to-merge', cleanup, warnings: [...warnings, plan.blockers[0].message] };
    }
    if (plan.blockers.length > 0) {
      throw new KitError(
        [
          `kit merge of ${feature.name} cannot start:`,
          ...plan.blockers.map((blocker) => `  - ${blocker.message}`),
        ].join('\n'),
        { hint: blockerHint(plan), exitCode: ExitCode.invalidInput },
      );
    }
    if (!input.dryRun) {
      // Written first, so a crash while building still leaves something --continue and --abort recognise.
      writeMergeState(workspace, {
        ...stateBase(context, before, plan, input.now, previous),
        phase: 'building',
        result: null,
        conflict: null,
      });
      failpoint('merge:building-state-written');
    }
    const built =
      building && sameOrder(early.order, plan.order)
        ? await building
        : await buildInMemory(context, ancestry, before, plan.order);
    warnings.push(...built.warnings);
    if (!input.dryRun) failpoint('merge:built');
    const steps = built.steps;
    if (built.conflict) {
      if (!input.dryRun) {
        writeMergeState(workspace, {
          ...stateBase(context, before, plan, input.now, previous),
          phase: 'conflict',
          result: null,
          conflict: { wp: built.conflict.wp, paths: built.conflict.files.map((file) => file.path) },
        });
      }
      return { ...base, outcome: 'conflict', steps, conflict: built.conflict, warnings };
    }
    const result = built.result;
    if (input.dryRun) {
      return {
        ...base,
        outcome: 'would-merge',
        steps,
        after: result,
        cleanupPreview: await previewCleanup(context, plan.order, worktrees, inspections),
        warnings,
      };
    }
    const state: MergeState = {
      ...stateBase(context, before, plan, input.now, previous),
      phase: 'landing',
      result,
      conflict: null,
    };
    writeMergeState(workspace, state);
    failpoint('merge:landing-state-written');
    // Under the lanes lock: a lane commit landing between the transaction and the checkout sync would
    // leave the checkout's index behind the target (kit's lane writers take the same lock).
    const landed = await withLock(
      kitStateDir(workspace),
      'lanes',
      async () => {
        const moved = await git.updateRefsAtomically(
          [{ ref: targetRef, next: result, expected: before }],
          plan.order.map((wp) => ({ ref: `refs/heads/${wp.branch}`, sha: wp.tip as string })),
        );
        if (!moved) return null;
        failpoint('merge:landed');
        writeMergeState(workspace, { ...state, phase: 'landed' });
        failpoint('merge:landed-state-written');
        return { checkout: await syncTargetCheckout(context, before, result) };
      },
      { timeoutMs: 60_000 },
    );
    if (landed) {
      const landedState: MergeState = { ...state, phase: 'landed' };
      const finished = await finishLanded(context, landedState, steps, { checkout: landed.checkout, ancestry });
      return { ...finished, skipped: plan.skipped, warnings: [...warnings, ...finished.warnings] };
    }
    // Something moved between planning and landing: find out what.
    const moved = [];
    for (const wp of plan.order) {
      const tip = await git.resolveCommit(`refs/heads/${wp.branch}`);
      if (tip !== wp.tip) moved.push({ wp, tip });
    }
    if (moved.length > 0) {
      removeMergeState(workspace, feature.name);
      const lines = [];
      for (const { wp, tip } of moved) {
        const commits = tip && wp.tip ? await git.commitsBetween(wp.tip, tip) : [];
        lines.push(
          `  - ${wp.id}: ${wp.branch} moved from ${wp.tip?.slice(0, 12)} to ${tip?.slice(0, 12) ?? '(deleted)'}` +
            commits.map((commit) => `\n      ${commit.sha.slice(0, 12)} ${commit.subject}`).join(''),
        );
      }
      throw new KitError([`nothing landed: work packages changed while kit was merging:`, ...lines].join('\n'), {
        hint: 'review the new commits (move the WP back to for_review if they need it), then run kit merge again',
      });
    }
    warnings.push(`${targetBranch} moved while kit was merging; planned again on top of it`);
  }
  removeMergeState(workspace, feature.name);
  throw new KitError(`${targetBranch} keeps moving; nothing landed`, { hint: 'run kit merge again when it is quiet' });
}

function stateBase(
  context: MergeContext,
  before: string,
  plan: MergePlan,
  now: Date,
  previous: MergeState | null,
): Omit<MergeState, 'phase' | 'result' | 'conflict'> {
  return {
    version: 1,
    feature: context.feature.name,
    targetBranch: context.targetBranch,
    strategy: context.strategy,
    readyOnly: context.readyOnly,
    keepWorktrees: context.keepWorktrees,
    targetBefore: before,
    planned: plan.order.map((wp) => ({ wp: wp.id, branch: wp.branch, tip: wp.tip as string })),
    startedAt: previous?.startedAt ?? now.toISOString(),
  };
}

function emptyResult(context: MergeContext, input: MergeInput, before: string, plan: MergePlan): MergeResult {
  return {
    feature: context.feature.name,
    targetBranch: context.targetBranch,
    strategy: context.strategy,
    dryRun: input.dryRun,
    outcome: 'merged',
    before,
    after: null,
    steps: [],
    skipped: plan.skipped,
    conflict: null,
    checkout: null,
    proof: null,
    cleanup: null,
    cleanupPreview: [],
    warnings: [],
  };
}

function blockerHint(plan: MergePlan): string {
  const kinds = new Set(plan.blockers.map((blocker) => blocker.kind));
  if (kinds.has('not-done'))
    return 'finish and review those WPs first, or land the finished part with kit merge --ready-only';
  if (kinds.has('dirty-worktree'))
    return 'commit or remove the uncommitted files in those worktrees, then run kit merge again';
  if (kinds.has('rewritten-history'))
    return 'restore the WP branch so it contains its recorded base, or start the WP again';
  return 'fix the problems above, then run kit merge again';
}

/**
 * The facts the planner needs about every WP from its refs: branch tip, landed or not, base sanity. A
 * fixed number of git processes whatever the number of WPs: three `for-each-ref`, one `log` for the
 * landed records and one for the commit graph that answers the ancestry questions.
 */
async function gatherCandidates(
  context: MergeContext,
  target: string,
): Promise<{ candidates: MergeCandidate[]; ancestry: CommitAncestry }> {
  const { git, feature } = context;
  const remote = context.workspace.config.remote;
  const [localTips, merged, archived, recorded, remoteArchived, remoteTips] = await Promise.all([
    git.branchTips(),
    git.branchesMergedInto(target),
    git.refsUnder(`refs/kit/archive/${feature.name}/`),
    landedRecords(context, target),
    remote
      ? git.refsUnder(`${remoteArchivePrefix(remote)}${feature.name}/`)
      : Promise.resolve(new Map<string, string>()),
    remote ? git.refsUnder(`refs/remotes/${remote}/${feature.name}-WP*`) : Promise.resolve(new Map<string, string>()),
  ]);
  // A WP branch that exists only on the remote (the work was done on another machine) is merged from
  // there, when it holds work beyond the target; a branch there at its claim's base holds nothing yet.
  const tips = new Map(localTips);
  const checkedOut = remoteTips.size > 0 ? await context.workspace.git.worktrees() : [];
  for (const [ref, sha] of remoteTips) {
    const branch = ref.slice(`refs/remotes/${remote}/`.length);
    const local = tips.get(branch);
    if (local === sha) continue;
    if (local === undefined) {
      if (await git.isAncestor(sha, target)) continue;
      // Made a local branch (create-only), so the landing's checks and the cleanup treat it like any WP's.
      if (await git.compareAndSwapRef(`refs/heads/${branch}`, sha, null)) tips.set(branch, sha);
      continue;
    }
    if (await git.isAncestor(sha, local)) continue; // this clone has all of it, and more
    // The remote's copy has commits this clone's lacks: merging the local one would drop them.
    const worktree = checkedOut.find((entry) => entry.branch === branch);
    if ((await git.isAncestor(local, sha)) && !worktree) {
      if (await git.compareAndSwapRef(`refs/heads/${branch}`, sha, local)) {
        tips.set(branch, sha);
        continue;
      }
    }
    throw new KitError(`${branch} on ${remote} has commits this clone's ${branch} lacks`, {
      hint: worktree
        ? `bring them into ${worktree.path} (git -C ${worktree.path} pull ${remote} ${branch}), then run kit merge again`
        : `the two have diverged: merge ${remote}/${branch} into ${branch} (or run kit merge in the clone that has all of it)`,
      exitCode: ExitCode.invalidInput,
    });
  }
  // WPs another clone merged (their archive refs fetched by kit sync) count as landed here too.
  for (const [ref, sha] of remoteArchived) {
    const local = `refs/kit/archive/${ref.slice(remoteArchivePrefix(remote ?? '').length)}`;
    if (!archived.has(local)) archived.set(local, sha);
  }
  // 3.x: approved is what is ready to land (kit records done once it has); canceled WPs do not land.
  const canceled = new Set(feature.workPackages.filter((wp) => wp.statusLane === 'canceled').map((wp) => wp.id));
  const mergeable = feature.workPackages
    .filter((wp) => !canceled.has(wp.id))
    .map((wp) => ({
      ...wp,
      lane: wp.statusLane === 'approved' ? ('done' as const) : wp.lane,
      dependencies: wp.dependencies.filter((id) => !canceled.has(id)),
    }));
  const refs = mergeable.map((wp) => {
    const branch = workPackageBranch(feature.name, wp.id);
    // A WP merged and cleaned up by an earlier run has no branch, only its archive ref in the target.
    const archive = archived.get(`refs/kit/archive/${feature.name}/${wp.id}`);
    const tip = tips.get(branch) ?? archive ?? null;
    // kit archives a WP only after landing it; squash and rebase leave no ancestry, so ask the content.
    const landed =
      tip !== null &&
      // A branch with no commits of its own is also "contained" in the target: only a done WP has landed.
      ((merged.has(branch) && wp.lane === 'done') ||
        (!tips.has(branch) && archive !== undefined) ||
        recorded.has(`${branch} ${tip}`));
    return { wp, branch, tip, landed };
  });
  const ancestry = await CommitAncestry.load(
    git,
    refs.flatMap((ref) => (ref.tip && !ref.landed ? [ref.tip] : [])),
    target,
  );
  const candidates = await Promise.all(
    refs.map(async ({ wp, branch, tip, landed }): Promise<MergeCandidate> => {
      const baseIsAncestor =
        tip && wp.baseCommit && !landed ? await ancestry.isAncestorIfKnown(wp.baseCommit, tip) : null;
      const rewritten =
        baseIsAncestor === false && tip && wp.baseCommit
          ? { base: wp.baseCommit, commits: await git.commitsBetween(wp.baseCommit, tip, [target]) }
          : undefined;
      return {
        id: wp.id,
        title: wp.title,
        lane: wp.lane,
        dependencies: wp.dependencies,
        branch,
        tip,
        landed,
        baseIsAncestor,
        rewritten,
        worktree: null,
      };
    }),
  );
  return { candidates, ancestry };
}

interface WorktreeInspection {
  worktree: NonNullable<MergeCandidate['worktree']>;
  /** Everything `git status` lists there, ignored files included (what cleanup would delete). */
  entries: StatusEntry[];
}

/** How many `git status` run at once: each is mostly file system work, and more only queue for the disk. */
const STATUS_CONCURRENCY = 4;

/** One `git status` (ignored files included) per live worktree of the feature's WPs, by branch. */
async function inspectWorktrees(
  context: MergeContext,
  worktrees: readonly WorktreeEntry[],
): Promise<Map<string, WorktreeInspection>> {
  const { feature } = context;
  const branches = new Set(feature.workPackages.map((wp) => workPackageBranch(feature.name, wp.id)));
  const live = worktrees.filter((entry) => entry.branch && branches.has(entry.branch) && !entry.prunable);
  const inspected = await mapLimited(live, STATUS_CONCURRENCY, async ({ branch, path }) => {
    // At a lower priority: the build's chain of merge-tree and commit-tree runs meanwhile, one process
    // after the other, and its latency, not the statuses' total work, decides when the merge is ready.
    const entries = await context.git.status(path, { ignored: true, lowPriority: true });
    const dirtyFiles = entries.filter((entry) => entry.code !== '!!').map((entry) => entry.path);
    return [
      branch as string,
      { worktree: { path, dirtyFiles, operation: operationInProgress(path) }, entries },
    ] as const;
  });
  return new Map(inspected);
}

function sameOrder(first: readonly MergeCandidate[], second: readonly MergeCandidate[]): boolean {
  return first.length === second.length && first.every((wp, index) => wp.id === second[index]?.id);
}

/**
 * `branch tip` pairs that squash and rebase merges recorded in the target's history (they leave no
 * ancestry behind): one `git log` over the target, so a re-run never lands the same work twice.
 */
async function landedRecords(context: MergeContext, target: string): Promise<Set<string>> {
  const out = await context.git.output([
    'log',
    '--fixed-strings',
    `--grep=${LANDED_MARK}`,
    '--format=%B',
    target,
    '--',
  ]);
  const records = new Set<string>();
  for (const match of out.matchAll(new RegExp(`^${LANDED_MARK} (\\S+) ([0-9a-f]{40,64})$`, 'gm'))) {
    records.add(`${match[1]} ${match[2]}`);
  }
  return records;
}

/** The trailer kit writes into squash commits and a WP's last rebased commit: `Kit-Merged-Branch: <branch> <tip>`. */
const LANDED_MARK = 'Kit-Merged-Branch:';

/** Every step in memory on top of the previous one; stops at the first conflict. */
async function buildInMemory(
  context: MergeContext,
  ancestry: CommitAncestry,
  target: string,
  order: readonly MergeCandidate[],
): Promise<{ result: string; steps: MergeStepReport[]; conflict: ConflictReport | null; warnings: string[] }> {
  const { git, feature, strategy } = context;
  const steps: MergeStepReport[] = [];
  const warnings: string[] = [];
  const treeOf = (commit: string) => ancestry.treeOf(commit);
  let accumulated = target;
  for (const wp of order) {
    const tip = wp.tip as string;
    const forkPoint = await forkPointOf(context, ancestry, wp.id, tip);
    // What this WP brings that the target lacks (not the target commits it merged in to catch up).
    const commits = ancestry.commitsBetween(forkPoint, tip);
    const step: MergeStepReport = { wp: wp.id, branch: wp.branch, tip, commits, clean: true, result: null };
    steps.push(step);
    let outcome: { commit: string } | { conflict: MergeTreeResult };
    if (strategy === 'merge') {
      const merged = await git.mergeTree(accumulated, tip);
      outcome = merged.clean
        ? {
            commit: await commitInMemory(
              git,
              ancestry,
              merged.tree,
              [accumulated, tip],
              mergeMessage(feature.name, wp),
            ),
          }
        : { conflict: merged };
    } else if (strategy === 'squash') {
      const merged = await git.threeWayMerge(forkPoint, accumulated, tip, treeOf);
      outcome = merged.clean
        ? {
            commit: await commitInMemory(
              git,
              ancestry,
              merged.tree,
              [accumulated],
              squashMessage(feature.name, wp, commits),
            ),
          }
        : { conflict: merged };
    } else {
      const replayed = await replayCommits(
        git,
        ancestry,
        wp,
        forkPoint,
        accumulated,
        squashMessage(feature.name, wp, commits),
      );
      if ('squashed' in replayed && replayed.squashed) {
        warnings.push(
          `${wp.id}'s branch merged ${context.targetBranch}, so it landed as one commit rather than replayed commit by commit`,
        );
      }
      outcome = replayed;
    }
    if ('conflict' in outcome) {
      step.clean = false;
      return {
        result: accumulated,
        steps,
        warnings,
        conflict: {
          wp: wp.id,
          tree: outcome.conflict.tree,
          files: describeConflict(outcome.conflict),
          mergedBefore: steps.filter((entry) => entry.clean).map((entry) => entry.wp),
        },
      };
    }
    step.result = outcome.commit;
    accumulated = outcome.commit;
  }
  return { result: accumulated, steps, conflict: null, warnings };
}

/** `git commit-tree`, and the new commit made known to the ancestry (its tree is then free to ask for). */
async function commitInMemory(
  git: GitPlumbing,
  ancestry: CommitAncestry,
  tree: string,
  parents: readonly string[],
  message: string,
): Promise<string> {
  const commit = await git.commitTree(tree, parents, message);
  ancestry.record(commit, parents, tree, message.split('\n')[0] ?? '');
  return commit;
}

/**
 * Rebase: each commit of the WP (not the target's, not its dependencies') replayed onto the result so far,
 * with its own parent as merge base; the last one records what landed. A WP branch that merged the target
 * (to catch up or resolve a conflict) carries that resolution in a merge commit, which a commit-by-commit
 * replay would drop and conflict on again: such a WP lands as one commit from its fork point instead.
 */
async function replayCommits(
  git: GitPlumbing,
  ancestry: CommitAncestry,
  wp: MergeCandidate,
  forkPoint: string,
  onto: string,
  message: string,
): Promise<{ commit: string; squashed: boolean } | { conflict: MergeTreeResult }> {
  const tip = wp.tip as string;
  const trailer = `${LANDED_MARK} ${wp.branch} ${tip}`;
  const treeOf = (commit: string) => ancestry.treeOf(commit);
  if (ancestry.countMerges(forkPoint, tip) > 0) {
    const merged = await git.threeWayMerge(forkPoint, onto, tip, treeOf);
    if (!merged.clean) return { conflict: merged };
    return { commit: await commitInMemory(git, ancestry, merged.tree, [onto], message), squashed: true };
  }
  let accumulated = onto;
  const commits = ancestry.commitsToReplay(forkPoint, tip);
  for (const [index, commit] of commits.entries()) {
    const parent = await ancestry.firstParent(commit);
    const merged = await git.threeWayMerge(parent, accumulated, commit, treeOf);
    if (!merged.clean) return { conflict: merged };
    const last = index === commits.length - 1;
    const replayed = await git.replayCommit(merged.tree, accumulated, commit, last ? trailer : undefined);
    ancestry.record(replayed, [accumulated], merged.tree, '');
    accumulated = replayed;
  }
  return { commit: accumulated, squashed: false };
}

/**
 * What a WP's change is measured from, for squash, rebase and the proofs. Two things can be true at once:
 * the WP was based on its dependencies' branches (its recorded base), and it later merged the target to
 * catch up or to resolve a conflict (then the merge base with the target moved forward). Its own change
 * is what it has beyond both: when neither contains the other, the base is a virtual one, the in-memory
 * merge of the two (as git's recursive strategy does), so neither a dependency's old code nor an already
 * resolved conflict comes back. The target is the one `ancestry` was read against.
 */
async function forkPointOf(context: MergeContext, ancestry: CommitAncestry, id: string, tip: string): Promise<string> {
  const { git } = context;
  const wp = context.feature.workPackages.find((candidate) => candidate.id === id);
  const [withTarget, recordedIsAncestor] = await Promise.all([
    ancestry.mergeBaseWithTarget(tip),
    wp?.baseCommit ? ancestry.isAncestorIfKnown(wp.baseCommit, tip) : null,
  ]);
  const recorded = wp?.baseCommit && recordedIsAncestor ? wp.baseCommit : null;
  if (!recorded) {
    if (withTarget) return withTarget;
    throw new KitError(`${id}'s branch shares no history with ${context.targetBranch}`);
  }
  if (!withTarget || (await ancestry.isAncestor(withTarget, recorded))) return recorded;
  if (await ancestry.isAncestor(recorded, withTarget)) return withTarget;
  const virtual = await git.mergeTree(recorded, withTarget);
  if (!virtual.clean) return recorded;
  return commitInMemory(git, ancestry, virtual.tree, [recorded, withTarget], `kit: virtual merge base for ${id}\n`);
}

function mergeMessage(feature: string, wp: MergeCandidate): string {
  return `Merge ${wp.id} of ${feature}: ${wp.title}\n\nkit merge: branch ${wp.branch} (${wp.tip?.slice(0, 12)})\n`;
}

function squashMessage(
  feature: string,
  wp: MergeCandidate,
  commits: readonly { sha: string; subject: string }[],
): string {
  const list = commits.map((commit) => `- ${commit.subject} (${commit.sha.slice(0, 12)})`).join('\n');
  return `${wp.id} of ${feature}: ${wp.title}\n\nkit merge of ${wp.branch} as one commit:\n${list}\n\n${LANDED_MARK} ${wp.branch} ${wp.tip}\n`;
}

function describeConflict(merged: MergeTreeResult): ConflictReport['files'] {
  return conflictedFiles(merged).map((file) => ({ ...file, preview: `git show ${merged.tree}:${file.path}` }));
}

/** After the transaction: move the checkout along, prove, clean up, drop the state. */
async function finishLanded(
  context: MergeContext,
  state: MergeState,
  steps: MergeStepReport[],
  known: {
    /** The target's tip when a resumed merge finds it moved on since landing. */
    targetNow?: string | null;
    /** The checkout as the landing already synced it. */
    checkout?: MergeResult['checkout'];
    /** The build's commit graph, read against the same old target. */
    ancestry?: CommitAncestry;
  } = {},
): Promise<MergeResult> {
  const { workspace, feature, targetBranch } = context;
  const result = state.result as string;
  const warnings: string[] = [];
  const checkout =
    known.checkout !== undefined
      ? known.checkout
      : known.targetNow && known.targetNow !== result
        ? await catchUpCheckout(context, state.targetBefore, known.targetNow)
        : await syncTargetCheckout(context, state.targetBefore, result);
  failpoint('merge:checkout-synced');
  const proof = await proveNothingLost(context, state, known.ancestry);
  failpoint('merge:proved');
  if (feature.format === '3.x') {
    const recorded = await recordLandedInStatusLog(
      context,
      state.planned.map((entry) => entry.wp),
    );
    if (recorded) warnings.push(recorded);
  }
  if (usesLaneRef(workspace.config)) warnings.push(...(await recordLanesInTarget(context)));
  const cleanup = context.keepWorktrees ? null : await cleanUp(context, state.planned);
  removeMergeState(workspace, feature.name);
  return {
    feature: feature.name,
    targetBranch,
    strategy: context.strategy,
    dryRun: false,
    outcome: 'merged',
    before: state.targetBefore,
    after: result,
    steps,
    skipped: [],
    conflict: null,
    checkout,
    proof,
    cleanup,
    cleanupPreview: [],
    warnings,
  };
}

/**
 * 3.x: the landed WPs that were approved move to done in the event log (actor "merge", as 3.x's own merge
 * records it), in one lane commit after the landing. A failure here loses nothing (the code has landed)
 * and comes back as a warning with the command that records it.
 */
async function recordLandedInStatusLog(context: MergeContext, landed: readonly string[]): Promise<string | null> {
  const { workspace, feature, targetBranch } = context;
  // Read again: the lanes may have changed while the merge ran (the write re-checks them under the lock).
  const [fresh] = await loadLaneState(workspace, [await selectFeature(workspace, feature.name)]);
  const approved = (fresh ?? feature).workPackages.filter(
    (wp) => landed.includes(wp.id) && wp.statusLane === 'approved',
  );
  if (approved.length === 0 || !fresh) return null;
  try {
    await recordStatusLaneChanges(workspace, {
      feature: fresh,
      targetBranch,
      changes: approved.map((wp) => ({ wp, to: 'done' as const, expectFrom: 'approved' })),
      force: false,
      actor: 'merge',
      note: null,
      reviewer: null,
      now: new Date(),
      mergedInto: targetBranch,
      publish: false,
      message: `kit: ${feature.name} ${approved.map((wp) => wp.id).join(', ')} approved → done\n\nMerged into ${targetBranch}.\n`,
    });
    return null;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return `the merge landed, but kit could not record done in ${feature.path}/status.events.jsonl: ${reason}; record it with kit move <WP> --to done --feature ${feature.name}`;
  }
}

/**
 * lane_store: ref: the feature's lanes go from the lane ref into the planning files on the target, after
 * the landing (the proof is about the WPs' changes). A failure loses nothing: the lanes stay on the ref.
 */
async function recordLanesInTarget(context: MergeContext): Promise<string[]> {
  const { workspace, feature, targetBranch } = context;
  try {
    return (await writeLanesIntoTarget(workspace, feature, targetBranch)).warnings;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return [
      `the merge landed, but kit could not write the lanes into ${targetBranch}'s planning files: ${reason}; they stay on refs/kit/lanes/${targetBranch}`,
    ];
  }
}

type CheckoutMove =
  | { outcome: 'none' }
  | { outcome: 'moved'; checkout: NonNullable<MergeResult['checkout']> }
  | { outcome: 'refused'; path: string; files: string[] };

/**
 * A branch moved under a checkout leaves that checkout's index at the old commit (its `git status` would
 * show the merge staged in reverse). `read-tree -m -u OLD NEW` moves index and files along and refuses to
 * overwrite the user's own changes. A checkout already there (a resumed run) is left as it is.
 */
async function moveCheckoutAlong(context: MergeContext, before: string, after: string): Promise<CheckoutMove> {
  const { workspace, git, targetBranch } = context;
  const checkout = (await workspace.git.worktrees()).find((entry) => entry.branch === targetBranch && !entry.bare);
  if (!checkout) return { outcome: 'none' };
  const cwd = { cwd: checkout.path };
  // The list was read just now, so its HEAD is the checkout's (the branch it has out).
  const head = checkout.head ?? (await git.output(['rev-parse', 'HEAD'], undefined, cwd));
  if (head !== after) return { outcome: 'moved', checkout: { path: checkout.path, updated: false } };
  const synced = await workspace.git.spawnGit(['diff-index', '--cached', '--quiet', after, '--'], undefined, cwd);
  if (synced.exitCode === 0) return { outcome: 'moved', checkout: { path: checkout.path, updated: true } };
  const result = await workspace.git.spawnGit(['read-tree', '-m', '-u', before, after], undefined, cwd);
  if (result.exitCode === 0) return { outcome: 'moved', checkout: { path: checkout.path, updated: true } };
  const files = [...new Set([...result.stderr.matchAll(/'([^']+)'/g)].map((match) => match[1] ?? ''))].filter(Boolean);
  return { outcome: 'refused', path: checkout.path, files };
}

/** Right after landing: if the checkout cannot follow, the target goes back and kit says which files. */
async function syncTargetCheckout(
  context: MergeContext,
  before: string,
  after: string,
): Promise<MergeResult['checkout']> {
  const { workspace, git, targetBranch, targetRef, feature } = context;
  const moved = await moveCheckoutAlong(context, before, after);
  if (moved.outcome === 'none') return null;
  if (moved.outcome === 'moved') return moved.checkout;
  const restored = await git.compareAndSwapRef(targetRef, before, after);
  removeMergeState(workspace, feature.name);
  const files = moved.files.length > 0 ? `: ${moved.files.join(', ')}` : '';
  throw new KitError(
    restored
      ? `the merge would overwrite uncommitted changes in ${moved.path}${files}; ${targetBranch} is back at ${before.slice(0, 12)} and nothing was merged`
      : `${moved.path} could not be updated and ${targetBranch} moved again meanwhile; it is at the merged commit ${after.slice(0, 12)}`,
    {
      hint: restored
        ? `commit or stash those changes in ${moved.path}, then run kit merge again`
        : `in ${moved.path}: git stash, then git read-tree -m -u ${before.slice(0, 12)} ${after.slice(0, 12)}, then git stash pop`,
    },
  );
}

/**
 * Resuming a landed merge after the target moved on (kit crashed, then another commit landed): the branch
 * cannot be put back any more, so the checkout is brought to the target's tip, and if the user's changes
 * are in the way kit says exactly how to finish by hand.
 */
async function catchUpCheckout(context: MergeContext, before: string, now: string): Promise<MergeResult['checkout']> {
  const moved = await moveCheckoutAlong(context, before, now);
  if (moved.outcome === 'none') return null;
  if (moved.outcome === 'moved') return moved.checkout;
  throw new KitError(`the merge is on ${context.targetBranch}, but ${moved.path} could not be brought up to date`, {
    hint: `in ${moved.path}: git stash, git read-tree -m -u ${before.slice(0, 12)} ${now.slice(0, 12)}, git stash pop; then kit merge --continue`,
  });
}

/**
 * The proof that nothing was lost: every WP's change is in the new target (merge strategy: its tip is an
 * ancestor; squash and rebase: applying the WP again onto the result changes nothing), and applying the
 * old target's own changes again changes nothing either (nothing it had was reverted). git answers the
 * containment and the differences itself, in one `rev-list` and one `diff-tree` for all WPs; only the
 * fork points come from the commit graph the build used.
 */
async function proveNothingLost(
  context: MergeContext,
  state: MergeState,
  built?: CommitAncestry,
): Promise<MergeResult['proof']> {
  const { git, strategy } = context;
  const result = state.result as string;
  const ancestry =
    built ??
    (await CommitAncestry.load(
      git,
      state.planned.map((planned) => planned.tip),
      state.targetBefore,
    ));
  const forkPoints: string[] = [];
  for (const planned of state.planned) forkPoints.push(await forkPointOf(context, ancestry, planned.wp, planned.tip));
  // The old target, and for the merge strategy every WP tip, must be contained in the result.
  const mustContain = [state.targetBefore, ...(strategy === 'merge' ? state.planned.map((p) => p.tip) : [])];
  const [resultTree, missing, changed] = await Promise.all([
    ancestry.treeOf(result),
    git.commitsMissingFrom(mustContain, result),
    git.changedPathsOfPairs([
      ...state.planned.map((planned, index) => ({ from: forkPoints[index] as string, to: planned.tip })),
      { from: state.targetBefore, to: result },
    ]),
  ]);
  const failures: string[] = [];
  if (missing.length > 0) {
    // Which of them: rare, so one question each.
    if (!(await git.isAncestor(state.targetBefore, result))) failures.push(`the old target is not in the new one`);
    for (const planned of state.planned) {
      if (strategy === 'merge' && !(await git.isAncestor(planned.tip, result))) {
        failures.push(`${planned.wp}'s tip is not in the result`);
      }
    }
    if (failures.length === 0) failures.push(`commits missing from the result: ${missing.slice(0, 5).join(', ')}`);
  }
  if (strategy !== 'merge') {
    const again = await mapLimited(state.planned, 4, (planned, index) =>
      git.threeWayMerge(forkPoints[index] as string, result, planned.tip),
    );
    again.forEach((merged, index) => {
      if (!merged.clean || merged.tree !== resultTree) {
        failures.push(`${state.planned[index]?.wp}'s change is not fully in the result`);
      }
    });
  }
  // Everything that differs between the old target and the result must be some WP's change: a file no WP
  // touched but the result changed is a change of the target's that was reverted (or worse).
  const touched = new Set(changed.slice(0, -1).flat());
  const unexplained = (changed[changed.length - 1] ?? []).filter((path) => !touched.has(path));
  if (unexplained.length > 0) {
    failures.push(
      `files changed that no work package touched (a reverted change of ${context.targetBranch}?): ${unexplained.slice(0, 10).join(', ')}`,
    );
  }
  if (failures.length > 0) {
    throw new KitError(
      `kit merge landed ${result.slice(0, 12)} on ${context.targetBranch} but cannot prove nothing was lost:\n  - ${failures.join('\n  - ')}`,
      {
        hint: `this is a bug in kit: please report it. To undo: git update-ref refs/heads/${context.targetBranch} ${state.targetBefore} ${result}`,
        exitCode: ExitCode.internal,
      },
    );
  }
  return { checked: state.planned.length, ok: true };
}

/**
 * Why a WP worktree must stay, or null when removing it loses nothing. `entries` is its `git status`
 * with ignored files, when the caller has just read it.
 */
async function reasonToKeep(
  context: MergeContext,
  worktree: WorktreeEntry,
  known?: StatusEntry[],
): Promise<string | null> {
  if (worktree.locked !== null) return `locked${worktree.locked ? ` (${worktree.locked})` : ''}`;
  if (isInside(process.cwd(), worktree.path)) return 'kit merge is running inside it';
  const operation = operationInProgress(worktree.path);
  if (operation) return `a ${operation} is in progress there`;
  const entries = known ?? (await context.git.status(worktree.path, { ignored: true }));
  const dirty = entries.filter((entry) => entry.code !== '!!').map((entry) => entry.path);
  if (dirty.length > 0) return `uncommitted files: ${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', ...' : ''}`;
  // `git worktree remove` deletes ignored files silently: keep the worktree unless each one is a copy kit
  // made from the main checkout (.worktreeinclude), which removing cannot lose.
  const ignored = entries.filter((entry) => entry.code === '!!').map((entry) => entry.path);
  const own = ignored.filter((path) => !sameFileIn(context.workspace.root, worktree.path, path));
  if (own.length > 0) {
    return `ignored files kit did not put there would be deleted: ${own.slice(0, 5).join(', ')}${own.length > 5 ? ', ...' : ''} (remove it yourself with git worktree remove --force ${worktree.path})`;
  }
  return null;
}

function isInside(path: string, directory: string): boolean {
  const rel = relative(directory, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !rel.startsWith('/'));
}

/** What cleanup would do, from the worktree list and statuses the preflight read. */
async function previewCleanup(
  context: MergeContext,
  order: readonly MergeCandidate[],
  worktrees: readonly WorktreeEntry[],
  inspections: ReadonlyMap<string, WorktreeInspection>,
): Promise<MergeResult['cleanupPreview']> {
  if (context.keepWorktrees) {
    return order.map((wp) => ({
      wp: wp.id,
      worktree: null,
      branch: wp.branch,
      action: 'keep',
      reason: '--keep-worktrees',
    }));
  }
  const preview: MergeResult['cleanupPreview'] = [];
  for (const wp of order) {
    const worktree = worktrees.find((entry) => entry.branch === wp.branch) ?? null;
    const reason = worktree ? await reasonToKeep(context, worktree, inspections.get(wp.branch)?.entries) : null;
    preview.push({
      wp: wp.id,
      worktree: worktree?.path ?? null,
      branch: wp.branch,
      action: reason ? 'keep' : 'remove',
      reason: reason ?? 'merged; an archive ref keeps its commits',
    });
  }
  return preview;
}

/** The reflog message of the one transaction that deletes the merged WPs' branches. */
export const DELETE_BRANCHES_REASON = 'kit merge: delete merged branches';

/**
 * Removes each merged WP's worktree, then its branch (compare-and-swap on the tip that landed), re-reading
 * the worktree list right before each step. An archive ref per WP keeps its commits reachable so the
 * cleanup can be undone. Only what git actually did is reported as done.
 */
async function cleanUp(context: MergeContext, merged: MergeState['planned']): Promise<CleanupReport> {
  const { workspace, git, feature } = context;
  const report: CleanupReport = {
    removedWorktrees: [],
    keptWorktrees: [],
    deletedBranches: [],
    keptBranches: [],
    archiveRefs: [],
  };
  // The archive refs first, in one transaction: from here on no commit of a merged WP can get lost.
  const archives = merged.map((planned) => ({
    ref: `refs/kit/archive/${feature.name}/${planned.wp}`,
    tip: planned.tip,
  }));
  await git.output(
    ['update-ref', '-m', 'kit merge: archive', '--stdin'],
    archives.map((archive) => `update ${archive.ref} ${archive.tip}\n`).join(''),
  );
  report.archiveRefs.push(...archives.map((archive) => archive.ref));

  const keptWorktree = new Set<string>();
  // The next worktree's `git status` runs while this one is being removed (a removal is mostly disk
  // work, a status mostly lstat calls). `git worktree remove` itself refuses modified and untracked
  // files, so all a status read that moment early could miss is an ignored file created in that moment.
  let upcoming: { path: string; entries: Promise<StatusEntry[]> } | null = null;
  for (const [index, planned] of merged.entries()) {
    const worktrees = await workspace.git.worktrees();
    const worktree = worktrees.find((entry) => entry.branch === planned.branch);
    const known =
      worktree && upcoming?.path === worktree.path ? await upcoming.entries.catch(() => undefined) : undefined;
    const next = merged[index + 1];
    const nextWorktree = next && worktrees.find((entry) => entry.branch === next.branch && !entry.prunable);
    upcoming = nextWorktree
      ? { path: nextWorktree.path, entries: git.status(nextWorktree.path, { ignored: true }) }
      : null;
    upcoming?.entries.catch(() => undefined); // awaited on the next round, or read again there
    if (!worktree) continue;
    const reason = await reasonToKeep(context, worktree, known);
    const removed = reason ? null : await workspace.git.spawnGit(['worktree', 'remove', worktree.path]);
    if (removed?.exitCode === 0) {
      report.removedWorktrees.push(worktree.path);
      failpoint('merge:first-worktree-removed');
      continue;
    }
    keptWorktree.add(planned.branch);
    report.keptWorktrees.push({
      path: worktree.path,
      wp: planned.wp,
      reason: reason ?? `git refused: ${removed?.stderr.trim().split('\n')[0]}`,
    });
    report.keptBranches.push({
      branch: planned.branch,
      wp: planned.wp,
      reason: `its worktree ${worktree.path} is kept`,
    });
  }

  // The branches, after reading the worktree list once more: one checked out anywhere stays.
  const checkedOut = new Map(
    (await workspace.git.worktrees())
      .filter((entry) => entry.branch)
      .map((entry) => [entry.branch as string, entry.path]),
  );
  const deletable: MergeState['planned'] = [];
  for (const planned of merged) {
    if (keptWorktree.has(planned.branch)) continue;
    const path = checkedOut.get(planned.branch);
    if (path) report.keptBranches.push({ branch: planned.branch, wp: planned.wp, reason: `checked out in ${path}` });
    else deletable.push(planned);
  }
  const tips = await git.branchTips();
  // Already deleted: a resumed cleanup.
  const present = deletable.filter((planned) => tips.has(planned.branch));
  // One transaction deletes them all when none moved; when one did, each on its own, so the rest go.
  const together =
    present.length > 0 &&
    (await git.deleteRefsAtomically(
      present.map((planned) => ({ ref: `refs/heads/${planned.branch}`, expected: planned.tip })),
      DELETE_BRANCHES_REASON,
    ));
  for (const planned of present) {
    const deleted =
      together ||
      (await workspace.git.spawnGit(['update-ref', '-d', `refs/heads/${planned.branch}`, planned.tip])).exitCode === 0;
    if (deleted) report.deletedBranches.push(planned.branch);
    else
      report.keptBranches.push({
        branch: planned.branch,
        wp: planned.wp,
        reason: 'it moved after the merge (new commits are kept)',
      });
  }
  return report;
}

async function abortMerge(
  workspace: Workspace,
  git: GitPlumbing,
  feature: string,
  state: MergeState | null,
): Promise<MergeResult> {
  if (!state) throw new KitError(`no merge of ${feature} is in progress`, { hint: 'there is nothing to abort' });
  const current = await git.resolveCommit(`refs/heads/${state.targetBranch}`);
  // Refuse only while the target still holds the merge: once it was moved back, there is nothing to keep.
  const holdsMerge = state.result !== null && current !== null && (await git.isAncestor(state.result, current));
  if (holdsMerge) {
    throw new KitError(
      `the merge of ${feature} has already landed on ${state.targetBranch} (${state.result?.slice(0, 12)})`,
      {
        hint: `finish it with kit merge --continue; to move ${state.targetBranch} back: git update-ref refs/heads/${state.targetBranch} ${state.targetBefore} ${state.result} (then git read-tree -m -u ${state.result} ${state.targetBefore} in the checkout that has it out)`,
      },
    );
  }
  // Before landing kit wrote nothing but its state file: the user's own merges and changes are not kit's.
  removeMergeState(workspace, feature);
  return {
    feature,
    targetBranch: state.targetBranch,
    strategy: state.strategy,
    dryRun: false,
    outcome: 'aborted',
    before: state.targetBefore,
    after: null,
    steps: [],
    skipped: [],
    conflict: null,
    checkout: null,
    proof: null,
    cleanup: null,
    cleanupPreview: [],
    warnings: [],
  };
}
