import type { Lane } from './lane.js';

/**
 * Legal lane moves. A move back from for_review is a rejection and needs review feedback; every other
 * move outside this table needs --force (and is recorded as forced).
 */
const LEGAL_MOVES: Readonly<Record<Lane, readonly Lane[]>> = {
  planned: ['doing'],
  doing: ['for_review', 'planned'],
  for_review: ['done', 'doing', 'planned'],
  done: [],
};

export type TransitionVerdict =
  | { allowed: true; forced: boolean; rejection: boolean }
  | { allowed: false; legalTargets: readonly Lane[]; reason: string };

/** The lanes a WP in `from` may move to without --force. */
export function legalTargets(from: Lane): readonly Lane[] {
  return LEGAL_MOVES[from];
}

/** Whether moving from `from` to `to` is allowed, and whether it counts as a forced move or a rejection. */
export function checkTransition(from: Lane, to: Lane, options: { force: boolean }): TransitionVerdict {
  const rejection = from === 'for_review' && (to === 'doing' || to === 'planned');
  if (LEGAL_MOVES[from].includes(to)) return { allowed: true, forced: false, rejection };
  if (options.force && from !== to) return { allowed: true, forced: true, rejection };
  const targets = LEGAL_MOVES[from];
  const reason =
    from === to
      ? `it is already in ${to}`
      : targets.length === 0
        ? `${from} is final`
        : `from ${from} it can move to ${targets.join(', ')}`;
  return { allowed: false, legalTargets: targets, reason };
}
