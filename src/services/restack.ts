/**
 * `kit restack`: rebases every WP branch whose base no longer holds its dependencies' current tips onto
 * them, in dependency order, so a chain WP01 ← WP02 ← WP03 follows WP01 when it changes.
 *
 * Like the merge it builds everything in memory first (three-way merges with `merge-tree`, commits with
 * `commit-tree`; nothing checked out, no ref moved), so a conflict anywhere stops the run with nothing
 * written. Only then, WP by WP in dependency order, it keeps an archive ref of the old tip
 * (`refs/kit/restack-archive/<feature>/<WP>/<old tip>`) and moves the branch with a compare-and-swap in
 * one ref transaction, and brings the WP's worktree along with `read-tree -m -u old new` (which refuses
 * to overwrite anything; the branch then goes back). A worktree with uncommitted or untracked files, or
 * with a rebase or merge going on, is never touched: its WP is skipped and said so, with every WP that
 * would build on it. Last, the new bases are recorded as `base_commit` in the WP files, one lane commit
 * on the target branch.
 */
import { findCycles } from '../domain/dependency-graph.js';
import type { CommitGraph } from '../domain/commit-graph.js';
import { ignoredInTheWay, restackOrder, waitsFor } from '../domain/stack.js';
import type { WorkPackage } from '../domain/work-package.js';
import { ExitCode, KitError } from '../errors.js';
import { branchOfOperation, operationInProgress } from '../io/checkout.js';
import { readCommitGraph } from '../io/commit-ancestry.js';
import { loadLaneState } from '../io/feature-store.js';
import { editFrontmatter } from '../io/frontmatter.js';
import { conflictedFiles, GitPlumbing, type MergeTreeResult } from '../io/git.js';
import { pushWithLease } from '../io/remote.js';
import { writeLaneFiles } from '../io/work-package-store.js';
import type { Workspace } from '../io/workspace.js';
import { selectFeature } from './feature-selection.js';
import { mergedBase } from './implement-work-package.js';
import { parseWorkPackageArgument, targetBranchOf, workPackageBranch } from './work-package-context.js';

export interface RestackInput {
  feature?: string | undefined;
  /** Restack this WP and everything that depends on it; every WP of the feature when undefined. */
  wp?: string | undefined;
  dryRun: boolean;
}

export type RestackOutcome = 'restacked' | 'planned' | 'up-to-date' | 'skipped' | 'conflict';

export interface RestackStep {
  wp: string;
  branch: string;
  /**
   * restacked: moved (with its worktree); planned: built in memory, not moved (--dry-run, or a conflict
   * elsewhere stopped the run); up-to-date: its branch holds its dependencies' tips; skipped: see reason;
   * conflict: its commits do not apply on the new base.
   */
  outcome: RestackOutcome;
  /** The dependencies it is rebased onto (their tips after this run). */
  onto: string[];
  /** The branch tip before. */
  from: string;
  /** The branch tip after (built, or moved); null when it does not change. */
  to: string | null;
  /**
   * The new base recorded as base_commit; null when it does not change. Also set for a WP that is up to
   * date but whose recorded base is older than the one dependency tip its branch holds (merged by hand).
   */
  base: string | null;
  /** Its own commits, replayed onto the new base. */
  commits: number;
  worktree: string | null;
  /** Where the old tip is kept, once moved. */
  archiveRef: string | null;
  reason: string | null;
  /**
   * With a remote: whether the moved branch was pushed there (with a lease on the tip it had there);
   * null without a remote, when the branch was never published, or when it did not move.
   */
  published: boolean | null;
}

export interface RestackConflict {
  wp: string;
  onto: string[];
  /** The commit of the WP that does not apply, and its subject. */
  commit: { sha: string; subject: string } | null;
  files: { path: string; kind: string }[];
}

export interface RestackResult {
  feature: string;
  targetBranch: string;
  dryRun: boolean;
  steps: RestackStep[];
  conflict: RestackConflict | null;
  /** The lane commit that recorded the new bases; null when none was needed (or it failed: see warnings). */
  recordedIn: string | null;
  /** What to do next: after a conflict, how to resolve it by hand or leave it. */
  hint: string | null;
  warnings: string[];
}

export const RESTACK_ARCHIVE_PREFIX = 'refs/kit/restack-archive';

interface Built {
  step: RestackStep;
  wp: WorkPackage;
}

export async function restackFeature(workspace: Workspace, input: RestackInput): Promise<RestackResult> {
  const featureDir = await selectFeature(workspace, input.feature);
  const [feature] = await loadLaneState(workspace, [featureDir]);
  if (!feature) throw new Error(`feature ${featureDir.name} vanished while loading`);
  const targetBranch = await targetBranchOf(workspace, feature);
  const cycles = findCycles(feature.workPackages);
  if (cycles.length > 0) {
    throw new KitError(`${feature.name} has a dependency cycle (${cycles[0]?.join(' → ')}), so it has no order`, {
      hint: 'fix the dependencies (kit check lists them), then run kit restack again',
    });
  }
  const named = input.wp === undefined ? undefined : parseWorkPackageArgument(input.wp);
  const byId = new Map(feature.workPackages.map((wp) => [wp.id, wp]));
  if (named && !byId.has(named)) {
    throw new KitError(`${feature.name} has no ${named}`, {
      hint: `its work packages: ${feature.workPackages.map((wp) => wp.id).join(', ')}`,
    });
  }
  const git = new GitPlumbing(workspace.git);
  const [tips, worktrees, targetTip] = await Promise.all([
    git.branchTips(),
    workspace.git.worktrees(),
    git.resolveCommit(`refs/heads/${targetBranch}`),
  ]);
  if (named && !tips.has(workPackageBranch(feature.name, named))) {
    throw new KitError(`${named} has no branch yet, so there is nothing to restack`, {
      hint: `kit implement ${named} starts it (from its dependencies' current tips)`,
    });
  }
  const branchTip = (id: string) => tips.get(workPackageBranch(feature.name, id));
  const wpTips = feature.workPackages.flatMap((wp) => branchTip(wp.id) ?? []);
  const graph = await readCommitGraph(git, wpTips, targetTip ? [targetTip] : []);
  // A worktree rebasing a WP branch has HEAD detached, but the rebase moves the branch when it ends: it is
  // that branch's worktree (and busy).
  // A branch out in several worktrees (`git worktree add --force`) cannot move: only one of them would
  // follow, and the others would hold the old tree under the new tip (a commit there reverts the restack).
  const worktreesOf = new Map<string, string[]>();
  for (const entry of worktrees) {
    const branch = entry.branch ?? (entry.bare ? null : branchOfOperation(entry.path));
    if (branch) worktreesOf.set(branch, [...(worktreesOf.get(branch) ?? []), entry.path]);
  }

  // Build in memory, in dependency order. `current` is each WP's tip as this run leaves it.
  const current = new Map<string, string>();
  const skipped = new Set<string>();
  const built: Built[] = [];
  /** Up to date, but with a recorded base older than the dependency tip it holds (merged in by hand). */
  const baseOnly: Built[] = [];
  const steps: RestackStep[] = [];
  let conflict: RestackConflict | null = null;
  for (const id of restackOrder(feature.workPackages, named)) {
    const wp = byId.get(id);
    const tip = branchTip(id);
    // Not started, or landed on the target already: nothing of it to move.
    if (!wp || !tip || !graph.has(tip)) continue;
    current.set(id, tip);
    const branch = workPackageBranch(feature.name, id);
    const checkouts = worktreesOf.get(branch) ?? [];
    const worktree = checkouts[0] ?? null;
    const step: RestackStep = {
      wp: id,
      branch,
      outcome: 'up-to-date',
      onto: [],
      from: tip,
      to: null,
      base: null,
      commits: 0,
      worktree,
      archiveRef: null,
      reason: null,
      published: null,
    };
    steps.push(step);
    // Dependencies on the target already (landed) or not started add nothing to the base, nor does one
    // another dependency already holds (WP03 on WP01 and WP02, where WP02 is built on WP01).
    const started = wp.dependencies.flatMap((dependency) => {
      const dependencyTip = current.get(dependency) ?? branchTip(dependency);
      return dependencyTip && graph.has(dependencyTip) ? [{ id: dependency, tip: dependencyTip }] : [];
    });
    const dependencies = started.filter(
      (dependency, index) =>
        started.findIndex((other) => other.tip === dependency.tip) === index &&
        !started.some((other) => other.tip !== dependency.tip && graph.reach(other.tip).has(dependency.tip)),
    );
    step.onto = dependencies.map((dependency) => dependency.id);
    const waiting = waitsFor(wp, skipped);
    const behind = dependencies.filter((dependency) => !graph.reach(tip).has(dependency.tip));
    if (waiting) {
      step.outcome = 'skipped';
      step.reason = `waits for ${waiting}, which was skipped`;
      skipped.add(id);
      continue;
    }
    if (behind.length === 0) {
      const only = dependencies.length === 1 ? dependencies[0] : undefined;
      if (only && wp.lane !== 'done' && !(await holds(git, graph, wp.baseCommit, only.tip))) {
        step.base = only.tip;
        baseOnly.push({ step, wp });
      }
      continue;
    }
    if (conflict) {
      step.outcome = 'skipped';
      step.reason = `not built: the run stopped at ${conflict.wp}'s conflict`;
      continue;
    }
    if (checkouts.length > 1) {
      step.outcome = 'skipped';
      step.reason = `${branch} is checked out in ${checkouts.length} worktrees (${checkouts.join(', ')}); kit moves one worktree with its branch, so leave it in one (git worktree remove), then run kit restack again`;
      skipped.add(id);
      continue;
    }
    if (wp.lane === 'done') {
      step.outcome = 'skipped';
      step.reason = `${id} is done (approved as it is); kit merge lands it on its own fork point`;
      skipped.add(id);
      continue;
    }
    const busy = worktree ? await worktreeBusy(git, worktree) : null;
    if (busy) {
      step.outcome = 'skipped';
      step.reason = `its worktree ${busy}: kit never touches that; commit or stash, then run kit restack again`;
      skipped.add(id);
      continue;
    }
    // A dependency that landed on the target (its tip there, or its branch deleted once merged) reaches
    // the branch only through target commits: the new base keeps those, or the restack would drop the
    // landed work from the branch.
    const landed = wp.dependencies.some((dependency) => {
      const dependencyTip = branchTip(dependency);
      return dependencyTip ? !graph.has(dependencyTip) : byId.get(dependency)?.lane === 'done';
    });
    const held = landed ? await targetCommitsHeld(git, graph, tip, dependencies) : [];
    const baseParts = [
      ...dependencies.map((dependency) => ({ ...dependency, branch: workPackageBranch(feature.name, dependency.id) })),
      ...held.map((commit) => ({ id: targetBranch, tip: commit, branch: targetBranch })),
    ];
    const newBase =
      baseParts.length === 1 && baseParts[0]
        ? baseParts[0].tip
        : await mergedBase(git, id, baseParts).catch((error: unknown) => {
            if (error instanceof KitError && error.exitCode === ExitCode.mergeConflict) return error;
            throw error;
          });
    if (newBase instanceof KitError) {
      step.outcome = 'conflict';
      step.reason = newBase.message;
      conflict = { wp: id, onto: step.onto, commit: null, files: await dependenciesConflict(git, baseParts) };
      continue;
    }
    if (baseParts.length > 1) {
      const tree = await git.treeOf(newBase);
      graph.add(newBase, { parents: baseParts.map((part) => part.tip), tree, subject: 'kit: base' });
    }
    const oldBase = await forkPoint(git, graph, wp.baseCommit, tip, newBase);
    const replay = await replayOnto(git, graph, { id, title: wp.title, oldBase, newBase, tip });
    if ('conflict' in replay) {
      step.outcome = 'conflict';
      conflict = { wp: id, onto: step.onto, commit: replay.commit, files: conflictedFiles(replay.conflict) };
      continue;
    }
    const inTheWay = worktree && replay.tip !== tip ? await ignoredOverwritten(git, worktree, tip, replay.tip) : null;
    if (inTheWay) {
      step.outcome = 'skipped';
      step.reason = inTheWay;
      skipped.add(id);
      continue;
    }
    step.outcome = 'planned';
    step.to = replay.tip;
    step.base = newBase;
    step.commits = replay.commits;
    current.set(id, replay.tip);
    built.push({ step, wp });
  }

  const result: RestackResult = {
    feature: feature.name,
    targetBranch,
    dryRun: input.dryRun,
    steps,
    conflict,
    recordedIn: null,
    hint: null,
    warnings: [],
  };
  if (conflict) {
    result.hint = conflictHint(conflict, steps, feature.name);
    return result;
  }
  if (input.dryRun || built.length + baseOnly.length === 0) return result;

  // Move, in dependency order: a WP whose dependency could not move stays where it is too.
  const notMoved = new Set(skipped);
  const moved: Built[] = [];
  for (const entry of built) {
    const { step, wp } = entry;
    const waiting = waitsFor(wp, notMoved);
    if (waiting) {
      step.outcome = 'skipped';
      step.reason = `waits for ${waiting}, which did not move`;
      notMoved.add(step.wp);
      continue;
    }
    const reason = await moveBranch(workspace, git, feature.name, step);
    if (reason) {
      step.outcome = 'skipped';
      step.reason = reason;
      notMoved.add(step.wp);
      continue;
    }
    step.outcome = 'restacked';
    moved.push(entry);
  }
  const remote = workspace.config.remote;
  if (remote && moved.length > 0) result.warnings.push(...(await publishMoved(workspace, git, remote, moved)));
  const record = [...moved, ...baseOnly].sort((a, b) => steps.indexOf(a.step) - steps.indexOf(b.step));
  if (record.length > 0) {
    try {
      result.recordedIn = await recordBases(workspace, feature.name, targetBranch, record);
    } catch (error) {
      if (!(error instanceof KitError)) throw error;
      result.warnings.push(
        `the branches moved, but their new bases are not recorded in the WP files: ${error.message}; run kit restack again to record them`,
      );
    }
  }
  return result;
}

/** Why a worktree must not be touched (uncommitted or untracked files, an operation going on), or null. */
async function worktreeBusy(git: GitPlumbing, worktree: string): Promise<string | null> {
  const operation = operationInProgress(worktree);
  if (operation) return `has a ${operation} in progress`;
  try {
    const changed = await git.status(worktree);
    if (changed.length > 0) {
      const untracked = changed.filter((entry) => entry.code === '??').length;
      const detail =
        untracked === changed.length ? 'untracked' : untracked > 0 ? 'uncommitted or untracked' : 'uncommitted';
      return `has ${changed.length} ${detail} file${changed.length === 1 ? '' : 's'}`;
    }
  } catch {
    return 'could not be read (git status failed)';
  }
  return null;
}

/**
 * Why moving a worktree from `from` to `to` would lose ignored files (git overwrites an ignored file where
 * the new tree has a path, as checkout does), or null. Only reached for a worktree with no changed or
 * untracked file, so whatever is in the way is ignored.
 */
async function ignoredOverwritten(
  git: GitPlumbing,
  worktree: string,
  from: string,
  to: string,
): Promise<string | null> {
  const [changed, entries] = await Promise.all([
    git.changedPathsOfPairs([{ from, to }]),
    git.status(worktree, { ignored: true }),
  ]);
  const ignored = entries.filter((entry) => entry.code === '!!').map((entry) => entry.path);
  const inTheWay = ignoredInTheWay(changed[0] ?? [], ignored);
  if (inTheWay.length === 0) return null;
  const shown = inTheWay.slice(0, 3).join(', ') + (inTheWay.length > 3 ? `, … (${inTheWay.length} in all)` : '');
  return `its worktree has ignored files the new tip would overwrite (${shown}): move them aside, then run kit restack again`;
}

/** The files the first pair of conflicting dependency tips conflict in (no base can merge them). */
async function dependenciesConflict(
  git: GitPlumbing,
  dependencies: readonly { tip: string }[],
): Promise<{ path: string; kind: string }[]> {
  for (let i = 0; i < dependencies.length; i++) {
    for (let j = i + 1; j < dependencies.length; j++) {
      const [first, second] = [dependencies[i], dependencies[j]];
      if (!first || !second) continue;
      const merged = await git.mergeTree(first.tip, second.tip);
      if (!merged.clean) return conflictedFiles(merged);
    }
  }
  return [];
}

/**
 * The target commits a WP's branch holds that its dependencies' tips do not (the work of a dependency
 * that has landed, reached through the target), fewest: none is an ancestor of another or of a tip.
 */
async function targetCommitsHeld(
  git: GitPlumbing,
  graph: CommitGraph,
  tip: string,
  dependencies: readonly { tip: string }[],
): Promise<string[]> {
  const boundary = [...graph.boundary(tip)];
  if (boundary.length === 0) return [];
  const independent = new Set(
    (
      await git.output([
        'merge-base',
        '--independent',
        ...dependencies.map((dependency) => dependency.tip),
        ...boundary,
      ])
    )
      .split('\n')
      .filter(Boolean),
  );
  return boundary.filter((commit) => independent.has(commit));
}

/** Whether the recorded base holds `commit` (a missing or unknown base holds nothing). */
async function holds(git: GitPlumbing, graph: CommitGraph, base: string | null, commit: string): Promise<boolean> {
  if (!base || !/^[0-9a-f]{40,64}$/.test(base)) return false;
  return (graph.isAncestor(commit, base) ?? (await git.isAncestorIfKnown(commit, base))) === true;
}

/**
 * Where the WP's own commits start: its recorded base when that is still in its history, else where it
 * meets the new base (what `git rebase <new base>` would take).
 */
async function forkPoint(
  git: GitPlumbing,
  graph: CommitGraph,
  recorded: string | null,
  tip: string,
  newBase: string,
): Promise<string> {
  if (recorded && /^[0-9a-f]{40,64}$/.test(recorded)) {
    const known = graph.isAncestor(recorded, tip) ?? (await git.isAncestorIfKnown(recorded, tip));
    if (known) return recorded;
  }
  return git.output(['merge-base', tip, newBase]);
}

/**
 * The WP's own commits (after `oldBase`, not already in `newBase`) replayed one by one onto `newBase`,
 * each a three-way merge with its parent as the base, keeping author and message. Commits that include
 * merges are replayed as one commit (a merge cannot be replayed commit by commit).
 */
async function replayOnto(
  git: GitPlumbing,
  graph: CommitGraph,
  input: { id: string; title: string; oldBase: string; newBase: string; tip: string },
): Promise<
  { tip: string; commits: number } | { conflict: MergeTreeResult; commit: { sha: string; subject: string } | null }
> {
  const inNewBase = graph.reach(input.newBase);
  const own = graph.commitsBetween(input.oldBase, input.tip).filter((sha) => !inNewBase.has(sha));
  const treeOf = async (commit: string) => graph.node(commit)?.tree || git.treeOf(commit);
  if (own.length === 0) return { tip: input.newBase, commits: 0 };
  if (own.some((sha) => (graph.node(sha)?.parents.length ?? 0) > 1)) {
    const merged = await git.threeWayMerge(input.oldBase, input.newBase, input.tip, treeOf);
    if (!merged.clean) return { conflict: merged, commit: null };
    const subjects = own.map((sha) => `- ${graph.node(sha)?.subject ?? sha}`).join('\n');
    const tip = await git.commitTree(
      merged.tree,
      [input.newBase],
      `${input.id}: ${input.title || 'work'} (restacked as one commit: its history has merges)\n\n${subjects}\n`,
    );
    graph.add(tip, { parents: [input.newBase], tree: merged.tree, subject: input.id });
    return { tip, commits: own.length };
  }
  let accumulated = input.newBase;
  for (const sha of [...own].reverse()) {
    const node = graph.node(sha);
    const parent = node?.parents[0] ?? (await git.output(['rev-parse', '--verify', `${sha}^`]));
    const merged = await git.threeWayMerge(parent, accumulated, sha, treeOf);
    if (!merged.clean) return { conflict: merged, commit: { sha, subject: node?.subject ?? '' } };
    const replayed = await git.replayCommit(merged.tree, accumulated, sha);
    graph.add(replayed, { parents: [accumulated], tree: merged.tree, subject: node?.subject ?? '' });
    accumulated = replayed;
  }
  return { tip: accumulated, commits: own.length };
}

/**
 * Moves one branch to its rebuilt tip and its worktree along; the reason it did not, or null. The archive
 * ref and the branch move in one transaction that fails if the branch moved meanwhile.
 */
async function moveBranch(
  workspace: Workspace,
  git: GitPlumbing,
  feature: string,
  step: RestackStep,
): Promise<string | null> {
  if (!step.to) return null;
  // Looked at again right before: an agent may have started editing since the build.
  const busy = step.worktree ? await worktreeBusy(git, step.worktree) : null;
  if (busy) return `its worktree ${busy}: kit never touches that; commit or stash, then run kit restack again`;
  const inTheWay = step.worktree ? await ignoredOverwritten(git, step.worktree, step.from, step.to) : null;
  if (inTheWay) return inTheWay;
  const archiveRef = `${RESTACK_ARCHIVE_PREFIX}/${feature}/${step.wp}/${step.from}`;
  const branchRef = `refs/heads/${step.branch}`;
  const swapped = await git.updateRefsAtomically(
    [
      { ref: branchRef, next: step.to, expected: step.from },
      { ref: archiveRef, next: step.from, expected: null },
    ],
    [],
  );
  if (!swapped) {
    // The archive may exist from an earlier run that kept this same tip: then only the branch must move.
    const archived = (await git.resolveCommit(archiveRef)) === step.from;
    if (!archived || !(await git.compareAndSwapRef(branchRef, step.to, step.from))) {
      return `${step.branch} moved while kit was restacking it: run kit restack again`;
    }
  }
  step.archiveRef = archiveRef;
  if (!step.worktree) return null;
  const synced = await workspace.git.spawnGit(['read-tree', '-m', '-u', step.from, step.to], undefined, {
    cwd: step.worktree,
  });
  if (synced.exitCode === 0) return null;
  // The worktree changed between the check and the move: put the branch back, so its index matches again.
  const why = synced.stderr.trim().split('\n')[0] || 'read-tree failed';
  if (await git.compareAndSwapRef(branchRef, step.from, step.to)) {
    return `its worktree changed while kit was restacking it (${why}); run kit restack again`;
  }
  // Someone committed there in between, on the new tip but from the old index: nothing is lost, but that
  // commit undoes the restack's changes, so say exactly where things are.
  const now = (await git.resolveCommit(branchRef)) ?? 'gone';
  return (
    `its worktree changed while kit was restacking it (${why}), and ${step.branch} moved on meanwhile (to ` +
    `${now.slice(0, 12)}), so kit could not put it back: its worktree still holds the old tree; the old tip is ` +
    `${archiveRef}. Look at git log and git status there before going on`
  );
}

/**
 * With a remote, a WP branch published there (at its claim, or when handed in) must follow the restack, or
 * the next fast-forward push of it fails. Each is pushed with a lease on the tip this clone last saw there,
 * and only when that tip is in the old branch (otherwise someone else pushed to it: warn, touch nothing).
 */
async function publishMoved(
  workspace: Workspace,
  git: GitPlumbing,
  remote: string,
  moved: readonly Built[],
): Promise<string[]> {
  const warnings = await Promise.all(
    moved.map(async ({ step }) => {
      const tracking = `refs/remotes/${remote}/${step.branch}`;
      const there = await git.resolveCommit(tracking);
      if (!there || !step.to) return null;
      const ours = there === step.from || (await git.isAncestorIfKnown(there, step.from)) === true;
      if (!ours) {
        step.published = false;
        return `${step.branch} on ${remote} has commits the restacked branch does not: it was not pushed (compare ${tracking} with ${step.branch})`;
      }
      const pushed = await pushWithLease(workspace.git, remote, step.branch, step.to, there);
      if (pushed.kind === 'pushed') {
        step.published = true;
        await git.compareAndSwapRef(tracking, step.to, there);
        return null;
      }
      step.published = false;
      return `${step.branch} is restacked here but not on ${remote} (${pushed.reason}): git push --force-with-lease=${step.branch}:${there} ${remote} ${step.branch}`;
    }),
  );
  return warnings.filter((warning): warning is string => warning !== null);
}

/** Sets base_commit in each restacked WP's file, in one lane commit on the target branch. */
async function recordBases(
  workspace: Workspace,
  feature: string,
  targetBranch: string,
  moved: readonly Built[],
): Promise<string | null> {
  const written = await writeLaneFiles(workspace, {
    targetBranch,
    files: moved.map((entry) => entry.wp.file),
    message: () =>
      `kit: ${feature} restack ${moved.map((entry) => entry.step.wp).join(', ')}\n\n${moved
        .map(
          (entry) => `${entry.step.wp} onto ${entry.step.onto.join(' + ')} (${(entry.step.base ?? '').slice(0, 12)})`,
        )
        .join('\n')}\n`,
    transform: async (files) => {
      const changes = [];
      for (const entry of moved) {
        const text = files.get(entry.wp.file);
        if (text === null || text === undefined) continue;
        changes.push({
          path: entry.wp.file,
          content: await editFrontmatter(text, [{ kind: 'set', key: 'base_commit', value: entry.step.base }]),
        });
      }
      return changes;
    },
  });
  return written.commit;
}

function conflictHint(conflict: RestackConflict, steps: readonly RestackStep[], feature: string): string {
  const step = steps.find((candidate) => candidate.wp === conflict.wp);
  const where = step?.worktree ? `in ${step.worktree}` : `on a checkout of ${step?.branch ?? conflict.wp}`;
  const merges = conflict.onto.map((id) => `git merge ${workPackageBranch(feature, id)}`).join(' && ');
  return (
    `nothing was moved. Resolve it by hand ${where}: ${merges}, fix the conflicts, git add them and git commit; ` +
    `then kit restack moves the rest. Or leave it: ${conflict.wp} keeps its old base until then ` +
    `(kit restack ${conflict.wp} --feature ${feature} --dry-run shows the conflict again).`
  );
}
