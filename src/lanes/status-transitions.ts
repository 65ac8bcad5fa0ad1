/**
 * Spec Kitty 3.x's lane machine, for writing lane changes into a 3.x feature's event log. Pure.
 *
 * 3.x allows only these edges (plus any edge with force, which needs a reason). A kit command asks for a
 * destination; kit records the shortest chain of allowed edges that reaches it, one event each, as 3.x's
 * own commands do (`implement` writes planned → claimed → in_progress; an approval for_review →
 * in_review → approved). docs/spec-kitty-3.md has the table in prose.
 */
import type { Lane } from './lane.js';
import { STATUS_LANES, type StatusLane } from '../domain/status-log.js';

const EDGES: Readonly<Record<StatusLane, readonly StatusLane[]>> = {
  planned: ['claimed', 'blocked', 'canceled'],
  claimed: ['in_progress', 'blocked', 'canceled'],
  in_progress: ['for_review', 'approved', 'planned', 'blocked', 'canceled'],
  for_review: ['in_review', 'blocked', 'canceled'],
  in_review: ['approved', 'done', 'in_progress', 'planned', 'blocked', 'canceled'],
  approved: ['done', 'in_progress', 'planned', 'blocked', 'canceled'],
  blocked: ['in_progress', 'canceled'],
  done: [],
  canceled: [],
};

/** The lanes a WP in `from` can reach in one allowed step. */
export function statusEdges(from: StatusLane): readonly StatusLane[] {
  return EDGES[from];
}

/**
 * The shortest chain of allowed edges from `from` to `to` (the lanes after `from`, ending with `to`), or
 * null when 3.x allows no way there. Ties go to the order of the edge table, so the chain is stable.
 */
export function statusPath(from: StatusLane, to: StatusLane): StatusLane[] | null {
  if (from === to) return null;
  const previous = new Map<StatusLane, StatusLane>();
  const queue: StatusLane[] = [from];
  const seen = new Set<StatusLane>([from]);
  while (queue.length > 0) {
    const lane = queue.shift() as StatusLane;
    for (const next of EDGES[lane]) {
      if (seen.has(next)) continue;
      seen.add(next);
      previous.set(next, lane);
      if (next === to) {
        const path: StatusLane[] = [to];
        for (let step = previous.get(to); step && step !== from; step = previous.get(step)) path.unshift(step);
        return path;
      }
      queue.push(next);
    }
  }
  return null;
}

/**
 * The 3.x lane a `kit move --to` value means in a 3.x feature: a 3.x lane as it is (`doing` is 3.x's own
 * alias of in_progress), and kit's columns as their 3.x counterparts. `done` stays done: 3.x's merge
 * writes it, and `kit review --approve` writes approved.
 */
export function statusLaneForTarget(value: string): StatusLane | undefined {
  const wanted = value.trim().toLowerCase();
  if ((STATUS_LANES as readonly string[]).includes(wanted)) return wanted as StatusLane;
  const fromKit: Record<string, StatusLane> = { doing: 'in_progress' };
  return fromKit[wanted];
}

/** What kit's own lane targets become in 3.x, for hints. */
export const KIT_TO_STATUS: Readonly<Record<Lane, StatusLane>> = {
  planned: 'planned',
  doing: 'in_progress',
  for_review: 'for_review',
  done: 'done',
};
