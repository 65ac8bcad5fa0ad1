/**
 * What `kit prompt` and `kit review` read out of a WP file's body, and the commands they tell an agent
 * to run next. Pure: the body text and the WP's facts in, plain data out.
 */
import type { Lane } from '../lanes/lane.js';
import { implementCommand } from './board.js';

/** The text under a `##` heading up to the next heading of level 1 or 2, or null when there is none. */
function section(body: string, heading: RegExp): string | null {
  const lines = body.split(/\r?\n/);
  const start = lines.findIndex((line) => /^##[ \t]/.test(line) && heading.test(line.replace(/^##[ \t]+/, '')));
  if (start === -1) return null;
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => /^#{1,2}[ \t]/.test(line));
  return (end === -1 ? rest : rest.slice(0, end)).join('\n');
}

const FEEDBACK_PLACEHOLDER = /^\*\[(?:This section is empty initially|Empty until)[^\n]*\]\*$/;

/**
 * The review feedback recorded in the WP body (`## Review Feedback`, newest round first), or null while
 * the section is missing, empty or still holds the template's placeholder line.
 */
export function reviewFeedback(body: string): string | null {
  const text = section(body, /^Review Feedback\s*$/i);
  if (text === null) return null;
  const meaningful = text
    .split('\n')
    .filter((line) => !FEEDBACK_PLACEHOLDER.test(line.trim()))
    .join('\n')
    .trim();
  return meaningful === '' ? null : meaningful;
}

/**
 * The subtasks as checklist lines (`- [ ] T001 Do it`): for each subtask id, the fullest line the body
 * has for it, else the bare id (kit's WP files list the bare ids under `## Subtasks` and the full lines
 * from tasks.md further down). Without ids, the `## Subtasks` checklist as it is.
 */
export function subtaskLines(body: string, ids: readonly string[]): string[] {
  const checklist = body
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => /^[-*] \[[ xX]\]/.test(line));
  if (ids.length > 0) {
    return ids.map((id) => {
      const mentions = checklist.filter((line) =>
        new RegExp(`(^|[^A-Za-z0-9])${escapeRegExp(id)}([^A-Za-z0-9]|$)`).test(line),
      );
      return mentions.sort((a, b) => b.length - a.length)[0] ?? id;
    });
  }
  const text = section(body, /^Subtasks\s*$/i) ?? '';
  return checklist.filter((line) => text.includes(line));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What the WP must achieve, for the reviewer: its `**Goal**:` lines and any section about acceptance,
 * definition of done or success criteria, as the planner wrote them in tasks.md.
 */
export function acceptanceNotes(body: string): string[] {
  const notes: string[] = [];
  for (const line of body.split(/\r?\n/)) {
    if (/^\*\*(?:Goal|Acceptance(?: criteria)?|Done when|Definition of done)\*\*\s*:/i.test(line.trim())) {
      notes.push(line.trim());
    }
  }
  const headings = /^(?:#{2,4})[ \t]+(.*(?:acceptance|definition of done|success criteria|done when).*)$/gim;
  for (const match of body.matchAll(headings)) {
    const start = (match.index ?? 0) + match[0].length;
    const rest = body.slice(start);
    const next = /^#{1,4}[ \t]/m.exec(rest);
    const text = (next ? rest.slice(0, next.index) : rest).trim();
    if (text) notes.push(`${match[1]?.trim() ?? ''}:\n${text}`);
  }
  return notes;
}

export interface NextStepFacts {
  id: string;
  feature: string;
  lane: Lane;
  dependencies: readonly string[];
  /** Whether `--feature` must be spelled out (the repository has several features). */
  severalFeatures: boolean;
  branch: string;
  branchExists: boolean;
  worktree: string | null;
  /** Where `kit implement` puts the WP's worktree. */
  defaultWorktree: string;
  /** The command runs inside the WP's own worktree. */
  insideWorktree: boolean;
  /** Dependencies whose branches do not exist yet (kit implement needs them). */
  unstartedDependencies: readonly string[];
  hasFeedback: boolean;
}

/** The exact commands an implementing agent runs next, in order, for the lane the WP is in. */
export function implementerNextSteps(facts: NextStepFacts): string[] {
  const feature = facts.severalFeatures ? ` --feature ${facts.feature}` : '';
  const start = `${implementCommand(facts, facts.feature, facts.severalFeatures)} --agent <your agent name>`;
  switch (facts.lane) {
    case 'planned': {
      if (facts.unstartedDependencies.length > 0) {
        return [
          `wait: ${facts.unstartedDependencies.join(', ')} must be started first (kit next lists what can start now)`,
        ];
      }
      return [
        facts.branchExists
          ? `${start}   # resumes on the existing branch; prints the worktree`
          : `${start}   # prints the worktree`,
        'cd "<the worktree it printed>"',
        ...(facts.hasFeedback ? ['address every point of the review feedback first'] : []),
        'commit your work there: git add -A && git commit -m "<what>"',
        `kit move ${facts.id} --to for_review${feature}`,
      ];
    }
    case 'doing': {
      const enter = facts.insideWorktree
        ? []
        : facts.worktree
          ? [`cd "${facts.worktree}"`]
          : facts.branchExists
            ? [
                `git worktree add "${facts.defaultWorktree}" ${facts.branch}   # its worktree was removed`,
                `cd "${facts.defaultWorktree}"`,
              ]
            : [];
      return [
        ...enter,
        ...(facts.hasFeedback ? ['address every point of the review feedback first'] : []),
        'commit your work in the worktree: git add -A && git commit -m "<what>"',
        `kit move ${facts.id} --to for_review${feature}`,
      ];
    }
    case 'for_review':
      return [`wait for the review: kit review ${facts.id}${feature}`];
    case 'done':
      return ['nothing: the work package is done'];
  }
}
