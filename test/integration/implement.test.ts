import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  branchNames,
  commitFile,
  commitsBetween,
  committedWp,
  expectSuccess,
  type FeatureRepo,
  historyOf,
  holdLaneLock,
  makeFeatureRepo,
  startKit,
  tipOf,
  userState,
  waitUntil,
  worktreePaths,
} from '../helpers/lanes.js';
import { git, makeRepo, resultOf, STACK_LINE } from '../helpers/repo.js';

interface ImplementJson {
  worktree: string;
  branch: string;
  base: string;
}

const SHA = /^[0-9a-f]{40}$/;

function tip(fx: FeatureRepo, ref: string): string {
  const sha = tipOf(fx.repo, ref);
  if (!sha) throw new Error(`${ref} does not exist`);
  return sha;
}

async function implement(fx: FeatureRepo, wp: string, args: readonly string[] = [], cwd?: string): Promise<string> {
  const run = await fx.repo.kit(['implement', wp, ...args], cwd ? { cwd } : {});
  expectSuccess(run, `kit implement ${wp} ${args.join(' ')}`);
  return run.stdout.trim();
}

/** Starts a WP and commits one file in its worktree; returns the new branch tip. */
async function implementWithCommit(fx: FeatureRepo, wp: string, path: string, content: string): Promise<string> {
  const worktree = await implement(fx, wp, ['--agent', `agent-${wp}`]);
  return commitFile(worktree, path, content, `${wp}: ${path}`);
}

function parentsOf(fx: FeatureRepo, commit: string): string[] {
  const [, ...parents] = fx.repo.git(['rev-list', '--parents', '-n', '1', commit]).trim().split(' ');
  return parents;
}

describe('kit implement', () => {
  it('finds its branches by their exact names, even when tags share them (git would print heads/main)', async () => {
    const fx = await makeFeatureRepo();
    fx.repo.git(['tag', 'main']);
    const first = await implement(fx, 'WP01', ['--agent', 'alice']);
    fx.repo.git(['tag', fx.branch('WP01')]);
    const again = await implement(fx, 'WP01', ['--agent', 'alice']);
    expect(again).toBe(first);
    const status = resultOf<{ features: { workPackages: { id: string; branch: string | null }[] }[] }>(
      await fx.repo.kit(['status', '--json']),
    );
    expect(status.features[0]?.workPackages.find((wp) => wp.id === 'WP01')?.branch).toBe(fx.branch('WP01'));
  });

  it('starts a WP without dependencies: worktree on a new branch from the target, lane doing, base recorded', async () => {
    const fx = await makeFeatureRepo();
    const planned = tip(fx, 'main');
    const startedAt = Date.now();

    const run = await fx.repo.kit(['implement', 'WP01', '--agent', 'alice']);
    expectSuccess(run);
    const worktree = fx.worktreePath('WP01');
    expect(run.stdout).toBe(`${worktree}\n`);
    expect(run.stderr).not.toMatch(STACK_LINE);

    // The worktree is a real checkout of the new branch, which starts at the target's tip.
    expect(worktreePaths(fx.repo)).toEqual([fx.repo.root, worktree]);
    expect(git(worktree, ['symbolic-ref', '--short', 'HEAD']).trim()).toBe('001-x-WP01');
    expect(tip(fx, '001-x-WP01')).toBe(planned);
    expect(readFileSync(join(worktree, 'README.md'), 'utf8')).toBe('# test repository\n');
    expect(git(worktree, ['status', '--porcelain'])).toBe('');
    expect(branchNames(fx.repo)).toEqual(['001-x-WP01', 'main']);

    // One lane commit on main, holding only the WP file.
    const commits = commitsBetween(fx.repo, planned, 'main');
    expect(commits).toHaveLength(1);
    expect(commits[0]?.subject).toBe('kit: 001-x WP01 planned → doing');
    expect(commits[0]?.files).toEqual([fx.file('WP01')]);

    const data = committedWp(fx, 'WP01');
    expect(data).toMatchObject({
      lane: 'doing',
      base_branch: 'main',
      base_commit: planned,
      agent: 'alice',
      shell_pid: String(process.pid),
    });
    expect(String(data.base_commit)).toMatch(SHA);
    const createdAt = Date.parse(String(data.created_at));
    expect(createdAt).toBeGreaterThanOrEqual(startedAt - 1000);
    expect(createdAt).toBeLessThanOrEqual(Date.now() + 1000);
    const history = historyOf(data);
    expect(history).toHaveLength(2);
    expect(history[1]).toEqual({
      timestamp: expect.any(String),
      lane: 'doing',
      agent: 'alice',
      shell_pid: String(process.pid),
      action: expect.any(String),
    });
    expect(Number.isNaN(Date.parse(String(history[1]?.timestamp)))).toBe(false);

    // The main checkout shows the new lane and nothing to commit.
    expect(fx.repo.read(fx.file('WP01'))).toBe(fx.repo.git(['show', `main:${fx.file('WP01')}`]));
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
  });

  it('--json prints the worktree, the branch and the base commit', async () => {
    const fx = await makeFeatureRepo();
    const planned = tip(fx, 'main');

    const run = await fx.repo.kit(['implement', 'WP01', '--json']);
    expectSuccess(run);
    expect(run.json?.ok).toBe(true);
    expect(resultOf<ImplementJson>(run)).toMatchObject({
      worktree: fx.worktreePath('WP01'),
      branch: '001-x-WP01',
      base: planned,
    });
  });

  it('bases a WP without dependencies on the target branch, not on the branch the main checkout has out', async () => {
    const fx = await makeFeatureRepo();
    const planned = tip(fx, 'main');
    fx.repo.git(['switch', '-q', '-c', 'experiment']);
    commitFile(fx.repo.root, 'experiment.txt', 'not for the feature\n');
    const experiment = tip(fx, 'experiment');
    const before = userState(fx.repo.root);

    const worktree = await implement(fx, 'WP01');

    expect(tip(fx, '001-x-WP01')).toBe(planned);
    expect(existsSync(join(worktree, 'experiment.txt'))).toBe(false);
    expect(committedWp(fx, 'WP01')).toMatchObject({ lane: 'doing', base_branch: 'main', base_commit: planned });
    // The lane commit went to main although main is not checked out; the checkout and its branch are untouched.
    const commits = commitsBetween(fx.repo, planned, 'main');
    expect(commits.map((commit) => commit.files)).toEqual([[fx.file('WP01')]]);
    expect(tip(fx, 'experiment')).toBe(experiment);
    expect(fx.repo.git(['symbolic-ref', '--short', 'HEAD']).trim()).toBe('experiment');
    expect(userState(fx.repo.root)).toEqual(before);
  });

  it("bases a WP with one dependency on that dependency's branch", async () => {
    const fx = await makeFeatureRepo();
    const core = await implementWithCommit(fx, 'WP01', 'core.txt', 'core\n');

    const worktree = await implement(fx, 'WP02');

    expect(tip(fx, '001-x-WP02')).toBe(core);
    expect(readFileSync(join(worktree, 'core.txt'), 'utf8')).toBe('core\n');
    expect(committedWp(fx, 'WP02')).toMatchObject({ lane: 'doing', base_branch: '001-x-WP01', base_commit: core });
  });

  it('--base of a declared dependency starts from it silently; of another WP, with a warning', async () => {
    const fx = await makeFeatureRepo();
    const core = await implementWithCommit(fx, 'WP01', 'core.txt', 'core\n');

    const declared = await fx.repo.kit(['implement', 'WP02', '--base', 'WP01']);
    expectSuccess(declared);
    expect(declared.stderr).not.toMatch(/warning/i);
    expect(tip(fx, '001-x-WP02')).toBe(core);

    const undeclared = await fx.repo.kit(['implement', 'WP05', '--base', 'WP01']);
    expectSuccess(undeclared);
    expect(undeclared.stdout).toBe(`${fx.worktreePath('WP05')}\n`);
    expect(undeclared.stderr).toMatch(/warning/i);
    expect(undeclared.stderr).toMatch(/WP01.*not a declared dependency|not a declared dependency.*WP01/);
    expect(tip(fx, '001-x-WP05')).toBe(core);
    expect(committedWp(fx, 'WP05')).toMatchObject({ lane: 'doing', base_branch: '001-x-WP01', base_commit: core });
  });

  it('bases a WP with several dependencies on one commit merging them all, touching no checkout or branch', async () => {
    const fx = await makeFeatureRepo();
    await implementWithCommit(fx, 'WP01', 'core.txt', 'core\n');
    const parser = await implementWithCommit(fx, 'WP02', 'parser.txt', 'parser\n');
    const printer = await implementWithCommit(fx, 'WP03', 'printer.txt', 'printer\n');
    const mainBefore = tip(fx, 'main');
    const stateBefore = userState(fx.repo.root);

    const run = await fx.repo.kit(['implement', 'WP04', '--json']);
    expectSuccess(run);
    const { base, worktree, branch } = resultOf<ImplementJson>(run);

    expect(branch).toBe('001-x-WP04');
    expect(base).toMatch(SHA);
    expect(tip(fx, '001-x-WP04')).toBe(base);
    expect(parentsOf(fx, base).sort()).toEqual([parser, printer].sort());
    for (const [file, content] of [
      ['core.txt', 'core\n'],
      ['parser.txt', 'parser\n'],
      ['printer.txt', 'printer\n'],
    ] as const) {
      expect(readFileSync(join(worktree, file), 'utf8')).toBe(content);
    }
    const data = committedWp(fx, 'WP04');
    expect(data).toMatchObject({ lane: 'doing', base_commit: base });
    expect(String(data.base_branch)).toContain('001-x-WP02');
    expect(String(data.base_branch)).toContain('001-x-WP03');
    // No helper branch is left behind, the main checkout still has main out, and only the lane commit landed.
    expect(branchNames(fx.repo)).toEqual(['001-x-WP01', '001-x-WP02', '001-x-WP03', '001-x-WP04', 'main']);
    expect(fx.repo.git(['symbolic-ref', '--short', 'HEAD']).trim()).toBe('main');
    expect(commitsBetween(fx.repo, mainBefore, 'main').map((commit) => commit.files)).toEqual([[fx.file('WP04')]]);
    expect(userState(fx.repo.root)).toEqual(stateBefore);
  });

  it('refuses dependencies that conflict (exit 4, naming the file and both WPs) and creates nothing', async () => {
    const fx = await makeFeatureRepo();
    await implementWithCommit(fx, 'WP01', 'shared.txt', 'first line\nsecond line\n');
    await implementWithCommit(fx, 'WP02', 'shared.txt', 'first line from the parser\nsecond line\n');
    await implementWithCommit(fx, 'WP03', 'shared.txt', 'first line from the printer\nsecond line\n');
    const mainBefore = tip(fx, 'main');
    const branchesBefore = branchNames(fx.repo);
    const worktreesBefore = worktreePaths(fx.repo);
    const stateBefore = userState(fx.repo.root);

    const run = await fx.repo.kit(['implement', 'WP04']);

    expect(run.exitCode, run.stderr).toBe(4);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('shared.txt');
    expect(run.stderr).toContain('WP02');
    expect(run.stderr).toContain('WP03');
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(branchNames(fx.repo)).toEqual(branchesBefore);
    expect(worktreePaths(fx.repo)).toEqual(worktreesBefore);
    expect(existsSync(fx.worktreePath('WP04'))).toBe(false);
    expect(tip(fx, 'main')).toBe(mainBefore);
    expect(committedWp(fx, 'WP04').lane).toBe('planned');
    expect(userState(fx.repo.root)).toEqual(stateBefore);
  });

  it('refuses a WP whose dependency has not been started (exit 3, with the command to run)', async () => {
    const fx = await makeFeatureRepo();
    const mainBefore = tip(fx, 'main');

    const run = await fx.repo.kit(['implement', 'WP02']);

    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('WP01 has not been started: run kit implement WP01 first');
    expect(branchNames(fx.repo)).toEqual(['main']);
    expect(existsSync(fx.worktreePath('WP02'))).toBe(false);
    expect(tip(fx, 'main')).toBe(mainBefore);
  });

  it("run inside another WP's worktree creates the new worktree under the main checkout", async () => {
    const fx = await makeFeatureRepo();
    const first = await implement(fx, 'WP01');
    const wp05InFirst = readFileSync(join(first, fx.file('WP05')), 'utf8');

    const run = await fx.repo.kit(['implement', 'WP05'], { cwd: '.worktrees/001-x-WP01' });

    expectSuccess(run);
    expect(run.stdout).toBe(`${fx.worktreePath('WP05')}\n`);
    expect(existsSync(join(fx.worktreePath('WP05'), 'README.md'))).toBe(true);
    expect(existsSync(join(first, '.worktrees'))).toBe(false);
    expect(committedWp(fx, 'WP05').lane).toBe('doing');
    // WP01's worktree keeps its own (older) copy of the planning files and stays clean.
    expect(readFileSync(join(first, fx.file('WP05')), 'utf8')).toBe(wp05InFirst);
    expect(git(first, ['status', '--porcelain'])).toBe('');
  });

  it('run again by the same agent prints the same worktree and changes nothing', async () => {
    const fx = await makeFeatureRepo();
    const worktree = await implement(fx, 'WP01', ['--agent', 'alice']);
    const mainTip = tip(fx, 'main');
    const branchTip = tip(fx, '001-x-WP01');
    const snapshot = fx.repo.snapshot();

    const again = await fx.repo.kit(['implement', 'WP01', '--agent', 'alice']);

    expectSuccess(again);
    expect(again.stdout).toBe(`${worktree}\n`);
    expect(tip(fx, 'main')).toBe(mainTip);
    expect(tip(fx, '001-x-WP01')).toBe(branchTip);
    expect(branchNames(fx.repo)).toEqual(['001-x-WP01', 'main']);
    expect(fx.repo.snapshot()).toEqual(snapshot);
  });

  it('refuses a WP another agent holds (exit 3, naming the holder)', async () => {
    const fx = await makeFeatureRepo();
    await implement(fx, 'WP01', ['--agent', 'alice']);
    const mainTip = tip(fx, 'main');

    const run = await fx.repo.kit(['implement', 'WP01', '--agent', 'bob']);

    expect(run.exitCode).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('alice');
    expect(tip(fx, 'main')).toBe(mainTip);
    expect(committedWp(fx, 'WP01').agent).toBe('alice');
    expect(worktreePaths(fx.repo)).toHaveLength(2);
  });

  it('of two agents starting the same WP at the same moment exactly one wins', async () => {
    // The race has several interleavings; a few rounds make each of them likely to be hit.
    for (let round = 0; round < 6; round++) {
      const fx = await makeFeatureRepo();
      const planned = tip(fx, 'main');

      const runs = await Promise.all(
        ['alice', 'bob'].map((agent) => fx.repo.kit(['implement', 'WP01', '--agent', agent])),
      );

      const codes = runs.map((run) => run.exitCode).sort();
      const output = `round ${round}\n${runs.map((run) => run.stderr).join('---\n')}`;
      expect(codes, output).toEqual([0, 3]);
      const winnerIndex = runs.findIndex((run) => run.exitCode === 0);
      const winner = winnerIndex === 0 ? 'alice' : 'bob';
      const loser = runs[1 - winnerIndex];
      expect(loser?.stderr, output).toMatch(new RegExp(`${winner}|being started|starting it`));
      expect(runs[winnerIndex]?.stdout, output).toBe(`${fx.worktreePath('WP01')}\n`);

      expect(branchNames(fx.repo), output).toEqual(['001-x-WP01', 'main']);
      expect(tip(fx, '001-x-WP01')).toBe(planned);
      expect(worktreePaths(fx.repo), output).toEqual([fx.repo.root, fx.worktreePath('WP01')]);
      const data = committedWp(fx, 'WP01');
      expect(data, output).toMatchObject({ lane: 'doing', agent: winner });
      expect(historyOf(data).filter((entry) => entry.lane === 'doing')).toHaveLength(1);
      expect(commitsBetween(fx.repo, planned, 'main')).toHaveLength(1);
      expect(fx.repo.git(['status', '--porcelain'])).toBe('');
    }
  });

  // The same race, with its worst interleaving forced: the first agent has created the branch and the worktree
  // and is about to record the lane when the second one arrives (the lane lock and a paused process hold the
  // first one there). POSIX signals pause the process.
  it.skipIf(process.platform === 'win32')(
    'a second agent arriving while the first is still starting the WP does not take it over',
    async () => {
      const fx = await makeFeatureRepo();
      const planned = tip(fx, 'main');
      const release = holdLaneLock(fx.repo);
      const first = startKit(fx.repo.root, ['implement', 'WP01', '--agent', 'alice']);
      let paused = false;
      try {
        await waitUntil(
          () => tipOf(fx.repo, '001-x-WP01') !== null && existsSync(join(fx.worktreePath('WP01'), 'README.md')),
          "alice's branch and worktree exist",
        );
        // alice now waits for the lane lock to record the move; pause her there and let bob run.
        process.kill(first.pid, 'SIGSTOP');
        paused = true;
        release();
        const second = await fx.repo.kit(['implement', 'WP01', '--agent', 'bob']);
        process.kill(first.pid, 'SIGCONT');
        paused = false;
        const firstRun = await first.result;

        const runs = [
          { agent: 'alice', run: firstRun },
          { agent: 'bob', run: second },
        ];
        const output = runs.map(({ agent, run }) => `${agent}: exit ${run.exitCode}\n${run.stderr}`).join('---\n');
        expect(runs.map(({ run }) => run.exitCode).sort(), output).toEqual([0, 3]);
        const winner = runs.find(({ run }) => run.exitCode === 0);
        const loser = runs.find(({ run }) => run.exitCode !== 0);
        expect(loser?.run.stderr, output).toMatch(new RegExp(`${winner?.agent}|being started|starting it`));
        // The winner owns a branch and a worktree that exist, and the lane says so.
        expect(winner?.run.stdout, output).toBe(`${fx.worktreePath('WP01')}\n`);
        expect(branchNames(fx.repo), output).toEqual(['001-x-WP01', 'main']);
        expect(tip(fx, '001-x-WP01')).toBe(planned);
        expect(worktreePaths(fx.repo), output).toEqual([fx.repo.root, fx.worktreePath('WP01')]);
        expect(existsSync(join(fx.worktreePath('WP01'), 'README.md')), output).toBe(true);
        expect(committedWp(fx, 'WP01'), output).toMatchObject({ lane: 'doing', agent: winner?.agent });
      } finally {
        release();
        if (paused) process.kill(first.pid, 'SIGCONT');
        await first.result;
      }
    },
  );

  it('copies ignored files listed in .worktreeinclude into the new worktree, and nothing else', async () => {
    const fx = await makeFeatureRepo();
    fx.repo.write('.gitignore', '.env\n');
    fx.repo.write('.worktreeinclude', '.env\nlocal-notes.txt\nsettings.json\n');
    fx.repo.write('settings.json', '{"committed": true}\n');
    fx.repo.git(['add', '.gitignore', '.worktreeinclude', 'settings.json']);
    fx.repo.git(['commit', '-q', '-m', 'Local files']);
    fx.repo.write('.env', 'SECRET=42\n');
    fx.repo.write('services/api/.env', 'API_SECRET=7\n');
    fx.repo.write('local-notes.txt', 'untracked and not ignored\n');
    fx.repo.write('settings.json', '{"committed": false}\n');

    const worktree = await implement(fx, 'WP01');

    expect(readFileSync(join(worktree, '.env'), 'utf8')).toBe('SECRET=42\n');
    expect(readFileSync(join(worktree, 'services/api/.env'), 'utf8')).toBe('API_SECRET=7\n');
    expect(existsSync(join(worktree, 'local-notes.txt'))).toBe(false);
    // The tracked file arrives by checkout, as committed; the main checkout's local edit is not spread.
    expect(readFileSync(join(worktree, 'settings.json'), 'utf8')).toBe('{"committed": true}\n');
    expect(git(worktree, ['status', '--porcelain'])).toBe('');
  });

  it('refuses a WP whose planning files are not committed on the target (exit 3) and creates nothing', async () => {
    const repo = makeRepo();
    expectSuccess(await repo.kit(['specify', 'The x feature', '--slug', 'x']));
    repo.write('kitty-specs/001-x/tasks.md', '# Tasks\n\n## WP01: Alone\n\n**Depends on**: none\n\n- [ ] T001 Do it\n');
    expectSuccess(await repo.kit(['tasks']));
    const mainBefore = tipOf(repo, 'main');
    const snapshot = repo.snapshot();

    const run = await repo.kit(['implement', 'WP01']);

    expect(run.exitCode).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/not committed/);
    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(branchNames(repo)).toEqual(['main']);
    expect(repo.exists('.worktrees')).toBe(false);
    expect(tipOf(repo, 'main')).toBe(mainBefore);
    expect(repo.snapshot()).toEqual(snapshot);

    // Committed, but on another branch than the target (main): still refused.
    repo.git(['switch', '-q', '-c', 'plans']);
    repo.git(['add', 'kitty-specs']);
    repo.git(['commit', '-q', '-m', 'Plan on a side branch']);
    const plans = tipOf(repo, 'plans');
    const again = await repo.kit(['implement', 'WP01']);
    expect(again.exitCode).toBe(3);
    expect(again.stderr).toMatch(/not committed on main/);
    expect(branchNames(repo)).toEqual(['main', 'plans']);
    expect(repo.exists('.worktrees')).toBe(false);
    expect(tipOf(repo, 'main')).toBe(mainBefore);
    expect(tipOf(repo, 'plans')).toBe(plans);
  });
});
