import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { renderMerge } from '../cli/render-merge.js';
import { MERGE_STRATEGIES } from '../domain/merge-plan.js';
import { ExitCode } from '../errors.js';
import { type MergeResult, mergeFeature } from '../services/merge-feature.js';

export default class Merge extends KitCommand {
  static override summary =
    'Merge every WP branch of a feature into its target branch, in dependency order, losing nothing.';
  static override description =
    'Checks every WP is done and clean, builds the whole merge in memory (a conflict stops it before anything ' +
    'is written), lands it with one atomic ref update, moves the checked-out target along (keeping your ' +
    'unrelated changes), proves every WP landed and nothing was reverted, then removes the WP worktrees and ' +
    'branches that hold nothing else (an archive ref per WP keeps them recoverable). Exit 4 on a conflict: fix ' +
    'it in the WP worktree, then kit merge --continue. With a remote it fetches the target first, refuses to ' +
    'land on a target that lacks commits the remote has, pushes the result with a lease (or prints the push ' +
    'when the remote declines it, e.g. a protected branch) and removes the landed WP branches from the remote.';
  static override examples = [
    '<%= config.bin %> merge --dry-run',
    '<%= config.bin %> merge --feature 001',
    '<%= config.bin %> merge --strategy squash --keep-worktrees',
    '<%= config.bin %> merge --ready-only',
    '<%= config.bin %> merge --continue',
    '<%= config.bin %> merge --abort --json',
    '<%= config.bin %> merge --no-push   # with a remote: land here, print the push',
  ];
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Feature dir name (001-user-auth), number (1) or slug.' }),
    strategy: Flags.string({ description: 'How each WP lands (default merge).', options: [...MERGE_STRATEGIES] }),
    'dry-run': Flags.boolean({ description: 'Plan and check everything in memory; write nothing.' }),
    continue: Flags.boolean({ description: 'Resume a stopped merge with its saved options.' }),
    abort: Flags.boolean({ description: 'Drop a merge that has not landed (only kit state is removed).' }),
    'keep-worktrees': Flags.boolean({ description: 'Leave WP worktrees and branches in place.' }),
    'ready-only': Flags.boolean({ description: 'Land the done WPs whose dependencies have landed; leave the rest.' }),
    push: Flags.boolean({
      description:
        'With a remote (kit init --remote): push the landed target there (default); --no-push prints the push instead.',
      allowNo: true,
      default: true,
    }),
  };

  async run(): Promise<MergeResult> {
    const { flags } = await this.parse(Merge);
    const workspace = await this.openWorkspace();
    const result = await mergeFeature(workspace, {
      feature: flags.feature,
      strategy: flags.strategy as MergeResult['strategy'] | undefined,
      dryRun: flags['dry-run'] === true,
      continue: flags.continue === true,
      abort: flags.abort === true,
      keepWorktrees: flags['keep-worktrees'] === true,
      readyOnly: flags['ready-only'] === true,
      push: flags.push,
      now: new Date(),
    });
    if (result.outcome === 'conflict') this.failWith(ExitCode.mergeConflict);
    this.printWarnings(result.warnings);
    this.print(renderMerge(result));
    return result;
  }
}
