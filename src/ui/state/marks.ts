/**
 * The compact git marks on a board card, and the ages they show. Pure: the clock comes in as `now`.
 *
 *   ↑3        3 commits ahead of the WP's base
 *   ✎2        2 uncommitted files in its worktree (✎? when the worktree could not be read)
 *   ⚠WP01+2   stale base: WP01 has 2 commits this branch does not
 *   ✗WP03     forecast: merging this branch and WP03's would conflict
 *   ⊘WP01     blocked: a planned WP whose dependency WP01 is not done
 *   ready     a planned WP whose dependencies are all done
 *   5m        age of the last commit on the WP branch (<1m, 12m, 3h, 2d)
 *   approved  a 3.x lane the column does not name (claimed, in_review, approved, blocked, canceled)
 */
import type { StatusWorkPackage } from '../../services/status.js';

export type MarkKind =
  'ahead' | 'dirty' | 'stale' | 'conflict' | 'blocked' | 'ready' | 'age' | 'missing' | 'locked' | 'status';

export interface Mark {
  kind: MarkKind;
  text: string;
}

/** The legend of the help overlay: each mark with what it means. */
export const MARK_LEGEND: readonly { mark: string; kind: MarkKind; meaning: string }[] = [
  { mark: '↑3', kind: 'ahead', meaning: 'commits on the WP branch beyond its base' },
  { mark: '✎2', kind: 'dirty', meaning: 'uncommitted files in its worktree (✎? unreadable)' },
  { mark: '⚠WP01+2', kind: 'stale', meaning: 'stale base: WP01 has 2 commits this branch lacks' },
  { mark: '✗WP03', kind: 'conflict', meaning: 'forecast: it would conflict with WP03 if both merged' },
  { mark: '⊘WP01', kind: 'blocked', meaning: 'blocked: dependency WP01 is not done yet' },
  { mark: 'ready', kind: 'ready', meaning: 'planned, every dependency done: can start' },
  { mark: '5m', kind: 'age', meaning: 'age of the last commit on the WP branch' },
  { mark: 'no wt', kind: 'missing', meaning: 'the branch exists but has no worktree' },
  { mark: 'no branch', kind: 'missing', meaning: 'in doing or for review, but it has no WP branch' },
  { mark: 'locked', kind: 'locked', meaning: 'the worktree is locked (git worktree lock)' },
  { mark: 'approved', kind: 'status', meaning: "a Spec Kitty 3.x lane the column doesn't name" },
  { mark: '⇅alice', kind: 'status', meaning: 'claimed by alice on another machine (as of kit sync)' },
];

// The 3.x lanes that are the name of their column need no mark.
const COLUMN_NAMED = new Set(['planned', 'in_progress', 'for_review', 'done']);

/** The 3.x lane a card shows beside its column (`approved` in FOR REVIEW, `blocked` in DOING), or null. */
export function statusLaneMark(wp: Pick<StatusWorkPackage, 'statusLane'>): Mark | null {
  if (!wp.statusLane || COLUMN_NAMED.has(wp.statusLane)) return null;
  return { kind: wp.statusLane === 'blocked' ? 'blocked' : 'status', text: wp.statusLane.replace('_', ' ') };
}

/** "<1m", "5m", "3h", "2d": how long ago, at a one-minute granularity (so the board redraws at most once a minute). */
export function compactAge(seconds: number): string {
  if (seconds < 60) return '<1m';
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Seconds from an ISO time to now; 0 for a time in the future or one that does not parse. */
export function ageSeconds(iso: string, now: number): number {
  const at = Date.parse(iso);
  return Number.isNaN(at) ? 0 : Math.max(0, Math.floor((now - at) / 1000));
}

/**
 * Milliseconds until the first of these ages shows another label, or null when none will within a day. The
 * board re-renders then (and not before): the one timer it keeps, so ages stay true without polling.
 */
export function nextAgeChangeMs(isoTimes: readonly string[], now: number): number | null {
  let next: number | null = null;
  for (const iso of isoTimes) {
    const at = Date.parse(iso);
    if (Number.isNaN(at)) continue;
    const elapsed = Math.max(0, now - at);
    const unit = elapsed < 3_600_000 ? 60_000 : elapsed < 86_400_000 ? 3_600_000 : 86_400_000;
    const wait = unit - (elapsed % unit);
    if (next === null || wait < next) next = wait;
  }
  return next === null ? null : Math.max(1000, next + 50);
}

/** The marks of one card, in the order they are shown. */
export function cardMarks(wp: StatusWorkPackage, now: number): Mark[] {
  const marks: Mark[] = [];
  const status = statusLaneMark(wp);
  if (status) marks.push(status);
  if (wp.claimedElsewhere) {
    marks.push({ kind: 'status', text: `⇅${wp.claimedElsewhere.agent || wp.claimedElsewhere.host || 'remote'}` });
  }
  if (wp.blockedBy.length > 0) marks.push({ kind: 'blocked', text: `⊘${wp.blockedBy.join(',')}` });
  if (!wp.git) {
    if (wp.lane === 'planned' && wp.blockedBy.length === 0) marks.push({ kind: 'ready', text: 'ready' });
    if (wp.lane === 'doing' || wp.lane === 'for_review') marks.push({ kind: 'missing', text: 'no branch' });
    return marks;
  }
  marks.push({ kind: 'ahead', text: `↑${wp.git.ahead}` });
  if (wp.git.uncommitted === null) {
    marks.push(wp.worktree ? { kind: 'dirty', text: '✎?' } : { kind: 'missing', text: 'no wt' });
  } else if (wp.git.uncommitted > 0) {
    marks.push({ kind: 'dirty', text: `✎${wp.git.uncommitted}` });
  }
  for (const [id, count] of Object.entries(wp.git.behind)) {
    if (count > 0) marks.push({ kind: 'stale', text: `⚠${id}+${count}` });
  }
  for (const conflict of wp.conflicts ?? []) marks.push({ kind: 'conflict', text: `✗${conflict.with}` });
  if (wp.git.locked) marks.push({ kind: 'locked', text: 'locked' });
  marks.push({ kind: 'age', text: compactAge(ageSeconds(wp.git.lastCommitAt, now)) });
  return marks;
}
