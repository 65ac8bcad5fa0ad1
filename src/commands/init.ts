import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { AGENT_NAMES } from '../domain/agent-catalog.js';
import { describeAgentsResult } from '../services/agents-report.js';
import { type InitResult, initProject } from '../services/init-project.js';

export default class Init extends KitCommand {
  static override summary = 'Set up kit in this git repository.';
  static override description =
    'Writes .kit/config.yaml, creates the specs dir (kitty-specs/) and adds the worktrees dir (.worktrees/) to ' +
    '.git/info/exclude. With --agent it also installs the command files of those coding agents (see kit ' +
    'agents add). Safe to run again: it only adds what is missing. A repository that already uses Spec Kitty ' +
    'works without it.';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --agent claude --agent codex',
    '<%= config.bin %> init --agent gemini --json',
    '<%= config.bin %> init --force --json',
    '<%= config.bin %> init --remote origin   # agents on several machines claim WPs through origin',
  ];
  static override flags = {
    force: Flags.boolean({
      description: 'Overwrite an existing .kit/config.yaml with the defaults, and agent files you edited.',
    }),
    remote: Flags.string({
      description:
        'Share claims with clones on other machines through this git remote: kit implement creates the WP branch there, create-only.',
    }),
    'lane-store': Flags.string({
      description:
        'Where lane changes live: target (commits on the target branch) or ref (commits on refs/kit/lanes/<target>, for a protected target branch).',
      options: ['target', 'ref'],
    }),
    agent: Flags.string({
      description: `Install the command files of this coding agent (repeatable): ${AGENT_NAMES.join(', ')}.`,
      multiple: true,
    }),
  };

  async run(): Promise<InitResult> {
    const { flags } = await this.parse(Init);
    const workspace = await this.openWorkspace({ ignoreConfig: true });
    const result = await initProject(workspace, {
      force: flags.force,
      agents: flags.agent ?? [],
      remote: flags.remote,
      laneStore: flags['lane-store'],
    });
    if (result.agents) this.printWarnings(result.agents.warnings);
    this.print(
      [
        `kit is set up in ${result.root}`,
        `  ${result.config.file}: ${result.config.action}`,
        `  ${result.specsDir.path}/: ${result.specsDir.action}`,
        `  ${result.exclude.file}: ${result.exclude.entry} ${result.exclude.action}`,
        ...(result.agents ? ['', describeAgentsResult(result.agents)] : []),
        '',
        'Next: kit specify "<what the feature should do>"',
      ].join('\n'),
    );
    return result;
  }
}
