/**
 * oclif's default for an unknown command is a bare "command x not found"; agents need the same envelope
 * and hint as every other failure, with the commands that do exist.
 */
import type { Hook } from '@oclif/core';
import { ExitCode } from '../errors.js';

const hook: Hook<'command_not_found'> = async (options) => {
  const commands = options.config.commandIDs.slice().sort();
  const message = `unknown command "${options.id}"`;
  const hint = `kit commands: ${commands.join(', ')}; see kit --help`;
  process.exitCode = ExitCode.usage;
  if (options.argv?.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: { message, hint, exitCode: ExitCode.usage } }, null, 2)}\n`,
    );
  } else {
    process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  }
};

export default hook;
