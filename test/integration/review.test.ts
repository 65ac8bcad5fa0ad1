import { describe, expect, it } from 'vitest';
import {
  commitFile,
  commitsBetween,
  committedWp,
  expectSuccess,
  type FeatureRepo,
  historyOf,
  makeFeatureRepo,
  tipOf,
} from '../helpers/lanes.js';
import { resultOf, STACK_LINE } from '../helpers/repo.js';

interface ReviewJson {
  wp: string;
  lane: string;
  agent: string | null;
  branch: string;
  worktree: string | null;
  base: { commit: string | null; branches: string[] };
  subtasks: string[];
  acceptance: string[];
  commits: { sha: string; subject: string }[];
  diffStat: {
    files: { path: string; added: number | null; deleted: number | null }[];
    added: number;
    deleted: number;
  } | null;
  diffCommand: string | null;
  worktreeClean: boolean | null;
  baseCurrent: boolean;
  behind: Record<string, number>;
  verdict: {
    decision: string;
    reviewer: string;
    from: string;
    to: string;
    commit: string | null;
    note: string | null;
  } | null;
  warnings: string[];
}

function tip(fx: FeatureRepo, ref = 'main'): string {
  const sha = tipOf(fx.repo, ref);
  if (!sha) throw new Error(`${ref} does not exist`);
  return sha;
}

/** Starts a WP, commits work in its worktree and hands it in for review; returns the worktree. */
async function handIn(fx: FeatureRepo, wp: string): Promise<string> {
  const run = await fx.repo.kit(['implement', wp, '--agent', 'dev']);
  expectSuccess(run);
  const worktree = run.stdout.trim();
  commitFile(worktree, `${wp.toLowerCase()}.txt`, `work of ${wp}\nline 2\n`, `${wp}: the work`);
  expectSuccess(await fx.repo.kit(['move', wp, '--to', 'for_review']));
  return worktree;
}

describe('kit review', () => {
  it('without a verdict: subtasks, goal, commits, diff stat, a clean worktree and a current base; changes nothing', async () => {
    const fx = await makeFeatureRepo();
    await handIn(fx, 'WP01');
    const before = tip(fx);
    const snapshot = fx.repo.snapshot();

    const run = await fx.repo.kit(['review', 'WP01', '--json']);

    expectSuccess(run);
    const result = resultOf<ReviewJson>(run);
    expect(result).toMatchObject({
      wp: 'WP01',
      lane: 'for_review',
      agent: 'dev',
      branch: '001-x-WP01',
      worktree: fx.worktreePath('WP01'),
      subtasks: ['- [ ] T001 Do Set up the core'],
      worktreeClean: true,
      baseCurrent: true,
      behind: {},
      verdict: null,
      warnings: [],
    });
    expect(result.commits.map((commit) => commit.subject)).toEqual(['WP01: the work']);
    expect(result.diffStat).toEqual({ files: [{ path: 'wp01.txt', added: 2, deleted: 0 }], added: 2, deleted: 0 });
    expect(result.diffCommand).toBe(`git diff ${result.base.commit} 001-x-WP01`);
    expect(tip(fx)).toBe(before);
    expect(fx.repo.snapshot()).toEqual(snapshot);

    const text = await fx.repo.kit(['review', 'WP01']);
    expectSuccess(text);
    expect(text.stdout).toMatch(/^ {2}worktree .*001-x-WP01: clean$/m);
    expect(text.stdout).toMatch(/^Diff against the base: 1 file\(s\), \+2 -0$/m);
    expect(text.stdout).toMatch(/^ {2}kit review WP01 --approve$/m);
  });

  it('--approve: one commit on the target moving it to done, with reviewed_by and review_status: approved', async () => {
    const fx = await makeFeatureRepo();
    await handIn(fx, 'WP01');
    const before = tip(fx);

    const run = await fx.repo.kit(['review', 'WP01', '--approve', '--json']);

    expectSuccess(run);
    const result = resultOf<ReviewJson>(run);
    expect(result.verdict).toMatchObject({
      decision: 'approved',
      reviewer: 'Kit Test',
      from: 'for_review',
      to: 'done',
    });
    expect(result.lane).toBe('done');
    const commits = commitsBetween(fx.repo, before, 'main');
    expect(commits.map((commit) => ({ subject: commit.subject, files: commit.files }))).toEqual([
      { subject: 'kit: 001-x WP01 for_review → done', files: [fx.file('WP01')] },
    ]);
    expect(result.verdict?.commit).toBe(tip(fx));
    const data = committedWp(fx, 'WP01');
    expect(data).toMatchObject({ lane: 'done', review_status: 'approved', reviewed_by: 'Kit Test', agent: 'dev' });
    expect(historyOf(data).at(-1)).toMatchObject({
      lane: 'done',
      agent: 'Kit Test',
      action: 'Approved in review: for_review → done',
    });
    expect(fx.repo.git(['status', '--porcelain'])).toBe('');
  });

  it('--approve --agent names the reviewer; $KIT_AGENT does too', async () => {
    const fx = await makeFeatureRepo();
    await handIn(fx, 'WP01');
    await handIn(fx, 'WP05');

    expectSuccess(await fx.repo.kit(['review', 'WP01', '--approve', '--agent', 'reviewer-1']));
    expectSuccess(await fx.repo.kit(['review', 'WP05', '--approve'], { env: { KIT_AGENT: 'reviewer-2' } }));

    expect(committedWp(fx, 'WP01').reviewed_by).toBe('reviewer-1');
    expect(committedWp(fx, 'WP05').reviewed_by).toBe('reviewer-2');
  });

  it('--reject --note: back to planned with the feedback in the body, as kit move does', async () => {
    const fx = await makeFeatureRepo();
    await handIn(fx, 'WP01');
    const before = tip(fx);

    const run = await fx.repo.kit(['review', 'WP01', '--reject', '--note', 'Handle the empty input; add a test']);

    expectSuccess(run);
    expect(run.stdout).toMatch(
      /^001-x WP01: rejected by Kit Test \(for_review → planned\); committed on main as [0-9a-f]{12}$/m,
    );
    expect(commitsBetween(fx.repo, before, 'main').map((commit) => commit.subject)).toEqual([
      'kit: 001-x WP01 for_review → planned',
    ]);
    const text = fx.repo.git(['show', `main:${fx.file('WP01')}`]);
    const data = committedWp(fx, 'WP01');
    expect(data).toMatchObject({
      lane: 'planned',
      review_status: 'has_feedback',
      reviewed_by: 'Kit Test',
      agent: 'dev',
    });
    expect(text).toMatch(/## Review Feedback\n\n\*\*[^*]+, Kit Test:\*\*\n\nHandle the empty input; add a test\n/);
    // The implementer resumes on the same branch, commits intact.
    const resumed = await fx.repo.kit(['implement', 'WP01', '--agent', 'dev']);
    expectSuccess(resumed);
    expect(fx.repo.git(['log', '--format=%s', '-1', '001-x-WP01']).trim()).toBe('WP01: the work');
  });

  it('refuses a verdict on a WP that is not in for_review (exit 3) and commits nothing', async () => {
    const fx = await makeFeatureRepo();
    const worktree = (await fx.repo.kit(['implement', 'WP01', '--agent', 'dev'])).stdout.trim();
    commitFile(worktree, 'wip.txt', 'wip\n');
    const before = tip(fx);
    const snapshot = fx.repo.snapshot();

    for (const [args, lane] of [
      [['review', 'WP01', '--approve'], 'doing'],
      [['review', 'WP01', '--reject', '--note', 'no'], 'doing'],
      [['review', 'WP02', '--approve'], 'planned'],
    ] as const) {
      const run = await fx.repo.kit(args);
      expect(run.exitCode, args.join(' ')).toBe(3);
      expect(run.stderr).toMatch(
        new RegExp(`^error: WP0\\d is in ${lane}: only a work package in for_review can be approved or rejected$`, 'm'),
      );
      expect(run.stderr).toMatch(/^hint: /m);
      expect(run.stderr).not.toMatch(STACK_LINE);
    }
    expect(tip(fx)).toBe(before);
    expect(fx.repo.snapshot()).toEqual(snapshot);
    // Without a verdict it still shows what there is, and says it is not ready.
    const look = await fx.repo.kit(['review', 'WP01', '--json']);
    expectSuccess(look);
    expect(resultOf<{ nextSteps: string[] }>(look).nextSteps).toEqual([
      'WP01 is in doing: nothing to approve or reject until it is in for_review',
    ]);
  });

  it('a done WP cannot be approved again (exit 3)', async () => {
    const fx = await makeFeatureRepo();
    await handIn(fx, 'WP01');
    expectSuccess(await fx.repo.kit(['review', 'WP01', '--approve']));
    const run = await fx.repo.kit(['review', 'WP01', '--approve', '--json']);
    expect(run.exitCode).toBe(3);
    expect(run.json).toMatchObject({ ok: false, error: { exitCode: 3 } });
    expect(run.json?.error?.message).toMatch(/WP01 is in done/);
  });

  it('bad flag combinations: --reject needs --note (3); --approve with --reject, a note on an approval', async () => {
    const fx = await makeFeatureRepo();
    await handIn(fx, 'WP01');
    const before = tip(fx);

    const noNote = await fx.repo.kit(['review', 'WP01', '--reject']);
    expect(noNote.exitCode).toBe(3);
    expect(noNote.stderr).toMatch(/a rejection needs the review feedback/);
    const both = await fx.repo.kit(['review', 'WP01', '--approve', '--reject', '--note', 'x']);
    expect(both.exitCode).toBe(2);
    const noteOnApproval = await fx.repo.kit(['review', 'WP01', '--approve', '--note', 'fine']);
    expect(noteOnApproval.exitCode).toBe(3);
    expect(tip(fx)).toBe(before);
  });

  it('inside the WP worktree: takes the WP from the branch; reports a stale base and dirty files', async () => {
    const fx = await makeFeatureRepo();
    const core = await handIn(fx, 'WP01');
    const parser = await handIn(fx, 'WP02');
    commitFile(core, 'wp01.txt', 'moved on\n', 'WP01: after WP02 branched');
    fx.repo.write('.worktrees/001-x-WP02/scratch.txt', 'left over\n');

    const run = await fx.repo.kit(['review', '--json'], { cwd: '.worktrees/001-x-WP02' });

    expectSuccess(run);
    const result = resultOf<ReviewJson>(run);
    expect(result.wp).toBe('WP02');
    expect(result.worktree).toBe(parser);
    expect(result.baseCurrent).toBe(false);
    expect(result.behind).toEqual({ WP01: 1 });
    expect(result.worktreeClean).toBe(false);
    expect(result.warnings).toEqual([
      "WP02's worktree has 1 uncommitted file(s), which are not under review",
      'WP01 has 1 commit(s) that 001-x-WP02 lacks: its base is stale',
    ]);
    const text = await fx.repo.kit(['review'], { cwd: '.worktrees/001-x-WP02' });
    expect(text.stderr).toMatch(/^warning: WP01 has 1 commit\(s\) that 001-x-WP02 lacks/m);
    expect(text.stdout).toMatch(/^ {2}base: stale \(WP01 \+1\)$/m);
  });
});
