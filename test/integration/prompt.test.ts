import { describe, expect, it } from 'vitest';
import { commitFile, expectSuccess, type FeatureRepo, makeFeatureRepo } from '../helpers/lanes.js';
import { resultOf, STACK_LINE } from '../helpers/repo.js';

interface PromptJson {
  feature: string;
  wp: string;
  title: string;
  lane: string;
  file: string;
  branch: string;
  branchExists: boolean;
  worktree: string | null;
  insideWorktree: boolean;
  base: { commit: string | null; branches: string[] };
  dependencies: {
    id: string;
    lane: string | null;
    branchExists: boolean;
    included: boolean | null;
    missingCommits: number | null;
  }[];
  commits: { sha: string; subject: string }[];
  uncommittedFiles: string[] | null;
  review: { status: string | null; reviewedBy: string | null; feedback: string | null };
  subtasks: string[];
  body: string;
  nextSteps: string[];
}

async function prompt(fx: FeatureRepo, args: readonly string[], cwd?: string): Promise<PromptJson> {
  const run = await fx.repo.kit(['prompt', ...args, '--json'], cwd ? { cwd } : {});
  expectSuccess(run, `kit prompt ${args.join(' ')}`);
  return resultOf<PromptJson>(run);
}

async function start(fx: FeatureRepo, wp: string): Promise<string> {
  const run = await fx.repo.kit(['implement', wp, '--agent', 'dev']);
  expectSuccess(run);
  return run.stdout.trim();
}

describe('kit prompt', () => {
  it('on a fresh WP: its instructions, dependencies not started, and the command that starts it', async () => {
    const fx = await makeFeatureRepo();
    const before = fx.repo.snapshot();

    const result = await prompt(fx, ['WP02']);

    expect(result).toMatchObject({
      feature: '001-x',
      wp: 'WP02',
      title: 'Build the parser',
      lane: 'planned',
      file: fx.file('WP02'),
      branch: '001-x-WP02',
      branchExists: false,
      worktree: null,
      commits: [],
      uncommittedFiles: null,
      review: { feedback: null },
    });
    expect(result.body).toContain('# Work Package Prompt: WP02');
    expect(result.subtasks).toEqual(['- [ ] T002 Do Build the parser']);
    expect(result.dependencies).toEqual([
      {
        id: 'WP01',
        title: 'Set up the core',
        lane: 'planned',
        branch: '001-x-WP01',
        branchExists: false,
        included: null,
        missingCommits: null,
      },
    ]);
    expect(result.nextSteps[0]).toMatch(/^wait: WP01 must be started first/);
    // WP01 has no dependencies: the first step starts it.
    const first = await prompt(fx, ['WP01']);
    expect(first.nextSteps[0]).toMatch(/^kit implement WP01 --agent <your agent name>/);
    expect(first.nextSteps.at(-1)).toBe('kit move WP01 --to for_review');
    // Reading changes nothing.
    expect(fx.repo.snapshot()).toEqual(before);

    const text = await fx.repo.kit(['prompt', 'WP02']);
    expectSuccess(text);
    expect(text.stdout).toMatch(/^# WP02: Build the parser$/m);
    expect(text.stdout).toMatch(/^- WP01 Set up the core \[planned\]: not started$/m);
    expect(text.stdout).toMatch(/^## Work package \(kitty-specs\/001-x\/tasks\/WP02-build-the-parser\.md\)$/m);
  });

  it('on a WP with commits and dirty files: lists both, and whether its dependency is in its branch', async () => {
    const fx = await makeFeatureRepo();
    const core = await start(fx, 'WP01');
    commitFile(core, 'core.txt', 'core\n', 'Core: first');
    const parser = await start(fx, 'WP02');
    commitFile(parser, 'parser.txt', 'parser v1\n', 'Parser: grammar');
    commitFile(parser, 'parser.txt', 'parser v2\n', 'Parser: numbers');
    fx.repo.write('.worktrees/001-x-WP02/parser.txt', 'parser v3, not committed\n');
    fx.repo.write('.worktrees/001-x-WP02/notes.txt', 'untracked\n');
    // WP01 moves on after WP02 branched from it.
    commitFile(core, 'core.txt', 'core, fixed\n', 'Core: fix');

    const result = await prompt(fx, ['WP02']);

    expect(result.lane).toBe('doing');
    expect(result.branchExists).toBe(true);
    expect(result.worktree).toBe(fx.worktreePath('WP02'));
    expect(result.insideWorktree).toBe(false);
    expect(result.base.branches).toEqual(['001-x-WP01']);
    expect(result.commits.map((commit) => commit.subject)).toEqual(['Parser: numbers', 'Parser: grammar']);
    expect([...(result.uncommittedFiles ?? [])].sort()).toEqual(['notes.txt', 'parser.txt']);
    expect(result.dependencies).toEqual([
      expect.objectContaining({ id: 'WP01', lane: 'doing', branchExists: true, included: false, missingCommits: 1 }),
    ]);
    expect(result.nextSteps).toEqual([
      `cd "${fx.worktreePath('WP02')}"`,
      'commit your work in the worktree: git add -A && git commit -m "<what>"',
      'kit move WP02 --to for_review',
    ]);
    const text = await fx.repo.kit(['prompt', 'WP02']);
    expect(text.stdout).toMatch(
      /^- WP01 Set up the core \[doing\]: 1 commit\(s\) not in this branch yet: git merge 001-x-WP01$/m,
    );
    expect(text.stdout).toMatch(/^Uncommitted files \(2\):$/m);
  });

  it('on a rejected WP: shows the review feedback and who gave it, and how to resume', async () => {
    const fx = await makeFeatureRepo();
    const worktree = await start(fx, 'WP01');
    commitFile(worktree, 'core.txt', 'core\n');
    expectSuccess(await fx.repo.kit(['move', 'WP01', '--to', 'for_review']));
    expectSuccess(
      await fx.repo.kit([
        'review',
        'WP01',
        '--reject',
        '--note',
        'Handle the empty input; add a test',
        '--agent',
        'rev',
      ]),
    );

    const result = await prompt(fx, ['WP01']);

    expect(result.lane).toBe('planned');
    expect(result.review).toMatchObject({ status: 'has_feedback', reviewedBy: 'rev' });
    expect(result.review.feedback).toContain('Handle the empty input; add a test');
    expect(result.nextSteps[0]).toMatch(
      /^kit implement WP01 --agent <your agent name>\s+# resumes on the existing branch/,
    );
    expect(result.nextSteps).toContain('address every point of the review feedback first');
    const text = await fx.repo.kit(['prompt', 'WP01']);
    expect(text.stdout).toMatch(/^## Review feedback \(from rev\)$/m);
    expect(text.stdout.indexOf('## Review feedback')).toBeLessThan(text.stdout.indexOf('## Next'));
  });

  it('inside its worktree: takes the WP from the branch and knows it is there', async () => {
    const fx = await makeFeatureRepo();
    await start(fx, 'WP01');

    const result = await prompt(fx, [], '.worktrees/001-x-WP01');

    expect(result.wp).toBe('WP01');
    expect(result.insideWorktree).toBe(true);
    expect(result.nextSteps[0]).toMatch(/^commit your work in the worktree/);
    // From a subdirectory of the worktree too.
    fx.repo.write('.worktrees/001-x-WP01/src/deep/file.txt', 'x\n');
    expect((await prompt(fx, [], '.worktrees/001-x-WP01/src/deep')).wp).toBe('WP01');
  });

  it('refuses a malformed or unknown WP (exit 3), and asks which WP outside a worktree', async () => {
    const fx = await makeFeatureRepo();
    for (const [args, pattern] of [
      [['prompt', '../WP01'], /is not a work package id/],
      [['prompt', 'WP09'], /001-x has no WP09/],
      [['prompt'], /which work package\?/],
    ] as const) {
      const run = await fx.repo.kit(args);
      expect(run.exitCode, args.join(' ')).toBe(3);
      expect(run.stderr).toMatch(pattern);
      expect(run.stderr).not.toMatch(STACK_LINE);
    }
  });
});
