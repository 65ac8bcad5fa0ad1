/**
 * oclif's default for an unknown command is a bare "command x not found"; agents need the same envelope
 * and hint as every other failure, with the commands that do exist, named as they are typed
 * (`agents add`, not oclif's internal `agents:add`). `kit help <command>` lands here too (kit ships no
 * help plugin): it shows that command's help, as `kit <command> --help` does.
 */
import type { Hook } from '@oclif/core';
import { ExitCode } from '../errors.js';

const hook: Hook<'command_not_found'> = async (options) => {
  const [first, ...rest] = options.id.split(':');
  if (first === 'help') {
    const words = [...rest, ...(options.argv ?? [])].filter((word) => !word.startsWith('-'));
    const id = words.join(':');
    if (!id || options.config.findCommand(id)) {
      const { Help } = await import('@oclif/core');
      await new Help(options.config).showHelp(words);
      return;
    }
    return unknown(options.config.commandIDs, words.join(' '), options.argv ?? []);
  }
  return unknown(options.config.commandIDs, options.id.replaceAll(':', ' '), options.argv ?? []);
};

function unknown(commandIds: readonly string[], name: string, argv: readonly string[]): void {
  const commands = commandIds.map((id) => id.replaceAll(':', ' ')).sort();
  const message = `unknown command "${name}"`;
  const hint = `kit commands: ${commands.join(', ')}; see kit --help`;
  process.exitCode = ExitCode.usage;
  if (argv.includes('--json')) {
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: { message, hint, exitCode: ExitCode.usage } }, null, 2)}\n`,
    );
  } else {
    process.stderr.write(`error: ${message}\nhint: ${hint}\n`);
  }
}

export default hook;
