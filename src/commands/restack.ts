import { Args, Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { renderRestack } from '../cli/render-restack.js';
import { ExitCode } from '../errors.js';
import { type RestackResult, restackFeature } from '../services/restack.js';

export default class Restack extends KitCommand {
  static override summary = "Rebase WP branches onto their dependencies' current tips, in dependency order.";
  static override description =
    'For every WP branch that lacks commits its dependencies have now (a stale base, shown by kit status), ' +
    "replays the WP's own commits onto the dependencies' tips (several dependencies: onto their merge), " +
    'dependencies first, so a whole chain follows. Everything is built in memory first: a conflict stops the ' +
    'run with nothing moved (exit 4) and says how to resolve it. Then each branch moves with its worktree; a ' +
    'worktree with uncommitted or untracked files, or a rebase or merge going on, is skipped (with the WPs ' +
    'that build on it) and said so. The old tips are kept under refs/kit/restack-archive/, and the new bases ' +
    'are recorded as base_commit in the WP files (one commit on the target branch). With a WP, only that WP ' +
    'and the WPs that depend on it.';
  static override examples = [
    '<%= config.bin %> restack --dry-run',
    '<%= config.bin %> restack',
    '<%= config.bin %> restack WP02 --feature 001',
    '<%= config.bin %> restack --json',
  ];
  static override args = {
    wp: Args.string({ description: 'Restack this WP and the WPs that depend on it (default: every WP).' }),
  };
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Feature dir name (001-user-auth), number (1) or slug.' }),
    'dry-run': Flags.boolean({ description: 'Build everything in memory and report; move nothing.' }),
  };

  async run(): Promise<RestackResult> {
    const { args, flags } = await this.parse(Restack);
    const workspace = await this.openWorkspace();
    const result = await restackFeature(workspace, {
      feature: flags.feature,
      wp: args.wp,
      dryRun: flags['dry-run'] === true,
    });
    if (result.conflict) this.failWith(ExitCode.mergeConflict);
    this.printWarnings(result.warnings);
    this.print(renderRestack(result));
    return result;
  }
}
