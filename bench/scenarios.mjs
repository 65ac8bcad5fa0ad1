// What the bench measures. One scenario = one kit command line, run N times as a fresh process with
// cwd = the generated repository (or the fixture's). To add one, append an object to SCENARIOS:
//
//   name         unique; what --only selects and what the table and the JSON call it
//   args         kit's arguments: an array, or (ctx) => array when they depend on the repository
//   fixture      optional: the repository state it needs, built once before its warm-up run
//                (bench/lib/fixtures.mjs): 'worktrees' (20 live WP worktrees, 10 more branches in the
//                planning repository), 'merge' (a 5,000-file repository with 20 done WPs to merge),
//                'flight' (the same repository with its 20 WPs in doing: 190 pairs to forecast),
//                '3x' (a repository of the planning one's size in the Spec Kitty 3.x format) or 'dashboard'
//                (200 WPs and a headless chromium; ctx.firstPaint measures a run, ctx.skip says why not)
//   setup        optional (ctx) => void (or a promise), run before every run (warm-up included) and not
//                timed: delete a cache, reset a lane, remove a worktree...
//   exec         optional: run this program with `args` instead of kit (a plain-git baseline)
//   label        optional: what the table's command column shows instead of the command line
//   okExitCodes  exit codes that are not a failure (default [0])
//   targetMs     optional budget for the median wall time; the table shows PASS/FAIL against it
//   targetRelativeTo  optional: the budget is that scenario's median + targetMs (it runs too under --only)
//   targetRatioTo, targetRatio  optional: the budget is that scenario's median × targetRatio (likewise)
//   maxRuns      optional: at most this many measured runs (for a setup that takes seconds)
//   argsEachRun  optional: resolve `args` again after each run's setup (they name what setup made)
//   expectOutput optional RegExp: a run whose stdout + stderr does not match is a failed run (ERROR)
//   stdoutToFile optional: the program's stdout is a file rather than a pipe (see backlog-list)
//   nodeRatio    optional: a second budget, the median at most this many times the `node` scenario's
//                (node -e 0, measured in the same run; --only adds it); the table's "× node" column
//   note         optional; shown under the table
//   measure      optional async (ctx, kit, env) => run: measures one run itself instead of timing a process
//                from spawn to exit; returns what bench/lib/measure.mjs's run() returns (ms, exitCode, ...)
//   skip         optional (ctx) => reason or null: the scenario cannot run here (shown as a note, no error)
//
// ctx: { repo, kitDir (.git/kit), cacheDir (.git/kit/cache), params, middleFeature, git(args), restore() },
// plus with fixture 'worktrees': fixture ({ head, move, implement }), resetFixture(); with 'merge': merge
// ({ dir, feature, featureNumber, pre, result, branches }), resetMerge({ detach }); with '3x', repo is the
// 3.x repository and restore() restores it; with 'remote', repo is a clone of the planning repository
// publishing to origin over git://127.0.0.1 (remote: { url, head, move }), resetRemote() and preparePush().
// restore() puts the repository back to its generated commit (for scenarios that move lanes or commit).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { PLAIN_WORKTREE_BRANCH } from './lib/fixture-worktrees.mjs';
import { mergeWorktreePath } from './lib/merge-repo.mjs';

/** The read index of check and status (src/io/read-index.ts): without it, they read every WP file. */
const deleteReadIndex = (ctx) => rmSync(join(ctx.kitDir, 'read-index-v1'), { recursive: true, force: true });
const deleteCache = (ctx) => {
  rmSync(ctx.cacheDir, { recursive: true, force: true });
  deleteReadIndex(ctx);
};

// kit check exits 1 when a WP is in doing or for_review: a result, not a failure of the run.
const CHECK_EXIT_CODES = [0, 1];

// Before each run of a 'worktrees' scenario: undo what move, implement and the plain worktree add did.
const resetFixture = (ctx) => ctx.resetFixture();

/** A value the fixture should have found; without it the scenario is reported as an error. */
function need(value, what) {
  if (!value) throw new Error(`the fixture has no ${what} (see the fixture warning above)`);
  return value;
}

// The WP kit move / kit implement acts on, and its feature by number (050), as a user would type it.
const wpOf = (ctx, command) => need(ctx.fixture[command], `WP for kit ${command}`).wp;
const featureOf = (ctx, command) => need(ctx.fixture[command], `WP for kit ${command}`).feature.slice(0, 3);

/**
 * What kit merge asks git to do after landing, as one shell script of plain git commands: move the main
 * checkout from the old commit to the merged one, then remove each WP worktree and delete its branch.
 */
function plainGitMergeCost(ctx) {
  const { merge } = ctx;
  const steps = [`git read-tree -m -u ${merge.pre} ${merge.result}`];
  for (const [branch, tip] of Object.entries(merge.branches)) {
    steps.push(
      `git worktree remove '${mergeWorktreePath(merge, branch)}'`,
      `git update-ref -d refs/heads/${branch} ${tip}`,
    );
  }
  return `set -e\n${steps.join('\n')}\n`;
}

export const SCENARIOS = [
  // The floor under every command: node starting and exiting. Other scenarios' "× node" ratios divide by it.
  {
    name: 'node',
    exec: process.execPath,
    label: 'node -e 0',
    args: ['-e', '0'],
    note: 'the floor: node start-up alone; "× node" is a median divided by this one',
  },
  { name: 'help', args: ['--help'], targetMs: 250, nodeRatio: 2 },
  {
    name: 'check',
    args: ['check'],
    okExitCodes: CHECK_EXIT_CODES,
    targetMs: 400,
    nodeRatio: 3,
    note: 'read index and frontmatter cache warm',
  },
  {
    name: 'check-cold',
    args: ['check'],
    setup: deleteCache,
    okExitCodes: CHECK_EXIT_CODES,
    note: '.git/kit/cache and .git/kit/read-index-v1 deleted before each run',
  },
  { name: 'check-json', args: ['check', '--json'], okExitCodes: CHECK_EXIT_CODES },
  {
    name: 'check-feature',
    args: (ctx) => ['check', '--feature', ctx.middleFeature],
    okExitCodes: CHECK_EXIT_CODES,
  },

  // The same planning tree in the Spec Kitty 3.x format (fixture '3x'): lanes from each mission's
  // status.events.jsonl (about 8 lines per WP) instead of the WP files' frontmatter.
  {
    name: 'check-3x',
    fixture: '3x',
    args: ['check'],
    okExitCodes: CHECK_EXIT_CODES,
    targetRatioTo: 'check',
    targetRatio: 1.2,
    note: 'read index and frontmatter cache warm; 2,000 WPs in 50 missions, lanes reduced from 16,000 event lines; measured alternately with check',
  },
  {
    name: 'status-json-3x',
    fixture: '3x',
    args: ['status', '--json'],
    nodeRatio: 3,
    note: 'the 3.x repository, no worktrees',
  },

  // Worktrees and lanes: the planning repository while 20 agents work in it (fixture 'worktrees').
  {
    name: 'status-json',
    fixture: 'worktrees',
    args: ['status', '--json'],
    setup: resetFixture,
    // At least 4× faster than the peer listing as many tasks (when it could be installed), and ≤ 3× node.
    targetRatioTo: 'backlog-list',
    targetRatio: 0.25,
    nodeRatio: 3,
    note:
      '2,000 WPs, 20 live worktrees (some with commits, some with uncommitted files), 10 more branches; ' +
      'target: at least 4× faster than backlog-list; measured alternately with it',
  },
  // The peer: Backlog.md 1.52 listing as many tasks as the planning repository has WPs (fixture 'backlog').
  {
    name: 'backlog-list',
    fixture: 'backlog',
    exec: (ctx) => ctx.backlog.program,
    label: 'backlog task list --plain',
    args: ['task', 'list', '--plain'],
    // Into a pipe it exits before printing everything (2,000 tasks: about a third listed); into a file, all.
    stdoutToFile: true,
    expectOutput: /TASK-\d+/,
    note:
      'the peer: Backlog.md 1.52 (its platform program, installed from npm into the bench directory) on as many ' +
      'tasks as there are WPs; skipped when it cannot be installed',
  },
  {
    name: 'status-json-miss',
    fixture: 'worktrees',
    args: ['status', '--json'],
    setup: (ctx) => {
      resetFixture(ctx);
      deleteReadIndex(ctx);
    },
    note: 'the read index deleted before each run: the first status after a change (frontmatter cache and untracked records warm)',
  },
  { name: 'status-plain', fixture: 'worktrees', args: ['status', '--plain'], setup: resetFixture },

  // Stacks: one feature with 20 WPs in flight (190 pairs to forecast), in the merge repository (fixture 'flight').
  {
    name: 'status-flight-baseline',
    fixture: 'flight',
    args: ['status', '--json'],
    setup: (ctx) => ctx.doneLanes(),
    note: 'the same 20 WPs done: nothing in flight, no forecast (the baseline of the two below)',
  },
  {
    name: 'status-flight-warm',
    fixture: 'flight',
    args: ['status', '--json'],
    setup: (ctx) => ctx.flightLanes(),
    targetRelativeTo: 'status-flight-baseline',
    targetMs: 40,
    note: '20 WPs in flight: 190 pairs answered from .git/kit/forecast.json, no merge-tree',
  },
  {
    name: 'status-flight-cold',
    fixture: 'flight',
    args: ['status', '--json'],
    setup: (ctx) => {
      ctx.flightLanes();
      rmSync(ctx.forecastCache, { force: true });
    },
    note: '20 WPs in flight: forecast.json deleted before each run, so all 190 pairs are merged in memory',
  },
  { name: 'next', fixture: 'worktrees', args: ['next'], setup: resetFixture },
  {
    name: 'move',
    fixture: 'worktrees',
    args: (ctx) => ['move', wpOf(ctx, 'move'), '--feature', featureOf(ctx, 'move'), '--to', 'doing'],
    setup: resetFixture,
    targetMs: 300,
    note: 'planned → doing: one commit on main, which is reset to the fixture commit before each run',
  },
  {
    name: 'implement',
    fixture: 'worktrees',
    args: (ctx) => ['implement', wpOf(ctx, 'implement'), '--feature', featureOf(ctx, 'implement')],
    setup: resetFixture,
    targetMs: 300,
    targetRelativeTo: 'worktree-add',
    note: 'branch from its dependency, worktree, lane → doing; all three undone before each run',
  },
  {
    name: 'worktree-add',
    fixture: 'worktrees',
    exec: 'git',
    args: (ctx) => [
      'worktree',
      'add',
      '--quiet',
      '-b',
      PLAIN_WORKTREE_BRANCH,
      `.worktrees/${PLAIN_WORKTREE_BRANCH}`,
      need(ctx.fixture.implement, 'WP to implement').base,
    ],
    setup: resetFixture,
    note: 'baseline for implement: plain git, a checkout of the commit implement starts from',
  },

  // Lane changes published to a remote (fixture 'remote'): a clone of the planning repository with
  // `kit init --remote origin`, origin served by git daemon on 127.0.0.1. Measured alternately.
  {
    name: 'move-remote',
    fixture: 'remote',
    args: (ctx) => {
      const { wp, feature } = need(ctx.remote.move, 'WP for kit move');
      return ['move', wp, '--feature', feature.slice(0, 3), '--to', 'doing'];
    },
    setup: (ctx) => ctx.resetRemote(),
    expectOutput: /published to origin/,
    targetRatioTo: 'git-push',
    targetRatio: 2,
    note:
      'planned → doing: the lane commit, then pushed to origin (git://127.0.0.1) with a lease; clone and origin ' +
      'reset to the fixture commit before each run; a run without "published to origin" is an error; measured alternately with git-push',
  },
  {
    name: 'move-clone-local',
    fixture: 'remote',
    args: (ctx) => {
      const { wp, feature } = need(ctx.remote.move, 'WP for kit move');
      return ['move', wp, '--feature', feature.slice(0, 3), '--to', 'doing'];
    },
    setup: (ctx) => ctx.resetRemoteWithoutRemote(),
    note:
      'move-remote without publishing: the same lane change in the same clone, its working-tree config naming no ' +
      'remote, so move-remote − move-clone-local is what publishing costs (compare with git-push)',
  },
  {
    name: 'move-remote-ref',
    fixture: 'remote',
    args: (ctx) => {
      const { wp, feature } = need(ctx.remote.move, 'WP for kit move');
      return ['move', wp, '--feature', feature.slice(0, 3), '--to', 'doing'];
    },
    setup: (ctx) => ctx.resetRemoteForLaneRef(),
    expectOutput: /committed on refs\/kit\/lanes\/main[^]*published to origin/,
    targetRatioTo: 'git-push',
    targetRatio: 2,
    note:
      'move-remote with lane_store: ref: the lane commit goes to refs/kit/lanes/main (main untouched) and is pushed ' +
      'to the same ref on origin with a lease; the lane refs here, on origin and the tracking ref are put back to one baseline lane commit before each run (as after an earlier publication)',
  },
  {
    name: 'git-push',
    fixture: 'remote',
    exec: 'git',
    label: 'git push origin <new sha>:refs/heads/main',
    args: (ctx) => ['push', ctx.remoteName, `${ctx.lastPush ?? ctx.remote.head}:refs/heads/main`],
    argsEachRun: true,
    setup: (ctx) => {
      ctx.lastPush = ctx.preparePush();
    },
    expectOutput: /-> main/,
    note:
      'baseline for move-remote: one new commit (the same WP file changed, made with commit-tree on the ' +
      'fixture commit before each run) pushed to origin over git://127.0.0.1',
  },

  // kit dashboard (fixture 'dashboard': 200 WPs and a headless chromium): from spawning kit to the page's
  // first paint with every card, through the real server, /api/status and the page's own script.
  {
    name: 'dashboard-first-paint',
    fixture: 'dashboard',
    args: ['dashboard', '--port', '0', '--no-open', '--json'],
    label: 'kit dashboard → first paint of 200 cards in chromium',
    measure: (ctx, kit, env) => ctx.firstPaint(kit, env),
    skip: (ctx) => ctx.skip,
    targetMs: 1000,
    note: 'spawn of kit dashboard to the frame showing all 200 WPs (5 features × 40) in headless chromium, started beforehand',
  },

  // kit merge of 20 done WPs in a 5,000-file repository (fixture 'merge'). The first three keep the
  // worktrees, so their setup is cheap; comparing them splits the full merge into its parts.
  {
    name: 'merge-dry-run',
    fixture: 'merge',
    args: (ctx) => ['merge', '--feature', ctx.merge.featureNumber, '--dry-run'],
    setup: (ctx) => ctx.resetMerge(),
    targetMs: 500,
    note: 'preflight + build in memory + cleanup preview; writes nothing',
  },
  {
    name: 'merge-land',
    fixture: 'merge',
    args: (ctx) => ['merge', '--feature', ctx.merge.featureNumber, '--keep-worktrees'],
    setup: (ctx) => ctx.resetMerge({ detach: true }),
    targetMs: 1000,
    note: 'preflight + build + landing + proof: main checked out nowhere (no checkout to sync), worktrees kept',
  },
  {
    name: 'merge-keep',
    fixture: 'merge',
    args: (ctx) => ['merge', '--feature', ctx.merge.featureNumber, '--keep-worktrees'],
    setup: (ctx) => ctx.resetMerge(),
    note: 'merge-land + syncing the main checkout (main checked out there)',
  },
  {
    name: 'merge',
    fixture: 'merge',
    args: (ctx) => ['merge', '--feature', ctx.merge.featureNumber],
    setup: (ctx) => ctx.resetMerge(),
    targetMs: 1000,
    targetRelativeTo: 'merge-git',
    maxRuns: 3,
    note: 'the whole merge, cleanup included (20 worktrees of 5,000 files removed, branches deleted)',
  },
  {
    name: 'merge-git',
    fixture: 'merge',
    exec: 'sh',
    label: 'git read-tree -m -u + 20 × git worktree remove, update-ref -d',
    args: (ctx) => ['-c', plainGitMergeCost(ctx)],
    setup: (ctx) => ctx.resetMerge(),
    maxRuns: 3,
    note: "baseline for merge: git's own cost of syncing the main checkout and removing the worktrees and branches",
  },
];
