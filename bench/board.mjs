#!/usr/bin/env node
// The live board's benchmark: `kit status` in a real terminal (tmux), on generated repositories. Measures
// what a person waits for, on screen:
//   first frame   spawn → the first full board on the tmux screen (200 WPs; target ≤ 500 ms)
//   update        a WP file changes on disk → the card shows in its new lane (target ≤ 300 ms); again with
//                 a lane commit on the target branch at the same time, which makes the board reload everything
//   peak RSS      the board process's VmHWM after its first frame and the updates (2,000 WPs; ≤ 150 MB)
//   idle CPU      CPU time the board uses in 3 s of doing nothing (should be 0: no polling)
// Repositories are generated (and reused) as bench/run.mjs does (bench/README.md). Needs tmux; run with
// `npm run build && node bench/board.mjs` (options: --help).
//
// Why tmux: the board only starts on a terminal, and what matters is when the frame is on the screen, not
// when Ink rendered it. tmux is a real terminal emulator that keeps the screen in memory; `capture-pane`
// reads it. The bench polls it every few milliseconds (a capture takes ~3 ms), so figures include tmux's own
// processing and are a few ms pessimistic.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatContext, machineContext } from './lib/context.mjs';
import { ensureRepo, featureName, git } from './lib/generate.mjs';
import { childEnv, median, percentile } from './lib/measure.mjs';
import { snapshotKit } from './lib/snapshot.mjs';

const KIT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const JSON_SCHEMA = 'kit-bench-board/1';
const WIDTH = 120;
const HEIGHT = 40;
const TARGETS = { firstFrameMs: 500, updateMs: 300, peakRssMb: 150 };

const USAGE = `Usage: node bench/board.mjs [options]   (build first: npm run build)

  --small N          features of 40 WPs in the small repository: first frame and updates (default 5 = 200 WPs)
  --large N          features of 40 WPs in the large repository: peak RSS, and the same timings (default 50 = 2,000)
  --runs N           first-frame runs per repository, after one warm-up run (default 5)
  --updates N        file changes per repository (default 10)
  --dir DIR          where generated repositories live (default: $TMPDIR/kit-bench-<uid>)
  --snapshot         measure a copy of the build (immune to an \`npm run build\` started meanwhile)
  --json             print the results as JSON on stdout instead of the table
  --out FILE         also write the JSON results to FILE
  --fail-on-target   exit 1 when a target is missed
  -h, --help         this text
`;

function fail(message) {
  process.stderr.write(`bench/board: ${message}\n`);
  process.exit(2);
}

function parseOptions(argv) {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        small: { type: 'string', default: '5' },
        large: { type: 'string', default: '50' },
        runs: { type: 'string', default: '5' },
        updates: { type: 'string', default: '10' },
        dir: { type: 'string' },
        snapshot: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        'fail-on-target': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }).values;
  } catch (error) {
    fail(`${error.message}\n\n${USAGE}`);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const whole = (name, max) => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value < 1 || value > max) fail(`--${name} must be a whole number from 1 to ${max}`);
    return value;
  };
  return {
    small: whole('small', 999),
    large: whole('large', 999),
    runs: whole('runs', 1000),
    updates: whole('updates', 1000),
    dir: values.dir ? resolve(values.dir) : join(os.tmpdir(), `kit-bench-${os.userInfo().uid}`),
    snapshot: values.snapshot,
    json: values.json,
    out: values.out,
    failOnTarget: values['fail-on-target'],
  };
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const round1 = (value) => (value === null || value === undefined ? null : Math.round(value * 10) / 10);

/** A private tmux server (its own socket, a clean environment: no CI variables) with one 120×40 pane. */
class Tmux {
  constructor() {
    this.socket = `kit-bench-board-${process.pid}`;
    this.env = childEnv({ TERM: 'xterm-256color', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', NO_COLOR: undefined });
    delete this.env.NO_COLOR;
  }

  run(args) {
    const result = spawnSync('tmux', ['-L', this.socket, ...args], { env: this.env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  start() {
    this.run([
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-x',
      String(WIDTH),
      '-y',
      String(HEIGHT),
      '-s',
      'bench',
      'sleep 86400',
    ]);
    this.run(['set-option', '-t', 'bench', 'remain-on-exit', 'on']);
  }

  /** Replaces whatever runs in the pane with `command`, started in `cwd`. */
  respawn(cwd, command) {
    this.run(['respawn-pane', '-k', '-t', 'bench', '-c', cwd, command]);
  }

  capture() {
    return this.run(['capture-pane', '-p', '-t', 'bench']);
  }

  pane(format) {
    return this.run(['display-message', '-p', '-t', 'bench', format]).trim();
  }

  keys(...keys) {
    this.run(['send-keys', '-t', 'bench', ...keys]);
  }

  kill() {
    let socket = '';
    try {
      socket = this.run(['display-message', '-p', '#{socket_path}']).trim();
    } catch {
      // No server (it did not start): nothing to remove.
    }
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { env: this.env, stdio: 'ignore' });
    if (socket) rmSync(socket, { force: true });
  }
}

/** Polls the screen until `check(screen)`; returns the time it was first seen (performance.now()). */
async function waitForScreen(tmux, what, check, timeoutMs = 30_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const screen = tmux.capture();
    const at = performance.now();
    if (check(screen)) return { at, screen };
    if (at > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
    await sleep(2);
  }
}

const isBoard = (screen) => screen.includes('q quit') && /done \(\d+%\)/.test(screen) && screen.includes('DONE (');
const doingCount = (screen) => Number(/DOING \((\d+)\)/.exec(screen)?.[1] ?? Number.NaN);

function procStatus(pid) {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
}

/** Peak RSS (VmHWM) of a live process in MB, from /proc (Linux); null elsewhere. */
function peakRssMb(pid) {
  const kib = /VmHWM:\s+(\d+) kB/.exec(procStatus(pid) ?? '')?.[1];
  return kib ? Number(kib) / 1024 : null;
}

let clockTicks;

/** User + system CPU time of a live process in ms, from /proc (Linux); null elsewhere. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return (ticks * 1000) / clockTicks;
  } catch {
    return null;
  }
}

/** Starts the board; returns when its first full frame is on screen, with the time that took. */
async function startBoard(tmux, kit, repo) {
  const started = performance.now();
  tmux.respawn(repo, `exec '${process.execPath}' '${kit.bin}' status`);
  const { at, screen } = await waitForScreen(tmux, 'the first frame', isBoard);
  const pid = Number(tmux.pane('#{pane_pid}'));
  return { ms: at - started, cpuMs: cpuMs(pid), screen, pid };
}

async function quitBoard(tmux) {
  tmux.keys('q');
  await waitForScreen(tmux, 'the board to exit', () => tmux.pane('#{pane_dead}') === '1', 10_000);
}

/** A WP file whose lane the update runs flip, written the way kit writes (a temporary file, then a rename). */
function laneFlipper(repo, featureIndex) {
  const tasks = join(repo, 'kitty-specs', featureName(featureIndex), 'tasks');
  const name = spawnSync('ls', [tasks], { encoding: 'utf8' })
    .stdout.split('\n')
    .find((file) => /^WP01/.test(file));
  const path = join(tasks, name);
  const original = readFileSync(path, 'utf8');
  const lane = /^lane:\s*"?([a-z_]+)"?\s*$/m.exec(original)?.[1];
  const write = (text) => {
    const temporary = `${path}.bench.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  };
  return {
    lane,
    toDoing: () => write(original.replace(/^lane:.*$/m, 'lane: "doing"')),
    restore: () => write(original),
  };
}

/**
 * Flips a WP file's lane to doing and back, `count` times; each time, how long until the DOING count
 * changed. With `ref`, each flip also moves a branch (as a lane commit by `kit move` does), which makes the
 * board reload everything instead of just the feature whose file changed.
 */
async function updates(tmux, flipper, count, ref = null) {
  const samples = [];
  let moved = false;
  for (let index = 0; index < count; index++) {
    const before = doingCount(tmux.capture());
    const started = performance.now();
    // The ref first: the watcher then sees both changes in one burst and reloads everything.
    if (ref) ref(index);
    if (moved) flipper.restore();
    else flipper.toDoing();
    moved = !moved;
    const { at } = await waitForScreen(tmux, 'the update', (screen) => doingCount(screen) !== before, 10_000);
    samples.push(at - started);
    await sleep(200); // let the watcher go idle again, so every sample starts from rest
  }
  if (moved) flipper.restore();
  await sleep(300);
  return samples;
}

function summary(samples) {
  return {
    runs: samples.length,
    medianMs: round1(median(samples)),
    p90Ms: round1(percentile(samples, 90)),
    minMs: round1(Math.min(...samples)),
    maxMs: round1(Math.max(...samples)),
    samplesMs: samples.map(round1),
  };
}

async function measureRepo(tmux, kit, repo, options, { rss }) {
  const env = childEnv();
  // Warm kit's frontmatter cache, as any earlier kit command would have.
  spawnSync(process.execPath, [kit.bin, 'status', '--json'], { cwd: repo.dir, env, stdio: 'ignore' });
  const frames = [];
  const frameCpu = [];
  const plain = [];
  for (let run = 0; run <= options.runs; run++) {
    const board = await startBoard(tmux, kit, repo.dir);
    if (run > 0) frames.push(board.ms);
    if (run > 0 && board.cpuMs !== null) frameCpu.push(board.cpuMs);
    await quitBoard(tmux);
    // The reference, interleaved so that both see the same load: the plain board, spawn to exit.
    const started = performance.now();
    spawnSync(process.execPath, [kit.bin, 'status', '--plain'], { cwd: repo.dir, env, stdio: 'ignore' });
    if (run > 0) plain.push(performance.now() - started);
    process.stderr.write('.');
  }
  const board = await startBoard(tmux, kit, repo.dir);
  await sleep(1500); // the watcher is set up after the first frame; let it settle
  const flipper = laneFlipper(repo.dir, repo.params.features);
  const updateSamples = await updates(tmux, flipper, options.updates);
  process.stderr.write('.');
  // A lane commit on the target branch, as `kit move` makes: main moves to a new commit and back.
  const head = git(repo.dir, ['rev-parse', 'HEAD']);
  const laneCommit = git(repo.dir, ['commit-tree', 'HEAD^{tree}', '-p', 'HEAD', '-m', 'bench: lane commit']);
  const fullSamples = await updates(tmux, flipper, options.updates, (index) =>
    git(repo.dir, ['update-ref', 'refs/heads/main', index % 2 === 0 ? laneCommit : head]),
  );
  git(repo.dir, ['update-ref', 'refs/heads/main', head]);
  process.stderr.write('.');
  let idle = null;
  await sleep(2000); // the last reload and the garbage collection after it finish
  const before = cpuMs(board.pid);
  if (before !== null) {
    await sleep(3000);
    idle = cpuMs(board.pid) - before;
  }
  const rssMb = rss ? peakRssMb(board.pid) : null;
  await quitBoard(tmux);
  return {
    firstFrame: summary(frames),
    firstFrameCpu: frameCpu.length > 0 ? summary(frameCpu) : null,
    plain: summary(plain),
    update: summary(updateSamples),
    updateFull: summary(fullSamples),
    idleCpuMs: idle,
    peakRssMb: round1(rssMb),
  };
}

function table(rows) {
  const header = ['scenario', 'WPs', 'median', 'p90', 'min', 'max', 'target', 'result'];
  const cells = rows.map((row) => [
    row.name,
    String(row.wps),
    row.median,
    row.p90 ?? '',
    row.min ?? '',
    row.max ?? '',
    row.target ?? '',
    row.pass === null ? '' : row.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) =>
    c.map((cell, i) => (i >= 1 && i <= 5 ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)]
    .map((l) => l.trimEnd())
    .join('\n');
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const info = options.json ? (text) => process.stderr.write(`${text}\n`) : (text) => process.stdout.write(`${text}\n`);
  if (spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status !== 0) fail('tmux is not installed (apt-get install tmux)');
  let kitRoot = KIT_ROOT;
  if (options.snapshot) kitRoot = snapshotKit(KIT_ROOT, join(options.dir, 'kit-snapshot-board'));
  const kit = { root: kitRoot, bin: join(kitRoot, 'bin', 'run.js') };
  try {
    readFileSync(join(kitRoot, 'dist', 'board.js'));
  } catch {
    fail('dist/board.js is missing: run npm run build first');
  }
  mkdirSync(options.dir, { recursive: true });
  const log = (text) => process.stderr.write(`bench/board: ${text}\n`);
  const make = (features) => {
    const params = { features, wpsPerFeature: 40, active: false };
    return { ...ensureRepo(options.dir, params, { log }), params };
  };
  const small = make(options.small);
  const large = make(options.large);
  const context = machineContext({ repoDir: small.dir, kitRoot: KIT_ROOT, rssMethod: '/proc/<pid>/status VmHWM' });
  info(formatContext(context));
  info(`terminal: tmux ${spawnSync('tmux', ['-V'], { encoding: 'utf8' }).stdout.trim()}, ${WIDTH}×${HEIGHT}\n`);

  const tmux = new Tmux();
  const results = {};
  try {
    tmux.start();
    for (const [name, repo, rss] of [
      ['small', small, false],
      ['large', large, true],
    ]) {
      process.stderr.write(`bench/board: ${repo.files} WPs `);
      results[name] = { wps: repo.files, dir: repo.dir, ...(await measureRepo(tmux, kit, repo, options, { rss })) };
      process.stderr.write('\n');
    }
  } finally {
    tmux.kill();
  }

  const ms = (value) => (value === null ? '?' : `${value.toFixed(0)} ms`);
  const rows = [];
  for (const [name, target] of [
    ['small', true],
    ['large', false],
  ]) {
    const r = results[name];
    rows.push({
      name: 'first frame',
      wps: r.wps,
      median: ms(r.firstFrame.medianMs),
      p90: ms(r.firstFrame.p90Ms),
      min: ms(r.firstFrame.minMs),
      max: ms(r.firstFrame.maxMs),
      target: target ? `≤ ${TARGETS.firstFrameMs} ms` : null,
      pass: target ? r.firstFrame.medianMs <= TARGETS.firstFrameMs : null,
    });
    if (r.firstFrameCpu) {
      rows.push({
        name: '  CPU time of kit until then',
        wps: r.wps,
        median: ms(r.firstFrameCpu.medianMs),
        p90: ms(r.firstFrameCpu.p90Ms),
        min: ms(r.firstFrameCpu.minMs),
        max: ms(r.firstFrameCpu.maxMs),
        target: null,
        pass: null,
      });
    }
    rows.push({
      name: '  reference: kit status --plain',
      wps: r.wps,
      median: ms(r.plain.medianMs),
      p90: ms(r.plain.p90Ms),
      min: ms(r.plain.minMs),
      max: ms(r.plain.maxMs),
      target: null,
      pass: null,
    });
    rows.push({
      name: 'update after a file change',
      wps: r.wps,
      median: ms(r.update.medianMs),
      p90: ms(r.update.p90Ms),
      min: ms(r.update.minMs),
      max: ms(r.update.maxMs),
      target: target ? `≤ ${TARGETS.updateMs} ms` : null,
      pass: target ? r.update.medianMs <= TARGETS.updateMs : null,
    });
    rows.push({
      name: 'update with a lane commit (reload all)',
      wps: r.wps,
      median: ms(r.updateFull.medianMs),
      p90: ms(r.updateFull.p90Ms),
      min: ms(r.updateFull.minMs),
      max: ms(r.updateFull.maxMs),
      target: target ? `≤ ${TARGETS.updateMs} ms` : null,
      pass: target ? r.updateFull.medianMs <= TARGETS.updateMs : null,
    });
    rows.push({
      name: 'idle CPU in 3 s',
      wps: r.wps,
      median: r.idleCpuMs === null ? '?' : `${r.idleCpuMs.toFixed(0)} ms`,
      target: null,
      pass: null,
    });
  }
  rows.push({
    name: 'peak RSS',
    wps: results.large.wps,
    median: results.large.peakRssMb === null ? '?' : `${results.large.peakRssMb} MB`,
    target: `≤ ${TARGETS.peakRssMb} MB`,
    pass: results.large.peakRssMb === null ? null : results.large.peakRssMb <= TARGETS.peakRssMb,
  });

  context.loadAverageAfter = os.loadavg().map((load) => Math.round(load * 100) / 100);
  const doc = {
    schema: JSON_SCHEMA,
    startedAt: new Date().toISOString(),
    context,
    options,
    targets: TARGETS,
    results,
    rows,
  };
  if (options.out) writeFileSync(options.out, `${JSON.stringify(doc, null, 2)}\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else {
    info(table(rows));
    info(
      [
        '',
        `first frame: spawn of \`kit status\` in the pane → the full board on tmux's screen; ${options.runs} runs after a warm-up.`,
        '  CPU time: user + system time of the kit process (not its git children) when the frame was seen; it moves less than wall time on a busy machine.',
        '  reference: the plain board (no terminal: no Ink), spawn to exit, run between the board runs: what the board adds.',
        `update: a WP file's lane rewritten (temporary file + rename, as kit writes) → the DOING count on screen changed; ${options.updates} changes.`,
        '  The board then reloads only that feature; "with a lane commit" also moves the target branch (as kit move does), which reloads every feature.',
        'peak RSS: VmHWM of the board process after its first frame and the updates. idle CPU: user + system time over 3 s with nothing changing.',
        `load average after: ${context.loadAverageAfter.join(' ')} on ${context.cpus} CPUs`,
      ].join('\n'),
    );
  }
  if (options.failOnTarget && rows.some((row) => row.pass === false)) process.exitCode = 1;
}

await main();
