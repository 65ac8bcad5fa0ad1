import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { syncTasks, type TasksResult } from '../services/sync-tasks.js';

export default class Tasks extends KitCommand {
  static override summary = 'Write the tasks.md template, or create and update one WP file per work package in it.';
  static override description =
    'Without tasks.md it writes the template. With one, it creates tasks/WPnn-slug.md for each new work ' +
    'package (lane planned) and updates the title, dependencies and subtasks of existing ones; their lane, ' +
    'body and history are kept. Unknown dependencies, duplicate ids and cycles are errors naming the line, and ' +
    'then nothing is written.';
  static override examples = ['<%= config.bin %> tasks', '<%= config.bin %> tasks --feature 001-user-auth --json'];
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Feature dir name (001-user-auth), number (1) or slug.' }),
    agent: Flags.string({ description: 'Who is running this, for the history of new WPs.' }),
  };

  async run(): Promise<TasksResult> {
    const { flags } = await this.parse(Tasks);
    const workspace = await this.openWorkspace();
    const result = await syncTasks(workspace, { feature: flags.feature, agent: flags.agent, now: new Date() });
    this.printWarnings(result.warnings);
    if (result.wroteTemplate) {
      this.print(
        `Wrote ${result.tasksFile} from the template.\nNext: describe the work packages there, then run kit tasks again.`,
      );
      return result;
    }
    const lines = [`Feature ${result.feature} (${result.tasksFile}):`];
    for (const wp of result.created) lines.push(`  created   ${wp.id}  ${wp.file}`);
    for (const wp of result.updated) lines.push(`  updated   ${wp.id}  ${wp.file} (${wp.fields.join(', ')})`);
    for (const wp of result.unchanged) lines.push(`  unchanged ${wp.id}  ${wp.file}`);
    lines.push('', 'Next: kit check, then start a work package with kit implement WP01');
    this.print(lines.join('\n'));
    return result;
  }
}
