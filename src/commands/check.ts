import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { renderCheck } from '../cli/render-check.js';
import { ExitCode } from '../errors.js';
import { type CheckResult, checkPlanning } from '../services/check-planning.js';

export default class Check extends KitCommand {
  static override summary = 'The CI gate: fail while any work package is unfinished or the planning tree is invalid.';
  static override description =
    'Exit 1 when a WP of the checked features is in doing or for_review (with --strict also planned), or when ' +
    'a WP file has unreadable frontmatter, a missing or unknown lane, a bad or duplicate WP id, missing or ' +
    'cyclic dependencies, or a lane folder that disagrees with its frontmatter. Each problem names its file ' +
    'and line. Exit 0 when all is well. Without --feature it checks every feature.';
  static override examples = [
    '<%= config.bin %> check',
    '<%= config.bin %> check --feature 001 --strict',
    '<%= config.bin %> check --format github',
    '<%= config.bin %> check --format json',
  ];
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Check only this feature (dir name, number or slug).' }),
    strict: Flags.boolean({ description: 'Also fail while any WP is still planned.' }),
    format: Flags.string({
      description: 'Output format; github prints ::error annotations for GitHub Actions.',
      options: ['text', 'json', 'github'],
      default: 'text',
    }),
  };

  /** `--format json` is the same document as `--json`, failures included. */
  override jsonEnabled(): boolean {
    const format = this.argv.findIndex((arg) => arg === '--format' || arg.startsWith('--format='));
    const value = format === -1 ? undefined : (this.argv[format]?.split('=')[1] ?? this.argv[format + 1]);
    return super.jsonEnabled() || value === 'json';
  }

  async run(): Promise<CheckResult> {
    const { flags } = await this.parse(Check);
    const workspace = await this.openWorkspace();
    const result = checkPlanning(workspace, { feature: flags.feature, strict: flags.strict });
    if (!result.ok) this.failWith(ExitCode.checkFailed);
    this.print(renderCheck(result, flags.format === 'github' ? 'github' : 'text'));
    return result;
  }
}
