import { Args, Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { type SpecifyResult, specifyFeature } from '../services/specify-feature.js';

export default class Specify extends KitCommand {
  static override summary = 'Create a feature: kitty-specs/NNN-slug/ with spec.md and meta.json.';
  static override description =
    'NNN is one more than the highest feature number on any local branch or worktree, so parallel branches ' +
    'never mint the same number. The slug is derived from the description (kebab-case ASCII, at most 60 ' +
    'characters) unless --slug is given. The feature targets the branch checked out in the main checkout.';
  static override examples = [
    '<%= config.bin %> specify "Users can sign in with GitHub"',
    '<%= config.bin %> specify "Sign-in with GitHub OAuth, keeping email login" --slug github-sign-in --json',
  ];
  static override args = {
    description: Args.string({ description: 'What the feature should do, in a sentence or two.', required: true }),
  };
  static override flags = {
    slug: Flags.string({ description: 'The slug to use instead of one derived from the description.' }),
  };

  async run(): Promise<SpecifyResult> {
    const { args, flags } = await this.parse(Specify);
    const workspace = await this.openWorkspace();
    const result = await specifyFeature(workspace, {
      description: args.description,
      slug: flags.slug,
      now: new Date(),
    });
    this.print(
      [
        `Created feature ${result.feature} (target branch ${result.targetBranch})`,
        ...result.files.map((file) => `  ${file}`),
        '',
        `Next: write the spec, then kit plan --feature ${result.number}`,
      ].join('\n'),
    );
    return result;
  }
}
