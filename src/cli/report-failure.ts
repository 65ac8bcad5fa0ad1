/**
 * How kit reports a failure, wherever it was caught (the oclif base command, or the fast path that runs
 * without oclif): under --json one `{"ok": false, "error": ...}` document on stdout, else `error:` and
 * `hint:` lines on stderr, with the stack only when DEBUG asks for it.
 */
import { ExitCode, GitCommandError } from '../errors.js';
import { paint } from './style.js';

export interface Failure {
  message: string;
  hint: string | null;
  exitCode: number;
  stack?: string | undefined;
}

export function reportFailure(failure: Failure, json: boolean): void {
  if (json) {
    const document = { ok: false, error: { message: failure.message, hint: failure.hint, exitCode: failure.exitCode } };
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    return;
  }
  const lines = [`${paint(process.stderr, 'red', 'error:')} ${failure.message}`];
  if (failure.hint) lines.push(`${paint(process.stderr, 'dim', 'hint:')} ${failure.hint}`);
  if (failure.stack && process.env.DEBUG) lines.push(failure.stack);
  process.stderr.write(`${lines.join('\n')}\n`);
}

/** A failure that is not the user's to fix: kit's bug, said as such (exit 70). */
export function internalFailure(error: unknown): Failure {
  const message = error instanceof Error ? error.message : String(error);
  const detail = error instanceof GitCommandError ? ` (git ${error.args.join(' ')})` : '';
  return {
    message: `internal error: ${message}${detail}`,
    hint: 'this is a bug in kit; run again with DEBUG=1 for the stack trace and report it',
    exitCode: ExitCode.internal,
    stack: error instanceof Error ? error.stack : undefined,
  };
}
