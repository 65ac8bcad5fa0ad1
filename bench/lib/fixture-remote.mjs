// The 'remote' fixture: a clone of the planning repository whose lane changes kit publishes to a remote
// (`kit init --remote origin`), the remote being a bare repository served by `git daemon` on 127.0.0.1,
// so every publication is a real push over a socket, as to a server on the local network:
//
//   <root>/kit-bench-remote/origin.git   bare; main = the clone's commit (everything pushed)
//   <root>/kit-bench-remote/clone/       git clone git://127.0.0.1:<port>/origin.git; .kit/config.yaml
//                                        with `remote: origin` committed and pushed
//
// Built in every bench run (a clone of the 2,000-WP tree: a few seconds), in a directory of its own, so
// the planning repository is left alone. The daemon is the bench's child: `close()` stops it, and a
// process 'exit' hook stops it whatever happens (a failed run, an exception, Ctrl-C).
//
// Before each run `reset()` puts the clone's main, its checkout, its origin/main and origin's main back
// to the fixture commit (plumbing on the bare repository: no network), so every `kit move` makes and
// publishes the same lane change as a new commit, and every plain `git push` pushes one new commit onto
// the same tip.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { featureName, git, gitEnv, plannedWp, wpFileName } from './generate.mjs';

export const REMOTE_NAME = 'origin';
export const PUSH_REF = 'refs/bench/push';

/** A TCP port nobody listens on right now (the OS picks it; closed again before git daemon takes it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether git can list refs at `url` yet (the daemon is up and serves the repository). */
function reachable(url) {
  try {
    git(process.cwd(), ['ls-remote', url, 'HEAD']);
    return true;
  } catch {
    return false;
  }
}

// Daemons still running, stopped on exit whatever happens.
const daemons = new Set();
let hooked = false;
function stopAll() {
  for (const child of daemons) {
    try {
      child.kill('SIGTERM');
    } catch {
      // Already gone.
    }
  }
  daemons.clear();
}
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', stopAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(signal, () => {
      stopAll();
      process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal] ?? 0));
    });
  }
}

/**
 * Starts `git daemon` serving `basePath` read-write on 127.0.0.1 and a free port; resolves once it
 * answers. A port taken between the probe and the daemon's bind is retried with another one.
 */
export async function startDaemon(basePath, { log = () => {} } = {}) {
  hookExit();
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      'git',
      [
        'daemon',
        '--export-all',
        '--enable=receive-pack',
        '--reuseaddr',
        `--base-path=${basePath}`,
        '--listen=127.0.0.1',
        `--port=${port}`,
        basePath,
      ],
      { env: gitEnv(), stdio: ['ignore', 'ignore', 'pipe'] },
    );
    daemons.add(child);
    let stderr = '';
    let exited = null;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      daemons.delete(child);
    });
    const url = `git://127.0.0.1:${port}/origin.git`;
    const started = performance.now();
    while (exited === null && performance.now() - started < 10_000) {
      if (reachable(url)) {
        log(`git daemon (pid ${child.pid}) serving ${basePath} on 127.0.0.1:${port}`);
        return {
          port,
          pid: child.pid,
          url,
          stop: () =>
            new Promise((resolve) => {
              if (exited !== null) return resolve();
              child.once('exit', () => resolve());
              child.kill('SIGTERM');
            }),
        };
      }
      await sleep(50);
    }
    if (exited === null) child.kill('SIGTERM');
    log(`git daemon on port ${port} did not come up (attempt ${attempt}): ${stderr.trim() || 'no answer'}`);
  }
  throw new Error('could not start git daemon on 127.0.0.1 (is git-daemon installed?)');
}

/** The last planned WP of the last feature with one: what `kit move` takes to doing (as in `move`). */
function chooseMove(params) {
  for (let f = params.features; f >= 1; f--) {
    for (let w = params.wpsPerFeature; w >= 1; w--) {
      const wp = plannedWp(f, params.features, w, params.wpsPerFeature, params.active);
      if (wp.lane === 'planned') {
        return {
          feature: featureName(f),
          wp: wp.id,
          path: `kitty-specs/${featureName(f)}/tasks/${wpFileName(wp)}`,
        };
      }
    }
  }
  return null;
}

/**
 * Builds the fixture (see the top of this file). `runKit(args, cwd)` runs kit (for `kit init --remote`).
 * Returns { dir, origin, clone, url, port, head, move, close(), reset(), preparePush() }.
 */
export async function buildRemoteFixture(base, { runKit, log = () => {} }) {
  const dir = join(base.root, 'kit-bench-remote');
  const origin = join(dir, 'origin.git');
  const clone = join(dir, 'clone');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  // The bare origin holds the planning repository's generated commit as main.
  git(dir, ['init', '-q', '--bare', '-b', 'main', origin]);
  git(base.repo, ['push', '-q', origin, `${base.head}:refs/heads/main`]);

  const daemon = await startDaemon(dir, { log });
  try {
    git(dir, ['clone', '-q', daemon.url, clone]);
    git(clone, ['config', 'user.name', 'Kit Bench']);
    git(clone, ['config', 'user.email', 'bench@example.invalid']);
    git(clone, ['config', 'commit.gpgsign', 'false']);
    git(clone, ['config', 'core.autocrlf', 'false']);
    const init = runKit(['init', '--remote', REMOTE_NAME], clone);
    if (init.exitCode !== 0) {
      throw new Error(`kit init --remote ${REMOTE_NAME} failed (exit ${init.exitCode}): ${init.stderr.trim()}`);
    }
    git(clone, ['add', '.kit/config.yaml']);
    git(clone, ['commit', '-q', '-m', `kit init --remote ${REMOTE_NAME}`]);
    git(clone, ['push', '-q', REMOTE_NAME, 'main']);
    const head = git(clone, ['rev-parse', 'HEAD']);
    // A lane ref as a clone that has published before holds it (an empty lane commit, on origin and
    // fetched here), so move-remote-ref measures a move, not a first publication.
    const laneIndex = git(clone, ['hash-object', '-w', '--stdin'], {
      input: `${JSON.stringify({ version: 1, target: 'main', files: {} }, null, 2)}\n`,
    });
    const laneTree = git(clone, ['mktree'], { input: `100644 blob ${laneIndex}\tlanes.json\n` });
    const laneBaseline = git(clone, ['commit-tree', laneTree, '-m', 'kit: lanes of main (bench baseline)']);
    git(clone, ['push', '-q', REMOTE_NAME, `${laneBaseline}:refs/kit/lanes/main`]);
    const config = readFileSync(join(clone, '.kit', 'config.yaml'), 'utf8');
    const move = chooseMove(base.params);
    let pushes = 0;

    const reset = () => {
      git(origin, ['update-ref', 'refs/heads/main', head]);
      git(clone, ['update-ref', `refs/remotes/${REMOTE_NAME}/main`, head]);
      git(clone, ['reset', '-q', '--hard', head]);
      // lane_store: ref (move-remote-ref) moves its lane refs here and on origin: back to the baseline.
      for (const [repo, ref] of [
        [origin, 'refs/kit/lanes/main'],
        [clone, 'refs/kit/lanes/main'],
        [clone, `refs/kit/remote-lanes/${REMOTE_NAME}/main`],
      ]) {
        git(repo, ['update-ref', ref, laneBaseline]);
      }
    };

    /** reset(), then the clone's config names no remote (in its working tree): the same move, kept here. */
    const resetWithoutRemote = () => {
      reset();
      const path = join(clone, '.kit', 'config.yaml');
      writeFileSync(path, readFileSync(path, 'utf8').replace(/^remote:.*$/m, 'remote:'));
    };

    /** reset(), then the clone's config says lane_store: ref (in its working tree; main is not touched). */
    const resetForLaneRef = () => {
      reset();
      const path = join(clone, '.kit', 'config.yaml');
      const text = readFileSync(path, 'utf8');
      writeFileSync(
        path,
        /^lane_store:.*$/m.test(text)
          ? text.replace(/^lane_store:.*$/m, 'lane_store: ref')
          : `${text}lane_store: ref\n`,
      );
    };

    /**
     * A commit comparable to kit move's lane commit, on the fixture commit: the same WP file with its lane
     * changed and a history line added (one new blob, four new trees, one commit; unique each time), kept
     * under PUSH_REF. Returns its sha.
     */
    const preparePush = () => {
      reset();
      pushes++;
      const text = git(clone, ['show', `${head}:${move.path}`]);
      const stamp = new Date().toISOString();
      const changed = `${text
        .replace(/^lane: *"?planned"?$/m, 'lane: "doing"')
        .replace(
          /^history:\n/m,
          `history:\n- timestamp: "${stamp}"\n  lane: "doing"\n  agent: "bench"\n  action: "push ${pushes}"\n`,
        )}\n`;
      const blob = git(clone, ['hash-object', '-w', '--stdin'], { input: changed });
      const index = join(clone, '.git', 'bench-push-index');
      const env = { GIT_INDEX_FILE: index };
      git(clone, ['read-tree', head], { env });
      git(clone, ['update-index', '--cacheinfo', `100644,${blob},${move.path}`], { env });
      const tree = git(clone, ['write-tree'], { env });
      rmSync(index, { force: true });
      const commit = git(clone, ['commit-tree', tree, '-p', head, '-m', `bench push ${pushes} (${stamp})`], {
        env: { GIT_AUTHOR_DATE: stamp, GIT_COMMITTER_DATE: stamp },
      });
      git(clone, ['update-ref', PUSH_REF, commit]);
      return commit;
    };

    return {
      dir,
      origin,
      clone,
      url: daemon.url,
      port: daemon.port,
      daemonPid: daemon.pid,
      head,
      move,
      remoteConfigured: /^remote: *origin\s*$/m.test(config),
      close: daemon.stop,
      reset,
      resetForLaneRef,
      resetWithoutRemote,
      preparePush,
    };
  } catch (error) {
    await daemon.stop();
    throw error;
  }
}
