/**
 * Fixtures for the kit merge tests: WPs taken through the real lanes (implement, commit in the worktree,
 * for_review, done), a `--json` runner that hands back kit's result or error, pictures of everything a
 * merge could touch (refs, worktrees, files under .git/kit, every working tree) and two ways to put kit
 * in a bad spot with real git only: a runner that survives kit SIGKILLing itself (KIT_FAILPOINT), and a
 * `git` interposer early on PATH that does something (commit on the target, dirty a worktree) right
 * before kit's own git command of a given shape runs, then hands over to the real git.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { afterAll, expect } from 'vitest';
import type { MergeState } from '../../src/io/merge-state.js';
import type { MergeResult } from '../../src/services/merge-feature.js';
import { commitFile, expectSuccess, type FeatureRepo, makeFeatureRepo, type WpSpec } from './lanes.js';
import {
  childEnv,
  git,
  kit,
  type KitErrorJson,
  KIT_BIN,
  type KitRun,
  makeTempDir,
  snapshotTree,
  type TempRepo,
} from './repo.js';

export type { MergeResult };

/** WP01 ← WP02 ← WP03. */
export const CHAIN: readonly WpSpec[] = [
  { id: 'WP01', title: 'Core' },
  { id: 'WP02', title: 'Parser', dependencies: ['WP01'] },
  { id: 'WP03', title: 'Printer', dependencies: ['WP02'] },
];

/** WP01 ← WP02, WP03, WP04. */
export const FAN_OUT: readonly WpSpec[] = [
  { id: 'WP01', title: 'Core' },
  { id: 'WP02', title: 'Parser', dependencies: ['WP01'] },
  { id: 'WP03', title: 'Printer', dependencies: ['WP01'] },
  { id: 'WP04', title: 'Linter', dependencies: ['WP01'] },
];

/** WP01 ← WP02, and WP03 on its own. */
export const PAIR_AND_ONE: readonly WpSpec[] = [
  { id: 'WP01', title: 'Core' },
  { id: 'WP02', title: 'Parser', dependencies: ['WP01'] },
  { id: 'WP03', title: 'Docs' },
];

/** WP01 ← WP02. */
export const PAIR: readonly WpSpec[] = [
  { id: 'WP01', title: 'Core' },
  { id: 'WP02', title: 'Parser', dependencies: ['WP01'] },
];

/** Two independent WPs. */
export const TWO: readonly WpSpec[] = [
  { id: 'WP01', title: 'Core' },
  { id: 'WP02', title: 'Docs' },
];

/** The file each WP commits by default, and its content. */
export const wpFile = (id: string): string => `${id.toLowerCase()}.txt`;
export const wpContent = (id: string): string => `work of ${id}\n`;

// ---------------------------------------------------------------------------------------------------
// Taking WPs through the lanes

/** `kit implement <id>`; returns the worktree. */
export async function startWp(fx: FeatureRepo, id: string): Promise<string> {
  const run = await fx.repo.kit(['implement', id, '--agent', `agent-${id}`]);
  expectSuccess(run, `kit implement ${id}`);
  return run.stdout.trim();
}

/** Writes (string) or deletes (null) files in a checkout and commits them all; returns the new commit. */
export function commitFiles(dir: string, files: Readonly<Record<string, string | null>>, message: string): string {
  const paths = Object.keys(files);
  for (const [path, content] of Object.entries(files)) {
    if (content === null) rmSync(join(dir, path), { force: true });
    else writeFileSync(join(dir, path), content);
  }
  quietGit(dir, ['add', '-A', '--', ...paths]);
  quietGit(dir, ['commit', '-q', '-m', message]);
  return quietGit(dir, ['rev-parse', 'HEAD']).trim();
}

/** for_review, then done (approved). */
export async function handIn(fx: FeatureRepo, id: string): Promise<void> {
  expectSuccess(await fx.repo.kit(['move', id, '--to', 'for_review']), `kit move ${id} --to for_review`);
  expectSuccess(await fx.repo.kit(['move', id, '--to', 'done']), `kit move ${id} --to done`);
}

export interface DoneWp {
  id: string;
  worktree: string;
  tip: string;
}

/** Starts a WP, commits `files` (default: its own `wpNN.txt`) in its worktree and moves it to done. */
export async function finishWp(
  fx: FeatureRepo,
  id: string,
  files: Readonly<Record<string, string | null>> = { [wpFile(id)]: wpContent(id) },
): Promise<DoneWp> {
  const worktree = await startWp(fx, id);
  const tip = commitFiles(worktree, files, `${id}: ${Object.keys(files).join(', ')}`);
  await handIn(fx, id);
  return { id, worktree, tip };
}

/** Finishes each WP in turn (dependencies must come first) with its default file. */
export async function finishAll(fx: FeatureRepo, ids: readonly string[]): Promise<Record<string, DoneWp>> {
  const done: Record<string, DoneWp> = {};
  for (const id of ids) done[id] = await finishWp(fx, id);
  return done;
}

// ---------------------------------------------------------------------------------------------------
// Finished features, built once per test file and copied for each test

interface Template {
  root: string;
  feature: string;
  target: string;
  files: Record<string, string>;
  done: Record<string, DoneWp>;
}

const templates = new Map<string, Template>();
const templateDirs: string[] = [];

afterAll(() => {
  for (const dir of templateDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A repository whose feature has these WPs, `ids` (default all, dependencies first) done with their default
 * file. Taking WPs through the lanes costs a few kit runs each, so the first call in a test file builds it
 * for real and keeps a copy; later calls copy that (worktrees included: their two gitdir pointers are
 * rewritten, as `git worktree repair` would). Each test gets its own repository either way.
 */
export async function doneFeature(
  wps: readonly WpSpec[],
  ids: readonly string[] = wps.map((wp) => wp.id),
): Promise<{ fx: FeatureRepo; done: Record<string, DoneWp> }> {
  const key = JSON.stringify([wps, ids]);
  const template = templates.get(key);
  if (!template) {
    const fx = await makeFeatureRepo({ wps });
    const done = await finishAll(fx, ids);
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'kit-template-')));
    templateDirs.push(dir);
    const root = join(dir, 'repo');
    copyRepository(fx.repo.root, root);
    const inTemplate = Object.fromEntries(
      Object.entries(done).map(([id, wp]) => [
        id,
        { ...wp, worktree: join(root, relative(fx.repo.root, wp.worktree)) },
      ]),
    );
    templates.set(key, { root, feature: fx.feature, target: fx.target, files: { ...fx.files }, done: inTemplate });
    return { fx, done };
  }
  const root = makeTempDir('kit-repo-');
  copyRepository(template.root, root);
  const moved = (path: string) => join(root, relative(template.root, path));
  const done = Object.fromEntries(
    Object.entries(template.done).map(([id, wp]) => [id, { ...wp, worktree: moved(wp.worktree) }]),
  );
  return { fx: featureRepoAt(root, template), done };
}

/** Copies a repository with its worktrees under it, and points the worktrees' gitdir files at the copy. */
function copyRepository(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  execFileSync('cp', ['-a', `${from}/.`, to]);
  const admin = join(to, '.git', 'worktrees');
  if (!existsSync(admin)) return;
  for (const name of readdirSync(admin)) {
    const gitdirFile = join(admin, name, 'gitdir');
    const worktreeDotGit = readFileSync(gitdirFile, 'utf8').trim();
    if (!worktreeDotGit.startsWith(`${from}/`)) throw new Error(`worktree ${name} is outside ${from}`);
    const moved = join(to, relative(from, worktreeDotGit));
    writeFileSync(gitdirFile, `${moved}\n`);
    writeFileSync(moved, `gitdir: ${join(to, '.git', 'worktrees', name)}\n`);
  }
}

function featureRepoAt(root: string, template: Template): FeatureRepo {
  const at = (path: string) => join(root, path);
  const repo: TempRepo = {
    root,
    git: (args, cwd) => git(cwd ? at(cwd) : root, args),
    kit: (args, options = {}) =>
      kit(args, { cwd: options.cwd ? at(options.cwd) : root, ...(options.env ? { env: options.env } : {}) }),
    write(path, content) {
      const full = at(path);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
      return full;
    },
    read: (path) => readFileSync(at(path), 'utf8'),
    readBytes: (path) => readFileSync(at(path)),
    exists: (path) => existsSync(at(path)),
    snapshot: () => snapshotTree(root),
  };
  const { feature, target, files } = template;
  return {
    repo,
    feature,
    target,
    files: { ...files },
    file(id) {
      const path = files[id];
      if (!path) throw new Error(`no WP file for ${id}`);
      return path;
    },
    worktreePath: (id) => join(root, '.worktrees', `${feature}-${id}`),
    branch: (id) => `${feature}-${id}`,
  };
}

/** Commits a file on the target in the main checkout, as a user would. */
export function commitOnTarget(fx: FeatureRepo, path: string, content: string, message = `Edit ${path}`): string {
  return commitFile(fx.repo.root, path, content, message);
}

// ---------------------------------------------------------------------------------------------------
// Running kit merge

export interface MergeRun {
  run: KitRun;
  exitCode: number;
  /** The result (also on exit 4, where `ok` is false). */
  result: MergeResult | undefined;
  error: KitErrorJson | undefined;
}

/** `kit merge ...args --json`. */
export async function merge(
  fx: FeatureRepo,
  args: readonly string[] = [],
  options: { cwd?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<MergeRun> {
  const run = await kitIn(fx.repo, ['merge', ...args, '--json'], options);
  return {
    run,
    exitCode: run.exitCode,
    result: run.json?.result as MergeResult | undefined,
    error: run.json?.error,
  };
}

/** Fails with kit's output unless the merge exited 0 with a result; returns the result. */
export function merged(outcome: MergeRun, what = 'kit merge'): MergeResult {
  expect(outcome.exitCode, `${what}\nstdout: ${outcome.run.stdout}\nstderr: ${outcome.run.stderr}`).toBe(0);
  if (!outcome.result) throw new Error(`${what}: no result in ${outcome.run.stdout}`);
  return outcome.result;
}

/** Runs kit (absolute or repository-relative cwd). */
export function kitIn(
  repo: TempRepo,
  args: readonly string[],
  options: { cwd?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<KitRun> {
  return repo.kit(args, {
    ...(options.cwd ? { cwd: relative(repo.root, options.cwd) || '.' } : {}),
    ...(options.env ? { env: options.env } : {}),
  });
}

export interface RawRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs kit and reports how it ended, a signal included (the fixture's `kit()` rejects on one). */
export function kitRaw(
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<RawRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KIT_BIN, ...args], {
      cwd,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Reading what a merge did

/** git without optional locks, so looking never rewrites an index. */
export function quietGit(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', [...args], {
      cwd,
      env: childEnv({ GIT_OPTIONAL_LOCKS: '0' }),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr}`);
  }
}

/** A file's content at a revision, or null when the revision has no such file. */
export function fileAt(repo: TempRepo, revision: string, path: string): string | null {
  try {
    return quietGit(repo.root, ['show', `${revision}:${path}`]);
  } catch {
    return null;
  }
}

export function isAncestor(repo: TempRepo, ancestor: string, descendant: string): boolean {
  try {
    quietGit(repo.root, ['merge-base', '--is-ancestor', ancestor, descendant]);
    return true;
  } catch {
    return false;
  }
}

/** The parents of a commit. */
export function parentsOf(repo: TempRepo, commit: string): string[] {
  return quietGit(repo.root, ['rev-list', '--parents', '-n', '1', commit]).trim().split(' ').slice(1);
}

export function subjectOf(repo: TempRepo, commit: string): string {
  return quietGit(repo.root, ['log', '-1', '--format=%s', commit]).trim();
}

/** Commits in `from..to`, oldest first. */
export function revList(repo: TempRepo, from: string, to: string, extra: readonly string[] = []): string[] {
  return quietGit(repo.root, ['rev-list', '--reverse', ...extra, `${from}..${to}`])
    .split('\n')
    .filter(Boolean);
}

export function tip(repo: TempRepo, ref: string): string {
  return quietGit(repo.root, ['rev-parse', '--verify', `${ref}^{commit}`]).trim();
}

/** `.git/kit/merge/<feature>.json` */
export function mergeStatePath(fx: FeatureRepo): string {
  return join(fx.repo.root, '.git', 'kit', 'merge', `${fx.feature}.json`);
}

export function readMergeStateFile(fx: FeatureRepo): MergeState | null {
  const path = mergeStatePath(fx);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as MergeState) : null;
}

/** Every file under a directory as relative path → sha1 (empty when it does not exist). */
export function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  if (!existsSync(dir)) return files;
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (statSync(full).isFile()) {
        files[relative(dir, full).split(sep).join('/')] = createHash('sha1').update(readFileSync(full)).digest('hex');
      }
    }
  };
  walk(dir);
  return files;
}

/** Refs kit keeps under refs/kit/ (archive refs), as `sha ref` lines. */
export function kitRefs(repo: TempRepo): string[] {
  return quietGit(repo.root, ['for-each-ref', '--format=%(objectname) %(refname)', 'refs/kit'])
    .split('\n')
    .filter(Boolean);
}

/** The user's uncommitted work in a checkout: porcelain status and both diffs, byte for byte. */
export function uncommitted(dir: string): { status: string; diff: string; cached: string } {
  return {
    status: quietGit(dir, ['status', '--porcelain=v1', '--untracked-files=all']),
    diff: quietGit(dir, ['diff', '--binary']),
    cached: quietGit(dir, ['diff', '--cached', '--binary']),
  };
}

/**
 * Everything kit merge could change: every ref, the worktree list (with HEADs and locks), the files under
 * .git/kit, each checkout's staged entries, status, diffs and files. Equal pictures mean nothing was written.
 * Left out: stat data in an index (git refreshes it on its own, even `git diff` does) and kit's lane-state
 * cache under .git/kit/cache (every kit command, `kit status` included, may refresh it).
 */
export function picture(repo: TempRepo): Record<string, unknown> {
  const worktrees = quietGit(repo.root, ['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length))
    .filter((path) => existsSync(path));
  const checkouts: Record<string, unknown> = {};
  for (const path of worktrees) {
    checkouts[path] = {
      head: quietGit(path, ['rev-parse', '--symbolic-full-name', 'HEAD']).trim(),
      staged: quietGit(path, ['ls-files', '--stage']),
      ...uncommitted(path),
      files: path === repo.root ? snapshotTree(path) : null,
    };
  }
  const kitFiles = Object.entries(filesUnder(join(repo.root, '.git', 'kit'))).filter(
    ([path]) => !path.startsWith('cache/'),
  );
  return {
    refs: quietGit(repo.root, ['for-each-ref', '--format=%(objectname) %(refname) %(symref)']),
    worktrees: quietGit(repo.root, ['worktree', 'list', '--porcelain']),
    kitFiles: Object.fromEntries(kitFiles),
    checkouts,
  };
}

// ---------------------------------------------------------------------------------------------------
// A git interposer: real git, with one extra action at a chosen moment

export interface GitInterposer {
  /** PATH with the interposer first: pass as `{ PATH: path }` in kit's env. */
  path: string;
  /** Every git command kit ran, one line each (arguments joined by spaces). */
  calls(): string[];
  /** Whether the action of rule `index` has run. */
  fired(index: number): boolean;
}

export interface InterposeRule {
  /** Runs when the git arguments (joined by spaces) contain this text, before git itself runs. */
  when: string;
  /** Shell commands; `$REAL` is the real git. They must not read stdin (git may need it). */
  run: string;
  /** Only the first match (default true). */
  once?: boolean;
}

/** Writes a `git` script that logs each call, runs the matching rules' actions, then execs the real git. */
export function interposeGit(rules: readonly InterposeRule[]): GitInterposer {
  const dir = makeTempDir('kit-git-');
  const real = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  const log = join(dir, 'calls.log');
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const lines = ['#!/bin/sh', `REAL=${quote(real)}`, 'export REAL', `printf '%s\\n' "$*" >> ${quote(log)}`];
  rules.forEach((rule, index) => {
    const marker = join(dir, `fired-${index}`);
    lines.push(
      `case "$*" in *${quote(rule.when)}*)`,
      rule.once === false
        ? `  ( ${rule.run} ) </dev/null >&2`
        : `  if [ ! -e ${quote(marker)} ]; then : > ${quote(marker)}; ( ${rule.run} ) </dev/null >&2; fi`,
      ';; esac',
    );
  });
  lines.push('exec "$REAL" "$@"', '');
  const script = join(dir, 'git');
  writeFileSync(script, lines.join('\n'));
  chmodSync(script, 0o755);
  return {
    path: `${dir}:${process.env.PATH ?? ''}`,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
    fired: (index) => existsSync(join(dir, `fired-${index}`)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Crashes: kit killed with SIGKILL at a failpoint (src/io/failpoint.ts)

export interface Crashed {
  fx: FeatureRepo;
  done: Record<string, DoneWp>;
  /** The target before the merge. */
  before: string;
  /** The user's own uncommitted work in the main checkout, as it was before the merge. */
  user: ReturnType<typeof uncommitted>;
  userFiles: Record<string, Buffer>;
  /** Where the crash left the target. */
  landed: boolean;
}

const USER_FILES: Readonly<Record<string, string>> = {
  'README.md': '# test repository\nmy unstaged line\n',
  'staged.txt': 'staged by the user\n',
  'mine/untracked.txt': 'untracked, mine\n',
};

/**
 * WP01 ← WP02 done, the user's staged, unstaged and untracked changes in the main checkout, then
 * `kit merge [args]` killed at `failpoint`. Checks the process really died of SIGKILL and that the target
 * is at its old commit or at a fully merged one, never in between.
 */
export async function crashAt(failpoint: string, args: readonly string[] = [], setup?: Crashed): Promise<Crashed> {
  let base = setup;
  if (!base) {
    const { fx, done } = await doneFeature(PAIR);
    for (const [path, content] of Object.entries(USER_FILES)) fx.repo.write(path, content);
    quietGit(fx.repo.root, ['add', 'staged.txt']);
    base = {
      fx,
      done,
      before: tip(fx.repo, fx.target),
      user: uncommitted(fx.repo.root),
      userFiles: Object.fromEntries(Object.keys(USER_FILES).map((path) => [path, fx.repo.readBytes(path)])),
      landed: false,
    };
  }
  const run = await kitRaw(base.fx.repo.root, ['merge', ...args], { KIT_FAILPOINT: failpoint });
  expect(run.signal, `kit merge ${args.join(' ')} at ${failpoint}: exit ${run.exitCode}\n${run.stderr}`).toBe(
    'SIGKILL',
  );
  return { ...base, landed: expectOldOrFullyMerged(base) === 'merged' };
}

/** The target is where the merge found it, or at a commit holding every WP whole: never in between. */
export function expectOldOrFullyMerged(crashed: Omit<Crashed, 'landed'>): 'old' | 'merged' {
  const { fx, done, before } = crashed;
  const now = tip(fx.repo, fx.target);
  if (now === before) return 'old';
  expect(isAncestor(fx.repo, before, now), 'the old target is in the new one').toBe(true);
  for (const wp of Object.values(done)) {
    expect(isAncestor(fx.repo, wp.tip, now), `${wp.id}'s tip is in ${now}`).toBe(true);
    expect(fileAt(fx.repo, now, wpFile(wp.id))).toBe(wpContent(wp.id));
  }
  expect(fileAt(fx.repo, now, 'README.md')).toBe(fileAt(fx.repo, before, 'README.md'));
  expect(quietGit(fx.repo.root, ['diff', '--name-only', before, now]).split('\n').filter(Boolean).sort()).toEqual(
    Object.keys(done)
      .map((id) => wpFile(id))
      .sort(),
  );
  return 'merged';
}

/** The merge is complete: target fully merged, checkout clean but for the user's changes, no kit state left. */
export function expectCompleted(crashed: Crashed, result: MergeResult | undefined): void {
  const { fx, done } = crashed;
  expect(expectOldOrFullyMerged(crashed)).toBe('merged');
  expect(result?.outcome).toBe('merged');
  expect(result?.after).toBe(tip(fx.repo, fx.target));
  expect(result?.proof).toEqual({ checked: Object.keys(done).length, ok: true });
  expect(tip(fx.repo, 'HEAD')).toBe(tip(fx.repo, fx.target));
  expect(uncommitted(fx.repo.root)).toEqual(crashed.user);
  for (const [path, bytes] of Object.entries(crashed.userFiles)) expect(fx.repo.readBytes(path)).toEqual(bytes);
  for (const id of Object.keys(done)) expect(fx.repo.read(wpFile(id))).toBe(wpContent(id));
  expect(existsSync(mergeStatePath(fx)), 'no merge state left').toBe(false);
  expect(worktreeList(fx.repo)).toEqual([fx.repo.root]);
  expect(kitRefs(fx.repo)).toEqual(
    Object.values(done).map((wp) => `${wp.tip} refs/kit/archive/${fx.feature}/${wp.id}`),
  );
  expect(quietGit(fx.repo.root, ['for-each-ref', '--format=%(refname)', 'refs/heads']).trim()).toBe(
    `refs/heads/${fx.target}`,
  );
}

/** The merge is cleanly abandoned: target old, WPs untouched, the user's changes intact, no kit state left. */
export function expectAbandoned(crashed: Crashed): void {
  const { fx, done, before } = crashed;
  expect(tip(fx.repo, fx.target)).toBe(before);
  expect(tip(fx.repo, 'HEAD')).toBe(before);
  expect(uncommitted(fx.repo.root)).toEqual(crashed.user);
  expect(existsSync(mergeStatePath(fx)), 'no merge state left').toBe(false);
  expect(filesUnder(join(fx.repo.root, '.git', 'kit', 'merge'))).toEqual({});
  expect(kitRefs(fx.repo)).toEqual([]);
  expect(worktreeList(fx.repo)).toEqual([fx.repo.root, ...Object.values(done).map((wp) => wp.worktree)]);
  for (const wp of Object.values(done)) {
    expect(tip(fx.repo, fx.branch(wp.id))).toBe(wp.tip);
    expect(quietGit(wp.worktree, ['status', '--porcelain'])).toBe('');
  }
}

function worktreeList(repo: TempRepo): string[] {
  return quietGit(repo.root, ['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}
