// The "worktrees" fixture: the generated planning repository as it looks while agents work on it. Up to 20
// planned WPs (the first two planned ones of each of the last features) are started the way `kit implement`
// starts them: a branch `<feature>-<WP>` from its base (the target branch, or the branch of a dependency
// that is itself started), a worktree in `.worktrees/<feature>-<WP>/`, and the WP file on main moved to
// doing with base_branch, base_commit, agent, shell_pid and a history entry. Some have commits (those
// that are clean are in for_review), some have uncommitted and untracked files, dependencies that got a
// commit after their dependent branched make a stale base. Plus 10 other branches: 5 left over from
// done WPs (merged, no worktree) and 5 that are not kit's (`experiment/...`).
//
// It is built with plain git (not `kit implement`): kit implement wants every dependency's branch to
// exist, and the generated done WPs have none. Building takes a few seconds and happens once per bench
// run; the scenarios that write (move, implement) put main back to the fixture's commit before each run.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, plannedWp, wpFileName } from './generate.mjs';
import { addWorktrees, gitAsync, mapLimited, settle } from './worktrees.mjs';

/** The branch (and `.worktrees/` dir) of the plain `git worktree add` that kit implement is compared with. */
export const PLAIN_WORKTREE_BRANCH = 'bench-worktree-add';

const LIVE_WORKTREES = 20;
const MERGED_BRANCHES = 5;
const OTHER_BRANCHES = 5;
const AGENTS = ['claude-opus', 'codex', 'claude-sonnet', 'gemini-pro', 'cursor-agent'];

/**
 * Edits a generated WP file as `kit implement` (and `kit move`) would have: lane, base, agent, pid and
 * history entries. Only the frontmatter is touched.
 */
export function startedWpFile(text, { lane, baseBranch, baseCommit, agent, pid, timestamp, worktree }) {
  const end = text.indexOf('\n---\n', 4);
  let front = text.slice(0, end);
  const history = [
    `- timestamp: '${timestamp}'`,
    '  lane: doing',
    `  agent: ${agent}`,
    `  shell_pid: '${pid}'`,
    `  action: Started in ${worktree} from ${baseBranch} (${baseCommit.slice(0, 12)})`,
  ];
  if (lane === 'for_review') {
    history.push(
      `- timestamp: '${timestamp}'`,
      '  lane: for_review',
      `  agent: ${agent}`,
      `  shell_pid: '${pid}'`,
      '  action: Moved doing → for_review',
    );
  }
  front = front
    .replace(/^lane: .*$/m, `lane: "${lane}"`)
    .replace(/^base_branch: .*$/m, `base_branch: ${baseBranch}\nbase_commit: ${baseCommit}`)
    .replace(/^agent: ''$/m, `agent: "${agent}"`)
    .replace(/^shell_pid: ''$/m, `shell_pid: "${pid}"`)
    .replace(/^requirement_refs:/m, `${history.join('\n')}\nrequirement_refs:`);
  return front + text.slice(end);
}

/** Every WP of feature `f` as the generator made it. */
function featureWps(f, params) {
  return Array.from({ length: params.wpsPerFeature }, (_, i) =>
    plannedWp(f, params.features, i + 1, params.wpsPerFeature, params.active),
  );
}

/** The WPs to start: the first two planned WPs of each feature, from the last feature backwards. */
function chooseWps(params) {
  const chosen = [];
  for (let f = params.features; f >= 1 && chosen.length < LIVE_WORKTREES; f--) {
    const planned = featureWps(f, params).filter((wp) => wp.lane === 'planned');
    chosen.unshift(...planned.slice(0, Math.min(2, LIVE_WORKTREES - chosen.length)));
  }
  return chosen;
}

const key = (wp) => `${wp.feature}/${wp.id}`;
const branchOf = (wp) => `${wp.feature}-${wp.id}`;

/**
 * Builds the fixture in the planning repository at `ctx.repo` (already restored to its generated commit).
 * Returns what the scenarios need: the fixture's main commit and the WPs `kit move` and `kit implement`
 * act on.
 */
export async function buildWorktreesFixture(ctx) {
  const { repo, params } = ctx;
  const generatedHead = git(repo, ['rev-parse', 'HEAD']);
  const chosen = chooseWps(params);
  const chosenKeys = new Set(chosen.map(key));
  const started = new Map(); // key -> { wp, branch, path, baseBranch, baseCommit, commits, dirty, lane }
  const depsStarted = (wp) => wp.dependencies.filter((id) => chosenKeys.has(`${wp.feature}/${id}`));

  // In levels: a WP whose dependency is started branches from that dependency's tip after its commits.
  let remaining = [...chosen];
  let index = 0;
  while (remaining.length > 0) {
    const ready = remaining.filter((wp) => depsStarted(wp).every((id) => started.has(`${wp.feature}/${id}`)));
    if (ready.length === 0) throw new Error('worktrees fixture: dependency cycle among the chosen WPs');
    remaining = remaining.filter((wp) => !ready.includes(wp));
    const entries = ready.map((wp) => {
      const deps = depsStarted(wp);
      const dependency = deps.length > 0 ? started.get(`${wp.feature}/${deps.at(-1)}`) : null;
      const i = index++;
      const entry = {
        wp,
        branch: branchOf(wp),
        path: join(repo, '.worktrees', branchOf(wp)),
        baseBranch: dependency ? dependency.branch : 'main',
        baseCommit: dependency ? git(repo, ['rev-parse', `refs/heads/${dependency.branch}`]) : generatedHead,
        commits: [0, 1, 2][i % 3],
        dirty: i % 2 === 0,
      };
      started.set(key(wp), entry);
      return entry;
    });
    await addWorktrees(
      repo,
      entries.map((entry) => ({ path: entry.path, branch: entry.branch, base: entry.baseCommit })),
      { settle: false },
    );
    await mapLimited(entries, 4, async (entry) => {
      for (let c = 1; c <= entry.commits; c++) await commitIn(entry, `part-${c}`, `Implement part ${c}`);
    });
  }
  // A dependency that moved on after its dependent branched: the dependent's base is stale.
  const bases = new Set([...started.values()].filter((entry) => entry.baseBranch !== 'main').map((e) => e.baseBranch));
  for (const entry of started.values()) {
    if (bases.has(entry.branch)) await commitIn(entry, 'review-fix', 'Address review feedback');
  }
  await settle([...started.values()].map((entry) => entry.path));

  // Uncommitted work: a modified tracked file and an untracked one.
  for (const entry of started.values()) {
    if (!entry.dirty) continue;
    writeFileSync(join(entry.path, 'README.md'), `${readFileSync(join(entry.path, 'README.md'), 'utf8')}\nWIP\n`);
    writeFileSync(join(entry.path, `notes-${entry.wp.id}.md`), `# Notes on ${entry.wp.id}\n\nStill to do: tests.\n`);
  }

  // The lanes on main, as kit implement and kit move record them (one commit here).
  const files = [];
  let n = 0;
  for (const entry of started.values()) {
    const lane = entry.commits > 0 && !entry.dirty ? 'for_review' : 'doing';
    entry.lane = lane;
    const file = join('kitty-specs', entry.wp.feature, 'tasks', wpFileName(entry.wp));
    const agent = AGENTS[n % AGENTS.length];
    const text = readFileSync(join(repo, file), 'utf8');
    writeFileSync(
      join(repo, file),
      startedWpFile(text, {
        lane,
        baseBranch: entry.baseBranch,
        baseCommit: entry.baseCommit,
        agent,
        pid: String(40000 + n),
        timestamp: `2026-03-01T12:${String(n).padStart(2, '0')}:00Z`,
        worktree: `.worktrees/${entry.branch}`,
      }),
    );
    files.push(file);
    n++;
  }
  git(repo, ['add', '--', ...files]);
  git(repo, ['commit', '-q', '-m', `kit: start ${started.size} work packages`]);

  // Ten other branches: merged leftovers of done WPs (no worktree) and branches that are not kit's.
  const partial = [];
  for (let f = params.features; f >= 1 && partial.length < MERGED_BRANCHES; f--) {
    const done = featureWps(f, params).filter((wp) => wp.lane === 'done');
    partial.push(...done.slice(-Math.min(done.length, MERGED_BRANCHES - partial.length)));
  }
  for (const wp of partial) git(repo, ['branch', '-q', branchOf(wp), generatedHead]);
  const tree = git(repo, ['rev-parse', `${generatedHead}^{tree}`]);
  for (let i = 1; i <= OTHER_BRANCHES; i++) {
    const commit = git(repo, ['commit-tree', tree, '-p', generatedHead, '-m', `Experiment ${i}`]);
    git(repo, ['branch', '-q', `experiment/${String(i).padStart(2, '0')}`, commit]);
  }
  const head = git(repo, ['rev-parse', 'HEAD']);

  return {
    head,
    liveWorktrees: started.size,
    extraBranches: partial.length + OTHER_BRANCHES,
    move: chooseMove(params, chosenKeys),
    implement: chooseImplement(params, chosen, started, repo),
  };

  async function commitIn(entry, name, subject) {
    const dir = join('src', entry.wp.feature, entry.wp.id);
    const file = join(dir, `${name}.fs`);
    const body = Array.from(
      { length: 40 },
      (_, line) => `let ${name.replace(/-/g, '_')}_${line} (x: int) = x + ${line} // ${entry.wp.title}`,
    );
    mkdirSync(join(entry.path, dir), { recursive: true });
    writeFileSync(join(entry.path, file), `${body.join('\n')}\n`);
    await gitAsync(entry.path, ['add', '--', file]);
    await gitAsync(entry.path, ['commit', '-q', '-m', `${entry.wp.id}: ${subject}`]);
  }
}

/** A planned WP that is not started: `kit move` takes it to doing (and setup resets main). */
function chooseMove(params, chosenKeys) {
  for (let f = params.features; f >= 1; f--) {
    const planned = featureWps(f, params).filter((wp) => wp.lane === 'planned' && !chosenKeys.has(key(wp)));
    const wp = planned.at(-1);
    if (wp) return { feature: wp.feature, wp: wp.id };
  }
  return null;
}

/**
 * A planned WP kit implement can start: every dependency has a branch. Preferred: exactly one dependency
 * (the common `kit implement WP03 --base WP02` case), then none, then several (a merged base).
 */
function chooseImplement(params, chosen, started, repo) {
  const candidates = [];
  const features = [...new Set(chosen.map((wp) => wp.featureIndex))];
  for (const f of features) {
    for (const wp of featureWps(f, params)) {
      if (wp.lane !== 'planned' || started.has(key(wp))) continue;
      if (!wp.dependencies.every((id) => started.has(`${wp.feature}/${id}`))) continue;
      candidates.push(wp);
    }
  }
  const rank = (wp) => (wp.dependencies.length === 1 ? 0 : wp.dependencies.length === 0 ? 1 : 2);
  const wp = candidates.sort((a, b) => rank(a) - rank(b))[0];
  if (!wp) return null;
  const dependency = wp.dependencies.length === 1 ? started.get(`${wp.feature}/${wp.dependencies[0]}`) : null;
  return {
    feature: wp.feature,
    wp: wp.id,
    dependencies: wp.dependencies,
    branch: branchOf(wp),
    path: join(repo, '.worktrees', branchOf(wp)),
    // What a plain `git worktree add` checks out for comparison: the same commit kit implement starts from.
    base: dependency ? dependency.branch : 'main',
  };
}

/**
 * Back to the fixture as built: the worktrees and branches kit implement and the plain baseline created
 * removed, main (and the main checkout) at the fixture's commit. Cheap when there is nothing to undo.
 */
export function resetWorktreesFixture(repo, fixture) {
  if (fixture.implement) removeWorktree(repo, fixture.implement.path, fixture.implement.branch);
  removeWorktree(repo, join(repo, '.worktrees', PLAIN_WORKTREE_BRANCH), PLAIN_WORKTREE_BRANCH);
  git(repo, ['reset', '-q', '--hard', fixture.head]);
}

/** Removes a worktree and its branch if they exist. */
export function removeWorktree(repo, path, branch) {
  if (existsSync(path)) {
    try {
      git(repo, ['worktree', 'remove', '--force', path]);
    } catch {
      rmSync(path, { recursive: true, force: true });
    }
  }
  git(repo, ['worktree', 'prune']);
  try {
    git(repo, ['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`]);
    git(repo, ['branch', '-q', '-D', branch]);
  } catch {
    // No such branch.
  }
}
