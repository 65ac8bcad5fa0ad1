import { Args, Flags } from '@oclif/core';
import { KitCommand } from '../../cli/kit-command.js';
import { AGENT_NAMES } from '../../domain/agent-catalog.js';
import { type AgentsResult, installAgents } from '../../services/agents.js';
import { describeAgentsResult } from '../../services/agents-report.js';

export default class AgentsAdd extends KitCommand {
  static override summary = "Install or update kit's command files for coding agents.";
  static override description =
    `Writes one command file per workflow step (specify, plan, tasks, implement, review, merge, status) for ` +
    `each agent (${AGENT_NAMES.join(', ')}), from templates bundled with kit, plus a marked workflow section ` +
    'in AGENTS.md (and CLAUDE.md for claude). .kit/agents.json records what kit wrote: running it again ' +
    "updates kit's own files, keeps files you edited (with a warning) unless --force, and says what changed " +
    'when the templates are newer. The files go to the main checkout; commit them on the target branch.';
  static override examples = [
    '<%= config.bin %> agents add claude',
    '<%= config.bin %> agents add codex gemini cursor',
    '<%= config.bin %> agents add copilot opencode --json',
    '<%= config.bin %> agents add claude --force   # replace files you edited',
  ];
  static override strict = false;
  static override args = {
    agent: Args.string({
      description: `Agent to install: ${AGENT_NAMES.join(', ')} (several allowed).`,
      required: true,
    }),
  };
  static override flags = {
    force: Flags.boolean({ description: 'Replace files you edited, or that kit did not write, with the templates.' }),
  };

  async run(): Promise<AgentsResult> {
    const { argv, flags } = await this.parse(AgentsAdd);
    const workspace = await this.openWorkspace({ ignoreConfig: true });
    const result = await installAgents(workspace, { agents: argv.map(String), force: flags.force });
    this.printWarnings(result.warnings);
    this.print(describeAgentsResult(result));
    return result;
  }
}
