/**
 * Fixtures for the lane commands (implement, move, status, next): a repository with a planned feature whose
 * planning files are committed on main, plus small git helpers to read what a user would look at (branch tips,
 * the committed copy of a WP file, the user's own uncommitted state).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { childEnv, frontmatterBlock, git, KIT_BIN, type KitRun, makeRepo, resultOf, type TempRepo } from './repo.js';

export interface WpSpec {
  id: string;
  title: string;
  dependencies?: readonly string[];
}

/**
 * The feature most tests use, a diamond plus an independent WP:
 * WP01 ← WP02, WP01 ← WP03, (WP02, WP03) ← WP04, and WP05 on its own.
 */
export const DIAMOND: readonly WpSpec[] = [
  { id: 'WP01', title: 'Set up the core' },
  { id: 'WP02', title: 'Build the parser', dependencies: ['WP01'] },
  { id: 'WP03', title: 'Build the printer', dependencies: ['WP01'] },
  { id: 'WP04', title: 'Wire the CLI', dependencies: ['WP02', 'WP03'] },
  { id: 'WP05', title: 'Write the docs' },
];

/** `count` independent WPs, WP01..WPnn. */
export function independentWps(count: number): WpSpec[] {
  return Array.from({ length: count }, (_, index) => {
    const id = `WP${String(index + 1).padStart(2, '0')}`;
    return { id, title: `Package ${index + 1}` };
  });
}

/** A tasks.md in the format `kit tasks` parses, one section per WP with one subtask each. */
export function tasksMarkdown(title: string, wps: readonly WpSpec[], firstSubtask = 1): string {
  const lines = [`# Tasks: ${title}`, ''];
  wps.forEach((wp, index) => {
    const deps = wp.dependencies && wp.dependencies.length > 0 ? wp.dependencies.join(', ') : 'none';
    const subtask = `T${String(firstSubtask + index).padStart(3, '0')}`;
    lines.push(`## ${wp.id}: ${wp.title}`, '', `**Depends on**: ${deps}`, '', `- [ ] ${subtask} Do ${wp.title}`, '');
  });
  return lines.join('\n');
}

export interface FeatureRepo {
  repo: TempRepo;
  /** The feature's directory name, e.g. `001-x`. */
  feature: string;
  /** The feature's target branch (meta.json). */
  target: string;
  /** Repository path of each WP file, by id. */
  files: Record<string, string>;
  /** Repository path of a WP file; throws for an unknown id. */
  file(id: string): string;
  /** `<root>/.worktrees/<feature>-<WP>` */
  worktreePath(id: string): string;
  /** `<feature>-<WP>` */
  branch(id: string): string;
}

export interface FeatureOptions {
  slug?: string;
  wps?: readonly WpSpec[];
  /** Put `/.worktrees/` in .git/info/exclude, as `kit init` does (default true). */
  excludeWorktrees?: boolean;
}

/**
 * Adds a feature to an existing repository with `kit specify` and `kit tasks`, and commits its planning files
 * on the branch checked out in the main checkout (the feature's target).
 */
export async function addFeature(repo: TempRepo, options: FeatureOptions = {}): Promise<FeatureRepo> {
  const slug = options.slug ?? 'x';
  const wps = options.wps ?? DIAMOND;
  const specify = await repo.kit(['specify', `The ${slug} feature`, '--slug', slug, '--json']);
  expectSuccess(specify, 'kit specify');
  const { feature, targetBranch: target } = resultOf<{ feature: string; targetBranch: string }>(specify);
  repo.write(`kitty-specs/${feature}/tasks.md`, tasksMarkdown(slug, wps));
  expectSuccess(await repo.kit(['tasks', '--feature', feature]), 'kit tasks');
  repo.git(['add', `kitty-specs/${feature}`]);
  repo.git(['commit', '-q', '-m', `Plan ${feature}`]);
  const files: Record<string, string> = {};
  for (const name of readdirSync(join(repo.root, 'kitty-specs', feature, 'tasks'))) {
    const id = /^(WP\d+)/.exec(name)?.[1];
    if (id) files[id] = `kitty-specs/${feature}/tasks/${name}`;
  }
  expect(Object.keys(files).sort()).toEqual(wps.map((wp) => wp.id).sort());
  return {
    repo,
    feature,
    target,
    files,
    file(id) {
      const path = files[id];
      if (!path) throw new Error(`no WP file for ${id}`);
      return path;
    },
    worktreePath: (id) => join(repo.root, '.worktrees', `${feature}-${id}`),
    branch: (id) => `${feature}-${id}`,
  };
}

/** A fresh repository (branch main) with one committed, planned feature `001-<slug>`. */
export async function makeFeatureRepo(options: FeatureOptions = {}): Promise<FeatureRepo> {
  const repo = makeRepo();
  if (options.excludeWorktrees ?? true) {
    writeFileSync(join(repo.root, '.git', 'info', 'exclude'), '/.worktrees/\n');
  }
  return addFeature(repo, options);
}

// ---------------------------------------------------------------------------------------------------
// Reading git state

/** The commit a ref points at, or null when it does not exist. */
export function tipOf(repo: TempRepo, ref: string): string | null {
  try {
    return repo.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).trim() || null;
  } catch {
    return null;
  }
}

/** Local branch names, sorted. */
export function branchNames(repo: TempRepo): string[] {
  return repo.git(['for-each-ref', '--format=%(refname:short)', 'refs/heads']).split('\n').filter(Boolean).sort();
}

/** Paths of every worktree of the repository (the main checkout first). */
export function worktreePaths(repo: TempRepo): string[] {
  return repo
    .git(['worktree', 'list', '--porcelain'])
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}

/** Parses the frontmatter of a Markdown text. */
export function frontmatterOf(text: string): Record<string, unknown> {
  return parse(frontmatterBlock(text)) as Record<string, unknown>;
}

/** The WP file's frontmatter as committed on `ref` (default main). */
export function committedWp(fx: FeatureRepo, id: string, ref = 'main'): Record<string, unknown> {
  return frontmatterOf(fx.repo.git(['show', `${ref}:${fx.file(id)}`]));
}

/** The history entries of a WP's frontmatter. */
export function historyOf(data: Record<string, unknown>): Record<string, unknown>[] {
  const history = data.history;
  if (!Array.isArray(history)) throw new Error(`history is not a list: ${JSON.stringify(history)}`);
  return history as Record<string, unknown>[];
}

/** Commits reachable from `to` and not from `from`, oldest first, as { sha, subject, files }. */
export function commitsBetween(
  repo: TempRepo,
  from: string,
  to: string,
): { sha: string; subject: string; files: string[] }[] {
  const shas = repo
    .git(['rev-list', '--reverse', `${from}..${to}`])
    .split('\n')
    .filter(Boolean);
  return shas.map((sha) => ({
    sha,
    subject: repo.git(['log', '-1', '--format=%s', sha]).trim(),
    files: repo.git(['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', sha]).split('\n').filter(Boolean),
  }));
}

/** What the user sees of their uncommitted work in a checkout: status, unstaged and staged diffs. */
export function userState(dir: string): { status: string; diff: string; cached: string } {
  return {
    status: git(dir, ['status', '--porcelain=v1', '--untracked-files=all']),
    diff: git(dir, ['diff']),
    cached: git(dir, ['diff', '--cached']),
  };
}

/** Writes a file in a checkout and commits it there. */
export function commitFile(dir: string, path: string, content: string, message = `Edit ${path}`): string {
  writeFileSync(join(dir, path), content);
  git(dir, ['add', '--', path]);
  git(dir, ['commit', '-q', '-m', message]);
  return git(dir, ['rev-parse', 'HEAD']).trim();
}

/** The pid of a process that has exited (a finished `node -e 0`). */
export function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => {
      if (child.pid === undefined) reject(new Error('no pid'));
      else resolve(child.pid);
    });
  });
}

/** Fails with the run's output unless it exited 0. */
export function expectSuccess(run: KitRun, what = 'kit'): void {
  expect(run.exitCode, `${what}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`).toBe(0);
}

// ---------------------------------------------------------------------------------------------------
// Controlling interleavings

/** A kit process started in the background, with its pid (to pause it) and its outcome. */
export interface RunningKit {
  pid: number;
  result: Promise<Omit<KitRun, 'json'>>;
}

/** Starts `kit ...args` in `cwd` with the fixture's environment, without waiting for it. */
export function startKit(cwd: string, args: readonly string[]): RunningKit {
  const child = spawn(process.execPath, [KIT_BIN, ...args], {
    cwd,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('kit did not start');
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const result = new Promise<Omit<KitRun, 'json'>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        exitCode: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
  return { pid: child.pid, result };
}

/**
 * Holds kit's lane lock as a live process (this one) would, so kit writers wait at it. Returns the release.
 */
export function holdLaneLock(repo: TempRepo): () => void {
  const dir = join(repo.root, '.git', 'kit', 'locks');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'lanes.lock');
  writeFileSync(path, JSON.stringify({ pid: process.pid, host: hostname(), command: 'held by the test' }));
  return () => rmSync(path, { force: true });
}

/** Polls until `condition` holds; fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}
