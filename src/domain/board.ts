/**
 * What the board and `kit next` show, computed from plain data: which WPs are blocked and by what, which
 * are ready to start and the command that starts each, and a feature's progress. Pure.
 */
import { LANES, type Lane } from '../lanes/lane.js';
import { topologicalOrder } from './dependency-graph.js';

export interface BoardWorkPackage {
  id: string;
  lane: Lane;
  dependencies: readonly string[];
  /** A 3.x feature's own lane (approved, blocked, canceled, ...); null or absent in the frontmatter formats. */
  statusLane?: string | null | undefined;
}

/** A 3.x WP dropped on purpose: finished for the gate, shown apart from the four lanes, not progress. */
export function isCanceled(wp: Pick<BoardWorkPackage, 'statusLane'>): boolean {
  return wp.statusLane === 'canceled';
}

/**
 * The dependencies of a planned WP that are not done yet (unknown ids count as not done). In a 3.x feature
 * an approved dependency counts as done, as kit's own done does: reviewed, waiting only for its merge,
 * and its branch is the base to build on; a canceled one no longer blocks.
 */
export function blockingDependencies(wp: BoardWorkPackage, all: readonly BoardWorkPackage[]): string[] {
  const byId = new Map(all.map((candidate) => [candidate.id, candidate]));
  return wp.dependencies.filter((id) => {
    const dependency = byId.get(id);
    return !dependency || (dependency.lane !== 'done' && dependency.statusLane !== 'approved');
  });
}

/** Planned WPs whose dependencies are all done, dependencies first, ties by id. */
export function readyWorkPackages<T extends BoardWorkPackage>(all: readonly T[]): T[] {
  let order: string[];
  try {
    order = topologicalOrder(all);
  } catch {
    order = all.map((wp) => wp.id).sort();
  }
  const byId = new Map(all.map((wp) => [wp.id, wp]));
  return order
    .map((id) => byId.get(id))
    .filter((wp): wp is T => !!wp && wp.lane === 'planned' && blockingDependencies(wp, all).length === 0);
}

/** The command that starts a WP: its single dependency as --base; kit merges several on its own. */
export function implementCommand(wp: BoardWorkPackage, feature: string, otherFeatures: boolean): string {
  const base = wp.dependencies.length === 1 ? ` --base ${wp.dependencies[0]}` : '';
  return `kit implement ${wp.id}${base}${otherFeatures ? ` --feature ${feature}` : ''}`;
}

/** Done out of all WPs; canceled WPs count in neither. */
export function progress(all: readonly BoardWorkPackage[]): { done: number; total: number; percent: number } {
  const counted = all.filter((wp) => !isCanceled(wp));
  const done = counted.filter((wp) => wp.lane === 'done').length;
  const total = counted.length;
  return { done, total, percent: total === 0 ? 0 : Math.round((done / total) * 100) };
}

/** WPs grouped by lane in board order; canceled WPs are left out (see isCanceled). */
export function byLane<T extends BoardWorkPackage>(all: readonly T[]): Record<Lane, T[]> {
  const lanes = Object.fromEntries(LANES.map((lane) => [lane, [] as T[]])) as Record<Lane, T[]>;
  for (const wp of all) if (!isCanceled(wp)) lanes[wp.lane].push(wp);
  return lanes;
}
