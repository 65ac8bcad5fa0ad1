/**
 * The git truth behind each work package, gathered in a fixed number of git processes whatever the number
 * of WPs: one `for-each-ref` (every branch tip and its commit time), one `worktree list`, one `git log`
 * over all WP branches (the commit graph that is not on the target branches, the same `CommitGraph` the
 * merge walks, here to count commits ahead of a base and behind a dependency), and one `status` per live
 * worktree, run in parallel.
 *
 * The tips, the worktree list and the statuses need nothing but the repository, so `prefetchGitFacts`
 * starts them before the caller has read a single WP file: git works while Node parses the lanes.
 */
import type { Git, WorktreeEntry } from './git.js';
import { GitPlumbing } from './git.js';
import { readCommitGraph } from './commit-ancestry.js';
import { uncommittedFilesOf } from './worktree-changes.js';

export interface BranchTip {
  tip: string;
  committedAt: number;
}

export interface WorkPackageGitQuery {
  key: string;
  branch: string;
  baseCommit: string | null;
  /** Branches of the WP's dependencies, to see whether it is behind their current tips. */
  dependencyBranches: { id: string; branch: string }[];
}

export interface WorkPackageGitFacts {
  branch: string;
  tip: string;
  worktree: string | null;
  /** Commits on the WP branch beyond its base. */
  ahead: number;
  /** Commits each dependency has that this branch does not (a stale base), by WP id. */
  behind: Record<string, number>;
  uncommittedFiles: string[] | null;
  lastCommitAt: string;
  locked: boolean;
}

/** Git facts that need no WP file: every branch tip, the worktree list, and each WP worktree's status. */
export interface GitFactsPrefetch {
  tips: Promise<Map<string, BranchTip>>;
  worktrees: Promise<WorktreeEntry[]>;
  /** Uncommitted files by worktree path; null where git could not tell. */
  statuses: Promise<Map<string, string[] | null>>;
}

/**
 * Starts reading the facts that do not depend on the WPs. `mayBeWorkPackage` says which branches could
 * be WP branches (e.g. those of the selected features), so no other worktree is inspected. With
 * `commonDir`, worktrees' untracked files are recorded and reused (src/io/worktree-changes.ts);
 * `uncommitted`: statuses already being asked in this run, by worktree path.
 */
export function prefetchGitFacts(
  git: Git,
  mayBeWorkPackage: (branch: string) => boolean,
  options: { commonDir?: string; uncommitted?: Promise<Map<string, string[] | null>> | null } = {},
): GitFactsPrefetch {
  const tips = branchTips(git);
  const worktrees = git.worktrees();
  const statuses = worktrees.then(async (entries) => {
    const live = entries
      .filter((entry) => entry.branch && !entry.prunable && mayBeWorkPackage(entry.branch))
      .map((entry) => entry.path);
    // Statuses the caller already asked for in this run are not asked again.
    const known = (await options.uncommitted?.catch(() => null)) ?? new Map<string, string[] | null>();
    const asked = await uncommittedFilesOf(
      git,
      live.filter((path) => !known.has(path)),
      options.commonDir ?? null,
    );
    return new Map(live.map((path) => [path, known.has(path) ? (known.get(path) ?? null) : (asked.get(path) ?? null)]));
  });
  // Awaited by collectGitFacts; a caller that fails before then must not leave an unhandled rejection.
  for (const promise of [tips, worktrees, statuses]) promise.catch(() => undefined);
  return { tips, worktrees, statuses };
}

export async function collectGitFacts(
  git: Git,
  queries: readonly WorkPackageGitQuery[],
  targetBranches: readonly string[],
  prefetched?: GitFactsPrefetch,
): Promise<Map<string, WorkPackageGitFacts>> {
  const facts = new Map<string, WorkPackageGitFacts>();
  if (queries.length === 0) return facts;
  const branches = new Set(queries.map((query) => query.branch));
  const prefetch = prefetched ?? prefetchGitFacts(git, (branch) => branches.has(branch));
  const [tips, worktrees] = await Promise.all([prefetch.tips, prefetch.worktrees]);
  const started = queries.filter((query) => tips.has(query.branch));
  if (started.length === 0) return facts;

  const graph = await readCommitGraph(
    new GitPlumbing(git),
    started.map((query) => tips.get(query.branch)?.tip ?? ''),
    targetBranches.filter((branch) => tips.has(branch)).map((branch) => `refs/heads/${branch}`),
  );
  const worktreeByBranch = new Map(worktrees.filter((w) => w.branch).map((w) => [w.branch as string, w]));
  const statusByPath = await prefetch.statuses;
  for (const query of started) {
    const tip = tips.get(query.branch);
    if (!tip) continue;
    const own = graph.reach(tip.tip);
    const base = query.baseCommit ? graph.reach(query.baseCommit) : new Set<string>();
    const behind: Record<string, number> = {};
    for (const dependency of query.dependencyBranches) {
      const dependencyTip = tips.get(dependency.branch);
      if (!dependencyTip) continue;
      let missing = 0;
      for (const commit of graph.reach(dependencyTip.tip)) if (!own.has(commit)) missing++;
      behind[dependency.id] = missing;
    }
    let ahead = 0;
    for (const commit of own) if (!base.has(commit)) ahead++;
    const worktree = worktreeByBranch.get(query.branch);
    facts.set(query.key, {
      branch: query.branch,
      tip: tip.tip,
      worktree: worktree?.path ?? null,
      ahead,
      behind,
      uncommittedFiles: worktree && !worktree.prunable ? (statusByPath.get(worktree.path) ?? null) : null,
      lastCommitAt: new Date(tip.committedAt * 1000).toISOString(),
      locked: worktree?.locked !== null && worktree?.locked !== undefined,
    });
  }
  return facts;
}

async function branchTips(git: Git): Promise<Map<string, BranchTip>> {
  const output = await git.raw([
    'for-each-ref',
    '--format=%(refname:lstrip=2)%00%(objectname)%00%(committerdate:unix)',
    'refs/heads',
  ]);
  const tips = new Map<string, BranchTip>();
  for (const line of output.split('\n')) {
    const [name, tip, time] = line.split('\0');
    if (name && tip) tips.set(name, { tip, committedAt: Number(time) || 0 });
  }
  return tips;
}
