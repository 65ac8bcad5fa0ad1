import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Clone,
  claimRecord,
  cloneOrigin,
  emptyTree,
  FEATURE,
  hasGitDaemon,
  makeOrigin,
  type Origin,
  refsOf,
  useGitDaemon,
  tipIn,
  wpIds,
  branchOf,
  claimRefOf,
} from '../helpers/remote.js';
import { childEnv, type KitRun, makeRepo, resultOf } from '../helpers/repo.js';

function describeRun(clone: Clone, run: KitRun): string {
  return `${clone.agent}: exit ${run.exitCode}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
}

/** Starts `kit implement <wp>` in every clone at the same moment (one process each). */
function raceImplement(clones: readonly Clone[], wp: (clone: Clone, index: number) => string): Promise<KitRun[]> {
  return Promise.all(clones.map((clone, index) => clone.kit(['implement', wp(clone, index)])));
}

const alreadyClaimed = (wp: string, agent: string) =>
  new RegExp(
    `${wp} is already claimed on origin by ${agent} on ${escape(hostname())} \\(\\d{4}-\\d\\d-\\d\\dT[^)]*\\)`,
  );

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The WP branch and claim on origin, and the record naming `agent`: a parentless commit on the empty tree. */
function expectPublishedClaim(origin: Origin, wp: string, agent: string): void {
  expect(tipIn(origin.path, `refs/heads/${branchOf(wp)}`), `${wp} branch on origin`).toBe(origin.main);
  const record = claimRecord(origin.path, claimRefOf(wp));
  expect(record.parents).toEqual([]);
  expect(record.tree).toBe(emptyTree(origin.path));
  expect(record.fields).toMatchObject({ agent, host: hostname(), branch: branchOf(wp) });
  expect(new Date(record.fields.at ?? '').toISOString()).toBe(record.fields.at);
}

/** A clone that lost: no WP branch, no worktree, main where origin's is, nothing to commit. */
function expectUntouched(clone: Clone, origin: Origin, wp: string, main = origin.main): void {
  expect(tipIn(clone.root, `refs/heads/${branchOf(wp)}`), clone.agent).toBeNull();
  expect(existsSync(join(clone.root, '.worktrees', branchOf(wp))), clone.agent).toBe(false);
  expect(clone.git(['worktree', 'list', '--porcelain']).match(/^worktree /gm), clone.agent).toHaveLength(1);
  expect(tipIn(clone.root, 'refs/heads/main'), clone.agent).toBe(main);
  expect(clone.git(['status', '--porcelain', '--untracked-files=all']), clone.agent).toBe('');
}

/**
 * A clone that won: its branch at the base, its worktree checked out on it, and its lane change (doing)
 * on its main and published on origin's main (on top of the other clones' lane changes after a race).
 */
function expectStarted(clone: Clone, origin: Origin, wp: string, published = true): void {
  expect(tipIn(clone.root, `refs/heads/${branchOf(wp)}`), clone.agent).toBe(origin.main);
  const worktree = join(clone.root, '.worktrees', branchOf(wp));
  expect(existsSync(join(worktree, 'README.md')), clone.agent).toBe(true);
  expect(clone.git(['merge-base', '--is-ancestor', origin.main, 'main']), clone.agent).toBe('');
  const wpFile = clone.git(['show', `main:kitty-specs/${FEATURE}/tasks/${wp}-a.md`]);
  expect(wpFile).toMatch(/^lane: "?doing"?$/m);
  if (!published) return;
  const onOrigin = execFileSync(
    'git',
    ['--git-dir', origin.path, 'show', `main:kitty-specs/${FEATURE}/tasks/${wp}-a.md`],
    {
      encoding: 'utf8',
    },
  );
  expect(onOrigin, `${clone.agent}: lane published on origin`).toMatch(/^lane: "?doing"?$/m);
}

/** Two clones of `url` race for WP01: one wins, the other exits 3 naming it and leaves nothing behind. */
async function raceTwo(origin: Origin, url: string): Promise<void> {
  const clones = [cloneOrigin(url, 'agent-a'), cloneOrigin(url, 'agent-b')];
  const runs = await raceImplement(clones, () => 'WP01');
  const details = runs.map((run, index) => describeRun(clones[index] as Clone, run)).join('\n');
  expect(runs.map((run) => run.exitCode).sort(), details).toEqual([0, 3]);
  const winnerIndex = runs.findIndex((run) => run.exitCode === 0);
  const winner = clones[winnerIndex] as Clone;
  const loser = clones[1 - winnerIndex] as Clone;
  const lost = runs[1 - winnerIndex] as KitRun;

  expect(lost.stderr).toMatch(alreadyClaimed('WP01', winner.agent));
  expect(lost.stdout).toBe('');
  expect(Object.keys(refsOf(origin.path, 'refs/heads')).sort()).toEqual([
    `refs/heads/${branchOf('WP01')}`,
    'refs/heads/main',
  ]);
  expect(Object.keys(refsOf(origin.path, 'refs/kit/claims'))).toEqual([claimRefOf('WP01')]);
  expectPublishedClaim(origin, 'WP01', winner.agent);
  expectStarted(winner, origin, 'WP01');
  expectUntouched(loser, origin, 'WP01');
}

/** Writes an executable hook into origin. */
function installHook(origin: Origin, name: string, body: string): void {
  const hook = join(origin.path, 'hooks', name);
  writeFileSync(hook, `#!/bin/sh\n${body}`);
  chmodSync(hook, 0o755);
}

/** Logs every push origin accepts; returns a reader giving each push's updates as sorted `create|delete <ref>`. */
function recordRefUpdates(origin: Origin): () => string[][] {
  const log = join(origin.path, 'kit-test-pushes.log');
  writeFileSync(log, '');
  installHook(origin, 'post-receive', `{ cat; echo; } >> '${log}'\n`);
  const zero = /^0+$/;
  return () =>
    readFileSync(log, 'utf8')
      .split('\n\n')
      .filter((push) => push.trim())
      .map((push) =>
        push
          .trim()
          .split('\n')
          .map((line) => {
            const [oldSha = '', newSha = '', ref = ''] = line.split(' ');
            return `${zero.test(newSha) ? 'delete' : zero.test(oldSha) ? 'create' : 'update'} ${ref}`;
          })
          .sort(),
      );
}

describe('claims shared through a remote (kit implement with remote: origin)', () => {
  it('two clones racing for one WP: exactly one wins, the other exits 3 naming the winner and keeps nothing', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    await raceTwo(origin, origin.url);

    // A clone that comes later (no race, no local branch) is refused the same way.
    const late = cloneOrigin(origin.url, 'agent-late');
    const lateMain = tipIn(late.root, 'refs/heads/main');
    const run = await late.kit(['implement', 'WP01', '--json']);
    expect(run.exitCode, describeRun(late, run)).toBe(3);
    expect(run.json?.error?.message).toMatch(alreadyClaimed('WP01', '(agent-a|agent-b)'));
    expectUntouched(late, origin, 'WP01', lateMain ?? undefined);
    expect(Object.keys(refsOf(origin.path, 'refs/kit/claims'))).toHaveLength(1);
  });

  it('eight clones racing for one WP: one winner, seven exits 3, and origin holds the winner’s claim', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    const clones = wpIds(8).map((_, index) => cloneOrigin(origin.url, `agent-${index + 1}`));
    const runs = await raceImplement(clones, () => 'WP01');
    const details = runs.map((run, index) => describeRun(clones[index] as Clone, run)).join('\n');
    expect(
      runs.filter((run) => run.exitCode === 0),
      details,
    ).toHaveLength(1);
    expect(
      runs.filter((run) => run.exitCode === 3),
      details,
    ).toHaveLength(7);
    const winner = clones[runs.findIndex((run) => run.exitCode === 0)] as Clone;

    expect(Object.keys(refsOf(origin.path, 'refs/kit/claims'))).toEqual([claimRefOf('WP01')]);
    expect(Object.keys(refsOf(origin.path, 'refs/heads'))).toHaveLength(2);
    expectPublishedClaim(origin, 'WP01', winner.agent);
    expectStarted(winner, origin, 'WP01');
    clones.forEach((clone, index) => {
      if (clone === winner) return;
      expect((runs[index] as KitRun).stderr, clone.agent).toMatch(alreadyClaimed('WP01', winner.agent));
      expectUntouched(clone, origin, 'WP01');
    });
  });

  it('eight clones each claiming a different WP at once: all eight start and publish', async () => {
    const ids = wpIds(8);
    const origin = makeOrigin({ wps: ids });
    const clones = ids.map((id) => cloneOrigin(origin.url, `agent-${id}`));
    const runs = await raceImplement(clones, (_, index) => ids[index] as string);
    runs.forEach((run, index) => expect(run.exitCode, describeRun(clones[index] as Clone, run)).toBe(0));

    expect(Object.keys(refsOf(origin.path, 'refs/heads')).sort()).toEqual(
      [...ids.map((id) => `refs/heads/${branchOf(id)}`), 'refs/heads/main'].sort(),
    );
    expect(Object.keys(refsOf(origin.path, 'refs/kit/claims')).sort()).toEqual(ids.map(claimRefOf));
    ids.forEach((id, index) => {
      expectPublishedClaim(origin, id, `agent-${id}`);
      expectStarted(clones[index] as Clone, origin, id);
    });
  });

  it('an unreachable remote keeps the claim local with a warning, and the printed push publishes it', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    const clone = cloneOrigin(origin.url, 'agent-offline');
    renameSync(origin.path, `${origin.path}.away`);

    const run = await clone.kit(['implement', 'WP01']);
    expect(run.exitCode, describeRun(clone, run)).toBe(0);
    expect(run.stdout.trim()).toBe(join(clone.root, '.worktrees', branchOf('WP01')));
    expect(run.stderr).toMatch(/warning: the claim of WP01 is not published: origin could not be reached/);
    expect(run.stderr).toMatch(/warning: the lane change is not published to origin/);
    expectStarted(clone, origin, 'WP01', false);

    const push = /git push --atomic \S+ \S+ \S+/.exec(run.stderr)?.[0];
    expect(push, run.stderr).toMatch(
      new RegExp(`^git push --atomic origin ${branchOf('WP01')} [0-9a-f]{40,64}:${escape(claimRefOf('WP01'))}$`),
    );

    renameSync(`${origin.path}.away`, origin.path);
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP01')}`)).toBeNull();
    execFileSync('git', (push as string).split(' ').slice(1), {
      cwd: clone.root,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expectPublishedClaim(origin, 'WP01', 'agent-offline');

    // Published, it holds against other clones like any claim.
    const other = cloneOrigin(origin.url, 'agent-other');
    const refused = await other.kit(['implement', 'WP01']);
    expect(refused.exitCode, describeRun(other, refused)).toBe(3);
    expect(refused.stderr).toMatch(alreadyClaimed('WP01', 'agent-offline'));
  });

  // BUG: pushCreateOnly treats every `!` line as "someone else has it", so a remote that declines the push
  // (a pre-receive hook, or a host that refuses refs outside refs/heads) is reported as "already claimed on
  // origin: its branch ... exists there" when origin has no such branch; the server's reason is dropped.
  it('a remote that declines the claim push is not reported as holding the WP', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    installHook(
      origin,
      'pre-receive',
      'while read old new ref; do case "$ref" in refs/kit/*) echo "custom refs are not allowed here" >&2; exit 1;; esac; done\n',
    );
    const clone = cloneOrigin(origin.url, 'agent-x');
    const run = await clone.kit(['implement', 'WP01']);
    expect(run.exitCode, describeRun(clone, run)).not.toBe(0);
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP01')}`)).toBeNull();
    expect(tipIn(clone.root, `refs/heads/${branchOf('WP01')}`)).toBeNull();
    expect(run.stderr).not.toMatch(/already claimed|exists there/);
    expect(run.stderr).toMatch(/declined|custom refs are not allowed here/);
  });

  it('a start that fails after the claim was pushed gives the WP back on origin', async () => {
    const origin = makeOrigin({ wps: ['WP01'] });
    const updates = recordRefUpdates(origin);
    const clone = cloneOrigin(origin.url, 'agent-blocked');
    // A file where the worktrees dir must go: the pre-checks pass (nothing exists at the worktree path),
    // the claim is pushed, and then `git worktree add` cannot create the directory.
    writeFileSync(join(clone.root, '.worktrees'), 'not a directory\n');
    writeFileSync(join(clone.root, '.git', 'info', 'exclude'), '/.worktrees\n/.worktrees/\n');

    const failed = await clone.kit(['implement', 'WP01']);
    expect(failed.exitCode, describeRun(clone, failed)).not.toBe(0);
    expect(failed.stderr).toMatch(/worktree add/);
    // The claim did reach origin (both refs created in one push) and was then deleted (in one push).
    const branchRef = `refs/heads/${branchOf('WP01')}`;
    expect(updates()).toEqual([
      [`create ${branchRef}`, `create ${claimRefOf('WP01')}`].sort(),
      [`delete ${branchRef}`, `delete ${claimRefOf('WP01')}`].sort(),
    ]);
    expect(tipIn(origin.path, `refs/heads/${branchOf('WP01')}`)).toBeNull();
    expect(refsOf(origin.path, 'refs/kit/claims')).toEqual({});
    expect(tipIn(clone.root, `refs/heads/${branchOf('WP01')}`)).toBeNull();
    expect(tipIn(clone.root, 'refs/heads/main')).toBe(origin.main);

    // Released: the WP can be claimed again, from this clone or any other.
    rmSync(join(clone.root, '.worktrees'));
    const other = cloneOrigin(origin.url, 'agent-next');
    const run = await other.kit(['implement', 'WP01']);
    expect(run.exitCode, describeRun(other, run)).toBe(0);
    expectPublishedClaim(origin, 'WP01', 'agent-next');
  });
});

const HAS_DAEMON = hasGitDaemon();

describe.skipIf(!HAS_DAEMON)(
  `claims through git daemon on 127.0.0.1${HAS_DAEMON ? '' : ' (skipped: this git has no git-daemon in its exec path)'}`,
  () => {
    const served = useGitDaemon();

    it('two clones of git://127.0.0.1:<port>/origin.git racing for one WP: exactly one wins', async () => {
      const { daemon, base } = served();
      const origin = makeOrigin({ wps: ['WP01'], dir: base, url: daemon.url('origin.git') });
      await raceTwo(origin, origin.url);
    });
  },
);

describe('kit init --remote and --lane-store', () => {
  it('refuses a remote the repository does not have (exit 3) and writes nothing', async () => {
    const repo = makeRepo();
    const run = await repo.kit(['init', '--remote', 'nosuch']);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/has no remote "nosuch"/);
    expect(repo.exists('.kit/config.yaml')).toBe(false);
  });

  it('--lane-store ref is written to a new config and set in an existing one; a bad value in the file is refused', async () => {
    const repo = makeRepo();
    const created = await repo.kit(['init', '--lane-store', 'ref']);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(repo.read('.kit/config.yaml')).toMatch(/^lane_store: ref$/m);
    const back = await repo.kit(['init', '--lane-store', 'target', '--json']);
    expect(back.exitCode, back.stderr).toBe(0);
    expect(repo.read('.kit/config.yaml')).toMatch(/^lane_store: target$/m);
    expect(repo.read('.kit/config.yaml').match(/^lane_store:/gm)).toHaveLength(1);
    repo.write('.kit/config.yaml', 'version: 1\nlane_store: branch\n');
    const bad = await repo.kit(['status']);
    expect(bad.exitCode).toBe(3);
    expect(bad.stderr).toMatch(/lane_store must be target or ref, not "branch"/);
  });

  it('sets remote: origin in a new config, and in an existing one keeps everything else', async () => {
    const fresh = makeRepo();
    fresh.git(['remote', 'add', 'origin', '/nowhere/origin.git']);
    const created = await fresh.kit(['init', '--remote', 'origin', '--json']);
    expect(created.exitCode, created.stderr).toBe(0);
    expect(resultOf<{ config: { action: string } }>(created).config.action).toBe('created');
    expect(fresh.read('.kit/config.yaml')).toMatch(/^remote: origin$/m);
    expect(fresh.read('.kit/config.yaml')).toMatch(/^lane_store: target$/m);

    // A config kit init wrote without a remote: only its remote line changes.
    const plain = makeRepo();
    plain.git(['remote', 'add', 'origin', '/nowhere/origin.git']);
    expect((await plain.kit(['init'])).exitCode).toBe(0);
    const before = plain.read('.kit/config.yaml');
    expect(before).toMatch(/^remote: *$/m);
    const updated = await plain.kit(['init', '--remote', 'origin', '--json']);
    expect(updated.exitCode, updated.stderr).toBe(0);
    expect(resultOf<{ config: { action: string } }>(updated).config.action).toBe('updated');
    expect(plain.read('.kit/config.yaml')).toBe(before.replace(/^remote: *$/m, 'remote: origin'));
    const again = await plain.kit(['init', '--remote', 'origin', '--json']);
    expect(resultOf<{ config: { action: string } }>(again).config.action).toBe('kept');

    // A config someone wrote by hand, without a remote key: the line is added, the rest kept byte for byte.
    const edited = makeRepo();
    edited.git(['remote', 'add', 'origin', '/nowhere/origin.git']);
    const text = '# my settings\nversion: 1\nspecsDir: kitty-specs\ncommitLaneChanges: false # keep it quiet\n';
    edited.write('.kit/config.yaml', text);
    const run = await edited.kit(['init', '--remote', 'origin']);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(edited.read('.kit/config.yaml')).toBe(`${text}remote: origin\n`);
  });
});
