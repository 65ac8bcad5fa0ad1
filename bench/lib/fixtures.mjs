// Fixtures: repository states a scenario needs beyond the generated planning tree. A scenario names one
// (`fixture: 'worktrees'`); the bench enters it once before the scenario's warm-up run (building it, or
// reusing it when the previous scenario used the same one) and hands the scenarios a ctx extended with
// what the fixture describes. Scenarios without a fixture get the generated tree as generated (the bench
// restores it when a fixture changed it). Each fixture also has a `check`: one kit run after it is
// built whose output must show the state the scenarios expect, or the bench warns (the figures would not
// measure what they claim to).
//
//   worktrees  the planning repository with 20 live WP worktrees and 10 more branches (fixture-worktrees.mjs)
//   merge      a separate 5,000-file repository with one feature of 20 done WPs (merge-repo.mjs)
//   3x         a separate repository of the same size as the planning one, in the Spec Kitty 3.x format
//              (generate-3x.mjs): missions with status.events.jsonl and status.json, no lane: in WP files
//   flight     the merge repository with its 20 WPs back in doing: 20 WPs in flight in one feature, 190
//              pairs for the conflict forecast (fixture-flight.mjs)
//   remote     a clone of the planning repository set up with `kit init --remote origin`, origin a bare
//              repository served by `git daemon` on 127.0.0.1 (fixture-remote.mjs); stopped by close()
//   backlog    the peer: Backlog.md 1.52 installed from npm into the bench directory and a repository of as
//              many tasks as the planning repository has WPs (backlog-peer.mjs); when it cannot be installed,
//              enter() throws PeerUnavailable and the scenarios that need it are skipped with a note
//
// A fixture may return close() (a promise): the bench calls it at the end, after a failure too.
import { join } from 'node:path';
import { enterDashboardFixture } from './fixture-dashboard.mjs';
import { countListedTasks, ensureBacklogRepo, installBacklog } from './backlog-peer.mjs';
import { FORMAT_3X } from './generate-3x.mjs';
import { doneLanes, enterFlight, flightLanes } from './fixture-flight.mjs';
import { buildRemoteFixture, PUSH_REF, REMOTE_NAME } from './fixture-remote.mjs';
import { buildWorktreesFixture, resetWorktreesFixture } from './fixture-worktrees.mjs';
import { ensureRepo, git, restoreRepo } from './generate.mjs';
import { ensureMergeRepo, resetMergeRepo } from './merge-repo.mjs';

function parseResult(stdout) {
  try {
    return JSON.parse(stdout)?.result ?? null;
  } catch {
    return null;
  }
}

export const FIXTURES = {
  worktrees: {
    usesPlanningRepo: true,
    async enter(base) {
      base.restore();
      const fixture = await buildWorktreesFixture(base);
      return {
        ...base,
        fixture,
        /** Undoes what move, implement and the plain worktree add did (see resetWorktreesFixture). */
        resetFixture: () => resetWorktreesFixture(base.repo, fixture),
        summary: {
          liveWorktrees: fixture.liveWorktrees,
          extraBranches: fixture.extraBranches,
          move: fixture.move,
          implement: fixture.implement && { feature: fixture.implement.feature, wp: fixture.implement.wp },
        },
      };
    },
    check: {
      args: ['status', '--json'],
      inspect(stdout, ctx) {
        const result = parseResult(stdout);
        if (!Array.isArray(result?.features)) return `kit status --json printed no features: ${stdout.slice(0, 200)}`;
        const wps = result.features.flatMap((feature) => feature.workPackages ?? []);
        const live = wps.filter((wp) => wp.worktree);
        const problems = [];
        if (live.length !== ctx.fixture.liveWorktrees) {
          problems.push(`kit status sees ${live.length} WP worktrees, the fixture made ${ctx.fixture.liveWorktrees}`);
        }
        if (!live.some((wp) => wp.git?.uncommitted > 0)) problems.push('no worktree shows uncommitted files');
        if (!live.some((wp) => wp.git?.ahead > 0)) problems.push('no WP branch shows commits ahead of its base');
        if (!live.some((wp) => wp.git?.staleBase)) problems.push('no WP shows a stale base');
        if (!ctx.fixture.move) problems.push('no planned WP for kit move');
        if (!ctx.fixture.implement)
          problems.push('no planned WP whose dependencies all have branches, for kit implement');
        return problems.length > 0 ? `worktrees fixture: ${problems.join('; ')}` : null;
      },
    },
  },

  '3x': {
    usesPlanningRepo: false,
    async enter(base, options) {
      const repo = ensureRepo(base.root, base.params, { fresh: options.fresh, log: options.log, format: FORMAT_3X });
      return {
        root: base.root,
        repo: repo.dir,
        kitDir: join(repo.dir, '.git', 'kit'),
        cacheDir: join(repo.dir, '.git', 'kit', 'cache'),
        params: base.params,
        git: (args) => git(repo.dir, args),
        restore: () => restoreRepo(repo.dir, { head: repo.head }),
        summary: {
          dir: repo.dir,
          files: repo.files,
          bytes: repo.bytes,
          reused: repo.reused,
          generateMs: repo.generateMs,
        },
      };
    },
    check: {
      args: ['check', '--json'],
      inspect(stdout, ctx) {
        const result = parseResult(stdout);
        if (!Array.isArray(result?.features))
          return `3x fixture: kit check --json printed no features: ${stdout.slice(0, 200)}`;
        const { features, wpsPerFeature } = ctx.params;
        const wps = result.features.reduce((sum, feature) => sum + (feature.workPackages?.length ?? 0), 0);
        const problems = [];
        if (result.features.length !== features || wps !== features * wpsPerFeature) {
          problems.push(
            `kit sees ${result.features.length} missions / ${wps} WPs, expected ${features} / ${features * wpsPerFeature}`,
          );
        }
        const other = result.features.filter((feature) => feature.format !== undefined && feature.format !== '3.x');
        if (other.length > 0) problems.push(`kit reads ${other.length} mission(s) as ${other[0].format}, not 3.x`);
        const real = (result.problems ?? []).filter((problem) => problem.kind !== 'unfinished');
        if (real.length > 0)
          problems.push(`${real.length} problem(s), e.g. ${real[0].file}:${real[0].line ?? ''} ${real[0].message}`);
        return problems.length > 0 ? `3x fixture (kit check --json): ${problems.join('; ')}` : null;
      },
    },
  },

  merge: {
    usesPlanningRepo: false,
    async enter(base, options) {
      const repo = ensureMergeRepo(base.root, options.merge, { fresh: options.fresh, log: options.log });
      const started = performance.now();
      await resetMergeRepo(repo);
      options.log(
        `merge repository ${repo.reused ? 'reused' : 'generated'}; pre-merge state in ${Math.round(performance.now() - started)} ms`,
      );
      return {
        repo: repo.dir,
        kitDir: join(repo.dir, '.git', 'kit'),
        cacheDir: join(repo.dir, '.git', 'kit', 'cache'),
        params: base.params,
        git: (args) => git(repo.dir, args),
        merge: repo,
        /** Back to the pre-merge state; `{ detach: true }` leaves the main checkout on a detached HEAD. */
        resetMerge: (resetOptions) => resetMergeRepo(repo, resetOptions),
        summary: {
          dir: repo.dir,
          files: repo.params.files,
          wps: repo.params.wps,
          reused: repo.reused,
          generateMs: repo.generateMs,
        },
      };
    },
    check: {
      args: (ctx) => ['merge', '--feature', ctx.merge.featureNumber, '--dry-run', '--json'],
      inspect(stdout, ctx) {
        const result = parseResult(stdout);
        const wps = ctx.merge.params.wps;
        const problems = [];
        if (result?.outcome !== 'would-merge') problems.push(`outcome ${result?.outcome ?? stdout.slice(0, 200)}`);
        else {
          if (result.steps?.length !== wps) problems.push(`${result.steps?.length} steps, expected ${wps}`);
          const removed = (result.cleanupPreview ?? []).filter((entry) => entry.action === 'remove' && entry.worktree);
          if (removed.length !== wps)
            problems.push(`cleanup would remove ${removed.length} worktrees, expected ${wps}`);
        }
        return problems.length > 0 ? `merge fixture (kit merge --dry-run): ${problems.join('; ')}` : null;
      },
    },
  },

  dashboard: {
    usesPlanningRepo: false,
    enter: (base, options) => enterDashboardFixture(base, options),
  },

  flight: {
    usesPlanningRepo: false,
    async enter(base, options) {
      const repo = ensureMergeRepo(base.root, options.merge, { fresh: options.fresh, log: options.log });
      const flight = await enterFlight(repo);
      return {
        repo: repo.dir,
        kitDir: join(repo.dir, '.git', 'kit'),
        cacheDir: join(repo.dir, '.git', 'kit', 'cache'),
        forecastCache: join(repo.dir, '.git', 'kit', 'forecast.json'),
        params: base.params,
        git: (args) => git(repo.dir, args),
        flight,
        /** Main with every WP in doing (the forecast scenarios) or done (their baseline). */
        flightLanes: () => flightLanes(flight),
        doneLanes: () => doneLanes(flight),
        summary: { dir: repo.dir, files: repo.params.files, wps: flight.wpFiles, flight: flight.flight },
      };
    },
    check: {
      args: ['status', '--json'],
      inspect(stdout) {
        const result = parseResult(stdout);
        const wps = (result?.features ?? []).flatMap((feature) => feature.workPackages ?? []);
        const flying = wps.filter((wp) => Array.isArray(wp.conflicts));
        return flying.length === wps.length && wps.length > 1
          ? null
          : `flight fixture: ${flying.length} of ${wps.length} WPs have a forecast (all should be in flight)`;
      },
    },
  },

  backlog: {
    usesPlanningRepo: false,
    async enter(base, options) {
      const peer = installBacklog(base.root, options.log);
      const tasks = base.params.features * base.params.wpsPerFeature;
      const repo = ensureBacklogRepo(peer, tasks, { fresh: options.fresh, log: options.log });
      return {
        root: base.root,
        repo: repo.dir,
        params: base.params,
        backlog: { program: peer.program, version: peer.version, tasks },
        summary: { dir: repo.dir, version: peer.version, program: peer.program, tasks, reused: repo.reused },
      };
    },
    check: {
      exec: (ctx) => ctx.backlog.program,
      args: ['task', 'list', '--plain'],
      inspect(stdout, ctx) {
        const listed = countListedTasks(stdout);
        return listed === ctx.backlog.tasks
          ? null
          : `backlog fixture: backlog task list --plain lists ${listed} tasks, the repository has ${ctx.backlog.tasks}`;
      },
    },
  },

  remote: {
    usesPlanningRepo: false,
    async enter(base, options) {
      const remote = await buildRemoteFixture(base, { runKit: options.runKit, log: options.log });
      return {
        root: base.root,
        repo: remote.clone,
        kitDir: join(remote.clone, '.git', 'kit'),
        cacheDir: join(remote.clone, '.git', 'kit', 'cache'),
        params: base.params,
        middleFeature: base.middleFeature,
        git: (args) => git(remote.clone, args),
        restore: remote.reset,
        remote,
        /** Clone, its origin/main and origin's main back to the fixture commit (before each run). */
        resetRemote: remote.reset,
        /** resetRemote(), then the clone's working-tree config says lane_store: ref. */
        resetRemoteForLaneRef: remote.resetForLaneRef,
        /** resetRemote(), then the clone's working-tree config names no remote. */
        resetRemoteWithoutRemote: remote.resetWithoutRemote,
        /** resetRemote(), then a new commit like kit move's on the fixture commit, under PUSH_REF; its sha. */
        preparePush: remote.preparePush,
        pushRef: PUSH_REF,
        remoteName: REMOTE_NAME,
        close: remote.close,
        summary: {
          dir: remote.dir,
          url: remote.url,
          daemonPid: remote.daemonPid,
          head: remote.head,
          move: remote.move,
        },
      };
    },
    check: {
      args: ['check', '--json'],
      inspect(stdout, ctx) {
        const result = parseResult(stdout);
        const problems = [];
        if (!Array.isArray(result?.features))
          problems.push(`kit check --json printed no features: ${stdout.slice(0, 200)}`);
        else {
          const { features, wpsPerFeature } = ctx.params;
          const wps = result.features.reduce((sum, feature) => sum + (feature.workPackages?.length ?? 0), 0);
          if (result.features.length !== features || wps !== features * wpsPerFeature) {
            problems.push(`kit sees ${result.features.length} features / ${wps} WPs in the clone`);
          }
        }
        if (!ctx.remote.remoteConfigured)
          problems.push(`.kit/config.yaml has no "remote: ${REMOTE_NAME}" after kit init`);
        if (!ctx.remote.move) problems.push('no planned WP for kit move');
        return problems.length > 0 ? `remote fixture: ${problems.join('; ')}` : null;
      },
    },
  },
};
