/**
 * Whether `kit status` may start the live board. Pure, and free of Ink and React: the command imports
 * this on every run, and only loads the board when the answer is yes.
 *
 * Ink 6 switches to printing only the final frame when `CI` (or, by our stricter rule, any `CI_*`
 * variable, or `CONTINUOUS_INTEGRATION`) is set, so an interactive app would look hung there: the board
 * never starts in CI, nor without a terminal on both stdin (keys) and stdout (the screen), nor on a
 * terminal that says it understands no escape sequences (TERM=dumb).
 */

/** The first variable that says "this is CI", or null. */
export function ciVariable(env: Readonly<Record<string, string | undefined>>): string | null {
  for (const key of Object.keys(env).sort()) {
    if (env[key] === undefined) continue;
    if (key === 'CI' || key === 'CONTINUOUS_INTEGRATION' || key.startsWith('CI_')) return key;
  }
  return null;
}

export type BoardDecision = { board: true } | { board: false; reason: string };

export function decideBoard(input: {
  plain: boolean;
  json: boolean;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
}): BoardDecision {
  if (input.json) return { board: false, reason: '--json' };
  if (input.plain) return { board: false, reason: '--plain' };
  if (!input.stdoutIsTTY) return { board: false, reason: 'stdout is not a terminal' };
  if (!input.stdinIsTTY) return { board: false, reason: 'stdin is not a terminal' };
  if (input.env.TERM === 'dumb') return { board: false, reason: 'TERM=dumb' };
  const ci = ciVariable(input.env);
  if (ci) return { board: false, reason: `${ci} is set (CI)` };
  return { board: true };
}
