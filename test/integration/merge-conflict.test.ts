import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FeatureRepo, makeFeatureRepo, tipOf, worktreePaths } from '../helpers/lanes.js';
import {
  commitOnTarget,
  doneFeature,
  type DoneWp,
  fileAt,
  finishAll,
  finishWp,
  interposeGit,
  isAncestor,
  kitRaw,
  merge,
  merged,
  mergeStatePath,
  parentsOf,
  picture,
  quietGit,
  readMergeStateFile,
  tip,
  TWO,
  uncommitted,
  wpContent,
  wpFile,
} from '../helpers/merge.js';
import { childEnv, STACK_LINE } from '../helpers/repo.js';

const STRATEGIES = ['merge', 'squash', 'rebase'] as const;
const CONFLICT_MARKERS = /<<<<<<< [^\n]*\n[\s\S]*=======\n[\s\S]*>>>>>>> /;

/**
 * WP01 and WP02 done; WP01 changed line 2 of shared.txt and, after it branched, the target changed the same
 * line differently: merging WP01 is a real conflict.
 */
async function conflictingFeature(): Promise<{ fx: FeatureRepo; done: Record<string, DoneWp>; before: string }> {
  const fx = await makeFeatureRepo({ wps: TWO });
  commitOnTarget(fx, 'shared.txt', 'line 1\nline 2\nline 3\n', 'Add shared.txt');
  const done = {
    WP01: await finishWp(fx, 'WP01', {
      'shared.txt': 'line 1\nline 2 (WP01)\nline 3\n',
      'wp01.txt': wpContent('WP01'),
    }),
    WP02: await finishWp(fx, 'WP02'),
  };
  commitOnTarget(fx, 'shared.txt', 'line 1\nline 2 (target)\nline 3\n', 'Target: shared.txt');
  return { fx, done, before: tip(fx.repo, 'main') };
}

/** The picture of everything but kit's own files: what a stopped merge must leave as it was. */
function userVisible(fx: FeatureRepo): Record<string, unknown> {
  const { kitFiles: _kitFiles, ...rest } = picture(fx.repo);
  return rest;
}

/** Runs git where a non-zero exit is expected; returns the exit code. */
function gitStatus(cwd: string, args: readonly string[]): number {
  try {
    execFileSync('git', [...args], { cwd, env: childEnv(), stdio: 'ignore' });
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

describe('kit merge: a real conflict', () => {
  it.each(STRATEGIES)(
    '--strategy %s: exit 4 with nothing written, the state saved; fixed in the WP worktree, --continue lands',
    async (strategy) => {
      const { fx, done, before } = await conflictingFeature();
      const visible = userVisible(fx);

      const stopped = await merge(fx, ['--strategy', strategy]);

      expect(stopped.exitCode, stopped.run.stdout).toBe(4);
      expect(stopped.run.json?.ok).toBe(false);
      const result = stopped.result;
      expect(result?.outcome).toBe('conflict');
      expect(result?.after).toBeNull();
      expect(result?.steps.map((step) => [step.wp, step.clean])).toEqual([['WP01', false]]);
      expect(result?.conflict?.wp).toBe('WP01');
      expect(result?.conflict?.mergedBefore).toEqual([]);
      expect(result?.conflict?.files).toEqual([
        { path: 'shared.txt', kind: expect.stringMatching(/^content/), preview: expect.any(String) },
      ]);
      // The preview command works as printed and shows both sides.
      const preview = result?.conflict?.files[0]?.preview ?? '';
      expect(preview).toBe(`git show ${result?.conflict?.tree}:shared.txt`);
      const shown = quietGit(fx.repo.root, preview.split(' ').slice(1));
      expect(shown).toMatch(CONFLICT_MARKERS);
      expect(shown).toContain('line 2 (WP01)');
      expect(shown).toContain('line 2 (target)');
      // Nothing but kit's state file was written.
      expect(tip(fx.repo, 'main')).toBe(before);
      expect(userVisible(fx)).toEqual(visible);
      const state = readMergeStateFile(fx);
      expect(mergeStatePath(fx)).toBe(join(fx.repo.root, '.git', 'kit', 'merge', `${fx.feature}.json`));
      expect(state).toMatchObject({
        version: 1,
        feature: fx.feature,
        targetBranch: 'main',
        strategy,
        phase: 'conflict',
        targetBefore: before,
        result: null,
        conflict: { wp: 'WP01', paths: ['shared.txt'] },
        planned: [
          { wp: 'WP01', branch: fx.branch('WP01'), tip: done.WP01?.tip },
          { wp: 'WP02', branch: fx.branch('WP02'), tip: done.WP02?.tip },
        ],
      });

      // The human report says where to fix it.
      const human = await fx.repo.kit(['merge', '--dry-run', '--strategy', strategy]);
      expect(human.exitCode).toBe(4);
      expect(human.stdout).toContain(`shared.txt (content`);
      // (Each run builds its own conflict tree: compare the shape, not the id.)
      expect(human.stdout).toMatch(/shared\.txt \(content.*preview: git show [0-9a-f]{40}:shared\.txt/);
      expect(human.stdout).toMatch(/kit merge --continue/);

      // The fix, done the usual way: merge the target into the WP branch in its worktree, resolve, commit.
      const worktree = done.WP01?.worktree ?? '';
      expect(gitStatus(worktree, ['merge', '-q', 'main'])).toBe(1);
      writeFileSync(join(worktree, 'shared.txt'), 'line 1\nline 2 (WP01 + target)\nline 3\n');
      quietGit(worktree, ['add', 'shared.txt']);
      quietGit(worktree, ['commit', '-q', '--no-edit']);
      const resolved = tip(fx.repo, fx.branch('WP01'));

      const continued = await merge(fx, ['--continue']);

      const landed = merged(continued, 'kit merge --continue');
      expect(landed.strategy).toBe(strategy);
      expect(landed.steps.map((step) => [step.wp, step.clean])).toEqual([
        ['WP01', true],
        ['WP02', true],
      ]);
      expect(fileAt(fx.repo, 'main', 'shared.txt')).toBe('line 1\nline 2 (WP01 + target)\nline 3\n');
      expect(fileAt(fx.repo, 'main', wpFile('WP01'))).toBe(wpContent('WP01'));
      expect(fileAt(fx.repo, 'main', wpFile('WP02'))).toBe(wpContent('WP02'));
      expect(isAncestor(fx.repo, before, 'main')).toBe(true);
      expect(landed.proof?.ok).toBe(true);
      expect(fx.repo.read('shared.txt')).toBe('line 1\nline 2 (WP01 + target)\nline 3\n');
      expect(fx.repo.git(['status', '--porcelain'])).toBe('');
      expect(readMergeStateFile(fx)).toBeNull();
      expect(tipOf(fx.repo, `refs/kit/archive/${fx.feature}/WP01`)).toBe(resolved);
      expect(worktreePaths(fx.repo)).toEqual([fx.repo.root]);
    },
  );

  it('names each conflicted file with its kind: content and modify/delete', async () => {
    const fx = await makeFeatureRepo({ wps: TWO });
    commitOnTarget(fx, 'shared.txt', 'line 1\nline 2\nline 3\n', 'Add shared.txt');
    commitOnTarget(fx, 'old.txt', 'old\n', 'Add old.txt');
    await finishAll(fx, ['WP01']);
    await finishWp(fx, 'WP02', { 'shared.txt': 'line 1\nline 2 (WP02)\nline 3\n', 'old.txt': null });
    commitOnTarget(fx, 'shared.txt', 'line 1\nline 2 (target)\nline 3\n');
    commitOnTarget(fx, 'old.txt', 'old, edited on the target\n');

    const stopped = await merge(fx);

    expect(stopped.exitCode).toBe(4);
    expect(stopped.result?.conflict?.wp).toBe('WP02');
    expect(stopped.result?.conflict?.mergedBefore).toEqual(['WP01']);
    const files = stopped.result?.conflict?.files ?? [];
    expect(files.map((file) => [file.path, file.kind])).toEqual([
      ['old.txt', 'modify/delete'],
      ['shared.txt', expect.stringMatching(/^content/)],
    ]);
    for (const file of files) expect(file.preview).toBe(`git show ${stopped.result?.conflict?.tree}:${file.path}`);
    expect(quietGit(fx.repo.root, ['show', `${stopped.result?.conflict?.tree}:old.txt`])).toBe(
      'old, edited on the target\n',
    );
  });
});

describe('kit merge --continue and a stopped merge', () => {
  it('--continue keeps the saved strategy and refuses another; a plain run points to --continue/--abort', async () => {
    const { fx, before } = await conflictingFeature();
    expect((await merge(fx, ['--strategy', 'squash'])).exitCode).toBe(4);
    const state = readFileSync(mergeStatePath(fx), 'utf8');

    const other = await merge(fx, ['--continue', '--strategy', 'merge']);
    expect(other.exitCode).toBe(2);
    expect(other.error?.message).toContain('--strategy squash');
    expect(readFileSync(mergeStatePath(fx), 'utf8')).toBe(state);

    const again = await fx.repo.kit(['merge']);
    expect(again.exitCode).toBe(3);
    expect(again.stderr).toMatch(/already in progress \(conflict\)/);
    expect(again.stderr).toContain('kit merge --continue');
    expect(again.stderr).toContain('kit merge --abort');
    expect(again.stderr).not.toMatch(STACK_LINE);
    expect(readFileSync(mergeStatePath(fx), 'utf8')).toBe(state);

    // Without a fix, --continue stops at the same conflict, still with the saved strategy.
    const same = await merge(fx, ['--continue', '--strategy', 'squash']);
    expect(same.exitCode).toBe(4);
    expect(same.result?.strategy).toBe('squash');
    expect(same.result?.conflict?.wp).toBe('WP01');
    expect(tip(fx.repo, 'main')).toBe(before);
  });

  it('--continue or --abort without a stopped merge says there is none', async () => {
    const fx = await makeFeatureRepo({ wps: TWO });
    for (const flag of ['--continue', '--abort']) {
      const run = await merge(fx, [flag]);
      expect(run.exitCode).toBe(3);
      expect(run.error?.message).toBe(`no merge of ${fx.feature} is in progress`);
    }
    expect((await merge(fx, ['--continue', '--abort'])).exitCode).toBe(3);
  });
});

describe('kit merge --abort', () => {
  it("after a conflict: drops kit's state only, and leaves the user's own conflicted git merge alone", async () => {
    const fx = await makeFeatureRepo({ wps: TWO });
    commitOnTarget(fx, 'notes.txt', 'base\n', 'Add notes.txt');
    fx.repo.git(['checkout', '-q', '-b', 'side']);
    commitOnTarget(fx, 'notes.txt', 'side\n', 'Side: notes.txt');
    fx.repo.git(['checkout', '-q', 'main']);
    commitOnTarget(fx, 'shared.txt', 'line 1\nline 2\nline 3\n', 'Add shared.txt');
    await finishWp(fx, 'WP01', { 'shared.txt': 'line 1\nline 2 (WP01)\nline 3\n' });
    await finishAll(fx, ['WP02']);
    commitOnTarget(fx, 'shared.txt', 'line 1\nline 2 (target)\nline 3\n');
    commitOnTarget(fx, 'notes.txt', 'main\n', 'Main: notes.txt');
    const before = tip(fx.repo, 'main');
    expect((await merge(fx)).exitCode).toBe(4);

    // The user starts a merge of their own in the main checkout, and it conflicts.
    expect(gitStatus(fx.repo.root, ['merge', '-q', 'side'])).toBe(1);
    const mergeHead = join(fx.repo.root, '.git', 'MERGE_HEAD');
    const theirs = readFileSync(mergeHead, 'utf8');
    const unmerged = quietGit(fx.repo.root, ['ls-files', '-u']);
    expect(unmerged).toContain('notes.txt');
    const mine = uncommitted(fx.repo.root);
    const notes = fx.repo.read('notes.txt');
    const refs = quietGit(fx.repo.root, ['for-each-ref']);
    const worktrees = worktreePaths(fx.repo);

    const aborted = await merge(fx, ['--abort']);

    expect(aborted.exitCode, aborted.run.stdout).toBe(0);
    expect(aborted.result?.outcome).toBe('aborted');
    expect(aborted.result?.before).toBe(before);
    expect(existsSync(mergeStatePath(fx))).toBe(false);
    expect(tip(fx.repo, 'main')).toBe(before);
    expect(readFileSync(mergeHead, 'utf8')).toBe(theirs);
    expect(quietGit(fx.repo.root, ['ls-files', '-u'])).toBe(unmerged);
    expect(uncommitted(fx.repo.root)).toEqual(mine);
    expect(fx.repo.read('notes.txt')).toBe(notes);
    expect(fx.repo.read('notes.txt')).toMatch(CONFLICT_MARKERS);
    expect(quietGit(fx.repo.root, ['for-each-ref'])).toBe(refs);
    expect(worktreePaths(fx.repo)).toEqual(worktrees);
    // Aborting again: nothing left to abort.
    expect((await merge(fx, ['--abort'])).exitCode).toBe(3);
  });

  describe('after the merge landed', () => {
    async function landedThenKilled(): Promise<{ fx: FeatureRepo; before: string; after: string }> {
      const { fx } = await doneFeature(TWO, ['WP01', 'WP02']);
      const before = tip(fx.repo, 'main');
      const killed = await kitRaw(fx.repo.root, ['merge'], { KIT_FAILPOINT: 'merge:proved' });
      expect(killed.signal).toBe('SIGKILL');
      const after = tip(fx.repo, 'main');
      expect(after).not.toBe(before);
      return { fx, before, after };
    }

    it('refuses and prints the exact command that moves the target back, which works', async () => {
      const { fx, before, after } = await landedThenKilled();
      const state = readFileSync(mergeStatePath(fx), 'utf8');

      const refused = await merge(fx, ['--abort']);

      expect(refused.exitCode).toBe(3);
      expect(refused.error?.message).toContain('already landed');
      const command = `git update-ref refs/heads/main ${before} ${after}`;
      expect(refused.error?.hint).toContain(command);
      expect(tip(fx.repo, 'main')).toBe(after);
      expect(readFileSync(mergeStatePath(fx), 'utf8')).toBe(state);
      // The printed commands do what they say.
      quietGit(fx.repo.root, command.split(' ').slice(1));
      expect(tip(fx.repo, 'main')).toBe(before);
      const readTree = /git read-tree -m -u \S+ \S+/.exec(refused.error?.hint ?? '')?.[0] ?? 'missing read-tree';
      expect(readTree).toBe(`git read-tree -m -u ${after} ${before}`);
      quietGit(fx.repo.root, readTree.split(' ').slice(1));
      expect(fx.repo.git(['status', '--porcelain'])).toBe('');
      expect(fx.repo.exists(wpFile('WP01'))).toBe(false);
    });

    it('once the target was moved back as printed, --abort drops the merge', async () => {
      const { fx, before, after } = await landedThenKilled();
      quietGit(fx.repo.root, ['update-ref', 'refs/heads/main', before, after]);
      quietGit(fx.repo.root, ['read-tree', '-m', '-u', after, before]);

      const aborted = await merge(fx, ['--abort']);

      expect(aborted.exitCode, aborted.run.stdout).toBe(0);
      expect(existsSync(mergeStatePath(fx))).toBe(false);
      expect(tip(fx.repo, 'main')).toBe(before);
    });
  });
});

describe('kit merge preflight', () => {
  it('refuses a dirty WP worktree or one mid-merge, listing every file at once, writing nothing (exit 3)', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);
    const worktree = done.WP02?.worktree ?? '';
    writeFileSync(join(worktree, wpFile('WP02')), 'changed after review\n');
    writeFileSync(join(worktree, 'notes.tmp'), 'untracked\n');
    const other = done.WP01?.worktree ?? '';
    expect(gitStatus(other, ['merge', '--no-commit', '--no-ff', '-q', 'main'])).toBe(0);
    expect(existsSync(join(fx.repo.root, '.git', 'worktrees', fx.branch('WP01'), 'MERGE_HEAD'))).toBe(true);
    const before = picture(fx.repo);

    const refused = await merge(fx);

    expect(refused.exitCode).toBe(3);
    const message = refused.error?.message ?? '';
    expect(message).toContain(wpFile('WP02'));
    expect(message).toContain('notes.tmp');
    expect(message).toContain(worktree);
    expect(message).toMatch(/WP01's worktree .* has a merge in progress/);
    expect(refused.error?.hint).toMatch(/commit or remove/);
    expect(picture(fx.repo)).toEqual(before);
    expect(existsSync(mergeStatePath(fx))).toBe(false);
  });
});

describe('kit merge when something moves while it runs', () => {
  it('the target moved before the landing transaction: nothing is lost, it lands on top of it', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);
    const before = tip(fx.repo, 'main');
    // A user commits on main in the main checkout right before kit's `update-ref --stdin`.
    const git = interposeGit([
      {
        when: 'update-ref --stdin',
        run: `cd '${fx.repo.root}' && echo late > late.txt && "$REAL" add late.txt && "$REAL" commit -qm 'Late commit'`,
      },
    ]);

    const result = merged(await merge(fx, [], { env: { PATH: git.path } }));

    expect(git.fired(0)).toBe(true);
    expect(result.after).toBe(tip(fx.repo, 'main'));
    const moved = quietGit(fx.repo.root, ['log', '--format=%H', '--grep=Late commit', 'main']).trim();
    expect(moved).not.toBe('');
    expect(result.before).toBe(moved);
    expect(parentsOf(fx.repo, moved)).toEqual([before]);
    expect(result.warnings.join('\n')).toMatch(/main moved while kit was merging/);
    expect(fileAt(fx.repo, 'main', 'late.txt')).toBe('late\n');
    for (const id of ['WP01', 'WP02']) expect(isAncestor(fx.repo, done[id]?.tip ?? '', 'main')).toBe(true);
    expect(result.proof?.ok).toBe(true);
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
    expect(existsSync(mergeStatePath(fx))).toBe(false);
  });

  it('a WP branch moved before the landing transaction: nothing lands and kit shows the new commit', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);
    const before = tip(fx.repo, 'main');
    const worktree = done.WP02?.worktree ?? '';
    const git = interposeGit([
      {
        when: 'update-ref --stdin',
        run: `cd '${worktree}' && echo more > more.txt && "$REAL" add more.txt && "$REAL" commit -q -m 'A late fix'`,
      },
    ]);

    const refused = await merge(fx, [], { env: { PATH: git.path } });

    expect(git.fired(0)).toBe(true);
    expect(refused.exitCode).toBe(3);
    const late = tip(fx.repo, fx.branch('WP02'));
    expect(late).not.toBe(done.WP02?.tip);
    expect(refused.error?.message).toContain('nothing landed');
    expect(refused.error?.message).toContain(`WP02: ${fx.branch('WP02')} moved from ${done.WP02?.tip.slice(0, 12)}`);
    expect(refused.error?.message).toContain(`${late.slice(0, 12)} A late fix`);
    expect(tip(fx.repo, 'main')).toBe(before);
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
    expect(existsSync(mergeStatePath(fx))).toBe(false);
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root, done.WP01?.worktree, worktree]);
    expect(tip(fx.repo, fx.branch('WP01'))).toBe(done.WP01?.tip);
  });
});
