import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  addFeature,
  commitFile,
  commitsBetween,
  committedWp,
  expectSuccess,
  type FeatureRepo,
  frontmatterOf,
  historyOf,
  makeFeatureRepo,
  tipOf,
  userState,
} from '../helpers/lanes.js';
import { git, type KitRun, STACK_LINE } from '../helpers/repo.js';

function tip(fx: FeatureRepo, ref = 'main'): string {
  const sha = tipOf(fx.repo, ref);
  if (!sha) throw new Error(`${ref} does not exist`);
  return sha;
}

async function move(fx: FeatureRepo, args: readonly string[], cwd?: string): Promise<KitRun> {
  const run = await fx.repo.kit(['move', ...args], cwd ? { cwd } : {});
  expectSuccess(run, `kit move ${args.join(' ')}`);
  return run;
}

/** Starts a WP and commits one file in its worktree; returns the worktree. */
async function startWithWork(fx: FeatureRepo, wp: string): Promise<string> {
  const run = await fx.repo.kit(['implement', wp, '--agent', 'dev']);
  expectSuccess(run);
  const worktree = run.stdout.trim();
  commitFile(worktree, `${wp.toLowerCase()}.txt`, `work of ${wp}\n`);
  return worktree;
}

/** Expects exactly one new commit on main since `before`, holding only the WP file, with this subject. */
function expectOneLaneCommit(fx: FeatureRepo, before: string, wp: string, subject: string): void {
  const commits = commitsBetween(fx.repo, before, 'main');
  expect(commits.map((commit) => ({ subject: commit.subject, files: commit.files }))).toEqual([
    { subject, files: [fx.file(wp)] },
  ]);
}

function expectRefused(run: KitRun, pattern?: RegExp): void {
  expect(run.exitCode, `stdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(3);
  expect(run.stderr).toMatch(/^error: /m);
  expect(run.stderr).not.toMatch(STACK_LINE);
  if (pattern) expect(run.stderr).toMatch(pattern);
}

/** The text of the `## Review Feedback` section of a WP body (up to the next level-1 or level-2 heading). */
function reviewFeedback(text: string): string {
  const start = text.indexOf('\n## Review Feedback');
  expect(start, 'the WP has a ## Review Feedback section').toBeGreaterThan(-1);
  const rest = text.slice(start + '\n## Review Feedback'.length);
  const next = /^#{1,2} /m.exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

describe('kit move', () => {
  it('walks a WP planned → doing → for_review → done, one commit and one history entry per move', async () => {
    const fx = await makeFeatureRepo();
    const moves: { to: string; agent: string; subject: string }[] = [
      { to: 'doing', agent: 'dev', subject: 'kit: 001-x WP01 planned → doing' },
      { to: 'for_review', agent: 'dev', subject: 'kit: 001-x WP01 doing → for_review' },
      { to: 'done', agent: 'reviewer', subject: 'kit: 001-x WP01 for_review → done' },
    ];
    let historyLength = historyOf(committedWp(fx, 'WP01')).length;
    for (const step of moves) {
      if (step.to === 'for_review') {
        // Work to review: a branch with a commit beyond its base (kit move → doing does not create one).
        fx.repo.git(['worktree', 'add', '-q', '-b', '001-x-WP01', fx.worktreePath('WP01'), 'main']);
        commitFile(fx.worktreePath('WP01'), 'feature.txt', 'the feature\n');
      }
      const before = tip(fx);
      const startedAt = Date.now();
      await move(fx, ['WP01', '--to', step.to, '--agent', step.agent]);

      expectOneLaneCommit(fx, before, 'WP01', step.subject);
      const data = committedWp(fx, 'WP01');
      expect(data.lane).toBe(step.to);
      const history = historyOf(data);
      expect(history).toHaveLength(historyLength + 1);
      historyLength = history.length;
      const entry = history.at(-1);
      expect(entry).toEqual({
        timestamp: expect.any(String),
        lane: step.to,
        agent: step.agent,
        shell_pid: String(process.pid),
        action: expect.stringMatching(/\S/),
      });
      const at = Date.parse(String(entry?.timestamp));
      expect(at).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000 - 1000);
      expect(at).toBeLessThanOrEqual(Date.now() + 1000);
      // The main checkout has main out: its copy follows and shows clean.
      expect(fx.repo.git(['status', '--porcelain'])).toBe('');
    }
  });

  it('takes the agent from $KIT_AGENT when --agent is not given', async () => {
    const fx = await makeFeatureRepo();

    const run = await fx.repo.kit(['move', 'WP01', '--to', 'doing'], { env: { KIT_AGENT: 'env-agent' } });

    expectSuccess(run);
    expect(historyOf(committedWp(fx, 'WP01')).at(-1)?.agent).toBe('env-agent');
  });

  it('doing → planned is a legal move', async () => {
    const fx = await makeFeatureRepo();
    await move(fx, ['WP01', '--to', 'doing']);
    const before = tip(fx);

    await move(fx, ['WP01', '--to', 'planned']);

    expectOneLaneCommit(fx, before, 'WP01', 'kit: 001-x WP01 doing → planned');
    expect(committedWp(fx, 'WP01').lane).toBe('planned');
  });

  it('refuses a move outside the lane rules (exit 3, naming the legal targets) and writes nothing', async () => {
    const fx = await makeFeatureRepo();
    const cases: { setup?: string[]; to: string; legal: string[] }[] = [
      { to: 'for_review', legal: ['doing'] },
      { to: 'done', legal: ['doing'] },
      { setup: ['--to', 'doing'], to: 'done', legal: ['for_review', 'planned'] },
      { to: 'doing', legal: ['for_review', 'planned'] },
    ];
    for (const { setup, to, legal } of cases) {
      if (setup) await move(fx, ['WP01', ...setup]);
      const before = tip(fx);
      const snapshot = fx.repo.snapshot();

      const run = await fx.repo.kit(['move', 'WP01', '--to', to]);

      expectRefused(run);
      for (const lane of legal) expect(run.stderr, `→ ${to}`).toContain(lane);
      expect(tip(fx)).toBe(before);
      expect(fx.repo.snapshot()).toEqual(snapshot);
    }
    // done is final: nothing leads out of it without --force.
    await move(fx, ['WP01', '--to', 'done', '--force']);
    const before = tip(fx);
    expectRefused(await fx.repo.kit(['move', 'WP01', '--to', 'doing']), /done/);
    expect(tip(fx)).toBe(before);
  });

  it('--force allows any move and records it as forced', async () => {
    const fx = await makeFeatureRepo();
    for (const [from, to] of [
      ['planned', 'done'],
      ['done', 'planned'],
      ['planned', 'for_review'],
    ] as const) {
      const before = tip(fx);
      await move(fx, ['WP01', '--to', to, '--force', '--agent', 'lead']);

      expectOneLaneCommit(fx, before, 'WP01', `kit: 001-x WP01 ${from} → ${to}`);
      const data = committedWp(fx, 'WP01');
      expect(data.lane).toBe(to);
      expect(historyOf(data).at(-1)).toMatchObject({
        lane: to,
        agent: 'lead',
        action: expect.stringMatching(/forced/i),
      });
    }
  });

  it('sending a WP back from for_review needs --note, which lands under ## Review Feedback', async () => {
    const fx = await makeFeatureRepo();
    const worktree = await startWithWork(fx, 'WP01');
    await move(fx, ['WP01', '--to', 'for_review']);
    const before = tip(fx);

    for (const to of ['doing', 'planned']) {
      expectRefused(await fx.repo.kit(['move', 'WP01', '--to', to]), /--note/);
      expectRefused(await fx.repo.kit(['move', 'WP01', '--to', to, '--note', '   ']), /--note/);
    }
    expect(tip(fx)).toBe(before);
    expect(committedWp(fx, 'WP01').lane).toBe('for_review');

    await move(fx, ['WP01', '--to', 'doing', '--note', 'Handle the empty input case.', '--agent', 'reviewer']);
    expectOneLaneCommit(fx, before, 'WP01', 'kit: 001-x WP01 for_review → doing');
    let text = git(fx.repo.root, ['show', `main:${fx.file('WP01')}`]);
    let data = frontmatterOf(text);
    expect(data).toMatchObject({ lane: 'doing', review_status: 'has_feedback' });
    expect(historyOf(data).at(-1)).toMatchObject({ lane: 'doing', agent: 'reviewer' });
    expect(reviewFeedback(text)).toContain('Handle the empty input case.');

    // A second round: back to planned, both notes kept.
    commitFile(worktree, 'wp01.txt', 'better work\n');
    await move(fx, ['WP01', '--to', 'for_review']);
    await move(fx, ['WP01', '--to', 'planned', '--note', 'Add a test for it.', '--agent', 'reviewer']);
    text = git(fx.repo.root, ['show', `main:${fx.file('WP01')}`]);
    data = frontmatterOf(text);
    expect(data).toMatchObject({ lane: 'planned', review_status: 'has_feedback' });
    const feedback = reviewFeedback(text);
    expect(feedback).toContain('Handle the empty input case.');
    expect(feedback).toContain('Add a test for it.');
    expect(fx.repo.read(fx.file('WP01'))).toBe(text);
  });

  describe('→ for_review', () => {
    it("refuses while the WP's worktree has uncommitted files, naming them", async () => {
      const fx = await makeFeatureRepo();
      const worktree = await startWithWork(fx, 'WP01');
      writeFileSync(join(worktree, 'wp01.txt'), 'changed, not committed\n');
      writeFileSync(join(worktree, 'scratch.txt'), 'untracked\n');
      const before = tip(fx);

      const run = await fx.repo.kit(['move', 'WP01', '--to', 'for_review']);

      expectRefused(run, /wp01\.txt/);
      expect(run.stderr).toContain('scratch.txt');
      expect(tip(fx)).toBe(before);
      expect(committedWp(fx, 'WP01').lane).toBe('doing');
      expect(readFileSync(join(worktree, 'wp01.txt'), 'utf8')).toBe('changed, not committed\n');
    });

    it('refuses a WP branch with no commit beyond its base', async () => {
      const fx = await makeFeatureRepo();
      expectSuccess(await fx.repo.kit(['implement', 'WP01']));
      const before = tip(fx);

      expectRefused(await fx.repo.kit(['move', 'WP01', '--to', 'for_review']), /commit/);
      expect(tip(fx)).toBe(before);
      expect(committedWp(fx, 'WP01').lane).toBe('doing');
    });

    it('refuses a WP branch that changed planning files under kitty-specs/, naming the file', async () => {
      const fx = await makeFeatureRepo();
      const worktree = await startWithWork(fx, 'WP01');
      commitFile(worktree, 'kitty-specs/001-x/spec.md', '# A spec rewritten on the WP branch\n');
      const before = tip(fx);

      expectRefused(await fx.repo.kit(['move', 'WP01', '--to', 'for_review']), /kitty-specs\/001-x\/spec\.md/);
      expect(tip(fx)).toBe(before);
      expect(committedWp(fx, 'WP01').lane).toBe('doing');
    });
  });

  it("leaves the user's staged, unstaged and untracked changes in the main checkout exactly as they were", async () => {
    const fx = await makeFeatureRepo();
    const planned = tip(fx);
    const readme = fx.repo.read('README.md');
    fx.repo.write('README.md', `${readme}unstaged line\n`);
    fx.repo.write('staged.txt', 'staged, new\n');
    fx.repo.git(['add', 'staged.txt']);
    fx.repo.write('kitty-specs/001-x/spec.md', `${fx.repo.read('kitty-specs/001-x/spec.md')}staged part\n`);
    fx.repo.git(['add', 'kitty-specs/001-x/spec.md']);
    fx.repo.write('kitty-specs/001-x/spec.md', `${fx.repo.read('kitty-specs/001-x/spec.md')}unstaged part\n`);
    fx.repo.write(fx.file('WP02'), `${fx.repo.read(fx.file('WP02'))}\nA note on another WP.\n`);
    fx.repo.write('notes/untracked.txt', 'untracked\n');
    const before = userState(fx.repo.root);

    await move(fx, ['WP01', '--to', 'doing']);

    expect(userState(fx.repo.root)).toEqual(before);
    expectOneLaneCommit(fx, planned, 'WP01', 'kit: 001-x WP01 planned → doing');
    // The commit carries none of the user's changes.
    expect(fx.repo.git(['diff', '--name-only', planned, 'main'])).toBe(`${fx.file('WP01')}\n`);
    expect(fx.repo.git(['show', 'main:README.md'])).toBe(readme);
    // The WP file itself is clean: the checkout's copy is the committed one.
    expect(fx.repo.git(['status', '--porcelain', '--', fx.file('WP01')])).toBe('');
    expect(frontmatterOf(fx.repo.read(fx.file('WP01'))).lane).toBe('doing');
  });

  it('in the lane-folder layout, moves the file to its new lane folder in the one commit', async () => {
    const fx = await makeFeatureRepo();
    // The older Spec Kitty layout: the lane is the folder (tasks/planned/WP01-x.md).
    const flat = fx.file('WP01');
    const inFolder = flat.replace('/tasks/', '/tasks/planned/');
    fx.repo.write(inFolder, fx.repo.read(flat));
    fx.repo.git(['rm', '-q', flat]);
    fx.repo.git(['add', inFolder]);
    fx.repo.git(['commit', '-q', '-m', 'Lane folders']);
    const planned = tip(fx);

    await move(fx, ['WP01', '--to', 'doing']);

    const moved = inFolder.replace('/tasks/planned/', '/tasks/doing/');
    const commits = commitsBetween(fx.repo, planned, 'main');
    expect(commits.map((commit) => commit.files.sort())).toEqual([[moved, inFolder].sort()]);
    expect(frontmatterOf(fx.repo.git(['show', `main:${moved}`])).lane).toBe('doing');
    expect(fx.repo.read(moved)).toBe(fx.repo.git(['show', `main:${moved}`]));
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');

    // A file already in the destination folder on the branch: refused, nothing committed.
    fx.repo.write(inFolder, fx.repo.read(moved));
    fx.repo.git(['add', inFolder]);
    fx.repo.git(['commit', '-q', '-m', 'A second copy']);
    const before = tip(fx);
    expectRefused(await fx.repo.kit(['move', 'WP01', '--to', 'planned']), /already exists on main/);
    expect(tip(fx)).toBe(before);
  });

  it('refuses when the WP file itself has uncommitted edits in the main checkout, and commits nothing', async () => {
    const fx = await makeFeatureRepo();
    const planned = tip(fx);
    const edited = `${fx.repo.read(fx.file('WP01'))}\nMy own notes.\n`;
    fx.repo.write(fx.file('WP01'), edited);

    expectRefused(await fx.repo.kit(['move', 'WP01', '--to', 'doing']), /WP01/);
    expect(tip(fx)).toBe(planned);
    expect(fx.repo.read(fx.file('WP01'))).toBe(edited);

    // Staged edits count too.
    fx.repo.git(['add', fx.file('WP01')]);
    const staged = userState(fx.repo.root);
    expectRefused(await fx.repo.kit(['move', 'WP01', '--to', 'doing']), /WP01/);
    expect(tip(fx)).toBe(planned);
    expect(userState(fx.repo.root)).toEqual(staged);
  });

  it('inside the WP worktree, without a WP argument, moves that WP on the target branch', async () => {
    const fx = await makeFeatureRepo();
    const worktree = await startWithWork(fx, 'WP01');
    const before = tip(fx);
    const branchTip = tip(fx, '001-x-WP01');
    const worktreeCopy = readFileSync(join(worktree, fx.file('WP01')), 'utf8');

    await move(fx, ['--to', 'for_review'], '.worktrees/001-x-WP01');

    expectOneLaneCommit(fx, before, 'WP01', 'kit: 001-x WP01 doing → for_review');
    expect(committedWp(fx, 'WP01').lane).toBe('for_review');
    // The worktree's copy and its branch are not where lanes live: untouched.
    expect(readFileSync(join(worktree, fx.file('WP01')), 'utf8')).toBe(worktreeCopy);
    expect(tip(fx, '001-x-WP01')).toBe(branchTip);
    expect(git(worktree, ['status', '--porcelain'])).toBe('');
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
  });

  it('with another branch checked out in the main checkout, reads and records the lane on the target branch', async () => {
    const fx = await makeFeatureRepo();
    const planned = tip(fx);
    await startWithWork(fx, 'WP01');
    // The user switches the main checkout to a branch made before WP01 started: its copy still says planned.
    fx.repo.git(['switch', '-q', '-c', 'experiment', planned]);
    fx.repo.write('README.md', 'edited on experiment\n');
    const before = tip(fx);
    const state = userState(fx.repo.root);

    await move(fx, ['WP01', '--to', 'for_review']);

    expectOneLaneCommit(fx, before, 'WP01', 'kit: 001-x WP01 doing → for_review');
    expect(committedWp(fx, 'WP01').lane).toBe('for_review');
    expect(tip(fx, 'experiment')).toBe(planned);
    expect(userState(fx.repo.root)).toEqual(state);
    expect(frontmatterOf(fx.repo.read(fx.file('WP01'))).lane).toBe('planned');
  });

  it('works from a subdirectory of the main checkout', async () => {
    const fx = await makeFeatureRepo();
    const before = tip(fx);

    await move(fx, ['WP02', '--to', 'doing'], 'kitty-specs/001-x/tasks');

    expectOneLaneCommit(fx, before, 'WP02', 'kit: 001-x WP02 planned → doing');
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
  });

  it('refuses bad input (exit 3) and writes nothing', async () => {
    const fx = await makeFeatureRepo();
    await addFeature(fx.repo, { slug: 'y', wps: [{ id: 'WP06', title: 'Only in y' }] });
    const before = tip(fx);
    const snapshot = fx.repo.snapshot();
    const cases: { args: string[]; pattern: RegExp }[] = [
      { args: ['WP09', '--to', 'doing', '--feature', '001-x'], pattern: /WP09/ },
      { args: ['WP06', '--to', 'doing', '--feature', '001-x'], pattern: /WP06/ },
      { args: ['WP01', '--to', 'reviewing', '--feature', '001-x'], pattern: /reviewing/ },
      { args: ['../x', '--to', 'doing', '--feature', '001-x'], pattern: /\.\.\/x/ },
      { args: ['../../etc/passwd', '--to', 'doing', '--feature', '001-x'], pattern: /passwd/ },
      { args: ['WP01/..', '--to', 'doing', '--feature', '001-x'], pattern: /WP01\/\.\./ },
    ];
    for (const { args, pattern } of cases) {
      const run = await fx.repo.kit(['move', ...args]);
      expectRefused(run, pattern);
      expect(tip(fx), args.join(' ')).toBe(before);
      expect(fx.repo.snapshot(), args.join(' ')).toEqual(snapshot);
    }
  });

  it('with commitLaneChanges: false edits the WP file in the main checkout and commits nothing', async () => {
    const fx = await makeFeatureRepo();
    fx.repo.write('.kit/config.yaml', 'commitLaneChanges: false\n');
    fx.repo.git(['add', '.kit/config.yaml']);
    fx.repo.git(['commit', '-q', '-m', 'kit config']);
    const before = tip(fx);

    const run = await move(fx, ['WP01', '--to', 'doing', '--agent', 'dev']);

    expect(run.stderr).not.toMatch(STACK_LINE);
    expect(tip(fx)).toBe(before);
    const data = frontmatterOf(fx.repo.read(fx.file('WP01')));
    expect(data.lane).toBe('doing');
    expect(historyOf(data).at(-1)).toMatchObject({ lane: 'doing', agent: 'dev' });
    expect(committedWp(fx, 'WP01').lane).toBe('planned');
    expect(fx.repo.git(['status', '--porcelain'])).toBe(` M ${fx.file('WP01')}\n`);
  });
});
