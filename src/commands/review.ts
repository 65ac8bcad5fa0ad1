import { Args, Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { renderReview, type ReviewResult, reviewWorkPackage } from '../services/agents-review.js';

export default class Review extends KitCommand {
  static override summary = 'Show what there is to review in a work package, or approve it or send it back.';
  static override description =
    "Without a verdict: the WP's subtasks and acceptance notes, its commits and a diff stat of its branch " +
    "against its base, whether its worktree is clean and whether its base is current (its dependencies' " +
    'latest commits are in the branch). --approve moves it to done and records reviewed_by (--agent, else ' +
    '$KIT_AGENT, else git user.name) and review_status: approved. --reject --note sends it back to planned ' +
    'with the feedback under ## Review Feedback, as kit move does. Only a WP in for_review can be approved ' +
    'or rejected. Inside a WP worktree the WP is taken from the branch.';
  static override examples = [
    '<%= config.bin %> review WP02',
    '<%= config.bin %> review WP02 --approve',
    '<%= config.bin %> review WP02 --reject --note "Handle the empty-input case; add a test"',
    '<%= config.bin %> review WP03 --feature 001 --approve --agent reviewer-1 --json',
  ];
  static override args = {
    wp: Args.string({ description: 'Work package id (WP02); inside a WP worktree it defaults to that WP.' }),
  };
  static override flags = {
    approve: Flags.boolean({ description: 'Accept the work: move the WP to done.', exclusive: ['reject'] }),
    reject: Flags.boolean({ description: 'Send the WP back to planned; needs --note.', exclusive: ['approve'] }),
    note: Flags.string({ description: 'The review feedback of a rejection: what must change, and why.' }),
    agent: Flags.string({ description: 'Who reviews (default: $KIT_AGENT, else git user.name).' }),
    feature: Flags.string({ char: 'f', description: 'Feature dir name (001-user-auth), number (1) or slug.' }),
  };

  async run(): Promise<ReviewResult> {
    const { args, flags } = await this.parse(Review);
    const workspace = await this.openWorkspace();
    const result = await reviewWorkPackage(workspace, {
      wp: args.wp,
      feature: flags.feature,
      decision: flags.approve ? 'approve' : flags.reject ? 'reject' : null,
      note: flags.note,
      agent: flags.agent,
      now: new Date(),
    });
    this.printWarnings(result.warnings);
    this.print(renderReview(result));
    return result;
  }
}
