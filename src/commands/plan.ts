import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { type PlanResult, planFeature } from '../services/plan-feature.js';

export default class Plan extends KitCommand {
  static override summary = "Write a feature's plan.md (and research.md, data-model.md) from the templates.";
  static override description =
    'A file that already has content is kept unless --force. Warns while spec.md still has ' +
    '[NEEDS CLARIFICATION] markers.';
  static override examples = [
    '<%= config.bin %> plan',
    '<%= config.bin %> plan --feature 001 --research --data-model',
    '<%= config.bin %> plan --feature user-auth --force --json',
  ];
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Feature dir name (001-user-auth), number (1) or slug.' }),
    research: Flags.boolean({ description: 'Also write research.md.' }),
    'data-model': Flags.boolean({ description: 'Also write data-model.md.' }),
    force: Flags.boolean({ description: 'Overwrite files that already have content.' }),
  };

  async run(): Promise<PlanResult> {
    const { flags } = await this.parse(Plan);
    const workspace = await this.openWorkspace();
    const result = await planFeature(workspace, {
      feature: flags.feature,
      research: flags.research,
      dataModel: flags['data-model'],
      force: flags.force,
      now: new Date(),
    });
    this.printWarnings(result.warnings);
    this.print(
      [
        `Feature ${result.feature}:`,
        ...result.files.map((file) => `  ${file.path}: ${file.action}`),
        '',
        `Next: describe the work packages in tasks.md, then kit tasks --feature ${result.feature}`,
      ].join('\n'),
    );
    return result;
  }
}
