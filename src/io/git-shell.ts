/**
 * Starts git processes through one long-lived POSIX shell instead of from Node itself.
 *
 * Why: Node starts a child with fork(), whose cost grows with the parent's memory. kit's process holds
 * 60–110 MB once oclif and its modules are loaded, so every spawn blocked the main thread for 3–6 ms on
 * the machines we measure; a merge of 20 WPs starts about 70 git processes, which made spawning the
 * largest single cost of `kit merge --dry-run`. A shell of a megabyte forks in a fraction of that, and
 * the main thread only writes one line per command.
 *
 * How: each command is one background job of the shell, `{ ( cd DIR && export VARS; exec git ARGS )
 * <IN >OUT 2>ERR; echo "ID $?"; } &`, every word single-quoted. Output goes to files in a private
 * temporary directory (binary-safe, no pipe to drain), the job's id and exit code come back on the shell's
 * stdout, and then the files are read and removed. Jobs run concurrently, like separate spawns did.
 *
 * Where there is no /bin/sh (Windows), or KIT_GIT_SHELL=0 is set, the caller spawns git directly.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ShellGitResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
}

interface PendingJob {
  id: number;
  resolve: (result: ShellGitResult) => void;
  reject: (error: Error) => void;
}

/** What a job exits with when its directory cannot be entered (git's own codes stay below 200). */
const NO_DIRECTORY = 201;
const SHELL = '/bin/sh';
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The niceness of a low-priority job, as `nice -n` takes it. */
const LOW_PRIORITY = 10;

export class GitShell {
  private readonly pending = new Map<number, PendingJob>();
  private nextId = 1;
  private received = '';
  private broken: Error | null = null;

  private constructor(
    private readonly shell: ChildProcessWithoutNullStreams,
    private readonly directory: string,
  ) {
    shell.stdout.setEncoding('utf8');
    shell.stdout.on('data', (chunk: string) => this.onOutput(chunk));
    shell.stderr.resume(); // the shell's own complaints; each job's stderr goes to its file
    shell.stdin.on('error', (error: Error) => this.fail(error));
    shell.on('error', (error: Error) => this.fail(error));
    shell.on('exit', () => this.fail(new Error('the shell that runs git exited')));
    this.idle();
  }

  /** A shell with this environment, or null where kit should spawn git directly. */
  static start(env: NodeJS.ProcessEnv): GitShell | null {
    if (process.platform === 'win32' || process.env.KIT_GIT_SHELL === '0' || !existsSync(SHELL)) return null;
    try {
      const directory = mkdtempSync(join(tmpdir(), 'kit-git-'));
      process.once('exit', () => rmSync(directory, { recursive: true, force: true }));
      const shell = spawn(SHELL, ['-s'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      return new GitShell(shell, directory);
    } catch {
      return null;
    }
  }

  /** False once the shell is gone: the caller spawns directly from then on. */
  get usable(): boolean {
    return this.broken === null;
  }

  /** Whether this shell can run a command with these extra variables (valid names only). */
  accepts(extraEnv: Record<string, string> | undefined): boolean {
    return this.usable && Object.keys(extraEnv ?? {}).every((name) => VARIABLE_NAME.test(name));
  }

  run(
    args: readonly string[],
    cwd: string,
    input: string | Buffer | undefined,
    extraEnv: Record<string, string> = {},
    lowPriority = false,
  ): Promise<ShellGitResult> {
    if (this.broken) return Promise.reject(this.broken);
    const id = this.nextId++;
    const file = (suffix: string) => join(this.directory, `${id}.${suffix}`);
    let stdin = '/dev/null';
    if (input !== undefined && input.length > 0) {
      writeFileSync(file('in'), input);
      stdin = file('in');
    }
    const exports = Object.entries(extraEnv)
      .map(([name, value]) => `export ${name}=${quote(value)}; `)
      .join('');
    const git = `git ${args.map(quote).join(' ')}`;
    // `nice` is POSIX, but a minimal system may lack it: then the job runs at normal priority.
    const run = lowPriority
      ? `if command -v nice >/dev/null 2>&1; then exec nice -n ${LOW_PRIORITY} ${git}; else exec ${git}; fi`
      : `exec ${git}`;
    const command =
      `{ ( cd ${quote(cwd)} 2>/dev/null || exit ${NO_DIRECTORY}; ${exports}${run} )` +
      ` <${quote(stdin)} >${quote(file('out'))} 2>${quote(file('err'))}; echo "${id} $?"; } &\n`;
    return new Promise<ShellGitResult>((resolve, reject) => {
      const finish = (result: ShellGitResult) => {
        rmSync(file('in'), { force: true });
        resolve(result);
      };
      const fail = (error: Error) => {
        rmSync(file('in'), { force: true });
        reject(error);
      };
      if (this.pending.size === 0) this.busy();
      this.pending.set(id, { id, resolve: finish, reject: fail });
      this.shell.stdin.write(command);
    }).then((result) => {
      if (result.exitCode === NO_DIRECTORY) {
        throw Object.assign(new Error(`cannot run git in ${cwd}: no such directory`), { code: 'ENOENT' });
      }
      // The shell's "command not found"; spawning directly would have failed with ENOENT.
      if (result.exitCode === 127 && /\bgit\b.*not found/i.test(result.stderr)) {
        throw Object.assign(new Error('git is not installed or not on PATH'), { code: 'ENOENT' });
      }
      return result;
    });
  }

  private onOutput(chunk: string): void {
    this.received += chunk;
    for (let newline = this.received.indexOf('\n'); newline !== -1; newline = this.received.indexOf('\n')) {
      const line = this.received.slice(0, newline);
      this.received = this.received.slice(newline + 1);
      const [id, code] = line.split(' ');
      const job = this.pending.get(Number(id));
      if (!job) continue;
      this.pending.delete(job.id);
      if (this.pending.size === 0) this.idle();
      const out = join(this.directory, `${job.id}.out`);
      const err = join(this.directory, `${job.id}.err`);
      try {
        const stdout = readFileSync(out);
        const stderr = readFileSync(err, 'utf8');
        job.resolve({ exitCode: Number(code), stdout, stderr });
      } catch (error) {
        job.reject(error as Error);
      } finally {
        rmSync(out, { force: true });
        rmSync(err, { force: true });
      }
    }
  }

  private fail(error: Error): void {
    if (this.broken) return;
    this.broken = error;
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
    this.idle();
  }

  // The shell must not keep kit alive while nothing is pending, and must while something is.
  private busy(): void {
    this.shell.ref();
    handle(this.shell.stdout).ref?.();
  }

  private idle(): void {
    this.shell.unref();
    for (const stream of [this.shell.stdin, this.shell.stdout, this.shell.stderr]) handle(stream).unref?.();
  }
}

/** The pipes of a child are sockets, which can be (un)referenced; the stream types do not say so. */
function handle(stream: object): { ref?: () => void; unref?: () => void } {
  return stream as { ref?: () => void; unref?: () => void };
}

/** One shell word for any string: single quotes, with each single quote written as '\''. */
function quote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
