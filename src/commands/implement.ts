import { Args, Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { type ImplementResult, implementWorkPackage } from '../services/implement-work-package.js';

export default class Implement extends KitCommand {
  static override summary = 'Start a work package in its own git worktree and branch.';
  static override description =
    'Creates .worktrees/<feature>-<WP>/ on a new branch <feature>-<WP> and moves the WP to doing. The base is ' +
    "the feature's target branch when the WP has no dependencies, its dependency's branch when it has one, " +
    'and a commit merging all of them (built in memory) when it has several; --base adds a WP branch to the ' +
    'base. Files listed in .worktreeinclude (e.g. .env) are copied in. Running it again for your own WP ' +
    'prints its worktree.';
  static override examples = [
    '<%= config.bin %> implement WP01',
    '<%= config.bin %> implement WP02 --base WP01 --agent claude',
    '<%= config.bin %> implement WP04 --feature 001-user-auth --json',
    'cd "$(<%= config.bin %> implement WP03)"',
  ];
  static override args = {
    wp: Args.string({ description: 'Work package id (WP02).', required: true }),
  };
  static override flags = {
    base: Flags.string({ description: 'A WP whose branch to build on (repeatable).', multiple: true }),
    feature: Flags.string({ char: 'f', description: 'Feature dir name (001-user-auth), number (1) or slug.' }),
    agent: Flags.string({ description: 'Who takes the WP (default: $KIT_AGENT, else your user name).' }),
  };

  async run(): Promise<ImplementResult> {
    const { args, flags } = await this.parse(Implement);
    const workspace = await this.openWorkspace();
    const result = await implementWorkPackage(workspace, {
      wp: args.wp,
      feature: flags.feature,
      bases: flags.base ?? [],
      agent: flags.agent,
      now: new Date(),
    });
    this.printWarnings(result.warnings);
    if (!this.jsonEnabled()) {
      const note = result.alreadyStarted
        ? `${result.wp} is already yours, on ${result.branch}`
        : result.resumed
          ? `${result.wp} resumed on its existing branch ${result.branch}`
          : `${result.wp} started on ${result.branch} from ${result.baseBranches.join(' + ')} (${result.base.slice(0, 12)})` +
            (result.copiedFiles.length > 0 ? `; copied ${result.copiedFiles.join(', ')}` : '');
      process.stderr.write(`${note}\n`);
    }
    // stdout is only the path, so `cd "$(kit implement WP03)"` works.
    this.print(result.worktree);
    return result;
  }
}
