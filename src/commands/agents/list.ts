import { KitCommand } from '../../cli/kit-command.js';
import { type AgentListResult, listAgents } from '../../services/agents.js';

export default class AgentsList extends KitCommand {
  static override summary = 'List the coding agents kit supports and which are installed.';
  static override description =
    'For each agent: whether its command files are installed, from which template version (and whether this ' +
    'kit has newer templates), and each file kit wrote: ok, edited since, or missing. Reads .kit/agents.json; ' +
    'changes nothing.';
  static override examples = ['<%= config.bin %> agents list', '<%= config.bin %> agents list --json'];

  async run(): Promise<AgentListResult> {
    await this.parse(AgentsList);
    const workspace = await this.openWorkspace({ ignoreConfig: true });
    const result = listAgents(workspace);
    const lines = [`Agent templates in this kit: ${result.templateVersion}`];
    for (const agent of result.agents) {
      if (!agent.installed) {
        lines.push(`  ${agent.name.padEnd(9)} ${agent.title}: not installed (kit agents add ${agent.name})`);
        continue;
      }
      const edited = agent.files.filter((file) => file.state === 'edited').length;
      const missing = agent.files.filter((file) => file.state === 'missing').length;
      const notes = [
        `${agent.files.length} files`,
        edited > 0 ? `${edited} edited` : '',
        missing > 0 ? `${missing} missing` : '',
        agent.outdated ? `newer templates available: kit agents add ${agent.name}` : '',
      ].filter(Boolean);
      lines.push(`  ${agent.name.padEnd(9)} ${agent.title}: templates ${agent.templateVersion}; ${notes.join(', ')}`);
      for (const file of agent.files.filter((entry) => entry.state !== 'ok')) {
        lines.push(`              ${file.state.padEnd(8)} ${file.path}`);
      }
    }
    for (const section of result.sections) lines.push(`  ${section.path}: kit section ${section.state}`);
    this.print(lines.join('\n'));
    return result;
  }
}
