import type { Problem } from '../domain/problem.js';
import type { CheckResult } from '../services/check-planning.js';
import { paint } from './style.js';

function location(problem: Problem): string {
  return problem.file ? `${problem.file}${problem.line ? `:${problem.line}` : ''}` : (problem.feature ?? '');
}

// GitHub's workflow commands need %, CR and LF escaped in the message and also : and , in properties.
function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** kit check's human and GitHub Actions output. */
export function renderCheck(result: CheckResult, format: 'text' | 'github'): string {
  if (format === 'github') {
    const lines = result.problems.map((problem) => {
      const properties = [
        ...(problem.file ? [`file=${escapeProperty(problem.file)}`] : []),
        ...(problem.line ? [`line=${problem.line}`] : []),
        `title=${escapeProperty(`kit check: ${problem.kind}`)}`,
      ];
      return `::error ${properties.join(',')}::${escapeData(problem.message)}`;
    });
    lines.push(summary(result));
    return lines.join('\n');
  }
  const out = process.stdout;
  const lines: string[] = [];
  for (const problem of result.problems) {
    lines.push(`${paint(out, 'red', '✗')} ${location(problem)}: ${problem.message}`);
  }
  if (result.problems.length > 0) lines.push('');
  lines.push(result.ok ? paint(out, 'green', summary(result)) : summary(result));
  return lines.join('\n');
}

function summary(result: CheckResult): string {
  const total = result.features.reduce((sum, f) => sum + f.workPackages.length, 0);
  const canceled = result.features.reduce(
    (sum, f) => sum + f.workPackages.filter((wp) => wp.statusLane === 'canceled').length,
    0,
  );
  // A canceled 3.x WP sits in the done column but was not done: say it apart, as the board does.
  const done = result.features.reduce((sum, f) => sum + f.counts.done, 0) - canceled;
  const finished = canceled > 0 ? `${done} done, ${canceled} canceled` : `${done} done`;
  const scope = `${result.features.length} feature${result.features.length === 1 ? '' : 's'}, ${total} work package${total === 1 ? '' : 's'} (${finished})`;
  return result.ok
    ? `kit check: OK: ${scope}`
    : `kit check: ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'} in ${scope}`;
}
