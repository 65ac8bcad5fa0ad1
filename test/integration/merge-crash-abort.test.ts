import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MERGE_FAILPOINTS } from '../../src/io/failpoint.js';
import {
  crashAt,
  expectAbandoned,
  expectCompleted,
  merge,
  mergeStatePath,
  readMergeStateFile,
  tip,
} from '../helpers/merge.js';

describe('kit merge killed (SIGKILL) at every step, then kit merge --abort', () => {
  it.each(MERGE_FAILPOINTS)(
    '%s: --abort abandons a merge that did not land, and refuses one that did (then --continue completes it)',
    async (failpoint) => {
      const crashed = await crashAt(failpoint);
      const after = tip(crashed.fx.repo, crashed.fx.target);

      const aborted = await merge(crashed.fx, ['--abort']);

      if (!crashed.landed) {
        expect(aborted.exitCode, `${aborted.run.stdout}${aborted.run.stderr}`).toBe(0);
        expect(aborted.result?.outcome).toBe('aborted');
        expectAbandoned(crashed);
        // Nothing stale is left in the way of a new merge.
        const again = await merge(crashed.fx);
        expect(again.exitCode, `${again.run.stdout}${again.run.stderr}`).toBe(0);
        expectCompleted(crashed, again.result);
        return;
      }
      expect(aborted.exitCode).toBe(3);
      expect(aborted.error?.hint).toContain(`git update-ref refs/heads/main ${crashed.before} ${after}`);
      expect(readMergeStateFile(crashed.fx)?.result).toBe(after);
      expect(readFileSync(mergeStatePath(crashed.fx), 'utf8')).toContain(crashed.before);

      const continued = await merge(crashed.fx, ['--continue']);

      expect(continued.exitCode, `${continued.run.stdout}${continued.run.stderr}`).toBe(0);
      expectCompleted(crashed, continued.result);
    },
  );
});
