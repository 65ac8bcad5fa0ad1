/**
 * Stacked work packages: which WPs are in flight, which pairs of them a conflict forecast looks at, which
 * have a stale base, and the order a restack visits them in. Pure: the caller brings the lanes, branch
 * tips and dependency counts it read from git.
 */
import type { Lane } from '../lanes/lane.js';
import { compareWorkPackageIds, topologicalOrder } from './dependency-graph.js';

/** A WP is in flight while someone works on it or reviews it, on a branch of its own. */
export function isInFlight(wp: { lane: Lane; tip: string | null }): boolean {
  return (wp.lane === 'doing' || wp.lane === 'for_review') && wp.tip !== null;
}

export interface FlightWorkPackage {
  id: string;
  tip: string;
}

/** Every unordered pair of WPs in flight, by id (n·(n−1)/2 of them). */
export function forecastPairs<T extends FlightWorkPackage>(wps: readonly T[]): [T, T][] {
  const sorted = [...wps].sort((a, b) => compareWorkPackageIds(a.id, b.id));
  const pairs: [T, T][] = [];
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) pairs.push([sorted[i] as T, sorted[j] as T]);
  }
  return pairs;
}

/** The cache key of a pair of tips: a merge depends on nothing else, and not on the order of the two. */
export function pairKey(first: string, second: string): string {
  return first < second ? `${first} ${second}` : `${second} ${first}`;
}

export interface StaleDependency {
  dependency: string;
  /** Commits on the dependency's branch (not yet on the target) that the WP's branch lacks. */
  newCommits: number;
}

/** The dependencies a WP's branch is behind, from the per-dependency counts; empty when its base is fresh. */
export function staleDependencies(behind: Readonly<Record<string, number>>): StaleDependency[] {
  return Object.entries(behind)
    .filter(([, count]) => count > 0)
    .map(([dependency, newCommits]) => ({ dependency, newCommits }))
    .sort((a, b) => compareWorkPackageIds(a.dependency, b.dependency));
}

export interface StackNode {
  id: string;
  dependencies: readonly string[];
}

/**
 * The WPs a restack visits, dependencies first: every WP of the feature, or with `from` that WP and
 * everything that depends on it, directly or not. Unknown dependencies are ignored; the caller refuses a
 * feature with a cycle first (topologicalOrder throws on one).
 */
export function restackOrder(nodes: readonly StackNode[], from?: string): string[] {
  const order = topologicalOrder(nodes.map((node) => ({ id: node.id, dependencies: [...node.dependencies] })));
  if (from === undefined) return order;
  const scope = new Set([from]);
  // In topological order a dependent comes after its dependencies, so one pass collects the transitive ones.
  const byId = new Map(nodes.map((node) => [node.id, node]));
  for (const id of order) {
    if (byId.get(id)?.dependencies.some((dependency) => scope.has(dependency))) scope.add(id);
  }
  return order.filter((id) => scope.has(id));
}

/** The first of a WP's dependencies that a restack skipped, so the WP must wait for it (undefined: none). */
export function waitsFor(node: StackNode, skipped: ReadonlySet<string>): string | undefined {
  return [...node.dependencies].sort(compareWorkPackageIds).find((dependency) => skipped.has(dependency));
}

/**
 * The ignored paths of a worktree that moving it to a new tree would overwrite or remove: git treats
 * ignored files as expendable (`read-tree -m -u`, like checkout, replaces them), kit does not. A path
 * collides with a changed path when it is that path, or a directory of it, or inside it. Ignored
 * directories come as `dir/` (git status --ignored=matching).
 */
export function ignoredInTheWay(changed: readonly string[], ignored: readonly string[]): string[] {
  const overlaps = (first: string, second: string) =>
    first === second || first.startsWith(`${second}/`) || second.startsWith(`${first}/`);
  return ignored.filter((entry) => {
    const path = entry.replace(/\/+$/, '');
    return changed.some((changedPath) => overlaps(changedPath, path));
  });
}
