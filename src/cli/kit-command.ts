/**
 * The base of every kit command and its one error funnel. Commands parse, call one service and return
 * its result; this class prints it (`--json`: one `{"ok": true, "result": ...}` document on stdout),
 * turns every failure into a message, a hint and an exit code (see docs/cli-reference.md), and keeps
 * stack traces for bugs and only when DEBUG is set.
 */
import { Command, Errors } from '@oclif/core';
import { ExitCode, GitCommandError, KitError } from '../errors.js';
import { openWorkspace, type Workspace } from '../io/workspace.js';
import { paint } from './style.js';

interface Failure {
  message: string;
  hint: string | null;
  exitCode: number;
  stack?: string | undefined;
}

export abstract class KitCommand extends Command {
  static override enableJsonFlag = true;

  /** Set by a command whose result is a failure (kit check with problems): exit 1, `"ok": false`. */
  protected resultFailed = false;

  protected openWorkspace(options: { ignoreConfig?: boolean } = {}): Promise<Workspace> {
    return openWorkspace(process.cwd(), options);
  }

  /** Human output on stdout; silent under --json (the returned result is printed instead). */
  protected print(text: string): void {
    if (!this.jsonEnabled()) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Warnings go to stderr so stdout stays parseable; under --json they are part of the result. */
  protected printWarnings(warnings: readonly string[]): void {
    if (this.jsonEnabled()) return;
    for (const warning of warnings) process.stderr.write(`${paint(process.stderr, 'yellow', 'warning:')} ${warning}\n`);
  }

  protected failWith(exitCode: number): void {
    this.resultFailed = true;
    process.exitCode = exitCode;
  }

  override toSuccessJson(result: unknown): unknown {
    return { ok: !this.resultFailed, result };
  }

  override logJson(json: unknown): void {
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  }

  override async catch(error: Error & { exitCode?: number }): Promise<void> {
    if (error instanceof Errors.ExitError) throw error;
    const failure = describeFailure(error);
    process.exitCode = failure.exitCode;
    if (this.jsonEnabled()) {
      this.logJson({ ok: false, error: { message: failure.message, hint: failure.hint, exitCode: failure.exitCode } });
      return;
    }
    const lines = [`${paint(process.stderr, 'red', 'error:')} ${failure.message}`];
    if (failure.hint) lines.push(`${paint(process.stderr, 'dim', 'hint:')} ${failure.hint}`);
    if (failure.stack && process.env.DEBUG) lines.push(failure.stack);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

function describeFailure(error: unknown): Failure {
  if (error instanceof KitError) {
    return { message: error.message, hint: error.hint ?? null, exitCode: error.exitCode, stack: error.stack };
  }
  if (error instanceof Errors.CLIError && 'parse' in error) {
    // oclif's argument parser: unknown flag, missing argument, bad option value.
    const message = error.message.replace(/\nSee more help with --help\s*$/, '');
    return { message, hint: 'see --help for usage and examples', exitCode: ExitCode.usage, stack: error.stack };
  }
  const message = error instanceof Error ? error.message : String(error);
  const detail = error instanceof GitCommandError ? ` (git ${error.args.join(' ')})` : '';
  return {
    message: `internal error: ${message}${detail}`,
    hint: 'this is a bug in kit; run again with DEBUG=1 for the stack trace and report it',
    exitCode: ExitCode.internal,
    stack: error instanceof Error ? error.stack : undefined,
  };
}
