import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  branchNames,
  committedWp,
  DIAMOND,
  type FeatureRepo,
  makeFeatureRepo,
  tipOf,
  worktreePaths,
} from '../helpers/lanes.js';
import {
  CHAIN,
  commitFiles,
  commitOnTarget,
  doneFeature,
  type DoneWp,
  FAN_OUT,
  fileAt,
  finishWp,
  handIn,
  isAncestor,
  kitRefs,
  merge,
  merged,
  type MergeResult,
  PAIR,
  PAIR_AND_ONE,
  parentsOf,
  picture,
  quietGit,
  readMergeStateFile,
  revList,
  startWp,
  subjectOf,
  tip,
  TWO,
  uncommitted,
  wpContent,
  wpFile,
} from '../helpers/merge.js';
import { makeTempDir, STACK_LINE } from '../helpers/repo.js';

const STRATEGIES = ['merge', 'squash', 'rebase'] as const;

/** Every WP's own file is on `revision` with its content. */
function expectWpFiles(fx: FeatureRepo, revision: string, ids: readonly string[]): void {
  for (const id of ids)
    expect(fileAt(fx.repo, revision, wpFile(id)), `${wpFile(id)} on ${revision}`).toBe(wpContent(id));
}

/** A complete, cleaned-up merge of these WPs: target moved, checkout in step, worktrees and branches gone. */
function expectLandedAndCleaned(fx: FeatureRepo, result: MergeResult, done: Record<string, DoneWp>): void {
  const ids = Object.keys(done);
  expect(result.outcome).toBe('merged');
  expect(result.after).toBe(tip(fx.repo, fx.target));
  expect(result.checkout).toEqual({ path: fx.repo.root, updated: true });
  expect(result.proof).toEqual({ checked: ids.length, ok: true });
  expect(fx.repo.git(['status', '--porcelain', '--untracked-files=all'])).toBe('');
  expect(result.cleanup?.removedWorktrees.sort()).toEqual(ids.map((id) => fx.worktreePath(id)).sort());
  expect(result.cleanup?.deletedBranches.sort()).toEqual(ids.map((id) => fx.branch(id)).sort());
  expect(result.cleanup?.keptWorktrees).toEqual([]);
  expect(result.cleanup?.keptBranches).toEqual([]);
  expect(worktreePaths(fx.repo)).toEqual([fx.repo.root]);
  expect(branchNames(fx.repo)).toEqual([fx.target]);
  for (const id of ids) {
    expect(existsSync(fx.worktreePath(id))).toBe(false);
    expect(tipOf(fx.repo, `refs/kit/archive/${fx.feature}/${id}`)).toBe(done[id]?.tip);
  }
  expect(readMergeStateFile(fx)).toBeNull();
}

describe('kit merge: shapes of the dependency graph', () => {
  it('lands a linear chain in order, one merge commit per WP, then cleans up', async () => {
    const { fx, done } = await doneFeature(CHAIN, ['WP01', 'WP02', 'WP03']);
    const before = tip(fx.repo, 'main');

    const result = merged(await merge(fx));

    expect(result.before).toBe(before);
    expect(result.strategy).toBe('merge');
    expect(result.steps.map((step) => [step.wp, step.branch, step.tip, step.clean])).toEqual([
      ['WP01', fx.branch('WP01'), done.WP01?.tip, true],
      ['WP02', fx.branch('WP02'), done.WP02?.tip, true],
      ['WP03', fx.branch('WP03'), done.WP03?.tip, true],
    ]);
    // Each step is a merge commit on top of the previous one, with the WP tip as second parent.
    let previous = before;
    for (const step of result.steps) {
      expect(parentsOf(fx.repo, step.result ?? '')).toEqual([previous, step.tip]);
      expect(subjectOf(fx.repo, step.result ?? '')).toMatch(new RegExp(`^Merge ${step.wp} of ${fx.feature}`));
      previous = step.result ?? '';
    }
    expect(result.after).toBe(previous);
    expectWpFiles(fx, 'main', ['WP01', 'WP02', 'WP03']);
    for (const id of ['WP01', 'WP02', 'WP03']) expect(fx.repo.read(wpFile(id))).toBe(wpContent(id));
    expectLandedAndCleaned(fx, result, done);
  });

  it('lands a fan-out (three WPs on one dependency) with ties broken by id', async () => {
    const { fx, done } = await doneFeature(FAN_OUT, ['WP01', 'WP04', 'WP03', 'WP02']);

    const result = merged(await merge(fx));

    expect(result.steps.map((step) => step.wp)).toEqual(['WP01', 'WP02', 'WP03', 'WP04']);
    for (const wp of Object.values(done)) expect(isAncestor(fx.repo, wp.tip, 'main')).toBe(true);
    expectWpFiles(fx, 'main', ['WP01', 'WP02', 'WP03', 'WP04']);
    expectLandedAndCleaned(fx, result, done);
  });

  describe.each(STRATEGIES)('the diamond built on the automatic multi-parent base, --strategy %s', (strategy) => {
    it('lands every WP once, in dependency order, with nothing lost', async () => {
      const { fx, done } = await doneFeature(DIAMOND, ['WP01', 'WP02', 'WP03', 'WP04', 'WP05']);
      // kit implement WP04 started it from a merge of WP02 and WP03.
      const base = String(committedWp(fx, 'WP04').base_commit);
      expect(parentsOf(fx.repo, base).sort()).toEqual([done.WP02?.tip, done.WP03?.tip].sort());
      const before = tip(fx.repo, 'main');

      const result = merged(await merge(fx, ['--strategy', strategy]));

      expect(result.strategy).toBe(strategy);
      expect(result.steps.map((step) => step.wp)).toEqual(['WP01', 'WP02', 'WP03', 'WP04', 'WP05']);
      expectWpFiles(fx, 'main', ['WP01', 'WP02', 'WP03', 'WP04', 'WP05']);
      expect(fileAt(fx.repo, 'main', 'README.md')).toBe('# test repository\n');
      expect(isAncestor(fx.repo, before, 'main')).toBe(true);
      const added = revList(fx.repo, before, 'main');
      if (strategy === 'merge') {
        for (const wp of Object.values(done)) expect(isAncestor(fx.repo, wp.tip, 'main')).toBe(true);
        expect(revList(fx.repo, before, 'main', ['--first-parent'])).toHaveLength(5);
      } else if (strategy === 'squash') {
        // One single-parent commit per WP, none of the WP commits themselves.
        expect(added).toHaveLength(5);
        for (const commit of added) expect(parentsOf(fx.repo, commit)).toHaveLength(1);
        expect(added.map((commit) => subjectOf(fx.repo, commit))).toEqual(
          ['WP01', 'WP02', 'WP03', 'WP04', 'WP05'].map((id) => `${id} of ${fx.feature}: ${titleOf(id)}`),
        );
      } else {
        // Each WP commit replayed once (the merge commit of WP04's base is not a change of its own).
        expect(added.map((commit) => subjectOf(fx.repo, commit))).toEqual(
          ['WP01', 'WP02', 'WP03', 'WP04', 'WP05'].map((id) => `${id}: ${wpFile(id)}`),
        );
        for (const commit of added) expect(parentsOf(fx.repo, commit)).toHaveLength(1);
      }
      expectLandedAndCleaned(fx, result, done);
    });
  });
});

function titleOf(id: string): string {
  const spec = DIAMOND.find((wp) => wp.id === id);
  if (!spec) throw new Error(id);
  return spec.title;
}

describe('kit merge: a dependency that got a new commit after its dependent branched', () => {
  it.each(STRATEGIES)(
    '--strategy %s: no conflict, the later fix is in, the target keeps its own commit',
    async (strategy) => {
      const fx = await makeFeatureRepo({ wps: PAIR });
      commitOnTarget(fx, 'core.txt', 'line 1\nline 2\nline 3\n', 'Add core.txt');
      const core = await startWp(fx, 'WP01');
      commitFiles(core, { 'core.txt': 'line 1\nline 2 (WP01)\nline 3\n' }, 'WP01: first version');
      const parser = await startWp(fx, 'WP02');
      commitFiles(parser, { 'parser.txt': 'uses line 2 (WP01)\n' }, 'WP02: parser');
      // WP01 fixes the very line WP02 saw, after WP02 branched from it.
      const fixed = commitFiles(core, { 'core.txt': 'line 1\nline 2 (WP01, fixed)\nline 3\n' }, 'WP01: fix');
      await handIn(fx, 'WP01');
      await handIn(fx, 'WP02');
      // The target gets a commit of its own meanwhile, touching the same file elsewhere.
      const own = commitOnTarget(fx, 'README.md', '# test repository\n\nThe target moved on.\n', 'Target: README');
      const before = tip(fx.repo, 'main');

      const result = merged(await merge(fx, ['--strategy', strategy]));

      expect(result.steps.map((step) => [step.wp, step.clean])).toEqual([
        ['WP01', true],
        ['WP02', true],
      ]);
      expect(fileAt(fx.repo, 'main', 'core.txt')).toBe('line 1\nline 2 (WP01, fixed)\nline 3\n');
      expect(fileAt(fx.repo, 'main', 'parser.txt')).toBe('uses line 2 (WP01)\n');
      expect(fileAt(fx.repo, 'main', 'README.md')).toBe('# test repository\n\nThe target moved on.\n');
      expect(isAncestor(fx.repo, own, 'main')).toBe(true);
      expect(isAncestor(fx.repo, before, 'main')).toBe(true);
      if (strategy === 'merge') expect(isAncestor(fx.repo, fixed, 'main')).toBe(true);
      if (strategy === 'rebase') {
        expect(revList(fx.repo, before, 'main').map((commit) => subjectOf(fx.repo, commit))).toEqual([
          'WP01: first version',
          'WP01: fix',
          'WP02: parser',
        ]);
      }
      expect(result.proof?.ok).toBe(true);
      expect(fx.repo.read('core.txt')).toBe('line 1\nline 2 (WP01, fixed)\nline 3\n');
      expect(fx.repo.git(['status', '--porcelain'])).toBe('');
    },
  );
});

describe('kit merge: what it reports per WP', () => {
  it('lists for each WP the commits it brings, not those of the WPs it builds on', async () => {
    const { fx, done } = await doneFeature(CHAIN, ['WP01', 'WP02', 'WP03']);

    const dry = await merge(fx, ['--dry-run']);
    expect(dry.exitCode).toBe(0);
    const commits = Object.fromEntries(
      (dry.result?.steps ?? []).map((step) => [step.wp, step.commits.map((commit) => commit.sha)]),
    );
    expect(commits).toEqual({ WP01: [done.WP01?.tip], WP02: [done.WP02?.tip], WP03: [done.WP03?.tip] });

    // The squash message lists the same commits.
    const result = merged(await merge(fx, ['--strategy', 'squash', '--keep-worktrees']));
    const message = fx.repo.git(['log', '-1', '--format=%B', result.steps[2]?.result ?? '']);
    expect(message).toContain('WP03: wp03.txt');
    expect(message).not.toContain('WP01: wp01.txt');
  });
});

describe("kit merge and the user's checkout of the target", () => {
  async function fixtureWithLib(): Promise<{ fx: FeatureRepo; done: Record<string, DoneWp> }> {
    const fx = await makeFeatureRepo({ wps: TWO });
    commitOnTarget(fx, 'lib.txt', 'lib v1\n', 'Add lib.txt');
    commitOnTarget(fx, 'notes.txt', 'notes v1\n', 'Add notes.txt');
    const done = {
      WP01: await finishWp(fx, 'WP01', { 'lib.txt': 'lib v2\n', [wpFile('WP01')]: wpContent('WP01') }),
      WP02: await finishWp(fx, 'WP02'),
    };
    return { fx, done };
  }

  it('keeps unrelated staged, unstaged and untracked changes byte for byte and moves the checkout along', async () => {
    const { fx, done } = await fixtureWithLib();
    fx.repo.write('README.md', '# test repository\nunstaged line\r\n');
    fx.repo.write('notes.txt', 'notes v1\nstaged line\n');
    fx.repo.git(['add', 'notes.txt']);
    fx.repo.write('notes.txt', 'notes v1\nstaged line\nand unstaged on top\n');
    fx.repo.write('staged-new.txt', 'new and staged\n');
    fx.repo.git(['add', 'staged-new.txt']);
    fx.repo.write('scratch/untracked.bin', Buffer.from([0, 1, 2, 255, 10, 13]));
    const before = uncommitted(fx.repo.root);
    const bytes = ['README.md', 'notes.txt', 'staged-new.txt', 'scratch/untracked.bin'].map((path) =>
      fx.repo.readBytes(path),
    );

    const result = merged(await merge(fx));

    expect(result.checkout).toEqual({ path: fx.repo.root, updated: true });
    expect(tip(fx.repo, 'HEAD')).toBe(result.after);
    expect(uncommitted(fx.repo.root)).toEqual(before);
    expect(
      ['README.md', 'notes.txt', 'staged-new.txt', 'scratch/untracked.bin'].map((path) => fx.repo.readBytes(path)),
    ).toEqual(bytes);
    expect(fx.repo.read('lib.txt')).toBe('lib v2\n');
    expect(fx.repo.read(wpFile('WP01'))).toBe(wpContent('WP01'));
    expect(fx.repo.read(wpFile('WP02'))).toBe(wpContent('WP02'));
    // The index holds the merge plus the user's staged changes only.
    expect(fx.repo.git(['diff', '--cached', '--name-only'])).toBe('notes.txt\nstaged-new.txt\n');
    expect(result.cleanup?.removedWorktrees.sort()).toEqual([done.WP01?.worktree, done.WP02?.worktree].sort());
  });

  it.each([
    ['a modified tracked file the merge changes', 'lib.txt', (fx: FeatureRepo) => fx.repo.write('lib.txt', 'mine\n')],
    ['an untracked file the merge adds', 'wp02.txt', (fx: FeatureRepo) => fx.repo.write('wp02.txt', 'mine too\n')],
    [
      'a staged change to a file the merge changes',
      'lib.txt',
      (fx: FeatureRepo) => {
        fx.repo.write('lib.txt', 'staged mine\n');
        fx.repo.git(['add', 'lib.txt']);
      },
    ],
  ])('with %s: puts the target back, names the file, changes nothing', async (_, file, change) => {
    const { fx } = await fixtureWithLib();
    change(fx);
    const before = picture(fx.repo);
    const target = tip(fx.repo, 'main');

    const outcome = await merge(fx);

    expect(outcome.exitCode, outcome.run.stdout).toBe(3);
    expect(outcome.error?.message).toContain(file);
    expect(outcome.error?.message).toContain(target.slice(0, 12));
    expect(tip(fx.repo, 'main')).toBe(target);
    expect(picture(fx.repo)).toEqual(before);
    expect(readMergeStateFile(fx)).toBeNull();
  });

  it('runs from inside a WP worktree: that worktree and its branch are kept, with the reason', async () => {
    const { fx, done } = await doneFeature(PAIR_AND_ONE, ['WP01', 'WP02', 'WP03']);

    const result = merged(await merge(fx, [], { cwd: done.WP02?.worktree ?? '' }));

    expect(result.feature).toBe(fx.feature);
    expect(result.targetBranch).toBe('main');
    expectWpFiles(fx, 'main', ['WP01', 'WP02', 'WP03']);
    expect(result.checkout).toEqual({ path: fx.repo.root, updated: true });
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
    expect(result.cleanup?.removedWorktrees.sort()).toEqual([fx.worktreePath('WP01'), fx.worktreePath('WP03')]);
    expect(result.cleanup?.keptWorktrees).toEqual([
      { path: fx.worktreePath('WP02'), wp: 'WP02', reason: expect.stringContaining('running inside it') },
    ]);
    expect(result.cleanup?.keptBranches.map((kept) => kept.branch)).toEqual([fx.branch('WP02')]);
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root, fx.worktreePath('WP02')]);
    expect(tipOf(fx.repo, fx.branch('WP02'))).toBe(done.WP02?.tip);
    expect(readFileSync(join(fx.worktreePath('WP02'), wpFile('WP02')), 'utf8')).toBe(wpContent('WP02'));
  });
});

describe('kit merge and where the target is checked out', () => {
  it('moves a target checked out in a linked worktree; the main checkout on another branch stays', async () => {
    const { fx, done } = await doneFeature(TWO, ['WP01', 'WP02']);
    fx.repo.git(['checkout', '-q', '-b', 'dev']);
    fx.repo.write('dev-notes.txt', 'uncommitted, on dev\n');
    const elsewhere = join(makeTempDir('kit-target-'), 'main');
    fx.repo.git(['worktree', 'add', '-q', elsewhere, 'main']);
    const dev = tip(fx.repo, 'dev');
    const mine = uncommitted(fx.repo.root);

    const result = merged(await merge(fx));

    expect(result.checkout).toEqual({ path: elsewhere, updated: true });
    expect(quietGit(elsewhere, ['status', '--porcelain', '--untracked-files=all'])).toBe('');
    expect(readFileSync(join(elsewhere, wpFile('WP02')), 'utf8')).toBe(wpContent('WP02'));
    expect(tip(fx.repo, 'HEAD')).toBe(dev);
    expect(fx.repo.git(['symbolic-ref', '--short', 'HEAD']).trim()).toBe('dev');
    expect(uncommitted(fx.repo.root)).toEqual(mine);
    expect(fx.repo.exists(wpFile('WP01'))).toBe(false);
    for (const wp of Object.values(done)) expect(isAncestor(fx.repo, wp.tip, 'main')).toBe(true);
  });
});

describe('kit merge preflight', () => {
  it('refuses WPs that are not done, every reason at once, without a stack trace', async () => {
    const fx = await makeFeatureRepo({ wps: TWO });
    const run = await fx.repo.kit(['merge']);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/^error: kit merge of 001-x cannot start:/m);
    expect(run.stderr).toMatch(/WP01 is in planned/);
    expect(run.stderr).toMatch(/WP02 is in planned/);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('reports a rewritten WP history and a missing branch at once, with the commits, and writes nothing', async () => {
    const { fx, done } = await doneFeature(PAIR_AND_ONE, ['WP01', 'WP02', 'WP03']);
    // WP02 was started from WP01's tip; rebasing it onto main drops that base from its history.
    const recordedBase = String(committedWp(fx, 'WP02').base_commit);
    expect(recordedBase).toBe(done.WP01?.tip);
    quietGit(done.WP02?.worktree ?? '', ['rebase', '-q', '--onto', 'main', recordedBase]);
    // WP03's worktree and branch were deleted by hand.
    quietGit(fx.repo.root, ['worktree', 'remove', '--force', done.WP03?.worktree ?? '']);
    quietGit(fx.repo.root, ['branch', '-q', '-D', fx.branch('WP03')]);
    const before = picture(fx.repo);

    const refused = await merge(fx);

    expect(refused.exitCode).toBe(3);
    const message = refused.error?.message ?? '';
    expect(message).toMatch(/WP02.*rewritten/);
    expect(message).toMatch(new RegExp(`WP03 is done but its branch ${fx.branch('WP03')} does not exist`));
    // "Show the commits": at least the recorded base that is no longer in the branch.
    expect(message).toContain(recordedBase.slice(0, 12));
    expect(picture(fx.repo)).toEqual(before);
  });
});

describe('kit merge --dry-run', () => {
  it('reports order, commits and cleanup and writes nothing: exit 0 clean, 4 conflicting, 3 blocked', async () => {
    const { fx, done } = await doneFeature(PAIR_AND_ONE, ['WP01', 'WP02', 'WP03']);
    const target = tip(fx.repo, 'main');

    // Would merge cleanly.
    let before = picture(fx.repo);
    const clean = await merge(fx, ['--dry-run']);
    expect(clean.exitCode, clean.run.stdout).toBe(0);
    expect(picture(fx.repo)).toEqual(before);
    const plan = clean.result;
    expect(plan?.outcome).toBe('would-merge');
    expect(plan?.dryRun).toBe(true);
    expect(plan?.before).toBe(target);
    expect(plan?.steps.map((step) => [step.wp, step.clean])).toEqual([
      ['WP01', true],
      ['WP02', true],
      ['WP03', true],
    ]);
    expect(plan?.steps[0]?.commits).toEqual([{ sha: done.WP01?.tip, subject: 'WP01: wp01.txt' }]);
    expect(plan?.steps[2]?.commits).toEqual([{ sha: done.WP03?.tip, subject: 'WP03: wp03.txt' }]);
    expect(plan?.cleanupPreview).toEqual(
      ['WP01', 'WP02', 'WP03'].map((id) => ({
        wp: id,
        worktree: fx.worktreePath(id),
        branch: fx.branch(id),
        action: 'remove',
        reason: expect.any(String),
      })),
    );
    expectWpFiles(fx, plan?.after ?? '', ['WP01', 'WP02', 'WP03']);
    expect(kitRefs(fx.repo)).toEqual([]);

    // The human report says the same.
    before = picture(fx.repo);
    const human = await fx.repo.kit(['merge', '--dry-run']);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/would merge cleanly/);
    expect(human.stdout).toMatch(/✓ WP01[\s\S]*✓ WP02[\s\S]*✓ WP03/);
    expect(human.stdout).toContain(`cleanup would remove ${fx.worktreePath('WP02')}`);
    expect(picture(fx.repo)).toEqual(before);

    // Would conflict: the target adds the file WP03 adds, differently.
    commitOnTarget(fx, wpFile('WP03'), 'the target wrote this first\n');
    before = picture(fx.repo);
    const conflict = await merge(fx, ['--dry-run']);
    expect(conflict.exitCode, conflict.run.stdout).toBe(4);
    expect(picture(fx.repo)).toEqual(before);
    expect(conflict.result?.outcome).toBe('conflict');
    expect(conflict.result?.conflict?.wp).toBe('WP03');
    expect(conflict.result?.conflict?.mergedBefore).toEqual(['WP01', 'WP02']);
    expect(conflict.result?.conflict?.files.map((file) => file.path)).toEqual([wpFile('WP03')]);
    const preview = conflict.result?.conflict?.files[0]?.preview ?? '';
    expect(preview).toMatch(/^git show [0-9a-f]{40}:wp03\.txt$/);
    expect(fx.repo.git(preview.split(' ').slice(1))).toMatch(/<<<<<<<[\s\S]*=======[\s\S]*>>>>>>>/);
    expect(readMergeStateFile(fx)).toBeNull();

    // Blocked: a WP worktree with uncommitted work.
    writeFileSync(join(fx.worktreePath('WP01'), 'wip.txt'), 'not committed\n');
    before = picture(fx.repo);
    const blocked = await merge(fx, ['--dry-run']);
    expect(blocked.exitCode, blocked.run.stdout).toBe(3);
    expect(blocked.error?.message).toContain('wip.txt');
    expect(picture(fx.repo)).toEqual(before);
  });
});

describe('kit merge --ready-only', () => {
  it('lands the done part of the graph and leaves the rest untouched; the plain run refuses', async () => {
    const { fx, done } = await doneFeature(DIAMOND, ['WP01', 'WP02', 'WP05']);
    const printer = await startWp(fx, 'WP03');
    const printerTip = commitFiles(printer, { [wpFile('WP03')]: wpContent('WP03') }, 'WP03: in progress');
    writeFileSync(join(printer, 'scratch.txt'), 'the agent is still working\n');
    const printerBefore = uncommitted(printer);

    const refused = await merge(fx);
    expect(refused.exitCode).toBe(3);
    expect(refused.error?.message).toMatch(/WP03 is in doing/);
    expect(refused.error?.message).toMatch(/WP04 is in planned/);
    expect(refused.error?.hint).toContain('--ready-only');

    const result = merged(await merge(fx, ['--ready-only']));

    expect(result.steps.map((step) => step.wp)).toEqual(['WP01', 'WP02', 'WP05']);
    expect(result.skipped).toEqual([
      { id: 'WP03', reason: 'in doing, not done' },
      { id: 'WP04', reason: 'in planned, not done' },
    ]);
    expectWpFiles(fx, 'main', ['WP01', 'WP02', 'WP05']);
    expect(fileAt(fx.repo, 'main', wpFile('WP03'))).toBeNull();
    expect(result.cleanup?.removedWorktrees.sort()).toEqual(['WP01', 'WP02', 'WP05'].map((id) => fx.worktreePath(id)));
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root, printer]);
    expect(tipOf(fx.repo, fx.branch('WP03'))).toBe(printerTip);
    expect(uncommitted(printer)).toEqual(printerBefore);
    expect(branchNames(fx.repo)).toEqual([fx.branch('WP03'), 'main']);
    for (const id of ['WP01', 'WP02', 'WP05']) {
      expect(tipOf(fx.repo, `refs/kit/archive/${fx.feature}/${id}`)).toBe(done[id]?.tip);
    }
  });

  it('a later run lands the rest, counting what already landed', async () => {
    const { fx } = await doneFeature(PAIR_AND_ONE, ['WP01', 'WP03']);
    const parser = await startWp(fx, 'WP02');
    const parserTip = commitFiles(parser, { [wpFile('WP02')]: wpContent('WP02') }, 'WP02: parser');
    merged(await merge(fx, ['--ready-only']));
    await handIn(fx, 'WP02');

    const outcome = await merge(fx);

    const result = merged(outcome, 'the second kit merge');
    expect(result.steps.map((step) => step.wp)).toEqual(['WP02']);
    expect(result.skipped.map((entry) => entry.id)).toEqual(['WP01', 'WP03']);
    expect(isAncestor(fx.repo, parserTip, 'main')).toBe(true);
    expectWpFiles(fx, 'main', ['WP01', 'WP02', 'WP03']);
  });
});

describe('kit merge run again', () => {
  it('says there is nothing to merge once everything landed and cleanup finished', async () => {
    const { fx } = await doneFeature(TWO, ['WP01', 'WP02']);
    const first = merged(await merge(fx));
    const state = picture(fx.repo);

    const again = await merge(fx);

    expect(again.exitCode, `${again.run.stdout}${again.run.stderr}`).toBe(0);
    expect(again.result?.outcome).toBe('nothing-to-merge');
    expect(tip(fx.repo, 'main')).toBe(first.after);
    expect(picture(fx.repo)).toEqual(state);
  });
});

describe('kit merge when the target moves', () => {
  it('between --dry-run and the real run: lands on top of the new target, keeping its commit', async () => {
    const { fx } = await doneFeature(TWO, ['WP01', 'WP02']);
    const dry = await merge(fx, ['--dry-run']);
    expect(dry.exitCode).toBe(0);
    const moved = commitOnTarget(fx, 'late.txt', 'landed after the dry run\n', 'Someone else');

    const result = merged(await merge(fx));

    expect(dry.result?.before).not.toBe(moved);
    expect(result.before).toBe(moved);
    expect(parentsOf(fx.repo, result.steps[0]?.result ?? '')[0]).toBe(moved);
    expect(fileAt(fx.repo, 'main', 'late.txt')).toBe('landed after the dry run\n');
    expectWpFiles(fx, 'main', ['WP01', 'WP02']);
    expect(result.proof?.ok).toBe(true);
  });
});
