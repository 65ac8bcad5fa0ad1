/**
 * Crash points for the crash tests: with KIT_FAILPOINT=<name> set, kit kills itself (SIGKILL, like a
 * power cut: no cleanup, no finally blocks) when it reaches that point. Unset, this is one env lookup.
 */
export const MERGE_FAILPOINTS = [
  'merge:building-state-written',
  'merge:built',
  'merge:landing-state-written',
  'merge:landed',
  'merge:landed-state-written',
  'merge:checkout-synced',
  'merge:proved',
  'merge:first-worktree-removed',
] as const;

export function failpoint(name: (typeof MERGE_FAILPOINTS)[number]): void {
  if (process.env.KIT_FAILPOINT === name) process.kill(process.pid, 'SIGKILL');
}
