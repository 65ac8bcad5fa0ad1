import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RestackResult } from '../../src/services/restack.js';
import {
  commitFile,
  committedWp,
  DIAMOND,
  expectSuccess,
  type FeatureRepo,
  frontmatterOf,
  makeFeatureRepo,
  tipOf,
  userState,
  type WpSpec,
} from '../helpers/lanes.js';
import { cloneOrigin, makeOrigin, tipIn } from '../helpers/remote.js';
import { git, resultOf } from '../helpers/repo.js';
import { isoAt, makeSharedRepo, missionMeta, transition, ulid } from '../helpers/spec-kitty-3.js';

const CHAIN: readonly WpSpec[] = [
  { id: 'WP01', title: 'Core' },
  { id: 'WP02', title: 'Parser', dependencies: ['WP01'] },
  { id: 'WP03', title: 'Printer', dependencies: ['WP02'] },
];

function tip(fx: FeatureRepo, id: string): string {
  const sha = tipOf(fx.repo, `refs/heads/${fx.branch(id)}`);
  if (!sha) throw new Error(`${id} has no branch`);
  return sha;
}

function contains(fx: FeatureRepo, descendant: string, ancestor: string): boolean {
  try {
    fx.repo.git(['merge-base', '--is-ancestor', ancestor, descendant]);
    return true;
  } catch {
    return false;
  }
}

/** The chain WP01 ← WP02 ← WP03 started and each with a commit of its own. */
async function chain(): Promise<FeatureRepo> {
  const fx = await makeFeatureRepo({ wps: CHAIN });
  for (const id of ['WP01', 'WP02', 'WP03']) {
    const run = await fx.repo.kit(['implement', id, '--agent', `agent-${id}`]);
    expectSuccess(run, `kit implement ${id}`);
    commitFile(fx.worktreePath(id), `${id}.txt`, `${id} work\n`, `${id}: work`);
  }
  return fx;
}

/**
 * Runs `command` once, right after a ref transaction moves `branch` (git's reference-transaction hook, in
 * its committed state): what another process could do between two steps of kit restack.
 */
function onBranchMoved(fx: FeatureRepo, branch: string, command: string): void {
  const marker = join(fx.repo.root, '.git', 'hook-ran');
  const hook = join(fx.repo.root, '.git', 'hooks', 'reference-transaction');
  writeFileSync(
    hook,
    `#!/bin/sh
[ "$1" = committed ] || exit 0
while read -r old new ref; do
  if [ "$ref" = "refs/heads/${branch}" ] && [ ! -e '${marker}' ]; then
    : > '${marker}'
    ${command}
  fi
done
exit 0
`,
  );
  chmodSync(hook, 0o755);
}

async function restack(fx: FeatureRepo, args: readonly string[] = []) {
  const run = await fx.repo.kit(['restack', '--json', ...args]);
  return { run, result: resultOf<RestackResult>(run) };
}

describe('kit restack', () => {
  it('restacks a 3-deep chain after its root changed, worktrees and recorded bases included', async () => {
    const fx = await chain();
    const before = { WP02: tip(fx, 'WP02'), WP03: tip(fx, 'WP03') };
    const root = commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');

    const status = resultOf<{ features: { workPackages: { id: string; staleBase: unknown[] }[] }[] }>(
      await fx.repo.kit(['status', '--json']),
    );
    const stale = Object.fromEntries(status.features[0]?.workPackages.map((wp) => [wp.id, wp.staleBase]) ?? []);
    expect(stale.WP02).toEqual([{ dependency: 'WP01', newCommits: 1 }]);
    expect(stale.WP03).toEqual([]); // WP02 has not moved yet

    const prompt = await fx.repo.kit(['prompt', 'WP02']);
    expect(prompt.stdout).toContain('Stale base: WP01 has 1 new commit that this branch lacks');
    expect(prompt.stdout).toContain(`kit restack WP02 --feature ${fx.feature}`);

    const dry = await restack(fx, ['--dry-run']);
    expectSuccess(dry.run, 'kit restack --dry-run');
    expect(dry.result.steps.map((step) => [step.wp, step.outcome])).toEqual([
      ['WP01', 'up-to-date'],
      ['WP02', 'planned'],
      ['WP03', 'planned'],
    ]);
    expect(tip(fx, 'WP02')).toBe(before.WP02);

    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack');
    expect(result.steps.map((step) => [step.wp, step.outcome])).toEqual([
      ['WP01', 'up-to-date'],
      ['WP02', 'restacked'],
      ['WP03', 'restacked'],
    ]);
    const [wp02, wp03] = [tip(fx, 'WP02'), tip(fx, 'WP03')];
    expect(contains(fx, wp02, root)).toBe(true);
    expect(contains(fx, wp03, wp02)).toBe(true);
    // Only their own commits were replayed: one each, author and message kept.
    expect(fx.repo.git(['log', '--format=%s', `${root}..${wp02}`]).trim()).toBe('WP02: work');
    expect(fx.repo.git(['log', '--format=%s', `${wp02}..${wp03}`]).trim()).toBe('WP03: work');
    // Worktrees moved along: clean, on the new tips, with the root's new file.
    for (const id of ['WP02', 'WP03']) {
      const worktree = fx.worktreePath(id);
      expect(userState(worktree).status).toBe('');
      expect(git(worktree, ['rev-parse', 'HEAD']).trim()).toBe(tip(fx, id));
      expect(existsSync(join(worktree, 'WP01-more.txt'))).toBe(true);
    }
    // Old tips archived; new bases recorded on the target.
    expect(tipOf(fx.repo, `refs/kit/restack-archive/${fx.feature}/WP02/${before.WP02}`)).toBe(before.WP02);
    expect(tipOf(fx.repo, `refs/kit/restack-archive/${fx.feature}/WP03/${before.WP03}`)).toBe(before.WP03);
    expect(committedWp(fx, 'WP02').base_commit).toBe(root);
    expect(committedWp(fx, 'WP03').base_commit).toBe(wp02);
    expect(result.recordedIn).toBe(tipOf(fx.repo, 'refs/heads/main'));

    // Nothing stale afterwards, and a second run changes nothing.
    const again = await restack(fx);
    expectSuccess(again.run, 'kit restack (again)');
    expect(again.result.steps.every((step) => step.outcome === 'up-to-date')).toBe(true);
    expect(tip(fx, 'WP03')).toBe(wp03);
  });

  it('skips a dirty dependent (and what builds on it), and restacks it on the next run', async () => {
    const fx = await chain();
    const before = { WP02: tip(fx, 'WP02'), WP03: tip(fx, 'WP03') };
    const root = commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');
    const scratch = join(fx.worktreePath('WP02'), 'notes.txt');
    writeFileSync(scratch, 'agent scratch\n');

    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack with a dirty worktree');
    const byWp = Object.fromEntries(result.steps.map((step) => [step.wp, step]));
    expect(byWp.WP02?.outcome).toBe('skipped');
    expect(byWp.WP02?.reason).toMatch(/1 untracked file/);
    expect(byWp.WP03?.outcome).toBe('skipped');
    expect(byWp.WP03?.reason).toMatch(/waits for WP02/);
    expect(tip(fx, 'WP02')).toBe(before.WP02);
    expect(tip(fx, 'WP03')).toBe(before.WP03);
    expect(readFileSync(scratch, 'utf8')).toBe('agent scratch\n');
    const human = await fx.repo.kit(['restack', '--dry-run']);
    expect(human.stdout).toMatch(/WP02 +skipped: its worktree has 1 untracked file/);

    git(fx.worktreePath('WP02'), ['add', 'notes.txt']);
    git(fx.worktreePath('WP02'), ['commit', '-q', '-m', 'WP02: notes']);
    const next = await restack(fx);
    expectSuccess(next.run, 'kit restack after committing');
    expect(next.result.steps.map((step) => [step.wp, step.outcome, step.commits])).toEqual([
      ['WP01', 'up-to-date', 0],
      ['WP02', 'restacked', 2],
      ['WP03', 'restacked', 1],
    ]);
    expect(contains(fx, tip(fx, 'WP03'), root)).toBe(true);
    expect(readFileSync(join(fx.worktreePath('WP03'), 'notes.txt'), 'utf8')).toBe('agent scratch\n');
  });

  it('skips a worktree with an operation in progress, though it has no changed file', async () => {
    const fx = await chain();
    commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');
    git(fx.worktreePath('WP02'), ['bisect', 'start']);
    const { result } = await restack(fx);
    const byWp = Object.fromEntries(result.steps.map((step) => [step.wp, step]));
    expect(byWp.WP02?.reason).toMatch(/has a bisect in progress/);
    expect(byWp.WP03?.reason).toMatch(/waits for WP02/);
    git(fx.worktreePath('WP02'), ['bisect', 'reset']);
    expect((await restack(fx)).result.steps.map((step) => step.outcome)).toEqual([
      'up-to-date',
      'restacked',
      'restacked',
    ]);
  });

  it('skips a worktree whose ignored file the new tip would overwrite, and keeps the file', async () => {
    const fx = await chain();
    const before = tip(fx, 'WP02');
    writeFileSync(join(fx.repo.root, '.git', 'info', 'exclude'), '/.worktrees/\nsecret.env\n');
    const secret = join(fx.worktreePath('WP02'), 'secret.env');
    writeFileSync(secret, 'the agent key\n');
    // WP01 starts tracking a file at that path (an example config, added past the ignore rule).
    const root = fx.worktreePath('WP01');
    writeFileSync(join(root, 'secret.env'), 'KEY=change-me\n');
    git(root, ['add', '--force', 'secret.env']);
    git(root, ['commit', '-q', '-m', 'WP01: example secret.env']);

    const dry = await restack(fx, ['--dry-run']);
    expect(dry.result.steps.find((step) => step.wp === 'WP02')?.reason).toMatch(/ignored files .*\(secret\.env\)/);
    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack with an ignored file in the way');
    const byWp = Object.fromEntries(result.steps.map((step) => [step.wp, step]));
    expect(byWp.WP02?.outcome).toBe('skipped');
    expect(byWp.WP02?.reason).toMatch(/ignored files the new tip would overwrite \(secret\.env\)/);
    expect(byWp.WP03?.reason).toMatch(/waits for WP02/);
    expect(tip(fx, 'WP02')).toBe(before);
    expect(readFileSync(secret, 'utf8')).toBe('the agent key\n');

    // Moved aside, the next run restacks it.
    rmSync(secret);
    expect((await restack(fx)).result.steps.map((step) => step.outcome)).toEqual([
      'up-to-date',
      'restacked',
      'restacked',
    ]);
    expect(readFileSync(secret, 'utf8')).toBe('KEY=change-me\n');
  });

  it("treats a worktree rebasing its WP branch (HEAD detached) as that branch's, and skips it", async () => {
    const fx = await chain();
    const worktree = fx.worktreePath('WP02');
    commitFile(worktree, 'second.txt', 'second\n', 'WP02: second');
    const before = tip(fx, 'WP02');
    // The agent is editing an older commit of its branch: git detached HEAD until the rebase ends.
    git(worktree, ['-c', 'sequence.editor=sed -i 1s/^pick/edit/', 'rebase', '-q', '-i', 'HEAD~2']);
    commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');

    const { result } = await restack(fx);
    const byWp = Object.fromEntries(result.steps.map((step) => [step.wp, step]));
    expect(byWp.WP02?.worktree).toBe(worktree);
    expect(byWp.WP02?.reason).toMatch(/has a rebase in progress/);
    expect(byWp.WP03?.reason).toMatch(/waits for WP02/);
    expect(tip(fx, 'WP02')).toBe(before);
    // The agent's rebase ends where it would have without kit: on its branch.
    writeFileSync(join(worktree, 'WP02.txt'), 'WP02 amended\n');
    git(worktree, ['commit', '-q', '-a', '--amend', '--no-edit']);
    git(worktree, ['rebase', '--continue']);
    expect(git(worktree, ['symbolic-ref', 'HEAD']).trim()).toBe(`refs/heads/${fx.branch('WP02')}`);
    expect(readFileSync(join(worktree, 'WP02.txt'), 'utf8')).toBe('WP02 amended\n');
  });

  it('skips a WP branch checked out in two worktrees, leaving both as they were', async () => {
    const fx = await chain();
    const before = tip(fx, 'WP02');
    const second = join(fx.repo.root, '.worktrees', 'second-WP02');
    fx.repo.git(['worktree', 'add', '-q', '--force', second, fx.branch('WP02')]);
    commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');

    const { result } = await restack(fx);
    const byWp = Object.fromEntries(result.steps.map((step) => [step.wp, step]));
    expect(byWp.WP02?.outcome).toBe('skipped');
    expect(byWp.WP02?.reason).toMatch(/checked out in 2 worktrees/);
    expect(byWp.WP03?.reason).toMatch(/waits for WP02/);
    expect(tip(fx, 'WP02')).toBe(before);
    for (const worktree of [fx.worktreePath('WP02'), second]) expect(userState(worktree).status).toBe('');
  });

  it('puts the branch back when its worktree changes between the check and the move, keeping the new file', async () => {
    const fx = await chain();
    const before = tip(fx, 'WP02');
    commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');
    // Right after kit moves WP02's branch (and before it moves the worktree), the agent creates a file at a
    // path the new tip brings: git's reference-transaction hook runs at exactly that point.
    const agentFile = join(fx.worktreePath('WP02'), 'WP01-more.txt');
    onBranchMoved(fx, fx.branch('WP02'), `printf 'the agent wrote this\\n' > '${agentFile}'`);

    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack');
    const byWp = Object.fromEntries(result.steps.map((step) => [step.wp, step]));
    expect(byWp.WP02?.outcome).toBe('skipped');
    expect(byWp.WP02?.reason).toMatch(/its worktree changed while kit was restacking it/);
    expect(byWp.WP03?.reason).toMatch(/waits for WP02/);
    expect(tip(fx, 'WP02')).toBe(before);
    expect(readFileSync(agentFile, 'utf8')).toBe('the agent wrote this\n');
    expect(userState(fx.worktreePath('WP02')).status).toBe('?? WP01-more.txt\n');
  });

  it('says so when its branch moves on before kit can put it back', async () => {
    const fx = await chain();
    commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');
    const worktree = fx.worktreePath('WP02');
    // The agent creates a file in kit's way and commits (from its old index) right after the branch moved.
    onBranchMoved(
      fx,
      fx.branch('WP02'),
      `printf 'mine\\n' > '${join(worktree, 'WP01-more.txt')}'; env -u GIT_DIR -u GIT_INDEX_FILE git -C '${worktree}' commit -q --allow-empty -m 'WP02: agent'`,
    );

    const { result } = await restack(fx);
    const step = result.steps.find((candidate) => candidate.wp === 'WP02');
    expect(step?.outcome).toBe('skipped');
    expect(step?.reason).toMatch(/moved on meanwhile \(to [0-9a-f]{12}\), so kit could not put it back/);
    expect(step?.reason).toContain(`refs/kit/restack-archive/${fx.feature}/WP02/${step?.from}`);
    expect(tipOf(fx.repo, `refs/kit/restack-archive/${fx.feature}/WP02/${step?.from}`)).toBe(step?.from);
    expect(fx.repo.git(['log', '-1', '--format=%s', fx.branch('WP02')]).trim()).toBe('WP02: agent');
    expect(readFileSync(join(worktree, 'WP01-more.txt'), 'utf8')).toBe('mine\n');
  });

  it('leaves a branch that moved after the build where it is (compare-and-swap), with the commit made on it', async () => {
    const fx = await chain();
    commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');
    const worktree = fx.worktreePath('WP03');
    // While kit moves WP02, WP03's agent commits: WP03's rebuilt tip no longer replays everything on it.
    onBranchMoved(
      fx,
      fx.branch('WP02'),
      `printf 'late\\n' > '${join(worktree, 'late.txt')}'; env -u GIT_DIR -u GIT_INDEX_FILE git -C '${worktree}' add late.txt; env -u GIT_DIR -u GIT_INDEX_FILE git -C '${worktree}' commit -q -m 'WP03: late'`,
    );

    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack');
    const byWp = Object.fromEntries(result.steps.map((step) => [step.wp, step]));
    expect(byWp.WP02?.outcome).toBe('restacked');
    expect(byWp.WP03?.outcome).toBe('skipped');
    expect(byWp.WP03?.reason).toMatch(/moved while kit was restacking it/);
    expect(fx.repo.git(['log', '-1', '--format=%s', fx.branch('WP03')]).trim()).toBe('WP03: late');
    expect(userState(worktree).status).toBe('');
    expect(fx.repo.git(['for-each-ref', `refs/kit/restack-archive/${fx.feature}/WP03`]).trim()).toBe('');
    // The next run restacks it, late commit included.
    expect((await restack(fx)).result.steps.map((step) => [step.wp, step.outcome, step.commits])).toEqual([
      ['WP01', 'up-to-date', 0],
      ['WP02', 'up-to-date', 0],
      ['WP03', 'restacked', 2],
    ]);
  });

  it('replays a WP whose history has a merge as one commit, with every change of it, the history archived', async () => {
    const fx = await chain();
    const worktree = fx.worktreePath('WP02');
    // The agent brought main in by hand (a merge commit), and went on working.
    commitFile(fx.repo.root, 'from-main.txt', 'main\n', 'Main: a fix');
    git(worktree, ['merge', '-q', '--no-edit', 'main']);
    commitFile(worktree, 'after-merge.txt', 'after\n', 'WP02: after the merge');
    const before = tip(fx, 'WP02');
    const root = commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');

    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack');
    const step = result.steps.find((candidate) => candidate.wp === 'WP02');
    expect(step?.outcome).toBe('restacked');
    const wp02 = tip(fx, 'WP02');
    expect(fx.repo.git(['rev-list', '--count', `${root}..${wp02}`]).trim()).toBe('1');
    expect(fx.repo.git(['log', '-1', '--format=%s', wp02]).trim()).toMatch(/restacked as one commit/);
    for (const file of ['WP02.txt', 'from-main.txt', 'after-merge.txt', 'WP01-more.txt']) {
      expect(existsSync(join(worktree, file)), file).toBe(true);
    }
    expect(userState(worktree).status).toBe('');
    expect(tipOf(fx.repo, step?.archiveRef ?? '')).toBe(before);
    expect(result.steps.find((candidate) => candidate.wp === 'WP03')?.outcome).toBe('restacked');
  });

  it('stops on a conflict with nothing moved, and after resolving it by hand restacks the rest', async () => {
    const fx = await chain();
    commitFile(fx.worktreePath('WP02'), 'shared.txt', 'WP02 says hello\n', 'WP02: shared');
    const root = commitFile(fx.worktreePath('WP01'), 'shared.txt', 'WP01 says goodbye\n', 'WP01: shared');
    const before = { WP02: tip(fx, 'WP02'), WP03: tip(fx, 'WP03'), main: tipOf(fx.repo, 'refs/heads/main') };
    const worktreeBefore = userState(fx.worktreePath('WP02'));

    const { run, result } = await restack(fx);
    expect(run.exitCode).toBe(4);
    expect(run.json?.ok).toBe(false);
    expect(result.conflict?.wp).toBe('WP02');
    expect(result.conflict?.files.map((file) => file.path)).toEqual(['shared.txt']);
    expect(result.hint).toContain(`git merge ${fx.branch('WP01')}`);
    expect(result.hint).toContain('nothing was moved');
    expect(result.hint).toContain(`kit restack WP02 --feature ${fx.feature} --dry-run shows the conflict again`);
    // Nothing lost or written: branches, archive refs, target, worktree.
    expect(tip(fx, 'WP02')).toBe(before.WP02);
    expect(tip(fx, 'WP03')).toBe(before.WP03);
    expect(tipOf(fx.repo, 'refs/heads/main')).toBe(before.main);
    expect(fx.repo.git(['for-each-ref', 'refs/kit/restack-archive']).trim()).toBe('');
    expect(userState(fx.worktreePath('WP02'))).toEqual(worktreeBefore);
    const human = await fx.repo.kit(['restack']);
    expect(human.exitCode).toBe(4);
    expect(human.stdout).toMatch(/WP02 does not apply onto WP01:[\s\S]*shared\.txt \(\w+\)/);

    // The agent is told before it runs into it.
    const prompt = await fx.repo.kit(['prompt', 'WP02']);
    expect(prompt.stdout).toContain(
      `your dependency WP01 and this branch conflict in shared.txt, so kit restack will stop there. Bring it in here instead: \`git merge ${fx.branch('WP01')}\``,
    );

    // The hint's way out: merge the dependency in the worktree and resolve.
    const worktree = fx.worktreePath('WP02');
    try {
      git(worktree, ['merge', '-q', fx.branch('WP01')]);
    } catch {
      // The conflict the restack forecast.
    }
    writeFileSync(join(worktree, 'shared.txt'), 'both\n');
    git(worktree, ['add', 'shared.txt']);
    git(worktree, ['commit', '-q', '--no-edit']);
    const next = await restack(fx);
    expectSuccess(next.run, 'kit restack after resolving');
    expect(next.result.steps.map((step) => [step.wp, step.outcome])).toEqual([
      ['WP01', 'up-to-date'],
      ['WP02', 'up-to-date'],
      ['WP03', 'restacked'],
    ]);
    expect(contains(fx, tip(fx, 'WP03'), root)).toBe(true);
    expect(readFileSync(join(fx.worktreePath('WP03'), 'shared.txt'), 'utf8')).toBe('both\n');
    // WP02's base was merged in by hand: its recorded base follows, so its diff and count are its own.
    expect(next.result.steps[1]?.base).toBe(root);
    expect(committedWp(fx, 'WP02').base_commit).toBe(root);
  });

  it('restacks a diamond: WP04 onto a merge of its two rebased dependencies', async () => {
    const fx = await makeFeatureRepo({ wps: DIAMOND });
    for (const id of ['WP01', 'WP02', 'WP03', 'WP04']) {
      expectSuccess(await fx.repo.kit(['implement', id, '--agent', `agent-${id}`]), `kit implement ${id}`);
      commitFile(fx.worktreePath(id), `${id}.txt`, `${id} work\n`, `${id}: work`);
    }
    const root = commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');
    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack (diamond)');
    expect(result.steps.map((step) => [step.wp, step.outcome, step.onto.join('+')])).toEqual([
      ['WP01', 'up-to-date', ''],
      ['WP02', 'restacked', 'WP01'],
      ['WP03', 'restacked', 'WP01'],
      ['WP04', 'restacked', 'WP02+WP03'],
    ]);
    const base = result.steps[3]?.base ?? '';
    const [, ...parents] = fx.repo.git(['rev-list', '--parents', '-n', '1', base]).trim().split(' ');
    expect(parents).toEqual([tip(fx, 'WP02'), tip(fx, 'WP03')]);
    expect(committedWp(fx, 'WP04').base_commit).toBe(base);
    expect(contains(fx, tip(fx, 'WP04'), root)).toBe(true);
    expect(fx.repo.git(['log', '--format=%s', `${base}..${tip(fx, 'WP04')}`]).trim()).toBe('WP04: work');
    for (const id of ['WP01', 'WP02', 'WP03', 'WP04']) {
      expect(readFileSync(join(fx.worktreePath('WP04'), `${id}.txt`), 'utf8')).toBe(`${id} work\n`);
    }
  });

  it('stops when the two dependencies of a diamond conflict with each other, naming the file', async () => {
    const fx = await makeFeatureRepo({ wps: DIAMOND });
    for (const id of ['WP01', 'WP02', 'WP03', 'WP04']) {
      expectSuccess(await fx.repo.kit(['implement', id, '--agent', `agent-${id}`]), `kit implement ${id}`);
    }
    commitFile(fx.worktreePath('WP02'), 'shared.txt', 'by WP02\n', 'WP02: shared');
    commitFile(fx.worktreePath('WP03'), 'shared.txt', 'by WP03\n', 'WP03: shared');
    commitFile(fx.worktreePath('WP01'), 'WP01.txt', 'more\n', 'WP01: more');
    const before = ['WP02', 'WP03', 'WP04'].map((id) => tip(fx, id));
    const { run, result } = await restack(fx);
    expect(run.exitCode).toBe(4);
    expect(result.conflict?.wp).toBe('WP04');
    expect(result.conflict?.onto).toEqual(['WP02', 'WP03']);
    expect(result.conflict?.files.map((file) => file.path)).toEqual(['shared.txt']);
    expect(result.steps.map((step) => [step.wp, step.outcome])).toEqual([
      ['WP01', 'up-to-date'],
      ['WP02', 'planned'],
      ['WP03', 'planned'],
      ['WP04', 'conflict'],
    ]);
    expect(['WP02', 'WP03', 'WP04'].map((id) => tip(fx, id))).toEqual(before);
  });

  it("keeps a landed dependency's work: WP03 on WP01 (merged and its branch gone) and WP02 (moved on)", async () => {
    const fx = await makeFeatureRepo({
      wps: [
        { id: 'WP01', title: 'Core' },
        { id: 'WP02', title: 'Parser' },
        { id: 'WP03', title: 'Printer', dependencies: ['WP01', 'WP02'] },
      ],
    });
    for (const id of ['WP01', 'WP02', 'WP03']) {
      expectSuccess(await fx.repo.kit(['implement', id, '--agent', `agent-${id}`]), `kit implement ${id}`);
      commitFile(fx.worktreePath(id), `${id}.txt`, `${id} work\n`, `${id}: work`);
    }
    expectSuccess(await fx.repo.kit(['move', 'WP01', '--to', 'done', '--force']), 'kit move WP01 to done');
    expectSuccess(await fx.repo.kit(['merge', '--ready-only']), 'kit merge --ready-only');
    expect(tipOf(fx.repo, `refs/heads/${fx.branch('WP01')}`)).toBeNull();
    commitFile(fx.worktreePath('WP02'), 'WP02-more.txt', 'more\n', 'WP02: more');

    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack');
    expect(result.steps.map((step) => [step.wp, step.outcome, step.commits])).toEqual([
      ['WP02', 'up-to-date', 0],
      ['WP03', 'restacked', 1],
    ]);
    const files = fx.repo.git(['ls-tree', '--name-only', fx.branch('WP03')]).split('\n');
    expect(files).toEqual(expect.arrayContaining(['WP01.txt', 'WP02.txt', 'WP02-more.txt', 'WP03.txt']));
    expect(readFileSync(join(fx.worktreePath('WP03'), 'WP01.txt'), 'utf8')).toBe('WP01 work\n');
    expect(fx.repo.git(['log', '--format=%s', `${result.steps[1]?.base}..${fx.branch('WP03')}`]).trim()).toBe(
      'WP03: work',
    );
  });

  it('restacks only the named WP and its dependents, and refuses an unknown one', async () => {
    const fx = await chain();
    commitFile(fx.worktreePath('WP01'), 'WP01-more.txt', 'more\n', 'WP01: more');
    const { result } = await restack(fx, ['WP03', '--dry-run']);
    // WP03 alone is up to date with WP02 as it stands: the chain restack starts at WP02.
    expect(result.steps.map((step) => [step.wp, step.outcome])).toEqual([['WP03', 'up-to-date']]);
    const scoped = await restack(fx, ['WP02', '--dry-run']);
    expect(scoped.result.steps.map((step) => step.wp)).toEqual(['WP02', 'WP03']);
    const unknown = await fx.repo.kit(['restack', 'WP09', '--json']);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.json?.error?.message).toMatch(/has no WP09/);
  });

  it('with a remote, pushes a published branch it moved, with a lease on its tip there', async () => {
    const origin = makeOrigin({ wps: ['WP01', 'WP02'] });
    const clone = cloneOrigin(origin.url, 'alice');
    const wp02File = 'kitty-specs/001-x/tasks/WP02-a.md';
    const text = readFileSync(join(clone.root, wp02File), 'utf8');
    writeFileSync(join(clone.root, wp02File), text.replace('dependencies: []', 'dependencies: [WP01]'));
    clone.git(['commit', '-q', '-am', 'WP02 depends on WP01']);
    clone.git(['push', '-q', 'origin', 'main']);
    const worktrees: Record<string, string> = {};
    for (const id of ['WP01', 'WP02']) {
      const started = await clone.kit(['implement', id]);
      expectSuccess(started, `kit implement ${id}`);
      worktrees[id] = started.stdout.trim();
      commitFile(worktrees[id] ?? '', `${id}.txt`, `${id}\n`, `${id}: work`);
      expectSuccess(await clone.kit(['move', id, '--to', 'for_review']), `kit move ${id}`);
    }
    const published = tipIn(origin.path, 'refs/heads/001-x-WP02');
    expect(published).toBe(git(worktrees.WP02 ?? '', ['rev-parse', 'HEAD']).trim());
    commitFile(worktrees.WP01 ?? '', 'fix.txt', 'fix\n', 'WP01: fix');

    const run = await clone.kit(['restack', '--json']);
    expectSuccess(run, 'kit restack with a remote');
    const step = resultOf<RestackResult>(run).steps.find((candidate) => candidate.wp === 'WP02');
    expect(step?.outcome).toBe('restacked');
    expect(step?.published).toBe(true);
    expect(tipIn(origin.path, 'refs/heads/001-x-WP02')).toBe(step?.to);
    // The recorded base reached origin's main too.
    const onOrigin = git(origin.path, ['show', `main:${wp02File}`]);
    expect(onOrigin).toContain(`base_commit: ${git(worktrees.WP01 ?? '', ['rev-parse', 'HEAD']).trim()}`);
  });

  it('with lane_store: ref, records the base on the lane ref (main untouched), where the next restack reads it', async () => {
    const fx = await makeFeatureRepo({ wps: CHAIN.slice(0, 2) });
    fx.repo.write('.kit/config.yaml', 'version: 1\nlane_store: ref\n');
    fx.repo.git(['add', '.kit/config.yaml']);
    fx.repo.git(['commit', '-q', '-m', 'lane_store: ref']);
    for (const id of ['WP01', 'WP02']) {
      expectSuccess(await fx.repo.kit(['implement', id, '--agent', `agent-${id}`]), `kit implement ${id}`);
      commitFile(fx.worktreePath(id), `${id}.txt`, `${id} work\n`, `${id}: work`);
    }
    const main = tipOf(fx.repo, 'refs/heads/main');
    const first = commitFile(fx.worktreePath('WP01'), 'one.txt', '1\n', 'WP01: one');
    const { run, result } = await restack(fx);
    expectSuccess(run, 'kit restack');
    expect(result.recordedIn).toBe(tipOf(fx.repo, 'refs/kit/lanes/main'));
    expect(tipOf(fx.repo, 'refs/heads/main')).toBe(main);
    const onLaneRef = frontmatterOf(fx.repo.git(['show', `refs/kit/lanes/main:files/${fx.file('WP02')}`]));
    expect(onLaneRef.base_commit).toBe(first);

    // The next restack starts WP02's own commits at that base: one commit, not WP01's first one again.
    const second = commitFile(fx.worktreePath('WP01'), 'two.txt', '2\n', 'WP01: two');
    const next = await restack(fx);
    expect(next.result.steps.map((step) => [step.wp, step.outcome, step.commits])).toEqual([
      ['WP01', 'up-to-date', 0],
      ['WP02', 'restacked', 1],
    ]);
    expect(fx.repo.git(['log', '--format=%s', `${second}..${fx.branch('WP02')}`]).trim()).toBe('WP02: work');
  });

  it('in a Spec Kitty 3.x mission, records the base in the WP file only: no lane key, the event log untouched', async () => {
    const dir = 'mission-stack-01KZZZZZ';
    const repo = makeSharedRepo([
      {
        dir,
        meta: missionMeta(dir),
        wps: {
          'WP01-core.md': { work_package_id: 'WP01', title: 'Core', dependencies: [] },
          'WP02-parser.md': { work_package_id: 'WP02', title: 'Parser', dependencies: ['WP01'] },
        },
        log: ['WP01', 'WP02'].map((wp, index) =>
          transition({
            wp,
            from: 'genesis',
            to: 'planned',
            at: isoAt('2026-05-02T09:00:00Z', index, 512_804),
            id: ulid(3_000_000 + index, index + 1),
            slug: dir,
            actor: 'finalize-tasks',
            reason: 'canonical bootstrap',
          }),
        ),
        statusJson: 'reduced',
      },
    ]);
    writeFileSync(join(repo.root, '.git', 'info', 'exclude'), '/.worktrees/\n');
    const worktree = (id: string) => join(repo.root, '.worktrees', `${dir}-${id}`);
    for (const id of ['WP01', 'WP02']) {
      expectSuccess(await repo.kit(['implement', id, '--agent', `agent-${id}`, '--feature', dir]), `implement ${id}`);
      commitFile(worktree(id), `${id}.txt`, `${id} work\n`, `${id}: work`);
    }
    const root = commitFile(worktree('WP01'), 'more.txt', 'more\n', 'WP01: more');
    const before = repo.git(['rev-parse', 'main']).trim();

    const run = await repo.kit(['restack', '--json', '--feature', dir]);
    expectSuccess(run, 'kit restack');
    expect(resultOf<RestackResult>(run).steps.map((step) => step.outcome)).toEqual(['up-to-date', 'restacked']);
    expect(repo.git(['diff', '--name-only', before, 'main']).trim()).toBe(`kitty-specs/${dir}/tasks/WP02-parser.md`);
    const wp02 = frontmatterOf(repo.git(['show', `main:kitty-specs/${dir}/tasks/WP02-parser.md`]));
    expect(wp02.base_commit).toBe(root);
    expect(wp02).not.toHaveProperty('lane');
  });
});
