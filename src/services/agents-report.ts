/**
 * The human text of `kit agents add|remove` and `kit init --agent`: per agent, each file and what
 * happened to it, what changed in an upgrade, and the git command that commits the result.
 */
import type { AgentsResult } from './agents.js';

const LABEL_WIDTH = 12;

export function describeAgentsResult(result: AgentsResult): string {
  const lines: string[] = [];
  for (const agent of result.agents) {
    const version = agent.upgrade
      ? `agent templates ${agent.upgrade.from} → ${agent.upgrade.to}`
      : `agent templates ${agent.templateVersion}`;
    lines.push(`${agent.title} (${agent.name}): ${version}`);
    for (const change of agent.upgrade?.changes ?? [])
      lines.push(`  what changed in ${change.version}: ${change.summary}`);
    for (const file of agent.files) lines.push(`  ${file.action.padEnd(LABEL_WIDTH)}${file.path}`);
  }
  for (const name of result.notInstalled) lines.push(`${name}: not installed, nothing to remove`);
  for (const section of result.sections) lines.push(`${section.path}: kit section ${section.action}`);
  lines.push(`${result.manifest.file}: ${result.manifest.action}`);
  if (result.changedPaths.length > 0) {
    lines.push(
      '',
      'These are planning files: commit them on the target branch, in the main checkout:',
      `  git add -A -- ${commitTargets(result.changedPaths).join(' ')} && git commit -m "kit agent commands"`,
    );
  } else {
    lines.push('', 'Nothing changed.');
  }
  return lines.join('\n');
}

/** Short pathspecs for the commit hint: the directory of a command file, an instruction file itself. */
function commitTargets(paths: readonly string[]): string[] {
  const targets = new Set<string>();
  for (const path of paths) {
    const parts = path.split('/');
    targets.add(parts.length > 2 ? parts.slice(0, 2).join('/') : path);
  }
  return [...targets].sort();
}
