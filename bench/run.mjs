#!/usr/bin/env node
// kit's benchmark: generates (or reuses) a Spec Kitty repository of a given size, runs each scenario of
// bench/scenarios.mjs as a fresh `node bin/run.js ...` process N times, and reports median/p90 wall
// time and peak RSS against the targets. Scenarios may need a fixture (live worktrees, a repository to
// merge: bench/lib/fixtures.mjs) or run plain git as a baseline. See bench/README.md. Run with
// `npm run bench` (builds first).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatContext, machineContext } from './lib/context.mjs';
import { PeerUnavailable } from './lib/backlog-peer.mjs';
import { FIXTURES } from './lib/fixtures.mjs';
import { ensureRepo, featureName, git, restoreRepo } from './lib/generate.mjs';
import { childEnv, createRunner, median, percentile } from './lib/measure.mjs';
import { formatProfile, summarizeProfile } from './lib/profile.mjs';
import { distStamp, snapshotKit } from './lib/snapshot.mjs';
import { SCENARIOS } from './scenarios.mjs';

/** What --growth measures at each size (plus what their targets refer to: node, backlog-list). */
const GROWTH_SCENARIOS = ['help', 'check', 'status-json'];
const GROWTH_SIZES = [200, 2000, 10000];
/** How old a repository's files must be before warm runs (kit's racy window is 2 s). */
const SETTLE_MS = 2100;
const KIT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const JSON_SCHEMA = 'kit-bench/1';

const USAGE = `Usage: node bench/run.mjs [options]   (npm run bench -- [options] builds first)

  --features N           features in the generated repository (default 50)
  --wps-per-feature M    work packages per feature (default 40)
  --merge-files N        files of code in the merge scenarios' repository (default 5000)
  --merge-wps N          done WPs to merge in it (default 20)
  --runs N               measured runs per scenario, after one warm-up run (default 10; a scenario
                         with a costly setup may cap it, e.g. the full merge at 3)
  --only NAME[,NAME]     run only these scenarios (repeatable): ${SCENARIOS.map((s) => s.name).join(', ')}
  --json                 print the results as JSON on stdout instead of the table
  --out FILE             also write the JSON results to FILE
  --compare FILE         add a column comparing each median with a previous --out/--json file
  --fresh                regenerate the repositories even if complete ones exist
  --snapshot             measure a copy of the build (immune to an \`npm run build\` started meanwhile)
  --active               put a few WPs in doing and for_review (3.x: in_progress, for_review, approved;
                         kit check then exits 1)
  --dir DIR              where generated repositories live (default: $TMPDIR/kit-bench-<uid>)
  --rss time|preload     how to read max RSS and CPU time (default: /usr/bin/time if it works, else a preload)
  --profile NAME         after measuring, run scenario NAME once under node --cpu-prof and summarise
  --fail-on-target       exit 1 when a target is missed (a failed run always exits 1)
  --growth               how the read commands grow with the tree: runs ${GROWTH_SCENARIOS.join(', ')}
                         (and backlog-list, the peer) at 200, 2000 and 10000 WPs (40 per feature; or
                         --growth-sizes 200,2000) and prints one table of medians and × node
  -h, --help             this text
`;

function fail(message) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(2);
}

function parseOptions(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        features: { type: 'string', default: '50' },
        'wps-per-feature': { type: 'string', default: '40' },
        'merge-files': { type: 'string', default: '5000' },
        'merge-wps': { type: 'string', default: '20' },
        runs: { type: 'string', default: '10' },
        only: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        out: { type: 'string' },
        compare: { type: 'string' },
        fresh: { type: 'boolean', default: false },
        snapshot: { type: 'boolean', default: false },
        active: { type: 'boolean', default: false },
        dir: { type: 'string' },
        rss: { type: 'string' },
        profile: { type: 'string' },
        'fail-on-target': { type: 'boolean', default: false },
        growth: { type: 'boolean', default: false },
        'growth-sizes': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    }).values;
  } catch (error) {
    fail(`${error.message}\n\n${USAGE}`);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const positive = (name, max) => {
    const value = Number(parsed[name]);
    if (!Number.isInteger(value) || value < 1 || value > max) fail(`--${name} must be a whole number from 1 to ${max}`);
    return value;
  };
  const names = SCENARIOS.map((s) => s.name);
  const only = (parsed.only ?? []).flatMap((value) => value.split(',')).map((name) => name.trim());
  for (const name of only) if (!names.includes(name)) fail(`no scenario "${name}"; scenarios: ${names.join(', ')}`);
  if (parsed.profile && !names.includes(parsed.profile)) {
    fail(`no scenario "${parsed.profile}" to profile; scenarios: ${names.join(', ')}`);
  }
  if (parsed.rss && !['time', 'preload'].includes(parsed.rss)) fail('--rss must be time or preload');
  return {
    features: positive('features', 999),
    wpsPerFeature: positive('wps-per-feature', 999),
    mergeFiles: positive('merge-files', 1_000_000),
    mergeWps: positive('merge-wps', 99),
    runs: positive('runs', 10_000),
    only,
    json: parsed.json,
    out: parsed.out,
    compare: parsed.compare,
    fresh: parsed.fresh,
    snapshot: parsed.snapshot,
    active: parsed.active,
    dir: parsed.dir ? resolve(parsed.dir) : join(os.tmpdir(), `kit-bench-${os.userInfo().uid}`),
    rss: parsed.rss,
    profile: parsed.profile,
    failOnTarget: parsed['fail-on-target'],
    growth: parsed.growth || parsed['growth-sizes'] !== undefined,
    growthSizes: growthSizes(parsed['growth-sizes']),
    argv,
  };
}

function growthSizes(value) {
  if (value === undefined) return GROWTH_SIZES;
  const sizes = value.split(',').map((size) => Number(size.trim()));
  for (const size of sizes) {
    if (!Number.isInteger(size) || size < 40 || size % 40 !== 0 || size > 999 * 40) {
      fail('--growth-sizes takes WP counts that are multiples of 40 (40 WPs per feature), e.g. 200,2000,10000');
    }
  }
  return sizes;
}

const round1 = (value) => (value === null ? null : Math.round(value * 10) / 10);

function commandLine(scenario, args) {
  if (scenario.label) return scenario.label;
  return [typeof scenario.exec === 'string' ? scenario.exec : 'kit', ...args].join(' ');
}

/** The program an `exec` scenario runs (a string, or a function of ctx for one a fixture installed). */
function execOf(scenario, ctx) {
  return typeof scenario.exec === 'function' ? scenario.exec(ctx) : scenario.exec;
}

function summarize(scenario, args, runs, warmup) {
  const times = runs.map((r) => r.ms);
  const rss = runs.map((r) => r.rssMb).filter((v) => v !== null);
  const okCodes = scenario.okExitCodes ?? [0];
  // An allowed non-zero exit (kit check: 1 = unfinished WPs) with anything but warnings on stderr is still a
  // failed run: e.g. oclif's ModuleLoadError while dist/ was being rebuilt, or kit's own `error:`.
  const complains = (r) => r.stderr.split('\n').some((line) => line.trim() && !/^\s*warning:/i.test(line));
  // A scenario that must print something each run (kit move with a remote: "published to origin"): a run
  // that did not is a failure too, however fast it was.
  const silent = (r) => scenario.expectOutput && !scenario.expectOutput.test(`${r.stdout}\n${r.stderr}`);
  const failed = (r) => !okCodes.includes(r.exitCode) || (r.exitCode !== 0 && complains(r)) || silent(r);
  const bad = [warmup, ...runs].find(failed);
  const failures = [warmup, ...runs].filter(failed).length;
  const medianMs = median(times);
  // A target relative to another scenario (implement vs a plain git worktree add, check-3x vs check) is
  // settled at the end.
  const absoluteTarget = scenario.targetMs !== undefined && !referenceOf(scenario);
  return {
    name: scenario.name,
    command: commandLine(scenario, args),
    args,
    fixture: scenario.fixture ?? null,
    runs: runs.length,
    medianMs: round1(medianMs),
    p90Ms: round1(percentile(times, 90)),
    minMs: round1(Math.min(...times)),
    maxMs: round1(Math.max(...times)),
    cpuMs: round1(median(runs.map((r) => r.cpuMs).filter((v) => v !== null))),
    peakRssMb: rss.length > 0 ? round1(Math.max(...rss)) : null,
    medianRssMb: round1(median(rss)),
    exitCodes: [...new Set([warmup, ...runs].map((r) => r.exitCode))].sort(),
    targetMs: absoluteTarget ? scenario.targetMs : null,
    targetNote: null,
    pass: absoluteTarget ? !bad && medianMs <= scenario.targetMs : null,
    nodeRatio: null,
    nodeRatioTarget: scenario.nodeRatio ?? null,
    nodeRatioPass: null,
    nodeMedianMs: null,
    skipped: null,
    error: bad
      ? `${failures} of ${runs.length + 1} runs failed (warm-up included); first: ` +
        `exit ${bad.exitCode}${bad.signal ? ` (${bad.signal})` : ''}` +
        `${silent(bad) ? `, did not print ${scenario.expectOutput}` : ''}: ` +
        `${[bad.stdout, bad.stderr].join('\n').trim().split('\n').filter(Boolean).slice(0, 6).join(' | ')}`
      : null,
    failedRuns: failures,
    note: scenario.note ?? null,
    samplesMs: times.map(round1),
  };
}

/** A scenario that could not run at all (its fixture lacks what it needs), or was skipped (`skipped`). */
function failedResult(scenario, message, { skipped = false } = {}) {
  return {
    name: scenario.name,
    command: scenario.label ?? `${typeof scenario.exec === 'string' ? scenario.exec : 'kit'} ...`,
    args: [],
    fixture: scenario.fixture ?? null,
    runs: 0,
    medianMs: null,
    p90Ms: null,
    minMs: null,
    maxMs: null,
    cpuMs: null,
    peakRssMb: null,
    medianRssMb: null,
    exitCodes: [],
    targetMs: null,
    targetNote: null,
    pass: null,
    nodeRatio: null,
    nodeRatioTarget: scenario.nodeRatio ?? null,
    nodeRatioPass: null,
    skipped: skipped ? message : null,
    error: skipped ? null : message,
    note: scenario.note ?? null,
    samplesMs: [],
    loadAverage1m: null,
    failedRuns: 0,
  };
}

/** The scenario another one's target is relative to (`targetRelativeTo` or `targetRatioTo`), if any. */
function referenceOf(scenario) {
  return scenario.targetRelativeTo ?? scenario.targetRatioTo ?? null;
}

/**
 * Targets of the form "the median of another scenario + N ms" (targetRelativeTo + targetMs) or "× R"
 * (targetRatioTo + targetRatio), once every median is known.
 */
function settleRelativeTargets(results) {
  for (const result of results) {
    const scenario = SCENARIOS.find((s) => s.name === result.name);
    const name = scenario && referenceOf(scenario);
    if (!name) continue;
    const ratio = scenario.targetRatioTo !== undefined;
    const reference = results.find((r) => r.name === name);
    result.targetNote = ratio ? `${name} × ${scenario.targetRatio}` : `${name} + ${scenario.targetMs} ms`;
    if (!reference || reference.medianMs === null || result.medianMs === null) continue;
    result.targetMs = round1(
      ratio ? reference.medianMs * scenario.targetRatio : reference.medianMs + scenario.targetMs,
    );
    result.pass = !result.error && !reference.error && result.medianMs <= result.targetMs;
  }
  // "× node": each median over node -e 0's, measured between its runs where it has a nodeRatio budget
  // (nodeMedianMs), else the node scenario's; nodeRatio is a budget on it.
  const node = results.find((r) => r.name === 'node');
  for (const result of results) {
    const floor = result.nodeMedianMs ?? node?.medianMs;
    if (result.medianMs === null || result.name === 'node' || !floor) continue;
    result.nodeRatio = Math.round((result.medianMs / floor) * 100) / 100;
    if (result.nodeRatioTarget !== null)
      result.nodeRatioPass = !result.error && result.nodeRatio <= result.nodeRatioTarget;
  }
}

const fixed = (value, digits = 1) => (value === null || value === undefined ? '?' : value.toFixed(digits));

function table(results, baseline) {
  const header = [
    'scenario',
    'command',
    'median ms',
    '× node',
    'p90 ms',
    'min ms',
    'CPU ms',
    'peak RSS MB',
    'exit',
    'target',
    'result',
  ];
  if (baseline) header.push('Δ median');
  const rows = results.map((r) => {
    // A relative target shows what it is relative to: "≤ 412.3 ms (worktree-add + 300 ms)".
    const target =
      r.targetMs !== null
        ? `≤ ${r.targetMs} ms${r.targetNote ? ` (${r.targetNote})` : ''}`
        : r.targetNote
          ? `≤ ${r.targetNote}`
          : '';
    // A second budget in node start-ups: "≤ 3× node".
    const nodeTarget = r.nodeRatioTarget !== null ? `≤ ${r.nodeRatioTarget}× node` : '';
    const passes = [r.pass, r.nodeRatioPass].filter((pass) => pass !== null);
    const row = [
      r.name,
      r.command,
      fixed(r.medianMs),
      r.nodeRatio === null ? '' : `${r.nodeRatio.toFixed(2)}×`,
      fixed(r.p90Ms),
      fixed(r.minMs),
      fixed(r.cpuMs, 0),
      fixed(r.peakRssMb),
      r.exitCodes.join(','),
      [target, nodeTarget].filter(Boolean).join(', '),
      r.skipped ? 'SKIPPED' : r.error ? 'ERROR' : passes.length === 0 ? '' : passes.every(Boolean) ? 'PASS' : 'FAIL',
    ];
    if (baseline) {
      const before = baseline.get(r.name);
      row.push(
        r.medianMs === null
          ? '?'
          : before === undefined || before === null
            ? 'new'
            : `${r.medianMs - before >= 0 ? '+' : ''}${(r.medianMs - before).toFixed(1)} ms (${(((r.medianMs - before) / before) * 100).toFixed(0)}%)`,
      );
    }
    return row;
  });
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells) =>
    cells.map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)]
    .map((l) => l.trimEnd())
    .join('\n');
}

function loadBaseline(file) {
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    return new Map((doc.results ?? []).map((r) => [r.name, r.medianMs]));
  } catch (error) {
    fail(`cannot read --compare file ${file}: ${error.message}`);
  }
}

/** One check --json before measuring: the generated tree must be what we think it is, or the figures lie. */
function sanityCheck(kit, runner, ctx, env, expected) {
  const result = runner.run({ script: kit.bin, args: ['check', '--json'], cwd: ctx.repo, env });
  let doc;
  try {
    doc = JSON.parse(result.stdout);
  } catch {
    return `kit check --json did not print JSON (exit ${result.exitCode}): ${result.stderr.trim().slice(0, 300)}`;
  }
  const features = doc?.result?.features;
  const problems = doc?.result?.problems;
  if (!Array.isArray(features) || !Array.isArray(problems)) return null; // Output shape changed: nothing to check.
  const wps = features.reduce((sum, f) => sum + (f.workPackages?.length ?? 0), 0);
  const messages = [];
  if (features.length !== expected.features || wps !== expected.features * expected.wpsPerFeature) {
    messages.push(
      `kit sees ${features.length} features / ${wps} WPs, expected ${expected.features} / ${expected.features * expected.wpsPerFeature}`,
    );
  }
  const real = problems.filter((p) => p.kind !== 'unfinished');
  if (real.length > 0) {
    messages.push(
      `kit reports ${real.length} problem(s) in the generated tree, e.g. ${real[0].file}: ${real[0].message}`,
    );
  }
  return messages.length > 0 ? messages.join('; ') : null;
}

async function profileScenario(kit, runner, scenario, ctx, env) {
  if (scenario.exec) return `${scenario.name} runs ${execOf(scenario, ctx)}, not kit: nothing to profile`;
  const dir = mkdtempSync(join(os.tmpdir(), 'kit-bench-prof-'));
  try {
    await scenario.setup?.(ctx);
    const args = resolveArgs(scenario, ctx);
    runner.run({ script: kit.bin, args, cwd: ctx.repo, env, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) return `no profile was written for ${scenario.name}`;
    const kept = join(os.tmpdir(), `kit-bench-${scenario.name}.cpuprofile`);
    writeFileSync(kept, readFileSync(join(dir, file)));
    return `profile of kit ${args.join(' ')} (${kept}, open in Chrome DevTools):\n${formatProfile(summarizeProfile(kept, kit.root))}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function resolveArgs(scenario, ctx) {
  return typeof scenario.args === 'function' ? scenario.args(ctx) : scenario.args;
}

/**
 * Enters fixtures on demand (see bench/lib/fixtures.mjs). The planning repository holds one state at a
 * time: the generated tree or one fixture built on it; entering another restores it first. Fixtures in
 * repositories of their own stay entered. Each fixture is checked once when it is built.
 */
function fixtureManager(base, options, check) {
  let planningState = null;
  const entered = new Map();
  const failedFixtures = new Map();
  const closers = [];
  // When a repository was last restored or built (see settle below).
  let changedAt = performance.now();
  return {
    async enter(name) {
      if (!name) {
        if (planningState) {
          base.restore();
          changedAt = performance.now();
          entered.delete(planningState);
          planningState = null;
        }
        return base;
      }
      const fixture = FIXTURES[name];
      if (!fixture) throw new Error(`no fixture "${name}"; fixtures: ${Object.keys(FIXTURES).join(', ')}`);
      if (entered.has(name)) return entered.get(name);
      if (failedFixtures.has(name)) throw failedFixtures.get(name);
      if (fixture.usesPlanningRepo && planningState) {
        entered.delete(planningState);
        planningState = null;
      }
      const started = performance.now();
      let ctx;
      try {
        ctx = await fixture.enter(base, options);
      } catch (error) {
        failedFixtures.set(name, error);
        throw error;
      }
      const ms = Math.round(performance.now() - started);
      changedAt = performance.now();
      ctx.summary = { ...ctx.summary, enterMs: ms };
      options.log(`fixture ${name} ready in ${ms} ms`);
      if (fixture.usesPlanningRepo) planningState = name;
      if (ctx.close) closers.push({ name, close: ctx.close });
      entered.set(name, ctx);
      check(name, fixture, ctx);
      return ctx;
    },
    /**
     * kit's read caches (the read index, the frontmatter cache, the worktrees' untracked records) trust no
     * stat data younger than 2 s, as git's index does: right after a repository was restored or a fixture
     * built, runs would compute afresh and store nothing. So each scenario's warm-up waits until the
     * repositories are that old, as they are when an agent runs kit again.
     */
    async settle() {
      const wait = changedAt + SETTLE_MS - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    },
    summaries: () => Object.fromEntries([...entered].map(([name, ctx]) => [name, ctx.summary ?? null])),
    /** Stops what fixtures started (the remote fixture's git daemon); called at the end, after a failure too. */
    async closeAll() {
      for (const { name, close } of closers.splice(0)) {
        try {
          await close();
        } catch (error) {
          options.log(`could not close fixture ${name}: ${error.message}`);
        }
      }
    },
  };
}

/** Whether two scenarios' repository states can both be in place at once (A B A B ... without rebuilding). */
function compatibleFixtures(a, b) {
  if (a.fixture === b.fixture) return true;
  // A fixture in a repository of its own (merge, 3x) leaves the planning repository alone.
  const ownRepo = (s) => s.fixture && FIXTURES[s.fixture]?.usesPlanningRepo === false;
  return ownRepo(a) || ownRepo(b);
}

/**
 * How the selected scenarios are measured: one at a time, except a scenario whose target is relative to
 * another one (implement vs a plain worktree add, check-3x vs check) when both repository states can be
 * in place at once: those two run alternately (A B A B ...), so a change in the machine's load hits both
 * alike and the difference (or ratio) between them stays fair.
 */
function measurementGroups(selected) {
  const groups = [];
  const placed = new Set();
  for (const scenario of selected) {
    if (placed.has(scenario.name)) continue;
    const partner = selected.find(
      (other) =>
        !placed.has(other.name) &&
        other !== scenario &&
        compatibleFixtures(other, scenario) &&
        (referenceOf(other) === scenario.name || referenceOf(scenario) === other.name),
    );
    const group = partner ? [scenario, partner] : [scenario];
    for (const member of group) placed.add(member.name);
    groups.push(group);
  }
  return groups;
}

/** Scenarios picked by --only, plus those their relative targets refer to, in SCENARIOS order. */
function selectScenarios(only, progress) {
  if (only.length === 0) return SCENARIOS;
  const wanted = new Set(only);
  for (const name of only) {
    const scenario = SCENARIOS.find((s) => s.name === name);
    const reference = scenario && referenceOf(scenario);
    if (reference && !wanted.has(reference)) {
      wanted.add(reference);
      progress(`bench: also running ${reference} (${name}'s target is relative to it)\n`);
    }
    if (scenario?.nodeRatio !== undefined && !wanted.has('node')) {
      wanted.add('node');
      progress(`bench: also running node (${name} has a target in node start-ups)\n`);
    }
  }
  return SCENARIOS.filter((s) => wanted.has(s.name));
}

/**
 * --growth: the bench once per size, as a child (`--json`), and one table of how each median grows. The
 * child at each size generates (or reuses) its own repositories; the options given (--runs, --snapshot,
 * --dir, --rss, --fresh) pass through.
 */
function growthReport(options) {
  const passed = [];
  for (let index = 0; index < options.argv.length; index++) {
    const arg = options.argv[index];
    const name = arg.split('=')[0];
    if (['--growth', '--json'].includes(name)) continue;
    if (
      ['--growth-sizes', '--only', '--features', '--wps-per-feature', '--out', '--compare', '--profile'].includes(name)
    ) {
      if (!arg.includes('=')) index++;
      continue;
    }
    passed.push(arg);
  }
  const rows = [];
  for (const size of options.growthSizes) {
    process.stderr.write(`bench: growth: ${size} WPs (${size / 40} features × 40)\n`);
    const child = spawnSync(
      process.execPath,
      [
        fileURLToPath(import.meta.url),
        ...passed,
        '--features',
        String(size / 40),
        '--wps-per-feature',
        '40',
        '--only',
        GROWTH_SCENARIOS.join(','),
        '--json',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
    );
    let doc;
    try {
      doc = JSON.parse(child.stdout.toString('utf8'));
    } catch {
      fail(`the bench at ${size} WPs printed no JSON (exit ${child.status})`);
    }
    rows.push({ size, doc });
  }
  const names = ['node', ...GROWTH_SCENARIOS, 'backlog-list'];
  const cell = (result) => {
    if (!result) return '';
    if (result.skipped) return 'skipped';
    if (result.error || result.medianMs === null) return 'ERROR';
    return `${result.medianMs.toFixed(1)}${result.nodeRatio === null ? '' : ` (${result.nodeRatio.toFixed(2)}×)`}`;
  };
  const header = [
    'scenario',
    ...rows.map((row) => `${row.size} WPs: ms (× node)`),
    `× from ${rows[0].size} to ${rows.at(-1).size}`,
  ];
  const body = names.map((name) => {
    const results = rows.map((row) => row.doc.results.find((r) => r.name === name));
    const first = results[0]?.medianMs;
    const last = results.at(-1)?.medianMs;
    return [name, ...results.map(cell), first && last ? `${(last / first).toFixed(2)}×` : ''];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  const loads = rows.map((row) => `${row.size}: ${row.doc.context.loadAverageMax}`).join(', ');
  const peer = rows.flatMap((row) => row.doc.results.filter((r) => r.name === 'backlog-list' && r.skipped));
  const warnings = rows.flatMap((row) => row.doc.warnings.map((warning) => `  ${row.size} WPs: ${warning}`));
  process.stdout.write(
    [
      formatContext(rows[0].doc.context),
      '',
      line(header),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...body.map(line),
      '',
      "medians of wall time in ms; × node: over node -e 0 run between the scenario's own runs (the same size).",
      'status-json: with 20 live WP worktrees (fewer where the tree has fewer planned WPs); backlog-list: the peer',
      `on as many tasks as WPs.${peer.length > 0 ? ` Skipped: ${peer[0].skipped}` : ''}`,
      `highest 1-minute load average per size: ${loads}.`,
      ...(warnings.length > 0 ? ['warnings:', ...warnings] : []),
      '',
    ].join('\n'),
  );
  if (options.out)
    writeFileSync(options.out, `${JSON.stringify({ schema: 'kit-bench-growth/1', sizes: rows }, null, 2)}\n`);
  if (rows.some((row) => row.doc.results.some((r) => r.error))) process.exitCode = 1;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  if (options.growth) return growthReport(options);
  const startedAt = new Date().toISOString();
  const info = options.json ? (text) => process.stderr.write(`${text}\n`) : (text) => process.stdout.write(`${text}\n`);
  const progress = (text) => process.stderr.write(text);

  if (!existsSync(join(KIT_ROOT, 'dist', 'commands'))) fail('dist/ is missing: run `npm run bench` (it builds first)');
  let kitRoot = KIT_ROOT;
  if (options.snapshot) {
    try {
      kitRoot = snapshotKit(KIT_ROOT, join(options.dir, 'kit-snapshot'));
    } catch (error) {
      fail(error.message);
    }
    progress(`bench: measuring a copy of the build in ${kitRoot}\n`);
  }
  const kit = { root: kitRoot, bin: join(kitRoot, 'bin', 'run.js') };
  const baseline = options.compare ? loadBaseline(options.compare) : null;

  mkdirSync(options.dir, { recursive: true });
  const params = { features: options.features, wpsPerFeature: options.wpsPerFeature, active: options.active };
  const repo = ensureRepo(options.dir, params, { fresh: options.fresh, log: (text) => progress(`bench: ${text}\n`) });
  const runner = createRunner({ prefer: options.rss });
  const env = childEnv();
  const middle = Math.ceil(options.features / 2);
  const ctx = {
    root: options.dir,
    repo: repo.dir,
    kitDir: join(repo.dir, '.git', 'kit'),
    cacheDir: join(repo.dir, '.git', 'kit', 'cache'),
    params,
    middleFeature: String(middle).padStart(3, '0'),
    middleFeatureName: featureName(middle),
    git: (args) => git(repo.dir, args),
    head: repo.head,
    restore: () => restoreRepo(repo.dir, { head: repo.head }),
  };

  const context = machineContext({ repoDir: repo.dir, kitRoot: KIT_ROOT, rssMethod: runner.describe });
  info(formatContext(context));
  info(
    `${options.features} features × ${options.wpsPerFeature} WPs = ${repo.files} WP files ` +
      `(${(repo.bytes / 1024 / 1024).toFixed(1)} MB; ${repo.reused ? 'reused' : `generated in ${repo.generateMs} ms`}) · ` +
      `${options.runs} runs per scenario after 1 warm-up\n`,
  );

  const warnings = [];
  const sanity = sanityCheck(kit, runner, ctx, env, params);
  if (sanity) warnings.push(sanity);
  const buildStamp = distStamp(kit.root);
  if (sanity) progress(`bench: warning: ${sanity}\n`);

  const fixtures = fixtureManager(
    ctx,
    {
      fresh: options.fresh,
      merge: { files: options.mergeFiles, wps: options.mergeWps },
      log: (text) => progress(`bench: ${text}\n`),
      runKit: (args, cwd) => runner.run({ script: kit.bin, args, cwd, env }),
    },
    (name, fixture, fixtureCtx) => {
      if (!fixture.check) return;
      const args = resolveArgs(fixture.check, fixtureCtx);
      const result = fixture.check.exec
        ? runner.run({ exec: fixture.check.exec(fixtureCtx), args, cwd: fixtureCtx.repo, env, stdoutToFile: true })
        : runner.run({ script: kit.bin, args, cwd: fixtureCtx.repo, env });
      const problem = fixture.check.inspect(result.stdout, fixtureCtx);
      if (problem) {
        warnings.push(problem);
        progress(`bench: warning: ${problem}\n`);
      }
    },
  );

  try {
    await measureAndReport();
  } finally {
    await fixtures.closeAll();
    runner.close();
  }

  async function measureAndReport() {
    const selected = selectScenarios(options.only, progress);
    const results = [];
    for (const group of measurementGroups(selected)) {
      const members = [];
      for (const scenario of group) {
        // Members of a group may have different fixtures (check in the planning repository, check-3x in
        // the 3.x one): measurementGroups only pairs states that can both be in place.
        let scenarioCtx;
        try {
          scenarioCtx = await fixtures.enter(scenario.fixture);
        } catch (error) {
          // A peer that cannot be installed here is skipped with a note, not a failure of the bench.
          if (!(error instanceof PeerUnavailable)) throw error;
          results.push(failedResult(scenario, error.message, { skipped: true }));
          progress(`bench: ${scenario.name.padEnd(16)} SKIPPED ${error.message}\n`);
          continue;
        }
        // A scenario that cannot run on this machine (no chromium for the dashboard) says so, and is no error.
        const skip = scenario.skip?.(scenarioCtx);
        if (skip) {
          results.push(failedResult(scenario, skip, { skipped: true }));
          progress(`bench: ${scenario.name.padEnd(16)} SKIPPED ${skip}\n`);
          continue;
        }
        try {
          members.push({
            scenario,
            ctx: scenarioCtx,
            args: resolveArgs(scenario, scenarioCtx),
            warmup: null,
            measured: [],
          });
        } catch (error) {
          results.push(failedResult(scenario, error.message));
          progress(`bench: ${scenario.name.padEnd(16)} ERROR ${error.message}\n`);
        }
      }
      if (members.length === 0) continue;
      const runs = Math.min(options.runs, ...members.map((m) => m.scenario.maxRuns ?? Infinity));
      const names = members.map((m) => m.scenario.name);
      progress(`bench: ${names.join(' + ').padEnd(16)} ${members.length > 1 ? '(alternating) ' : ''}`);
      const once = async ({ scenario, ctx: scenarioCtx, args: firstArgs }) => {
        await scenario.setup?.(scenarioCtx);
        // argsEachRun: the arguments depend on what setup just made (git push of a new commit's sha).
        const args = scenario.argsEachRun ? resolveArgs(scenario, scenarioCtx) : firstArgs;
        // measure: a scenario that is not one process from spawn to exit (the dashboard's first paint).
        if (scenario.measure) return scenario.measure(scenarioCtx, kit, env);
        return scenario.exec
          ? runner.run({
              exec: execOf(scenario, scenarioCtx),
              args,
              cwd: scenarioCtx.repo,
              env,
              stdoutToFile: scenario.stdoutToFile,
            })
          : runner.run({ script: kit.bin, args, cwd: scenarioCtx.repo, env });
      };
      // A scenario with a budget in node start-ups gets `node -e 0` runs between its own (A node A node ...):
      // its "× node" divides by node's median over the same minutes, so a change in the machine's load
      // between scenarios does not move the ratio.
      const nodeScenario = SCENARIOS.find((s) => s.name === 'node');
      const interleaved = members.some((m) => m.scenario.nodeRatio !== undefined) ? [] : null;
      const nodeOnce = () =>
        runner.run({ exec: nodeScenario.exec, args: nodeScenario.args, cwd: members[0].ctx.repo, env });
      await fixtures.settle();
      for (const member of members) member.warmup = await once(member);
      for (let i = 0; i < runs; i++) {
        for (const member of members) member.measured.push(await once(member));
        if (interleaved) interleaved.push(nodeOnce().ms);
        progress('.');
      }
      const summaries = members.map((m) => summarize(m.scenario, m.args, m.measured, m.warmup));
      if (interleaved) for (const summary of summaries) summary.nodeMedianMs = round1(median(interleaved));
      // The 1-minute load average when the scenario finished: how busy the machine was while it ran.
      const loadNow = Math.round(os.loadavg()[0] * 100) / 100;
      for (const summary of summaries) summary.loadAverage1m = loadNow;
      results.push(...summaries);
      progress(
        ` ${summaries.map((r) => `${r.medianMs.toFixed(1)} ms${r.error ? ` ERROR ${r.error}` : ''}`).join(' / ')}\n`,
      );
    }
    results.sort(
      (a, b) => SCENARIOS.findIndex((s) => s.name === a.name) - SCENARIOS.findIndex((s) => s.name === b.name),
    );
    settleRelativeTargets(results);

    if (distStamp(kit.root) !== buildStamp) {
      warnings.push('dist/ was rebuilt while the bench ran: the figures may mix two builds; run again with --snapshot');
      progress(`bench: warning: ${warnings.at(-1)}\n`);
    }

    context.loadAverageAfter = os.loadavg().map((load) => Math.round(load * 100) / 100);
    context.loadAverageMax = Math.max(
      context.loadAverage[0],
      context.loadAverageAfter[0],
      ...results.map((r) => r.loadAverage1m ?? 0),
    );
    const load = context.loadAverageMax;
    if (load > context.cpus * 0.7) {
      warnings.push(
        `load average up to ${load} on ${context.cpus} CPUs: other processes competed for the CPU, ` +
          'so the figures are noisy (min is the most robust)',
      );
    }

    const doc = {
      schema: JSON_SCHEMA,
      startedAt,
      context,
      params: { ...params, runs: options.runs, mergeFiles: options.mergeFiles, mergeWps: options.mergeWps },
      kit: { root: kit.root, snapshot: options.snapshot },
      repo: { dir: repo.dir, files: repo.files, bytes: repo.bytes, reused: repo.reused, generateMs: repo.generateMs },
      fixtures: fixtures.summaries(),
      warnings,
      results,
    };
    if (options.out) writeFileSync(options.out, `${JSON.stringify(doc, null, 2)}\n`);
    if (options.json) {
      process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else {
      info(table(results, baseline));
      const notes = results.filter((r) => r.note).map((r) => `  ${r.name}: ${r.note}`);
      const errors = results.filter((r) => r.error).map((r) => `  ${r.name}: ${r.error}`);
      info(
        [
          '',
          'median, p90 and min: wall time from spawn to exit (node start-up included); a target applies to the median.',
          'CPU ms: median user + system CPU time of the process; it varies less than wall time on a busy machine.',
          'peak RSS: the highest max RSS over the runs.',
          "× node: the median over node -e 0's, run between the scenario's own runs where it has a budget in node start-ups.",
          `load average: ${context.loadAverage.join(' ')} before, ${context.loadAverageAfter.join(' ')} after; ` +
            `1-minute average after each scenario: ${results.map((r) => r.loadAverage1m ?? '?').join(' ')} (max ${context.loadAverageMax}).`,
          ...(notes.length > 0 ? ['notes:', ...notes] : []),
          ...(errors.length > 0 ? ['errors:', ...errors] : []),
          ...(warnings.length > 0 ? ['warnings:', ...warnings.map((w) => `  ${w}`)] : []),
        ].join('\n'),
      );
    }

    if (options.profile) {
      const scenario = SCENARIOS.find((s) => s.name === options.profile);
      info(`\n${await profileScenario(kit, runner, scenario, await fixtures.enter(scenario.fixture), env)}`);
    }

    if (results.some((r) => r.error)) process.exitCode = 1;
    else if (options.failOnTarget && results.some((r) => r.pass === false)) process.exitCode = 1;
  }
}

await main();
