// Runs one kit process and measures it: wall time (spawn to exit, from this process), the child's peak
// memory (max RSS) and its CPU time (user + system). Those two come from GNU time (`/usr/bin/time -f`)
// where it works, otherwise from a preload script that writes `process.resourceUsage()` when the child
// exits (CPU time then excludes the git processes kit starts, and has µs instead of 10 ms resolution).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TIME_BIN = '/usr/bin/time';
// Max RSS in KiB, user and system CPU seconds (10 ms resolution) of the child and the children it waited for.
const TIME_FORMAT = '%M %U %S';
// A full kit merge on a loaded machine with a slow disk can take a minute; beyond this, a run is stuck.
const RUN_TIMEOUT_MS = 600_000;

// Variables that make tools behave as on a CI server (and colour/debug switches): never passed to kit.
const CI_VARIABLE =
  /^(CI|CONTINUOUS_INTEGRATION|BUILD_ID|BUILD_NUMBER|RUN_ID|TF_BUILD|JENKINS_URL|TEAMCITY_VERSION|CODEBUILD_.*|GITHUB_.*|GITLAB_.*|BUILDKITE.*|CIRCLE.*|TRAVIS.*|DRONE.*|APPVEYOR.*|BITBUCKET_.*|SEMAPHORE.*|NETLIFY|VERCEL|NOW_BUILDER)$/;
const DROPPED = new Set([
  'FORCE_COLOR',
  'DEBUG',
  'NODE_OPTIONS',
  'NODE_DEBUG',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
]);

/** The environment every measured kit process gets: no CI variables, no colour, nothing that changes git's repo. */
export function childEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !CI_VARIABLE.test(key) && !DROPPED.has(key)) env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

const PRELOAD = `// Written by kit's bench: reports this process's peak RSS (KiB) and CPU time (µs) when it exits.
const { writeFileSync } = require('node:fs');
process.on('exit', () => {
  try {
    const usage = process.resourceUsage();
    writeFileSync(process.env.KIT_BENCH_RSS_FILE, \`\${usage.maxRSS} \${usage.userCPUTime / 1e6} \${usage.systemCPUTime / 1e6}\`);
  } catch {}
});
`;

/**
 * Parses "<max RSS KiB> <user s> <system s>", the last line of what GNU time or the preload wrote (GNU time
 * adds a line before it when the command exits non-zero). Null when there is no such line.
 */
function parseUsage(text) {
  const lines = text.trim().split('\n');
  const [kib, user, system] = (lines[lines.length - 1] ?? '').trim().split(/\s+/).map(Number);
  if (!Number.isFinite(kib) || kib <= 0) return null;
  const cpuMs = Number.isFinite(user) && Number.isFinite(system) ? (user + system) * 1000 : null;
  return { kib, cpuMs };
}

/**
 * Picks how to read max RSS: GNU time if it runs and prints a number, else the preload script.
 * `prefer` ('time' | 'preload' | undefined) forces one. Returns a runner with `run(...)` and `close()`.
 */
export function createRunner({ prefer } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'kit-bench-rss-'));
  const rssFile = join(scratch, 'rss');
  const preloadFile = join(scratch, 'rss-preload.cjs');
  writeFileSync(preloadFile, PRELOAD);

  let method = 'preload';
  if (prefer !== 'preload' && existsSync(TIME_BIN)) {
    const probe = spawnSync(TIME_BIN, ['-f', TIME_FORMAT, '-o', rssFile, process.execPath, '-e', '0'], {
      stdio: 'ignore',
    });
    const ok = probe.status === 0 && existsSync(rssFile) && parseUsage(readFileSync(rssFile, 'utf8')) !== null;
    if (ok) method = 'time';
    else if (prefer === 'time') throw new Error(`${TIME_BIN} -f does not work here; use --rss preload`);
  } else if (prefer === 'time') {
    throw new Error(`${TIME_BIN} not found; use --rss preload`);
  }

  /**
   * Runs `node <nodeArgs> <script> <args>` in cwd, or, with `exec`, that program (`git`, `sh`: a plain-git
   * baseline) with `args`. Returns { ms, rssMb, cpuMs, exitCode, signal, stdout, stderr }. `nodeArgs` (e.g.
   * --cpu-prof) go to node itself. An `exec` run has max RSS and CPU time only with GNU time.
   * `stdoutToFile`: the child's stdout is a file, not a pipe (read back after it exits), for a program
   * that exits before a pipe has taken all its output (Backlog.md's does: it would print part of it).
   */
  function run({ script, exec, args, cwd, env, nodeArgs = [], stdoutToFile = false }) {
    rmSync(rssFile, { force: true });
    let command;
    let commandArgs;
    let runEnv = env;
    if (method === 'time') {
      command = TIME_BIN;
      const target = exec ? [exec] : [process.execPath, ...nodeArgs, script];
      commandArgs = ['-f', TIME_FORMAT, '-o', rssFile, ...target, ...args];
    } else if (exec) {
      command = exec;
      commandArgs = args;
    } else {
      command = process.execPath;
      commandArgs = ['-r', preloadFile, ...nodeArgs, script, ...args];
      runEnv = { ...env, KIT_BENCH_RSS_FILE: rssFile };
    }
    const stdoutFile = join(scratch, 'stdout');
    const stdoutFd = stdoutToFile ? openSync(stdoutFile, 'w') : null;
    const started = process.hrtime.bigint();
    const result = spawnSync(command, commandArgs, {
      cwd,
      env: runEnv,
      stdio: ['ignore', stdoutFd ?? 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
      timeout: RUN_TIMEOUT_MS,
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (stdoutFd !== null) closeSync(stdoutFd);
    if (result.error?.code === 'ETIMEDOUT') {
      // Only the direct child was killed: with GNU time, the measured process may still be running.
      throw new Error(
        `${[command, ...commandArgs].join(' ')} ran for more than ${RUN_TIMEOUT_MS / 1000} s and was stopped; ` +
          `check that no process of it is left running before the next bench run`,
      );
    }
    if (result.error) throw result.error;
    let usage = null;
    try {
      usage = parseUsage(readFileSync(rssFile, 'utf8'));
    } catch {
      // The child died before reporting (killed by a signal): no figure.
    }
    // GNU time exits 128+n when the command was killed by signal n.
    return {
      ms,
      rssMb: usage ? usage.kib / 1024 : null,
      cpuMs: usage?.cpuMs ?? null,
      exitCode: result.status,
      signal: result.signal,
      stdout: stdoutFd !== null ? readFileSync(stdoutFile, 'utf8') : result.stdout.toString('utf8'),
      stderr: result.stderr.toString('utf8'),
    };
  }

  return {
    method,
    describe: method === 'time' ? `${TIME_BIN} -f '${TIME_FORMAT}'` : 'preload (process.resourceUsage())',
    run,
    close: () => rmSync(scratch, { recursive: true, force: true }),
  };
}

/** Nearest-rank percentile of numbers (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** Median (the mean of the two middle values for an even count). */
export function median(values) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}
