/** The report of `kit restack`: one line per WP it looked at, then the conflict and what to do about it. */
import type { RestackResult, RestackStep } from '../services/restack.js';

function short(commit: string | null): string {
  return commit ? commit.slice(0, 12) : '';
}

function stepLine(step: RestackStep, dryRun: boolean): string {
  const onto = step.onto.join(' + ');
  const commits = `${step.commits} commit${step.commits === 1 ? '' : 's'}`;
  switch (step.outcome) {
    case 'restacked':
      return `  ${step.wp}  restacked onto ${onto}: ${commits} replayed, ${short(step.from)} → ${short(step.to)}${step.worktree ? ' (worktree moved along)' : ''}`;
    case 'planned':
      return `  ${step.wp}  ${dryRun ? 'would restack' : 'built, not moved'} onto ${onto}: ${commits} to replay`;
    case 'up-to-date':
      return `  ${step.wp}  up to date${onto ? ` with ${onto}` : ''}${step.base ? `; base ${dryRun ? 'to record' : 'recorded'}: ${short(step.base)}` : ''}`;
    case 'skipped':
      return `  ${step.wp}  skipped: ${step.reason ?? ''}`;
    case 'conflict':
      return `  ${step.wp}  CONFLICT onto ${onto}${step.reason ? `: ${step.reason}` : ''}`;
  }
}

export function renderRestack(result: RestackResult): string {
  const lines = [`${result.feature}${result.dryRun ? ' (dry run: nothing is moved)' : ''}`];
  if (result.steps.length === 0) lines.push('  no WP branch to restack');
  for (const step of result.steps) lines.push(stepLine(step, result.dryRun));
  if (result.conflict) {
    const { conflict } = result;
    lines.push('', `${conflict.wp} does not apply onto ${conflict.onto.join(' + ')}:`);
    if (conflict.commit) lines.push(`  commit ${short(conflict.commit.sha)} ${conflict.commit.subject}`);
    for (const file of conflict.files) lines.push(`  ${file.path} (${file.kind})`);
  }
  if (result.recordedIn) lines.push('', `New bases recorded on ${result.targetBranch} in ${short(result.recordedIn)}.`);
  const archived = result.steps.filter((step) => step.archiveRef);
  if (archived.length > 0) lines.push(`Old tips kept under refs/kit/restack-archive/${result.feature}/.`);
  if (result.hint) lines.push('', result.hint);
  return lines.join('\n');
}
