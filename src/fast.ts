/**
 * The hot commands without oclif: `kit check`, `kit status --json` and `kit move`, which agents run
 * hundreds of times a day, spent about as long loading oclif (~55 ms) as doing their work. bin/run.js
 * tries this first; it handles only the plain shapes of those command lines (the flags below, each at
 * most once) and prints exactly what the oclif commands print: the same services, renderers, JSON
 * envelope, error text and exit codes. Any other command line returns null before anything runs, and the
 * command goes through oclif as usual. The two reads also hand an error that is not a KitError to oclif
 * (running a read again is harmless); `kit move` writes, so it reports such an error itself (exit 70) and
 * never runs twice. KIT_FAST=0 turns this off; a test compares both paths.
 */
import { renderCheck } from './cli/render-check.js';
import { renderMove } from './cli/render-move.js';
import { internalFailure, reportFailure } from './cli/report-failure.js';
import { paint } from './cli/style.js';
import { ExitCode, KitError } from './errors.js';
import { openWorkspace } from './io/workspace.js';
import { checkPlanning } from './services/check-planning.js';
import { moveWorkPackage } from './services/move-work-package.js';
import { statusJsonText } from './services/status-json.js';

interface Parsed {
  feature?: string | undefined;
  flags: Set<string>;
  format?: string | undefined;
  /** Values of the other valued flags, by name (`--to`). */
  values: Map<string, string>;
  /** Positional arguments (at most `positionals` of them). */
  args: string[];
}

/** The flags of a plain command line; null for anything this path does not take on. */
function parseFlags(
  args: readonly string[],
  booleans: readonly string[],
  valued: readonly string[],
  positionals = 0,
): Parsed | null {
  const parsed: Parsed = { flags: new Set(), values: new Map(), args: [] };
  const seen = new Set<string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (!arg.startsWith('-') && arg !== '' && parsed.args.length < positionals) {
      parsed.args.push(arg);
      continue;
    }
    const [name = '', inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    const flag = name === '-f' ? '--feature' : name;
    if (seen.has(flag)) return null;
    seen.add(flag);
    if (booleans.includes(flag) && inline === undefined) {
      parsed.flags.add(flag);
      continue;
    }
    if (!valued.includes(flag)) return null;
    const value = inline ?? args[++index];
    // A value that looks like a flag is oclif's to judge (it reports it as a missing value).
    if (value === undefined || value === '' || value.startsWith('-')) return null;
    if (flag === '--feature') parsed.feature = value;
    else if (flag === '--format') parsed.format = value;
    else parsed.values.set(flag, value);
  }
  return parsed;
}

function printJson(document: unknown): void {
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}

function printText(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** Runs the command when this path can; its exit code, or null to hand the command line to oclif. */
export async function runFast(argv: readonly string[]): Promise<number | null> {
  const [command, ...args] = argv;
  // DEBUG adds stack traces to errors: that is the full command's job.
  if (process.env.KIT_FAST === '0' || process.env.DEBUG) return null;
  // A reader that stops early (`| head`) is not an error, as in oclif.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  if (command === 'check') {
    const parsed = parseFlags(args, ['--json', '--strict'], ['--feature', '--format']);
    if (!parsed || (parsed.format !== undefined && !['text', 'json', 'github'].includes(parsed.format))) return null;
    const json = parsed.flags.has('--json') || parsed.format === 'json';
    return run(json, async () => {
      const workspace = await openWorkspace(process.cwd());
      const result = checkPlanning(workspace, { feature: parsed.feature, strict: parsed.flags.has('--strict') });
      if (json) printJson({ ok: result.ok, result });
      else printText(renderCheck(result, parsed.format === 'github' ? 'github' : 'text'));
      return result.ok ? ExitCode.ok : ExitCode.checkFailed;
    });
  }
  if (command === 'status') {
    const parsed = parseFlags(args, ['--json', '--plain'], ['--feature']);
    // Only --json: the board and --sync (network) belong to the full command.
    if (!parsed?.flags.has('--json')) return null;
    return run(true, async () => {
      const workspace = await openWorkspace(process.cwd());
      printText(await statusJsonText(workspace, { feature: parsed.feature, now: new Date() }));
      return ExitCode.ok;
    });
  }
  if (command === 'move') {
    const parsed = parseFlags(args, ['--json', '--force'], ['--feature', '--to', '--note', '--agent'], 1);
    const to = parsed?.values.get('--to');
    // Without --to it is a usage error, which oclif words.
    if (!parsed || to === undefined) return null;
    const json = parsed.flags.has('--json');
    return runWrite(json, async () => {
      const workspace = await openWorkspace(process.cwd());
      const result = await moveWorkPackage(workspace, {
        wp: parsed.args[0],
        feature: parsed.feature,
        to,
        note: parsed.values.get('--note'),
        agent: parsed.values.get('--agent'),
        force: parsed.flags.has('--force'),
        now: new Date(),
      });
      if (json) printJson({ ok: true, result });
      else {
        const { text, warnings } = renderMove(result);
        printText(text);
        for (const warning of warnings) {
          process.stderr.write(`${paint(process.stderr, 'yellow', 'warning:')} ${warning}\n`);
        }
      }
      return ExitCode.ok;
    });
  }
  return null;
}

/** The error funnel of a command that writes: whatever happens is reported here, never run again. */
async function runWrite(json: boolean, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    const failure =
      error instanceof KitError
        ? { message: error.message, hint: error.hint ?? null, exitCode: error.exitCode }
        : internalFailure(error);
    reportFailure(failure, json);
    return failure.exitCode;
  }
}

/** kit's error funnel for the failures a user can fix; anything else goes back to oclif's path. */
async function run(json: boolean, body: () => Promise<number>): Promise<number | null> {
  try {
    return await body();
  } catch (error) {
    if (!(error instanceof KitError)) return null;
    // DEBUG runs go to oclif (see runFast), so no stack is ever added here.
    reportFailure({ message: error.message, hint: error.hint ?? null, exitCode: error.exitCode }, json);
    return error.exitCode;
  }
}
