/**
 * The one git gateway: every git process kit starts is started here, with one fixed environment.
 *
 * Traps it guards against:
 * - Prompts and pagers would hang an agent: GIT_TERMINAL_PROMPT=0, no PAGER/EDITOR variables, LC_ALL=C
 *   so that messages kit parses are not translated. GIT_OPTIONAL_LOCKS=0 keeps read commands such as
 *   `status` from taking the index lock another agent may need.
 * - simple-git refuses PAGER/EDITOR variables passed through `.env()` (its environment guard), so the
 *   environment is built here, once, without them, and never by spreading process.env into `.env()`.
 * - simple-git resolves (does not reject) when git exits non-zero with an empty stderr, and it cannot
 *   feed stdin or return binary output. Commands whose exit code carries meaning, that read stdin, or
 *   that print binary objects run through `spawnGit`, which reports the exit code as it is.
 * simple-git itself is imported on first use: commands that never touch git do not pay for it.
 */
import { spawn } from 'node:child_process';
import type { SimpleGit } from 'simple-git';
import { GitCommandError } from '../errors.js';

const DROPPED_VARIABLES = [
  'PAGER',
  'GIT_PAGER',
  'EDITOR',
  'VISUAL',
  'GIT_EDITOR',
  'GIT_SEQUENCE_EDITOR',
  'GIT_ASKPASS',
];

function gitEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !DROPPED_VARIABLES.includes(key)) env[key] = value;
  }
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_OPTIONAL_LOCKS = '0';
  env.LC_ALL = 'C';
  return env;
}

export interface SpawnResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

export interface WorktreeEntry {
  path: string;
  head: string | null;
  /** Short branch name, or null when detached. */
  branch: string | null;
  bare: boolean;
  locked: string | null;
  prunable: string | null;
}

export class Git {
  private simple: SimpleGit | undefined;
  private readonly env = gitEnvironment();

  constructor(readonly cwd: string) {}

  private async client(): Promise<SimpleGit> {
    if (!this.simple) {
      const { simpleGit } = await import('simple-git');
      this.simple = simpleGit({ baseDir: this.cwd, binary: 'git', maxConcurrentProcesses: 8, trimmed: false }).env(
        this.env,
      );
    }
    return this.simple;
  }

  /** Runs git and returns stdout; a failure becomes a GitCommandError with git's own message. */
  async raw(args: readonly string[]): Promise<string> {
    const client = await this.client();
    try {
      return await client.raw([...args]);
    } catch (error) {
      throw new GitCommandError(args, null, (error as Error).message);
    }
  }

  /** Runs git with optional stdin and returns the exit code as it is (nothing is thrown for non-zero). */
  spawnGit(args: readonly string[], input?: string | Buffer): Promise<SpawnResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('git', [...args], { cwd: this.cwd, env: this.env, stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      child.on('error', reject);
      child.on('close', (code) =>
        resolve({ exitCode: code ?? 128, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
      );
      child.stdin.on('error', () => {
        // git may exit before reading all input (e.g. on a usage error); its exit code tells the story.
      });
      child.stdin.end(input ?? '');
    });
  }

  /** Where the repository is, seen from cwd; undefined outside any git repository. One spawn usually. */
  async locate(): Promise<{ toplevel: string | null; commonDir: string; gitDir: string } | undefined> {
    const base = ['rev-parse', '--path-format=absolute', '--git-common-dir', '--git-dir'];
    const full = await this.spawnGit([...base, '--show-toplevel']);
    if (full.exitCode === 0) {
      const [commonDir, gitDir, toplevel] = full.stdout.toString('utf8').trim().split('\n');
      if (commonDir && gitDir) return { toplevel: toplevel || null, commonDir, gitDir };
    }
    // --show-toplevel fails inside a bare repository or a .git dir: tell that apart from "no repository".
    const bare = await this.spawnGit(base);
    if (bare.exitCode !== 0) return undefined;
    const [commonDir, gitDir] = bare.stdout.toString('utf8').trim().split('\n');
    return commonDir && gitDir ? { toplevel: null, commonDir, gitDir } : undefined;
  }

  /** The branch checked out here, or null when HEAD is detached. An unborn branch still has a name. */
  async currentBranch(): Promise<string | null> {
    const result = await this.spawnGit(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return result.exitCode === 0 ? result.stdout.toString('utf8').trim() : null;
  }

  /** Local branches with the commit each points at. */
  async localBranches(): Promise<Map<string, string>> {
    const output = await this.raw(['for-each-ref', '--format=%(objectname) %(refname:short)', 'refs/heads']);
    const branches = new Map<string, string>();
    for (const line of output.split('\n')) {
      const space = line.indexOf(' ');
      if (space > 0) branches.set(line.slice(space + 1), line.slice(0, space));
    }
    return branches;
  }

  /** Every worktree of the repository (the main one first), from `git worktree list --porcelain -z`. */
  async worktrees(): Promise<WorktreeEntry[]> {
    const output = await this.raw(['worktree', 'list', '--porcelain', '-z']);
    const entries: WorktreeEntry[] = [];
    let current: WorktreeEntry | undefined;
    for (const field of output.split('\0')) {
      if (field === '') {
        if (current) entries.push(current);
        current = undefined;
        continue;
      }
      const space = field.indexOf(' ');
      const key = space === -1 ? field : field.slice(0, space);
      const value = space === -1 ? '' : field.slice(space + 1);
      if (key === 'worktree') {
        current = { path: value, head: null, branch: null, bare: false, locked: null, prunable: null };
      } else if (current) {
        if (key === 'HEAD') current.head = value;
        else if (key === 'branch') current.branch = value.replace(/^refs\/heads\//, '');
        else if (key === 'bare') current.bare = true;
        else if (key === 'locked') current.locked = value;
        else if (key === 'prunable') current.prunable = value;
      }
    }
    if (current) entries.push(current);
    return entries;
  }

  /**
   * The names in directory `path` of each given commit-ish, in one git process (`cat-file --batch`
   * reads raw tree objects), so scanning every branch costs one spawn whatever the number of branches.
   * A commit-ish without that directory maps to an empty list.
   */
  async directoryNames(commitishes: readonly string[], path: string): Promise<Map<string, string[]>> {
    const names = new Map<string, string[]>();
    if (commitishes.length === 0) return names;
    const input = commitishes.map((c) => `${c}:${path}\n`).join('');
    const result = await this.spawnGit(['cat-file', '--batch'], input);
    if (result.exitCode !== 0) throw new GitCommandError(['cat-file', '--batch'], result.exitCode, result.stderr);
    const out = result.stdout;
    let offset = 0;
    for (const commitish of commitishes) {
      const headerEnd = out.indexOf(0x0a, offset);
      if (headerEnd === -1) break;
      const header = out.toString('utf8', offset, headerEnd);
      offset = headerEnd + 1;
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        names.set(commitish, []);
        continue;
      }
      const [, type, sizeText] = header.split(' ');
      const size = Number(sizeText);
      const body = out.subarray(offset, offset + size);
      offset += size + 1;
      names.set(commitish, type === 'tree' ? parseTreeNames(body) : []);
    }
    return names;
  }
}

// A raw tree object is a sequence of `<mode> <name>\0<20-byte object id>` entries.
function parseTreeNames(tree: Buffer): string[] {
  const names: string[] = [];
  let offset = 0;
  while (offset < tree.length) {
    const space = tree.indexOf(0x20, offset);
    const nul = tree.indexOf(0, space);
    if (space === -1 || nul === -1) break;
    names.push(tree.toString('utf8', space + 1, nul));
    offset = nul + 21;
  }
  return names;
}
