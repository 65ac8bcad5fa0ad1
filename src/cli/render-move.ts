/** What `kit move` says about a move, on the oclif path and the fast path alike (src/fast.ts). */
import type { MoveResult } from '../services/move-work-package.js';

export function renderMove(result: MoveResult): { text: string; warnings: string[] } {
  const how = result.forced ? ' (forced)' : result.rejection ? ' (returned with feedback)' : '';
  const where = result.commit
    ? `committed on ${result.laneRef ?? result.targetBranch} as ${result.commit.slice(0, 12)}`
    : 'edited in place';
  const lanes = result.statusLanes
    ? [result.statusFrom ?? 'no lane', ...result.statusLanes].join(' → ')
    : `${result.from} → ${result.to}`;
  const lines = [`${result.feature} ${result.wp}: ${lanes}${how}; ${where}`];
  if (result.publication?.published) {
    const as =
      result.publication.commit && result.publication.commit !== result.commit
        ? ` as ${result.publication.commit.slice(0, 12)} (on top of other clones' lane changes)`
        : '';
    lines.push(`  published to ${result.publication.remote}${as}`);
  }
  const warnings = [...result.warnings];
  for (const path of result.publication?.superseded ?? []) {
    warnings.push(
      `an earlier lane change to ${path} made here and not yet published was replaced by another clone's change to it; it stays in the history of ${result.laneRef ?? 'the lane ref'}`,
    );
  }
  if (result.publication && !result.publication.published) {
    warnings.push(
      `not published to ${result.publication.remote}: ${result.publication.reason ?? 'unknown'}; it is recorded here, and kit sync publishes it`,
    );
  }
  return { text: lines.join('\n'), warnings };
}
