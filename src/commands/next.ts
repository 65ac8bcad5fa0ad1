import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { type NextResult, nextWorkPackages } from '../services/next.js';

export default class Next extends KitCommand {
  static override summary = 'List the work packages that can start now, with the command that starts each.';
  static override description =
    'Planned WPs whose dependencies are all done, in dependency order. This is how an idle agent picks work.';
  static override examples = ['<%= config.bin %> next', '<%= config.bin %> next --feature 001 --json'];
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Only this feature (dir name, number or slug).' }),
  };

  async run(): Promise<NextResult> {
    const { flags } = await this.parse(Next);
    const workspace = await this.openWorkspace();
    const result = await nextWorkPackages(workspace, { feature: flags.feature });
    const lines = result.ready.map((wp) => `${wp.feature} ${wp.id}  ${wp.title}\n  ${wp.command}`);
    this.print(
      lines.length > 0
        ? lines.join('\n')
        : result.planned === 0
          ? 'Nothing to start: no work package is planned.'
          : `Nothing can start now: each of the ${result.planned} planned WPs waits on a dependency that is not done.`,
    );
    return result;
  }
}
