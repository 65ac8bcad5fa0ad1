import { Args, Flags } from '@oclif/core';
import { KitCommand } from '../../cli/kit-command.js';
import { AGENT_NAMES } from '../../domain/agent-catalog.js';
import { type AgentsResult, removeAgents } from '../../services/agents.js';
import { describeAgentsResult } from '../../services/agents-report.js';

export default class AgentsRemove extends KitCommand {
  static override summary = 'Delete the command files kit wrote for coding agents.';
  static override description =
    "Deletes exactly the files .kit/agents.json lists for each agent, and kit's section in AGENTS.md (or " +
    'CLAUDE.md) once no installed agent needs it; everything outside the section stays. A file you edited ' +
    'after kit wrote it is kept (with a warning) unless --force. Nothing else is touched.';
  static override examples = [
    '<%= config.bin %> agents remove cursor',
    '<%= config.bin %> agents remove claude codex --json',
    '<%= config.bin %> agents remove gemini --force   # also delete files you edited',
  ];
  static override strict = false;
  static override args = {
    agent: Args.string({
      description: `Agent to remove: ${AGENT_NAMES.join(', ')} (several allowed).`,
      required: true,
    }),
  };
  static override flags = {
    force: Flags.boolean({ description: 'Also delete files you edited after kit wrote them.' }),
  };

  async run(): Promise<AgentsResult> {
    const { argv, flags } = await this.parse(AgentsRemove);
    const workspace = await this.openWorkspace({ ignoreConfig: true });
    const result = await removeAgents(workspace, { agents: argv.map(String), force: flags.force });
    this.printWarnings(result.warnings);
    this.print(describeAgentsResult(result));
    return result;
  }
}
