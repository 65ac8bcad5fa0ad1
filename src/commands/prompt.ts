import { Args, Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { type PromptResult, renderPrompt, workPackagePrompt } from '../services/agents-prompt.js';

export default class Prompt extends KitCommand {
  static override summary = 'Print what an agent needs to start or resume a work package.';
  static override description =
    "Computed from the repository: the WP's title and instructions (its file's body), its dependencies with " +
    'their lanes and whether their latest commits are in its branch, its worktree and branch, the commits ' +
    'made so far and uncommitted files, review feedback if a reviewer sent it back, and the exact commands ' +
    'to run next. Inside a WP worktree the WP is taken from the branch. Changes nothing.';
  static override examples = [
    '<%= config.bin %> prompt WP02',
    '<%= config.bin %> prompt   # inside the WP02 worktree',
    '<%= config.bin %> prompt WP03 --feature 001 --json',
  ];
  static override args = {
    wp: Args.string({ description: 'Work package id (WP02); inside a WP worktree it defaults to that WP.' }),
  };
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Feature dir name (001-user-auth), number (1) or slug.' }),
  };

  async run(): Promise<PromptResult> {
    const { args, flags } = await this.parse(Prompt);
    const workspace = await this.openWorkspace();
    const result = await workPackagePrompt(workspace, { wp: args.wp, feature: flags.feature });
    this.print(renderPrompt(result));
    return result;
  }
}
