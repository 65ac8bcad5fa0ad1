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
import { operationInProgress, sameFileIn } from '../io/checkout.js';
import { conflictedFiles, GitPlumbing, type MergeTreeResult, type WorktreeEntry } from '../io/git.js';
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
  const featureDir = await selectFeature(workspace, input.feature);
  const [feature] = await loadLaneState(workspace, [featureDir]);
  if (!feature) throw new Error(`feature ${featureDir.name} vanished while loading`);
  const targetBranch = await targetBranchOf(workspace, feature);
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

  if (input.continue && state && (state.phase === 'landing' || state.phase === 'landed')) {
    const current = await git.resolveCommit(context.targetRef);
    const landed = state.result !== null && current !== null && (await git.isAncestor(state.result, current));
    // Landed (the target may have moved on since, e.g. another agent's lane commit): finish the rest.
    if (landed) return finishLanded(context, state, [], current);
    if (state.phase === 'landed') {
      throw new KitError(`the merge had landed on ${targetBranch}, but ${targetBranch} no longer contains it`, {
        hint: `someone moved ${targetBranch} back; kit merge --abort drops kit's merge state, then kit merge starts again`,
      });
    }
    // The transaction never happened: plan and build again from the saved options.
  }
  return planBuildLand(context, input, state);
}

async function planBuildLand(
  context: MergeContext,
  input: MergeInput,
  previous: MergeState | null,
): Promise<MergeResult> {
  const { workspace, git, feature, targetBranch, targetRef } = context;
  const warnings: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = await git.resolveCommit(targetRef);
    if (!before) throw new KitError(`the target branch ${targetBranch} does not exist`);
    const worktrees = await workspace.git.worktrees();
    const candidates = await gatherCandidates(context, before, worktrees);
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
    const built = await buildInMemory(context, before, plan.order);
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
        cleanupPreview: await previewCleanup(context, plan.order, worktrees),
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
        if (!moved) return false;
        failpoint('merge:landed');
        writeMergeState(workspace, { ...state, phase: 'landed' });
        failpoint('merge:landed-state-written');
        await syncTargetCheckout(context, before, result);
        return true;
      },
      { timeoutMs: 60_000 },
    );
    if (landed) {
      const landedState: MergeState = { ...state, phase: 'landed' };
      const finished = await finishLanded(context, landedState, steps);
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

/** The facts the planner needs about every WP: branch tip, landed or not, worktree state, base sanity. */
async function gatherCandidates(context: MergeContext, target: string, worktrees: readonly WorktreeEntry[]) {
  const { git, feature } = context;
  const byBranch = new Map(worktrees.filter((entry) => entry.branch).map((entry) => [entry.branch as string, entry]));
  // Two processes for every branch tip and for "already in the target", whatever the number of WPs.
  const [tips, merged, archived, recorded] = await Promise.all([
    git.branchTips(),
    git.branchesMergedInto(target),
    git.refsUnder(`refs/kit/archive/${feature.name}/`),
    landedRecords(context, target),
  ]);
  return Promise.all(
    feature.workPackages.map(async (wp): Promise<MergeCandidate> => {
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
      const baseIsAncestor = tip && wp.baseCommit && !landed ? await git.isAncestorIfKnown(wp.baseCommit, tip) : null;
      const rewritten =
        baseIsAncestor === false && tip && wp.baseCommit
          ? { base: wp.baseCommit, commits: await git.commitsBetween(wp.baseCommit, tip, [target]) }
          : undefined;
      const entry = byBranch.get(branch);
      let worktree: MergeCandidate['worktree'] = null;
      if (entry && !entry.prunable && !landed) {
        const dirty = await git.status(entry.path);
        worktree = {
          path: entry.path,
          dirtyFiles: dirty.map((file) => file.path),
          operation: operationInProgress(entry.path),
        };
      }
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
        worktree,
      };
    }),
  );
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
  target: string,
  order: readonly MergeCandidate[],
): Promise<{ result: string; steps: MergeStepReport[]; conflict: ConflictReport | null; warnings: string[] }> {
  const { git, feature, strategy } = context;
  const steps: MergeStepReport[] = [];
  const warnings: string[] = [];
  let accumulated = target;
  for (const wp of order) {
    const tip = wp.tip as string;
    const forkPoint = await forkPointOf(context, wp.id, tip, target);
    // What this WP brings that the target lacks (not the target commits it merged in to catch up).
    const commits = await git.commitsBetween(forkPoint, tip, [target]);
    const step: MergeStepReport = { wp: wp.id, branch: wp.branch, tip, commits, clean: true, result: null };
    steps.push(step);
    let outcome: { commit: string } | { conflict: MergeTreeResult };
    if (strategy === 'merge') {
      const merged = await git.mergeTree(accumulated, tip);
      outcome = merged.clean
        ? { commit: await git.commitTree(merged.tree, [accumulated, tip], mergeMessage(feature.name, wp)) }
        : { conflict: merged };
    } else if (strategy === 'squash') {
      const merged = await git.threeWayMerge(forkPoint, accumulated, tip);
      outcome = merged.clean
        ? { commit: await git.commitTree(merged.tree, [accumulated], squashMessage(feature.name, wp, commits)) }
        : { conflict: merged };
    } else {
      const replayed = await replayCommits(
        git,
        wp,
        forkPoint,
        accumulated,
        target,
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

/**
 * Rebase: each commit of the WP (not the target's, not its dependencies') replayed onto the result so far,
 * with its own parent as merge base; the last one records what landed. A WP branch that merged the target
 * (to catch up or resolve a conflict) carries that resolution in a merge commit, which a commit-by-commit
 * replay would drop and conflict on again: such a WP lands as one commit from its fork point instead.
 */
async function replayCommits(
  git: GitPlumbing,
  wp: MergeCandidate,
  forkPoint: string,
  onto: string,
  target: string,
  message: string,
): Promise<{ commit: string; squashed: boolean } | { conflict: MergeTreeResult }> {
  const tip = wp.tip as string;
  const trailer = `${LANDED_MARK} ${wp.branch} ${tip}`;
  if ((await git.countMerges(tip, [forkPoint, target])) > 0) {
    const merged = await git.threeWayMerge(forkPoint, onto, tip);
    if (!merged.clean) return { conflict: merged };
    return { commit: await git.commitTree(merged.tree, [onto], message), squashed: true };
  }
  const commits = await git.commitsToReplay(forkPoint, tip, [target]);
  let accumulated = onto;
  for (const [index, commit] of commits.entries()) {
    const parent = await git.output(['rev-parse', '--verify', `${commit}^`]);
    const merged = await git.threeWayMerge(parent, accumulated, commit);
    if (!merged.clean) return { conflict: merged };
    const last = index === commits.length - 1;
    accumulated = await git.replayCommit(merged.tree, accumulated, commit, last ? trailer : undefined);
  }
  return { commit: accumulated, squashed: false };
}

/**
 * What a WP's change is measured from, for squash, rebase and the proofs. Two things can be true at once:
 * the WP was based on its dependencies' branches (its recorded base), and it later merged the target to
 * catch up or to resolve a conflict (then the merge base with the target moved forward). Its own change
 * is what it has beyond both: when neither contains the other, the base is a virtual one, the in-memory
 * merge of the two (as git's recursive strategy does), so neither a dependency's old code nor an already
 * resolved conflict comes back.
 */
async function forkPointOf(context: MergeContext, id: string, tip: string, target: string): Promise<string> {
  const { git } = context;
  const wp = context.feature.workPackages.find((candidate) => candidate.id === id);
  const withTarget = await git.output(['merge-base', tip, target]).catch(() => null);
  const recorded = wp?.baseCommit && (await git.isAncestorIfKnown(wp.baseCommit, tip)) ? wp.baseCommit : null;
  if (!recorded) {
    if (withTarget) return withTarget;
    throw new KitError(`${id}'s branch shares no history with ${context.targetBranch}`);
  }
  if (!withTarget || (await git.isAncestor(withTarget, recorded))) return recorded;
  if (await git.isAncestor(recorded, withTarget)) return withTarget;
  const virtual = await git.mergeTree(recorded, withTarget);
  if (!virtual.clean) return recorded;
  return git.commitTree(virtual.tree, [recorded, withTarget], `kit: virtual merge base for ${id}\n`);
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
  targetNow: string | null = null,
): Promise<MergeResult> {
  const { workspace, feature, targetBranch } = context;
  const result = state.result as string;
  const warnings: string[] = [];
  const checkout =
    targetNow && targetNow !== result
      ? await catchUpCheckout(context, state.targetBefore, targetNow)
      : await syncTargetCheckout(context, state.targetBefore, result);
  failpoint('merge:checkout-synced');
  const proof = await proveNothingLost(context, state);
  failpoint('merge:proved');
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
  const head = await git.output(['rev-parse', 'HEAD'], undefined, cwd);
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
 * old target's own changes again changes nothing either (nothing it had was reverted).
 */
async function proveNothingLost(context: MergeContext, state: MergeState): Promise<MergeResult['proof']> {
  const { git, strategy } = context;
  const result = state.result as string;
  const resultTree = await git.treeOf(result);
  const failures: string[] = [];
  if (!(await git.isAncestor(state.targetBefore, result))) failures.push(`the old target is not in the new one`);
  const touched = new Set<string>();
  for (const planned of state.planned) {
    const forkPoint = await forkPointOf(context, planned.wp, planned.tip, state.targetBefore);
    for (const path of await git.changedPaths(forkPoint, planned.tip, '.')) touched.add(path);
    if (strategy === 'merge') {
      if (!(await git.isAncestor(planned.tip, result))) failures.push(`${planned.wp}'s tip is not in the result`);
      continue;
    }
    const again = await git.threeWayMerge(forkPoint, result, planned.tip);
    if (!again.clean || again.tree !== resultTree) failures.push(`${planned.wp}'s change is not fully in the result`);
  }
  // Everything that differs between the old target and the result must be some WP's change: a file no WP
  // touched but the result changed is a change of the target's that was reverted (or worse).
  const unexplained = (await git.changedPaths(state.targetBefore, result, '.')).filter((path) => !touched.has(path));
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

/** Why a WP worktree must stay, or null when removing it loses nothing. */
async function reasonToKeep(context: MergeContext, worktree: WorktreeEntry): Promise<string | null> {
  if (worktree.locked !== null) return `locked${worktree.locked ? ` (${worktree.locked})` : ''}`;
  if (isInside(process.cwd(), worktree.path)) return 'kit merge is running inside it';
  const operation = operationInProgress(worktree.path);
  if (operation) return `a ${operation} is in progress there`;
  const entries = await context.git.status(worktree.path, { ignored: true });
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

async function previewCleanup(
  context: MergeContext,
  order: readonly MergeCandidate[],
  worktrees: readonly WorktreeEntry[],
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
    const reason = worktree ? await reasonToKeep(context, worktree) : null;
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
  for (const planned of merged) {
    const archive = `refs/kit/archive/${feature.name}/${planned.wp}`;
    await git.output(['update-ref', '-m', 'kit merge: archive', archive, planned.tip]);
    report.archiveRefs.push(archive);
    let worktree = (await workspace.git.worktrees()).find((entry) => entry.branch === planned.branch);
    if (worktree) {
      const reason = await reasonToKeep(context, worktree);
      if (reason) {
        report.keptWorktrees.push({ path: worktree.path, wp: planned.wp, reason });
        report.keptBranches.push({
          branch: planned.branch,
          wp: planned.wp,
          reason: `its worktree ${worktree.path} is kept`,
        });
        continue;
      }
      const removed = await workspace.git.spawnGit(['worktree', 'remove', worktree.path]);
      if (removed.exitCode !== 0) {
        report.keptWorktrees.push({
          path: worktree.path,
          wp: planned.wp,
          reason: `git refused: ${removed.stderr.trim().split('\n')[0]}`,
        });
        report.keptBranches.push({
          branch: planned.branch,
          wp: planned.wp,
          reason: `its worktree ${worktree.path} is kept`,
        });
        continue;
      }
      report.removedWorktrees.push(worktree.path);
      failpoint('merge:first-worktree-removed');
    }
    worktree = (await workspace.git.worktrees()).find((entry) => entry.branch === planned.branch);
    if (worktree) {
      report.keptBranches.push({ branch: planned.branch, wp: planned.wp, reason: `checked out in ${worktree.path}` });
      continue;
    }
    const current = await git.resolveCommit(`refs/heads/${planned.branch}`);
    if (!current) continue; // already deleted (a resumed cleanup)
    const deleted = await workspace.git.spawnGit(['update-ref', '-d', `refs/heads/${planned.branch}`, planned.tip]);
    if (deleted.exitCode === 0) report.deletedBranches.push(planned.branch);
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
