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
 *
 * Nothing is left behind: a finished job stays a zombie until the shell waits for it, and a shell kit
 * does not wait for becomes one itself, which piles up in containers whose PID 1 does not reap. So before
 * kit exits (bin/run.js calls closeGitShells, on success and on error alike; a signal handler does on
 * Ctrl-C or SIGTERM) each shell is told to `wait` for its jobs, its stdin is closed, and kit waits for
 * the shell to exit.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deliverStopSignal } from './stop-signal.js';

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

/** Every shell started, across bundles (each command's bundle has its own copy of this module). */
const REGISTRY = Symbol.for('kit.gitShells');
const CLOSE_TIMEOUT_MS = 5000;

function liveShells(): Set<GitShell> {
  const store = globalThis as unknown as Record<symbol, Set<GitShell> | undefined>;
  store[REGISTRY] ??= new Set<GitShell>();
  return store[REGISTRY];
}

/** Waits for every shell kit started (and their jobs) to finish, so no child outlives kit. */
export async function closeGitShells(): Promise<void> {
  await Promise.all([...liveShells()].map((shell) => shell.close()));
}

const SIGNALS_HANDLED = Symbol.for('kit.signalsHandled');

/**
 * Ctrl-C or SIGTERM: reap the shells, then end as the signal would have (128 + its number). bin/run.js
 * installs this before anything starts; a kit module run some other way installs it with its first shell.
 */
function handleSignals(): void {
  const store = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (store[SIGNALS_HANDLED]) return;
  store[SIGNALS_HANDLED] = true;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.once(signal, () => {
      // A command that runs until stopped (kit dashboard) ends on its own: src/io/stop-signal.ts.
      if (deliverStopSignal(signal)) return;
      void closeGitShells().finally(() => process.exit(code));
    });
  }
}

export class GitShell {
  private closing: Promise<void> | null = null;

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
    liveShells().add(this);
  }

  /**
   * Lets the shell reap its jobs (`wait`) and exit, and resolves once it has: no zombie and no orphan is
   * left. Jobs still running (Ctrl-C during a merge) are waited for up to a few seconds, then killed.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      liveShells().delete(this);
      if (this.shell.exitCode !== null || this.shell.signalCode !== null) {
        resolve();
        return;
      }
      const timer = setTimeout(() => this.shell.kill('SIGKILL'), CLOSE_TIMEOUT_MS);
      this.shell.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.shell.ref();
      try {
        this.shell.stdin.end('wait\nexit 0\n');
      } catch {
        this.shell.kill('SIGKILL');
      }
    });
    return this.closing;
  }

  /** A shell with this environment, or null where kit should spawn git directly. */
  static start(env: NodeJS.ProcessEnv): GitShell | null {
    if (process.platform === 'win32' || process.env.KIT_GIT_SHELL === '0' || !existsSync(SHELL)) return null;
    try {
      // Before the shell exists: a signal must never find a child and no handler to reap it.
      handleSignals();
      const directory = mkdtempSync(join(tmpdir(), 'kit-git-'));
      // SIGINT ignored from the shell's first instruction (an ignored signal survives exec): Ctrl-C reaches
      // the whole process group, and the shell must outlive it to reap its jobs once kit closes it.
      const shell = spawn(SHELL, ['-c', `trap '' INT; exec ${SHELL} -s`], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      const gitShell = new GitShell(shell, directory);
      process.once('exit', () => {
        // The last resort when kit exits without closeGitShells (process.exit): the shell still waits
        // for its jobs before it goes.
        if (!gitShell.closing) {
          try {
            shell.stdin.end('wait\nexit 0\n');
          } catch {
            // Gone already.
          }
        }
        rmSync(directory, { recursive: true, force: true });
      });
      return gitShell;
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
