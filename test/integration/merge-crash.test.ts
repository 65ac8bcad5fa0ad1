import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MERGE_FAILPOINTS } from '../../src/io/failpoint.js';
import {
  commitOnTarget,
  crashAt,
  expectCompleted,
  isAncestor,
  merge,
  mergeStatePath,
  readMergeStateFile,
  tip,
} from '../helpers/merge.js';

/** The failpoints before the landing transaction: the target must still be at its old commit. */
const BEFORE_LANDING = new Set(['merge:building-state-written', 'merge:built', 'merge:landing-state-written']);

describe('kit merge killed (SIGKILL) at every step, then kit merge --continue', () => {
  it('covers every failpoint kit has', () => {
    expect(MERGE_FAILPOINTS.length).toBeGreaterThanOrEqual(8);
    for (const name of BEFORE_LANDING) expect(MERGE_FAILPOINTS).toContain(name);
  });

  it.each(MERGE_FAILPOINTS)(
    '%s: the target is old or fully merged; --continue completes the merge',
    async (failpoint) => {
      const crashed = await crashAt(failpoint);
      expect(crashed.landed).toBe(!BEFORE_LANDING.has(failpoint));
      expect(readMergeStateFile(crashed.fx)?.targetBefore).toBe(crashed.before);

      const continued = await merge(crashed.fx, ['--continue']);

      expect(continued.exitCode, `${continued.run.stdout}${continued.run.stderr}`).toBe(0);
      expectCompleted(crashed, continued.result);
    },
  );

  it('a second crash during --continue is recovered by the next --continue', async () => {
    const first = await crashAt('merge:built');
    expect(first.landed).toBe(false);
    const second = await crashAt('merge:landed', ['--continue'], first);
    expect(second.landed).toBe(true);

    const continued = await merge(second.fx, ['--continue']);

    expect(continued.exitCode, `${continued.run.stdout}${continued.run.stderr}`).toBe(0);
    expectCompleted(second, continued.result);
  });

  it('a commit on the target after a crash past the landing does not strand the merge', async () => {
    const crashed = await crashAt('merge:proved');
    expect(crashed.landed).toBe(true);
    // Another agent's lane change (or a user) commits on the target before anyone recovers.
    const later = commitOnTarget(crashed.fx, 'later.txt', 'committed after the crash\n', 'Later commit');

    const continued = await merge(crashed.fx, ['--continue']);
    const recovered = continued.exitCode === 0 ? continued : await merge(crashed.fx, ['--abort']);

    expect(
      recovered.exitCode,
      `neither --continue nor --abort recovers:\n${continued.run.stdout}\n${recovered.run.stdout}`,
    ).toBe(0);
    expect(existsSync(mergeStatePath(crashed.fx))).toBe(false);
    expect(tip(crashed.fx.repo, 'main')).toBe(later);
    for (const wp of Object.values(crashed.done)) expect(isAncestor(crashed.fx.repo, wp.tip, later)).toBe(true);
  });
});
