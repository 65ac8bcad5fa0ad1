import { Args, Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { renderMove } from '../cli/render-move.js';
import { type MoveResult, moveWorkPackage } from '../services/move-work-package.js';

export default class Move extends KitCommand {
  static override summary = 'Move a work package to another lane.';
  static override description =
    'Legal moves: planned→doing, doing→for_review, doing→planned, for_review→done, and for_review→doing or ' +
    '→planned (a rejection: --note with the review feedback is required). Moving to for_review needs the ' +
    "WP's worktree clean, at least one commit beyond its base, and no planning files changed on its branch. " +
    "The change is one commit on the feature's target branch; your other changes are left alone. Inside a WP " +
    'worktree the WP and feature are taken from its branch. In a Spec Kitty 3.x feature (status.events.jsonl) ' +
    "kit follows 3.x's lane machine: it appends the chain of events that reaches the lane (for_review → " +
    'in_review → approved) and writes status.json again, and --force needs --note as the reason.';
  static override examples = [
    '<%= config.bin %> move WP02 --to for_review',
    '<%= config.bin %> move --to for_review   # inside the WP02 worktree',
    '<%= config.bin %> move WP02 --to planned --note "Handle the empty-input case; add a test"',
    '<%= config.bin %> move WP03 --to done --feature 001 --json',
    '<%= config.bin %> move WP04 --to planned --force',
    '<%= config.bin %> move WP05 --to blocked --note "waits for the API key"   # a 3.x feature',
  ];
  static override args = {
    wp: Args.string({ description: 'Work package id (WP02); inside a WP worktree it defaults to that WP.' }),
  };
  static override flags = {
    to: Flags.string({
      description:
        'The lane to move to: planned, doing, for_review or done; in a Spec Kitty 3.x feature also claimed, in_progress, in_review, approved, blocked or canceled.',
      required: true,
    }),
    note: Flags.string({ description: 'Review feedback (required when sending a WP back from for_review).' }),
    agent: Flags.string({ description: 'Who is moving it (default: $KIT_AGENT, else your user name).' }),
    force: Flags.boolean({ description: 'Allow any move and skip the guards; recorded as forced.' }),
    feature: Flags.string({ char: 'f', description: 'Feature dir name (001-user-auth), number (1) or slug.' }),
  };

  async run(): Promise<MoveResult> {
    const { args, flags } = await this.parse(Move);
    const workspace = await this.openWorkspace();
    const result = await moveWorkPackage(workspace, {
      wp: args.wp,
      feature: flags.feature,
      to: flags.to,
      note: flags.note,
      agent: flags.agent,
      force: flags.force,
      now: new Date(),
    });
    const { text, warnings } = renderMove(result);
    this.print(text);
    this.printWarnings(warnings);
    return result;
  }
}
