import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DELETE_BRANCHES_REASON } from '../../src/services/merge-feature.js';
import { branchNames, type FeatureRepo, makeFeatureRepo, tipOf, worktreePaths } from '../helpers/lanes.js';
import {
  commitOnTarget,
  doneFeature,
  fileAt,
  finishAll,
  interposeGit,
  kitRefs,
  merge,
  merged,
  PAIR_AND_ONE,
  quietGit,
  readMergeStateFile,
  tip,
  TWO,
  uncommitted,
  wpContent,
  wpFile,
} from '../helpers/merge.js';

/** The archive ref kit keeps for a WP. */
const archive = (fx: FeatureRepo, id: string): string => `refs/kit/archive/${fx.feature}/${id}`;

describe('kit merge cleanup', () => {
  it('archives, then removes each worktree (listing worktrees again each time), then deletes the branches (CAS on the landed tips)', async () => {
    const { fx, done } = await doneFeature(PAIR_AND_ONE, ['WP01', 'WP02', 'WP03']);
    const git = interposeGit([]);

    const result = merged(await merge(fx, [], { env: { PATH: git.path } }));

    const calls = git.calls();
    const at = (predicate: (call: string) => boolean, from = 0): number =>
      calls.findIndex((call, index) => index >= from && predicate(call));
    const landing = at((call) => call.startsWith('update-ref --stdin'));
    expect(landing).toBeGreaterThan(-1);
    // Every archive ref is written, in one transaction, before anything is removed.
    const archived = at((call) => call === 'update-ref -m kit merge: archive --stdin', landing);
    expect(archived, calls.join('\n')).toBeGreaterThan(landing);
    let previous = archived;
    for (const id of ['WP01', 'WP02', 'WP03']) {
      const wp = done[id];
      if (!wp) throw new Error(id);
      const removed = at((call) => call === `worktree remove ${wp.worktree}`, previous);
      expect(removed, `${id}: worktree removed after the archive refs and the previous removal`).toBeGreaterThan(
        previous,
      );
      const listedBeforeRemove = at((call) => call.startsWith('worktree list'), previous);
      expect(listedBeforeRemove, `${id}: worktree list re-read before the removal`).toBeGreaterThan(previous);
      expect(listedBeforeRemove).toBeLessThan(removed);
      previous = removed;
    }
    const deleted = at((call) => call === `update-ref -m ${DELETE_BRANCHES_REASON} --stdin`, previous);
    expect(deleted, 'the branches are deleted after the last removal').toBeGreaterThan(previous);
    const listedBeforeDelete = at((call) => call.startsWith('worktree list'), previous);
    expect(listedBeforeDelete, 'worktree list re-read before the branch deletion').toBeGreaterThan(previous);
    expect(listedBeforeDelete).toBeLessThan(deleted);
    // The report is exactly what git did.
    expect(result.cleanup).toEqual({
      removedWorktrees: ['WP01', 'WP02', 'WP03'].map((id) => fx.worktreePath(id)),
      keptWorktrees: [],
      deletedBranches: ['WP01', 'WP02', 'WP03'].map((id) => fx.branch(id)),
      keptBranches: [],
      archiveRefs: ['WP01', 'WP02', 'WP03'].map((id) => archive(fx, id)),
    });
    expect(kitRefs(fx.repo)).toEqual(['WP01', 'WP02', 'WP03'].map((id) => `${done[id]?.tip} ${archive(fx, id)}`));
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root]);
    expect(branchNames(fx.repo)).toEqual(['main']);
    // The archive refs undo a cleanup: the branch comes back at the landed tip.
    quietGit(fx.repo.root, ['branch', fx.branch('WP02'), archive(fx, 'WP02')]);
    expect(tipOf(fx.repo, fx.branch('WP02'))).toBe(done.WP02?.tip);
  });

  it('never claims a removal git refused: the worktree and its branch are reported kept', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);
    const worktree = done.WP01?.worktree ?? '';
    // Someone writes a file into the worktree between kit's check and git's removal.
    const git = interposeGit([{ when: `worktree remove ${worktree}`, run: `echo late > '${worktree}/late.txt'` }]);

    const run = await merge(fx, [], { env: { PATH: git.path } });

    const result = merged(run);
    expect(git.fired(0)).toBe(true);
    expect(result.cleanup?.removedWorktrees).toEqual([fx.worktreePath('WP02')]);
    expect(result.cleanup?.deletedBranches).toEqual([fx.branch('WP02')]);
    expect(result.cleanup?.keptWorktrees).toEqual([
      { path: worktree, wp: 'WP01', reason: expect.stringMatching(/^git refused: .*untracked/) },
    ]);
    expect(result.cleanup?.keptBranches).toEqual([
      { branch: fx.branch('WP01'), wp: 'WP01', reason: `its worktree ${worktree} is kept` },
    ]);
    expect(readFileSync(join(worktree, 'late.txt'), 'utf8')).toBe('late\n');
    expect(tipOf(fx.repo, fx.branch('WP01'))).toBe(done.WP01?.tip);
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root, worktree]);
  });

  it('keeps a branch that got a new commit after the merge (the deletion is a compare-and-swap)', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);
    const landed = done.WP02?.tip ?? '';
    const branch = fx.branch('WP02');
    const git = interposeGit([
      {
        // Right before the transaction that deletes both branches: it must fail as a whole, and then
        // each branch is deleted on its own, so only the moved one stays.
        when: `update-ref -m ${DELETE_BRANCHES_REASON} --stdin`,
        run: [
          `c=$("$REAL" -C '${fx.repo.root}' commit-tree -p ${landed} -m 'after the merge' ${landed}^{tree})`,
          `"$REAL" -C '${fx.repo.root}' update-ref refs/heads/${branch} "$c"`,
        ].join(' && '),
      },
    ]);

    const result = merged(await merge(fx, [], { env: { PATH: git.path } }));

    expect(git.fired(0)).toBe(true);
    expect(result.cleanup?.removedWorktrees).toEqual([fx.worktreePath('WP01'), fx.worktreePath('WP02')]);
    expect(result.cleanup?.deletedBranches).toEqual([fx.branch('WP01')]);
    expect(result.cleanup?.keptBranches).toEqual([
      { branch, wp: 'WP02', reason: expect.stringContaining('moved after the merge') },
    ]);
    const now = tip(fx.repo, branch);
    expect(now).not.toBe(landed);
    expect(quietGit(fx.repo.root, ['log', '-1', '--format=%s', now]).trim()).toBe('after the merge');
    expect(tipOf(fx.repo, archive(fx, 'WP02'))).toBe(landed);
  });

  it('keeps a worktree holding an ignored .env kit did not copy there, and its branch, saying why', async () => {
    const fx = await makeFeatureRepo({ wps: TWO });
    commitOnTarget(fx, '.gitignore', '.env\n', 'Ignore .env');
    const done = await finishAll(fx, ['WP01', 'WP02']);
    const worktree = done.WP01?.worktree ?? '';
    writeFileSync(join(worktree, '.env'), 'SECRET=only-here\n');

    const dry = await merge(fx, ['--dry-run']);
    expect(dry.result?.cleanupPreview).toEqual([
      {
        wp: 'WP01',
        worktree,
        branch: fx.branch('WP01'),
        action: 'keep',
        reason: expect.stringMatching(/ignored files .*\.env/),
      },
      {
        wp: 'WP02',
        worktree: done.WP02?.worktree,
        branch: fx.branch('WP02'),
        action: 'remove',
        reason: expect.any(String),
      },
    ]);

    const result = merged(await merge(fx));

    expect(result.cleanup?.keptWorktrees).toEqual([
      { path: worktree, wp: 'WP01', reason: expect.stringMatching(/ignored files .*\.env/) },
    ]);
    expect(result.cleanup?.keptBranches).toEqual([
      { branch: fx.branch('WP01'), wp: 'WP01', reason: `its worktree ${worktree} is kept` },
    ]);
    expect(result.cleanup?.removedWorktrees).toEqual([fx.worktreePath('WP02')]);
    expect(result.cleanup?.deletedBranches).toEqual([fx.branch('WP02')]);
    expect(readFileSync(join(worktree, '.env'), 'utf8')).toBe('SECRET=only-here\n');
    expect(tipOf(fx.repo, fx.branch('WP01'))).toBe(done.WP01?.tip);
    expect(tipOf(fx.repo, archive(fx, 'WP01'))).toBe(done.WP01?.tip);
    expect(fileAt(fx.repo, 'main', wpFile('WP01'))).toBe(wpContent('WP01'));
  });

  it("removes a worktree whose ignored .env is kit's copy (.worktreeinclude), keeps an edited copy", async () => {
    const fx = await makeFeatureRepo({ wps: TWO });
    commitOnTarget(fx, '.gitignore', '.env\n', 'Ignore .env');
    commitOnTarget(fx, '.worktreeinclude', '.env\n', 'Copy .env into worktrees');
    fx.repo.write('.env', 'SHARED=1\n');
    const done = await finishAll(fx, ['WP01', 'WP02']);
    for (const wp of Object.values(done)) expect(readFileSync(join(wp.worktree, '.env'), 'utf8')).toBe('SHARED=1\n');
    const edited = done.WP02?.worktree ?? '';
    writeFileSync(join(edited, '.env'), 'SHARED=1\nLOCAL=edited in the worktree\n');
    const user = uncommitted(fx.repo.root);

    const result = merged(await merge(fx));

    expect(result.cleanup?.removedWorktrees).toEqual([fx.worktreePath('WP01')]);
    expect(result.cleanup?.deletedBranches).toEqual([fx.branch('WP01')]);
    expect(existsSync(fx.worktreePath('WP01'))).toBe(false);
    expect(result.cleanup?.keptWorktrees).toEqual([
      { path: edited, wp: 'WP02', reason: expect.stringMatching(/ignored files .*\.env/) },
    ]);
    expect(readFileSync(join(edited, '.env'), 'utf8')).toBe('SHARED=1\nLOCAL=edited in the worktree\n');
    expect(fx.repo.read('.env')).toBe('SHARED=1\n');
    expect(uncommitted(fx.repo.root)).toEqual(user);
  });

  it('keeps a locked worktree and its branch', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);
    const worktree = done.WP02?.worktree ?? '';
    quietGit(fx.repo.root, ['worktree', 'lock', '--reason', 'agent at work', worktree]);

    const result = merged(await merge(fx));

    expect(result.cleanup?.keptWorktrees).toEqual([{ path: worktree, wp: 'WP02', reason: 'locked (agent at work)' }]);
    expect(result.cleanup?.keptBranches.map((kept) => kept.branch)).toEqual([fx.branch('WP02')]);
    expect(result.cleanup?.removedWorktrees).toEqual([fx.worktreePath('WP01')]);
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root, worktree]);
    expect(tipOf(fx.repo, fx.branch('WP02'))).toBe(done.WP02?.tip);
    expect(quietGit(fx.repo.root, ['worktree', 'list', '--porcelain'])).toContain('locked agent at work');
  });

  it('a later run cleans up what an earlier one had to keep (worktree unlocked since)', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);
    const worktree = done.WP02?.worktree ?? '';
    quietGit(fx.repo.root, ['worktree', 'lock', worktree]);
    const first = merged(await merge(fx));
    expect(first.cleanup?.keptWorktrees.map((kept) => kept.wp)).toEqual(['WP02']);
    quietGit(fx.repo.root, ['worktree', 'unlock', worktree]);

    const again = await merge(fx);

    expect(again.exitCode, `${again.run.stdout}${again.run.stderr}`).toBe(0);
    expect(again.result?.outcome).toBe('nothing-to-merge');
    expect(again.result?.cleanup?.removedWorktrees).toEqual([worktree]);
    expect(again.result?.cleanup?.deletedBranches).toEqual([fx.branch('WP02')]);
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root]);
    expect(tip(fx.repo, 'main')).toBe(first.after);
  });

  it('--keep-worktrees keeps worktrees and branches; a later run finds nothing to merge, cleans up', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);

    const kept = merged(await merge(fx, ['--keep-worktrees']));

    expect(kept.cleanup).toBeNull();
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root, done.WP01?.worktree, done.WP02?.worktree]);
    expect(branchNames(fx.repo)).toEqual([fx.branch('WP01'), fx.branch('WP02'), 'main']);
    expect(tipOf(fx.repo, fx.branch('WP01'))).toBe(done.WP01?.tip);
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
    expect(readMergeStateFile(fx)).toBeNull();

    const dry = await merge(fx, ['--dry-run']);
    expect(dry.exitCode).toBe(0);
    expect(dry.result?.outcome).toBe('nothing-to-merge');

    const again = merged(await merge(fx));

    expect(again.outcome).toBe('nothing-to-merge');
    expect(again.skipped.map((entry) => entry.id)).toEqual(['WP01', 'WP02']);
    expect(again.warnings).toContain('every work package is already in the target');
    expect(again.steps).toEqual([]);
    expect(tip(fx.repo, 'main')).toBe(kept.after);
    expect(again.cleanup).toEqual({
      removedWorktrees: [done.WP01?.worktree, done.WP02?.worktree],
      keptWorktrees: [],
      deletedBranches: [fx.branch('WP01'), fx.branch('WP02')],
      keptBranches: [],
      archiveRefs: [archive(fx, 'WP01'), archive(fx, 'WP02')],
    });
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root]);
    expect(branchNames(fx.repo)).toEqual(['main']);
    expect(tipOf(fx.repo, archive(fx, 'WP02'))).toBe(done.WP02?.tip);
  });

  it('a later plain run after a squash merge finds nothing to merge (the content is in) and cleans up', async () => {
    const { fx } = await doneFeature(TWO, ['WP01', 'WP02']);
    const squashed = merged(await merge(fx, ['--strategy', 'squash', '--keep-worktrees']));

    const again = await merge(fx);

    expect(again.exitCode, `${again.run.stdout}${again.run.stderr}`).toBe(0);
    expect(again.result?.outcome).toBe('nothing-to-merge');
    expect(tip(fx.repo, 'main')).toBe(squashed.after);
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root]);
  });
});
