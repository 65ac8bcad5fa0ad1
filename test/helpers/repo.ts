/**
 * Integration-test fixture: throw-away git repositories and a runner for the built kit CLI.
 *
 * Every repository is real (`git init -b main`, a local identity, one initial commit) and lives in its own
 * temporary directory, removed after each test. kit runs as a child process (`node bin/run.js`) with a
 * small, fixed environment so that the user's git config, CI variables and colour settings cannot change
 * what a test sees.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
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
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/** The CLI entry point, found relative to this file (test/helpers/ → bin/run.js). */
export const KIT_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

const KIT_TIMEOUT_MS = 30_000;

const temporaryDirs: string[] = [];
let home: string | undefined;

/** Removes every temporary directory made since the last cleanup. Registered with afterEach below. */
export function cleanupTempDirs(): void {
  home = undefined;
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

afterEach(cleanupTempDirs);

/** A fresh empty directory (real path, so it compares equal to what git and kit print). Removed after the test. */
export function makeTempDir(prefix = 'kit-it-'): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  temporaryDirs.push(dir);
  return dir;
}

/**
 * The environment every child process gets: only what a process needs to run, plus fixed identity and
 * settings. Variables a CI system or the developer's shell sets (CI, GITHUB_*, GIT_DIR, DEBUG, FORCE_COLOR,
 * NODE_OPTIONS, ...) are not passed on. HOME is an empty directory of the test's own, so the developer's global
 * git config does not apply either (GIT_CONFIG_GLOBAL would do that too, but kit's git layer rejects it).
 */
export function childEnv(overrides: Readonly<Record<string, string | undefined>> = {}): NodeJS.ProcessEnv {
  home ??= makeTempDir('kit-home-');
  const env: NodeJS.ProcessEnv = { HOME: home, USERPROFILE: home, XDG_CONFIG_HOME: join(home, '.config') };
  for (const key of ['PATH', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, {
    NO_COLOR: '1',
    TERM: 'dumb',
    LANG: 'C',
    LC_ALL: 'C',
    TZ: 'UTC',
    GIT_AUTHOR_NAME: 'Kit Test',
    GIT_AUTHOR_EMAIL: 'kit-test@example.com',
    GIT_COMMITTER_NAME: 'Kit Test',
    GIT_COMMITTER_EMAIL: 'kit-test@example.com',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  });
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs git synchronously in `cwd` and returns its stdout; throws with git's stderr on failure. */
export function git(cwd: string, args: readonly string[]): string {
  try {
    return execFileSync('git', [...args], {
      cwd,
      env: childEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// kit's JSON output, as far as the tests read it

export interface KitErrorJson {
  message: string;
  hint: string | null;
  exitCode: number;
}

export interface KitEnvelope {
  ok: boolean;
  result?: unknown;
  error?: KitErrorJson;
}

export interface ProblemJson {
  kind: string;
  feature: string | null;
  wp: string | null;
  file: string | null;
  line: number | null;
  message: string;
}

export interface CheckResultJson {
  ok: boolean;
  strict: boolean;
  features: {
    id: string;
    title: string;
    format: '1.x' | 'lane-folders' | '3.x';
    counts: Record<string, number>;
    workPackages: { id: string; lane: string; statusLane: string | null; file: string }[];
  }[];
  problems: ProblemJson[];
}

export interface KitRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it parses. */
  json: KitEnvelope | undefined;
}

export interface KitOptions {
  cwd: string;
  /** Added to (or, with undefined, removed from) the deterministic child environment. */
  env?: Readonly<Record<string, string | undefined>>;
}

/** Spawns `node bin/run.js ...args` and collects its output. Never rejects on a non-zero exit. */
export function kit(args: readonly string[], options: KitOptions): Promise<KitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KIT_BIN, ...args], {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), KIT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === null) {
        reject(new Error(`kit ${args.join(' ')} was killed (${signal ?? 'no signal'}); stderr: ${stderr}`));
        return;
      }
      resolve({ exitCode: code, stdout, stderr, json: parseJson(stdout) });
    });
  });
}

function parseJson(text: string): KitEnvelope | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as KitEnvelope) : undefined;
  } catch {
    return undefined;
  }
}

/** The `result` of a `--json` run, typed by the caller; fails loudly when there is none. */
export function resultOf<T>(run: KitRun): T {
  if (!run.json || run.json.result === undefined) {
    throw new Error(
      `expected a JSON result from kit (exit ${run.exitCode})\nstdout: ${run.stdout}\nstderr: ${run.stderr}`,
    );
  }
  return run.json.result as T;
}

/** Matches a line of a JavaScript stack trace (`    at fn (file:1:2)`). */
export const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

// ---------------------------------------------------------------------------------------------------
// Repositories

export interface TempRepo {
  /** Absolute real path of the checkout. */
  root: string;
  /** Runs git in the repository (or in `cwd`, relative to the root). */
  git(args: readonly string[], cwd?: string): string;
  /** Runs kit in the repository root (or in `cwd`, relative to the root). */
  kit(
    args: readonly string[],
    options?: { cwd?: string; env?: Readonly<Record<string, string | undefined>> },
  ): Promise<KitRun>;
  /** Writes a file (creating its directories) and returns its absolute path. */
  write(path: string, content: string | Buffer): string;
  read(path: string): string;
  readBytes(path: string): Buffer;
  exists(path: string): boolean;
  /** Every file under the checkout except `.git/`, as repository path → content hash. */
  snapshot(): Record<string, string>;
}

/** A new git repository on branch main with a local identity and one commit (README.md). */
export function makeRepo(): TempRepo {
  const root = makeTempDir('kit-repo-');
  git(root, ['init', '-q', '-b', 'main']);
  git(root, ['config', 'user.name', 'Kit Test']);
  git(root, ['config', 'user.email', 'kit-test@example.com']);
  git(root, ['config', 'commit.gpgsign', 'false']);
  writeFileSync(join(root, 'README.md'), '# test repository\n');
  git(root, ['add', 'README.md']);
  git(root, ['commit', '-q', '-m', 'initial commit']);
  const at = (path: string) => join(root, path);
  return {
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
}

/**
 * Writes a feature the way `kit specify` lays it out (spec.md and a Spec Kitty meta.json) without spawning
 * kit, for tests about the commands that come after it. The spec has no open questions unless given one.
 */
export function writeFeature(repo: TempRepo, name: string, friendlyName: string, spec?: string): string {
  const dir = `kitty-specs/${name}`;
  repo.write(`${dir}/spec.md`, spec ?? `# Feature Specification: ${friendlyName}\n\nAll decided.\n`);
  const meta = {
    feature_number: name.slice(0, name.indexOf('-')),
    slug: name,
    feature_slug: name,
    friendly_name: friendlyName,
    target_branch: 'main',
    created_at: '2026-01-02T03:04:05.000Z',
  };
  repo.write(`${dir}/meta.json`, `${JSON.stringify(meta, null, 2)}\n`);
  return dir;
}

/** Every file below `dir` (skipping `.git`) as forward-slash relative path → sha1 of its bytes. */
export function snapshotTree(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const full = join(current, entry.name);
      const key = relative(dir, full).split(sep).join('/');
      if (entry.isDirectory()) {
        files[`${key}/`] = 'dir';
        walk(full);
      } else if (statSync(full).isFile()) {
        files[key] = createHash('sha1').update(readFileSync(full)).digest('hex');
      }
    }
  };
  walk(dir);
  return files;
}

/** The YAML between a Markdown file's opening and closing `---` lines (LF or CRLF, optional BOM). */
export function frontmatterBlock(text: string): string {
  const match = /^\ufeff?---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(text);
  if (!match?.[1]) throw new Error(`no frontmatter in:\n${text.slice(0, 200)}`);
  return match[1];
}
