/**
 * Merge planning as a pure function: from the WPs of a feature and the git facts about each (gathered by
 * the caller), decide what blocks the merge, which WPs are skipped and in which order the rest land.
 * No git, fs or clock here, so it is cheap to run on every status refresh and easy to test exhaustively.
 */
import type { Lane } from '../lanes/lane.js';
import { compareWorkPackageIds, findCycles, topologicalOrder } from './dependency-graph.js';

export const MERGE_STRATEGIES = ['merge', 'squash', 'rebase'] as const;
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

export interface MergeCandidate {
  id: string;
  title: string;
  lane: Lane;
  dependencies: readonly string[];
  branch: string;
  /** The branch tip, or null when the branch does not exist. */
  tip: string | null;
  /** The WP's change is already in the target (its tip is an ancestor of the target). */
  landed: boolean;
  /** The recorded base commit is an ancestor of the tip; false means its history was rewritten. */
  baseIsAncestor: boolean | null;
  /** With a rewritten history: the recorded base and the branch's commits since it forked from there. */
  rewritten?: { base: string; commits: readonly { sha: string; subject: string }[] } | undefined;
  worktree: {
    path: string;
    dirtyFiles: readonly string[];
    /** A merge, rebase, cherry-pick or revert in progress there. */
    operation: string | null;
  } | null;
}

export type MergeBlockerKind =
  | 'not-done'
  | 'no-branch'
  | 'dirty-worktree'
  | 'operation-in-progress'
  | 'rewritten-history'
  | 'cycle'
  | 'nothing-to-merge';

export interface MergeBlocker {
  wp: string | null;
  kind: MergeBlockerKind;
  message: string;
}

export interface MergePlan {
  /** WPs to land, dependencies first, ties by id. */
  order: MergeCandidate[];
  skipped: { id: string; reason: string }[];
  blockers: MergeBlocker[];
}

/**
 * Decides what a merge of these WPs would do. The plain run wants every WP done (or already landed);
 * `readyOnly` lands the done WPs whose dependencies have landed or land in the same run, and skips the rest.
 */
export function planMerge(candidates: readonly MergeCandidate[], options: { readyOnly: boolean }): MergePlan {
  const blockers: MergeBlocker[] = [];
  const skipped: MergePlan['skipped'] = [];
  for (const cycle of findCycles(candidates)) {
    blockers.push({
      wp: cycle[0] ?? null,
      kind: 'cycle',
      message: `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`,
    });
  }
  const byId = new Map(candidates.map((wp) => [wp.id, wp]));
  const landing = new Set<string>();
  const sorted = safeOrder(candidates);
  for (const id of sorted) {
    const wp = byId.get(id);
    if (!wp) continue;
    if (wp.landed) {
      skipped.push({ id, reason: `already in the target (${wp.tip?.slice(0, 12) ?? 'merged'})` });
      continue;
    }
    if (wp.lane !== 'done') {
      if (options.readyOnly) skipped.push({ id, reason: `in ${wp.lane}, not done` });
      else
        blockers.push({ wp: id, kind: 'not-done', message: `${id} is in ${wp.lane}; every work package must be done` });
      continue;
    }
    if (options.readyOnly) {
      const waiting = wp.dependencies.filter((dep) => !byId.get(dep)?.landed && !landing.has(dep));
      if (waiting.length > 0) {
        skipped.push({ id, reason: `waits for ${waiting.join(', ')}` });
        continue;
      }
    }
    const problems = candidateBlockers(wp);
    blockers.push(...problems);
    if (problems.length === 0) landing.add(id);
  }
  const order = sorted.filter((id) => landing.has(id)).map((id) => byId.get(id) as MergeCandidate);
  if (blockers.length === 0 && order.length === 0) {
    blockers.push({
      wp: null,
      kind: 'nothing-to-merge',
      message:
        skipped.length > 0 && skipped.every((entry) => entry.reason.startsWith('already'))
          ? 'every work package is already in the target'
          : 'no work package is ready to land',
    });
  }
  return { order, skipped, blockers };
}

function candidateBlockers(wp: MergeCandidate): MergeBlocker[] {
  const blockers: MergeBlocker[] = [];
  if (!wp.tip) {
    blockers.push({
      wp: wp.id,
      kind: 'no-branch',
      message: `${wp.id} is done but its branch ${wp.branch} does not exist`,
    });
    return blockers;
  }
  if (wp.worktree && wp.worktree.dirtyFiles.length > 0) {
    const files = wp.worktree.dirtyFiles;
    blockers.push({
      wp: wp.id,
      kind: 'dirty-worktree',
      message: `${wp.id}'s worktree ${wp.worktree.path} has uncommitted files: ${files.slice(0, 8).join(', ')}${files.length > 8 ? ', ...' : ''}`,
    });
  }
  if (wp.worktree?.operation) {
    blockers.push({
      wp: wp.id,
      kind: 'operation-in-progress',
      message: `${wp.id}'s worktree ${wp.worktree.path} has a ${wp.worktree.operation} in progress`,
    });
  }
  if (wp.baseIsAncestor === false) {
    const detail = wp.rewritten;
    const commits = detail?.commits ?? [];
    const listed = commits.slice(0, 10).map((commit) => `\n      ${commit.sha.slice(0, 12)} ${commit.subject}`);
    blockers.push({
      wp: wp.id,
      kind: 'rewritten-history',
      message:
        `${wp.id}'s recorded base ${detail ? `${detail.base.slice(0, 12)} ` : ''}is not in ${wp.branch} any more: its history was rewritten` +
        (commits.length > 0
          ? `; the branch now has:${listed.join('')}${commits.length > 10 ? '\n      ...' : ''}`
          : ''),
    });
  }
  return blockers;
}

function safeOrder(candidates: readonly MergeCandidate[]): string[] {
  try {
    return topologicalOrder(candidates);
  } catch {
    return candidates.map((wp) => wp.id).sort(compareWorkPackageIds);
  }
}
