/**
 * The base of every kit command and its one error funnel. Commands parse, call one service and return
 * its result; this class prints it (`--json`: one `{"ok": true, "result": ...}` document on stdout),
 * turns every failure into a message, a hint and an exit code (see docs/cli-reference.md), and keeps
 * stack traces for bugs and only when DEBUG is set.
 */
import { Command, Errors } from '@oclif/core';
import { ExitCode, KitError } from '../errors.js';
import { openWorkspace, type Workspace } from '../io/workspace.js';
import { type Failure, internalFailure, reportFailure } from './report-failure.js';
import { paint } from './style.js';

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
    const failure = describeFailure(error, (this.constructor as typeof Command).flags ?? {});
    process.exitCode = failure.exitCode;
    reportFailure(failure, this.jsonEnabled());
  }
}

type FlagHelp = Record<string, { description?: string | undefined; options?: readonly string[] | undefined }>;

/** `--to: The lane to move to ...`: a flag's own help, for usage errors about it. */
function flagHelp(flags: FlagHelp, name: string): string | null {
  const flag = flags[name];
  if (!flag) return null;
  const options = flag.options?.length ? ` (one of: ${flag.options.join(', ')})` : '';
  return `--${name}: ${(flag.description ?? '').replace(/\.$/, '')}${options}`.trim();
}

/**
 * oclif's parser reports usage mistakes in its own words ("The following error occurred:", or a plain
 * Error for a flag without its value): kit says what is wrong, with the flag's help, and exits 2.
 */
function usageFailure(error: Error, flags: FlagHelp): Failure | null {
  const missingValue = /^Flag --([\w-]+) expects (?:a value|one of these values)/.exec(error.message);
  if (missingValue?.[1]) {
    const name = missingValue[1];
    return {
      message: `--${name} needs a value`,
      hint: `${flagHelp(flags, name) ?? `see --help`}; see --help for usage and examples`,
      exitCode: ExitCode.usage,
      stack: error.stack,
    };
  }
  // An integer flag's own check (kit dashboard --port abc, --port 99999): a plain Error from the flag's parser.
  const badValue = /^Parsing --([\w-]+)\s*\n\s*(.+?)\s*(?:\nSee more help with --help)?\s*$/s.exec(error.message);
  if (badValue?.[1] && badValue[2]) {
    const name = badValue[1];
    return {
      message: `--${name}: ${badValue[2].charAt(0).toLowerCase()}${badValue[2].slice(1)}`,
      hint: `${flagHelp(flags, name) ?? 'see --help'}; see --help for usage and examples`,
      exitCode: ExitCode.usage,
      stack: error.stack,
    };
  }
  if (!(error instanceof Errors.CLIError) || !('parse' in error)) return null;
  const lines = error.message
    .replace(/\nSee more help with --help\s*$/, '')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !/^The following errors? occurred:?$/.test(line));
  const mentioned = new Set<string>();
  const message = lines
    .map((line) => {
      const required = /^Missing required flag:?\s*-*([\w-]+)$/.exec(line);
      if (required?.[1]) {
        mentioned.add(required[1]);
        return `missing required flag --${required[1]}`;
      }
      for (const match of line.matchAll(/--([\w-]+)/g)) if (match[1]) mentioned.add(match[1]);
      return line;
    })
    .join('; ');
  const help = [...mentioned].map((name) => flagHelp(flags, name)).filter(Boolean);
  return {
    message: message || error.message,
    hint: [...help, 'see --help for usage and examples'].join('; '),
    exitCode: ExitCode.usage,
    stack: error.stack,
  };
}

function describeFailure(error: unknown, flags: FlagHelp = {}): Failure {
  if (error instanceof KitError) {
    return { message: error.message, hint: error.hint ?? null, exitCode: error.exitCode, stack: error.stack };
  }
  const usage = error instanceof Error ? usageFailure(error, flags) : null;
  if (usage) return usage;
  return internalFailure(error);
}
