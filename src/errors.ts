/**
 * kit's exit codes and its two kinds of failure: a KitError is something the user (or agent) can fix and
 * carries a hint; anything else is a bug (exit 70). Commands throw; only the base command prints.
 */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  invalidInput: 3,
  mergeConflict: 4,
  internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface KitErrorOptions {
  hint?: string;
  exitCode?: ExitCodeValue;
  /** Repository-relative file the error is about, with its 1-based line where known. */
  file?: string;
  line?: number;
}

export class KitError extends Error {
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly file: string | undefined;
  readonly line: number | undefined;

  constructor(message: string, options: KitErrorOptions = {}) {
    super(message);
    this.name = 'KitError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.invalidInput;
    this.file = options.file;
    this.line = options.line;
  }
}

/**
 * A lane write found the WP's lane changed since the command read it (another agent or clone moved it):
 * a refusal like any KitError, told apart so a publication race can take its local commit back.
 */
export class LaneMovedError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, options);
    this.name = 'LaneMovedError';
  }
}

/** A git command failed in a way kit did not expect; carries what is needed to report it. */
export class GitCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || 'no message'}`);
    this.name = 'GitCommandError';
  }
}
