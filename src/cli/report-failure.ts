/**
 * How kit reports a failure, wherever it was caught (the oclif base command, or the fast path that runs
 * without oclif): under --json one `{"ok": false, "error": ...}` document on stdout, else `error:` and
 * `hint:` lines on stderr, with the stack only when DEBUG asks for it.
 */
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
