import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { renderStatus } from '../cli/render-status.js';
import { collectStatus, type StatusResult } from '../services/status.js';

export default class Status extends KitCommand {
  static override summary = 'Show every work package by lane, with the git facts beside each.';
  static override description =
    'For every feature (or --feature): the lanes with their WPs; each WP with its agent, branch, worktree, ' +
    'commits ahead of its base, uncommitted files, commits it is behind its dependencies (a stale base) and ' +
    'the age of its last commit. Planned WPs show what blocks them. --json follows a versioned schema ' +
    '(schemaVersion 1, see docs/cli-reference.md).';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --feature 001 --plain',
    '<%= config.bin %> status --json',
  ];
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Only this feature (dir name, number or slug).' }),
    plain: Flags.boolean({ description: 'Print the plain board (the default when not in a terminal).' }),
  };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const workspace = await this.openWorkspace();
    const result = await collectStatus(workspace, { feature: flags.feature, now: new Date() });
    this.print(renderStatus(result));
    return result;
  }
}
