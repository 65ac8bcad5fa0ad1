/**
 * Combining a lane ref's copy of a WP file with the target's file (src/io/lane-file-merge.ts), with real
 * `git merge-file`: neighbouring lines, keys both sides changed, bodies, a history the target lacked.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Git } from '../../src/io/git.js';
import { closeGitShells } from '../../src/io/git-shell.js';
import { combineWorkPackageFile } from '../../src/io/lane-file-merge.js';
import { makeTempDir } from '../helpers/repo.js';

const base = `---
work_package_id: WP01
title: Package WP01
lane: planned
dependencies: []
---

# WP01

Do it.
`;

const copy = `---
work_package_id: WP01
title: Package WP01
lane: doing
dependencies: []
agent: claude
history:
- timestamp: '2026-12-03T06:55:54Z'
  lane: doing
  agent: claude
  shell_pid: '22144'
  action: Started
---

# WP01

Do it.
`;

describe('combineWorkPackageFile', () => {
  const dir = makeTempDir('kit-lane-merge-');
  const git = new Git(dir);
  afterAll(() => closeGitShells());

  it('a title edited on the line next to the lane: both kept, the lane keys from the copy', async () => {
    const theirs = base.replace('title: Package WP01', 'title: Package WP01 (with docs)');
    const result = await combineWorkPackageFile(git, dir, { base, copy, theirs });
    expect(result).toContain('title: Package WP01 (with docs)\n');
    expect(result).toMatch(/^lane: doing$/m);
    expect(result).toMatch(/^agent: claude$/m);
    expect(result).toContain('  action: Started\n');
  });

  it('a body edit and the lane change merge line by line', async () => {
    const theirs = base.replace('Do it.', 'Do it, and document it.');
    const result = await combineWorkPackageFile(git, dir, { base, copy, theirs });
    expect(result).toContain('Do it, and document it.');
    expect(result).toMatch(/^lane: doing$/m);
  });

  it('both sides moving the lane is a real disagreement: null', async () => {
    const theirs = base.replace('lane: planned', 'lane: for_review');
    expect(await combineWorkPackageFile(git, dir, { base, copy, theirs })).toBeNull();
  });

  it('the target adding a dependency next to the lane keeps it', async () => {
    const theirs = base.replace('dependencies: []', 'dependencies: [WP02]');
    const result = await combineWorkPackageFile(git, dir, { base, copy, theirs });
    expect(result).toMatch(/^dependencies: \[WP02\]$/m);
    expect(result).toMatch(/^lane: doing$/m);
  });
});
