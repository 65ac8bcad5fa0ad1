// What the bench measures. One scenario = one kit command line, run N times as a fresh process with
// cwd = the generated repository. To add one, append an object to SCENARIOS:
//
//   name         unique; what --only selects and what the table and the JSON call it
//   args         kit's arguments: an array, or (ctx) => array when they depend on the repository
//   setup        optional (ctx) => void, run before every run (warm-up included) and not timed:
//                delete a cache, reset a lane, remove a worktree...
//   okExitCodes  exit codes that are not a failure (default [0])
//   targetMs     optional budget for the median wall time; the table shows PASS/FAIL against it
//   note         optional; shown under the table
//
// ctx: { repo, kitDir (.git/kit), cacheDir (.git/kit/cache), params, middleFeature, git(args), restore() }
// restore() puts the repository back to its generated commit (for scenarios that move lanes or commit).
import { rmSync } from 'node:fs';

const deleteCache = (ctx) => rmSync(ctx.cacheDir, { recursive: true, force: true });

// kit check exits 1 when a WP is in doing or for_review: a result, not a failure of the run.
const CHECK_EXIT_CODES = [0, 1];

export const SCENARIOS = [
  { name: 'help', args: ['--help'], targetMs: 250 },
  { name: 'check', args: ['check'], okExitCodes: CHECK_EXIT_CODES, targetMs: 400, note: 'frontmatter cache warm' },
  {
    name: 'check-cold',
    args: ['check'],
    setup: deleteCache,
    okExitCodes: CHECK_EXIT_CODES,
    note: '.git/kit/cache deleted before each run',
  },
  { name: 'check-json', args: ['check', '--json'], okExitCodes: CHECK_EXIT_CODES },
  {
    name: 'check-feature',
    args: (ctx) => ['check', '--feature', ctx.middleFeature],
    okExitCodes: CHECK_EXIT_CODES,
  },
];
