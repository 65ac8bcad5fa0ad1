/**
 * Fixtures for claims shared through a git remote: a bare repository as `origin`, a planned 1.x feature
 * pushed to it from a seed clone, any number of real clones of it, and (optionally) `git daemon` serving it
 * over git:// on 127.0.0.1. Everything is real git; nothing is mocked.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll } from 'vitest';
import { childEnv, git, kit, type KitRun, makeTempDir } from './repo.js';

export const FEATURE = '001-x';

/** A WP's branch in the seeded feature, and where its claim record lives on origin. */
export const branchOf = (wp: string): string => `${FEATURE}-${wp}`;
export const claimRefOf = (wp: string): string => `refs/kit/claims/${FEATURE}/${wp}`;

/** `WP01`..`WPnn`. */
export function wpIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `WP${String(index + 1).padStart(2, '0')}`);
}

export interface Origin {
  /** Absolute path of the bare repository. */
  path: string;
  /** What clones use as the remote URL (the path, or a git:// URL). */
  url: string;
  /** The commit origin's main points at after seeding. */
  main: string;
}

/**
 * A bare repository (`<dir>/origin.git`, branch main) holding a committed, planned 1.x feature 001-x with
 * the given WPs (no dependencies) and a `.kit/config.yaml` with `remote: origin`, pushed from a seed clone.
 */
export function makeOrigin(options: {
  wps: readonly string[];
  dir?: string;
  url?: string;
  /** `ref`: the config also says lane_store: ref (lanes on refs/kit/lanes/main). */
  laneStore?: 'target' | 'ref';
}): Origin {
  const dir = options.dir ?? makeTempDir('kit-origin-');
  const path = join(dir, 'origin.git');
  git(dir, ['init', '-q', '--bare', '-b', 'main', path]);
  const seed = join(makeTempDir('kit-seed-'), 'seed');
  git(dir, ['clone', '-q', path, seed]);
  configureIdentity(seed);
  const write = (file: string, content: string) => {
    mkdirSync(join(seed, file, '..'), { recursive: true });
    writeFileSync(join(seed, file), content);
  };
  write('README.md', '# shared repository\n');
  write(
    `kitty-specs/${FEATURE}/meta.json`,
    `${JSON.stringify({ feature_number: '001', slug: FEATURE, friendly_name: 'X', target_branch: 'main' }, null, 2)}\n`,
  );
  write(`kitty-specs/${FEATURE}/spec.md`, '# Feature Specification: X\n\nAll decided.\n');
  for (const id of options.wps) {
    write(
      `kitty-specs/${FEATURE}/tasks/${id}-a.md`,
      `---\nwork_package_id: ${id}\ntitle: Package ${id}\nlane: planned\ndependencies: []\n---\n\n# ${id}\n\nDo it.\n`,
    );
  }
  // What `kit init --remote origin` writes, committed so every clone shares it.
  write(
    '.kit/config.yaml',
    `version: 1\nspecsDir: kitty-specs\nworktreesDir: .worktrees\nremote: origin\n${options.laneStore ? `lane_store: ${options.laneStore}\n` : ''}`,
  );
  git(seed, ['add', '-A']);
  git(seed, ['commit', '-q', '-m', 'Plan 001-x']);
  git(seed, ['push', '-q', 'origin', 'main']);
  return { path, url: options.url ?? path, main: git(seed, ['rev-parse', 'HEAD']).trim() };
}

function configureIdentity(dir: string): void {
  git(dir, ['config', 'user.name', 'Kit Test']);
  git(dir, ['config', 'user.email', 'kit-test@example.com']);
  git(dir, ['config', 'commit.gpgsign', 'false']);
}

export interface Clone {
  root: string;
  agent: string;
  git(args: readonly string[]): string;
  /** Runs kit in the clone as its agent (KIT_AGENT). */
  kit(args: readonly string[]): Promise<KitRun>;
}

/** A real clone of `url` whose worktrees dir is excluded (as kit init does), acting as `agent`. */
export function cloneOrigin(url: string, agent: string): Clone {
  const root = join(makeTempDir('kit-clone-'), agent);
  execFileSync('git', ['clone', '-q', url, root], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  configureIdentity(root);
  writeFileSync(join(root, '.git', 'info', 'exclude'), '/.worktrees/\n');
  return {
    root,
    agent,
    git: (args) => git(root, args),
    kit: (args) => kit(args, { cwd: root, env: { KIT_AGENT: agent } }),
  };
}

/** Every ref of a repository under `prefix`, as full ref name → commit. */
export function refsOf(repoPath: string, prefix: string): Record<string, string> {
  const refs: Record<string, string> = {};
  for (const line of git(repoPath, ['for-each-ref', '--format=%(refname) %(objectname)', prefix]).split('\n')) {
    const [name, sha] = line.split(' ');
    if (name && sha) refs[name] = sha;
  }
  return refs;
}

/** The commit a ref points at, or null. */
export function tipIn(repoPath: string, ref: string): string | null {
  try {
    return git(repoPath, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).trim() || null;
  } catch {
    return null;
  }
}

export interface ClaimRecord {
  parents: string[];
  tree: string;
  fields: Record<string, string>;
}

/** A claim record on `repoPath`: its parents, tree and `key: value` message lines. */
export function claimRecord(repoPath: string, ref: string): ClaimRecord {
  const raw = git(repoPath, ['cat-file', 'commit', ref]);
  const [header = '', message = ''] = raw.split(/\n\n([\s\S]*)/);
  const headerLines = header.split('\n');
  const fields: Record<string, string> = {};
  for (const line of message.split('\n')) {
    const match = /^(\w+): (.*)$/.exec(line);
    if (match?.[1] && match[2] !== undefined) fields[match[1]] = match[2];
  }
  return {
    parents: headerLines.filter((line) => line.startsWith('parent ')).map((line) => line.slice(7)),
    tree: headerLines.find((line) => line.startsWith('tree '))?.slice(5) ?? '',
    fields,
  };
}

/** The id of git's empty tree in a repository (sha1 or sha256). */
export function emptyTree(repoPath: string): string {
  return execFileSync('git', ['mktree'], { cwd: repoPath, input: '', env: childEnv(), encoding: 'utf8' }).trim();
}

// ---------------------------------------------------------------------------------------------------
// git daemon

/** Whether this machine's git has `git daemon` (some distributions package it separately). */
export function hasGitDaemon(): boolean {
  try {
    const execPath = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim();
    return existsSync(join(execPath, process.platform === 'win32' ? 'git-daemon.exe' : 'git-daemon'));
  } catch {
    return false;
  }
}

/** A TCP port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

export interface GitDaemon {
  port: number;
  /** `git://127.0.0.1:<port>/<name>` */
  url(name: string): string;
  stop(): Promise<void>;
}

/**
 * A `git daemon` for the enclosing describe block: started once before its tests in a directory of its
 * own (where makeOrigin({ dir }) puts the bare repositories it serves), stopped and removed after them.
 * Returns a getter, since the daemon exists only once beforeAll ran.
 */
export function useGitDaemon(): () => { daemon: GitDaemon; base: string } {
  let base = '';
  let daemon: GitDaemon | undefined;
  beforeAll(async () => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'kit-daemon-')));
    daemon = await startGitDaemon(base);
  });
  afterAll(async () => {
    await daemon?.stop();
    if (base) rmSync(base, { recursive: true, force: true });
  });
  return () => {
    if (!daemon) throw new Error('git daemon did not start');
    return { daemon, base };
  };
}

/** Starts `git daemon` serving (and accepting pushes to) every repository below `baseDir`. */
export async function startGitDaemon(baseDir: string): Promise<GitDaemon> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'git',
    [
      'daemon',
      '--export-all',
      '--enable=receive-pack',
      `--base-path=${baseDir}`,
      '--listen=127.0.0.1',
      `--port=${port}`,
      '--reuseaddr',
      baseDir,
    ],
    {
      env: childEnv({ HOME: baseDir, USERPROFILE: baseDir, XDG_CONFIG_HOME: join(baseDir, '.config') }),
      stdio: 'ignore',
    },
  );
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on('exit', () => {
      exited = true;
      resolve();
    });
    child.on('error', () => {
      exited = true;
      resolve();
    });
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (exited) throw new Error(`git daemon exited before listening on 127.0.0.1:${port}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`git daemon did not listen on 127.0.0.1:${port} within 10 s`);
    }
    await sleep(50);
  }
  return {
    port,
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await Promise.race([exit, sleep(3_000)]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Origin out of reach, server hooks, WPs taken to done in a clone

/** Moves origin out of reach (renames its directory); returns what puts it back. */
export function takeOffline(origin: Origin): () => void {
  renameSync(origin.path, `${origin.path}.away`);
  return () => renameSync(`${origin.path}.away`, origin.path);
}

/** Writes an executable hook (`pre-receive`, `post-receive`, ...) into origin. */
export function installOriginHook(origin: Origin, name: string, body: string): void {
  const hook = join(origin.path, 'hooks', name);
  writeFileSync(hook, `#!/bin/sh\n${body}`);
  chmodSync(hook, 0o755);
}

/**
 * Takes a WP to done in a clone with kit alone: kit implement, one commit in its worktree, kit move --to
 * for_review, kit review --approve. Returns the worktree and the WP branch's tip.
 */
export async function finishWpInClone(clone: Clone, wp: string): Promise<{ worktree: string; tip: string }> {
  const expectOk = (what: string, run: KitRun) => {
    if (run.exitCode !== 0) {
      throw new Error(
        `${clone.agent}: kit ${what} exited ${run.exitCode}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`,
      );
    }
  };
  const started = await clone.kit(['implement', wp]);
  expectOk(`implement ${wp}`, started);
  const worktree = started.stdout.trim();
  const file = `${wp.toLowerCase()}.txt`;
  writeFileSync(join(worktree, file), `work of ${wp}\n`);
  git(worktree, ['add', '--', file]);
  git(worktree, ['commit', '-q', '-m', `${wp}: ${file}`]);
  const tip = git(worktree, ['rev-parse', 'HEAD']).trim();
  expectOk(`move ${wp} --to for_review`, await clone.kit(['move', wp, '--to', 'for_review']));
  expectOk(`review ${wp} --approve`, await clone.kit(['review', wp, '--approve']));
  return { worktree, tip };
}
