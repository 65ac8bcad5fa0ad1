import { describe, expect, it } from 'vitest';
import {
  acceptanceNotes,
  implementerNextSteps,
  type NextStepFacts,
  reviewFeedback,
  subtaskLines,
} from '../../src/domain/agent-briefing.js';

const body = [
  '# Work Package Prompt: WP02 – Parser',
  '',
  '## Review Feedback',
  '',
  '*[Empty until a reviewer sends this work package back: `kit move WP02 --to planned --note "..."`.]*',
  '',
  '## Subtasks',
  '',
  '- [ ] T003',
  '- [ ] T004',
  '',
  '## From tasks.md',
  '',
  '### WP02: Parser',
  '',
  '**Goal**: Parse every input the spec lists.',
  '',
  '- [ ] T003 Write the grammar',
  '- [x] T004 [P] Parse numbers',
  '',
  '### Acceptance criteria',
  '',
  'Empty input is an error with a line number.',
  '',
].join('\n');

describe('reviewFeedback', () => {
  it('is null while the section only has the placeholder, and the feedback once a reviewer wrote some', () => {
    expect(reviewFeedback(body)).toBeNull();
    expect(reviewFeedback('# WP\n\nNo section.\n')).toBeNull();
    const sentBack = body.replace(
      /^\*\[Empty until.*$/m,
      '**2026-11-22T10:00:00Z, reviewer:**\n\nHandle the empty input.',
    );
    expect(reviewFeedback(sentBack)).toBe('**2026-11-22T10:00:00Z, reviewer:**\n\nHandle the empty input.');
  });
});

describe('subtaskLines and acceptanceNotes', () => {
  it("take each subtask's fullest checklist line, and the goal and acceptance sections", () => {
    expect(subtaskLines(body, ['T003', 'T004'])).toEqual([
      '- [ ] T003 Write the grammar',
      '- [x] T004 [P] Parse numbers',
    ]);
    expect(subtaskLines(body, ['T009'])).toEqual(['T009']);
    expect(subtaskLines('## Subtasks\n\n- [ ] Do it\n', [])).toEqual(['- [ ] Do it']);
    expect(acceptanceNotes(body)).toEqual([
      '**Goal**: Parse every input the spec lists.',
      'Acceptance criteria:\nEmpty input is an error with a line number.',
    ]);
  });
});

describe('implementerNextSteps', () => {
  const facts: NextStepFacts = {
    id: 'WP02',
    feature: '001-x',
    lane: 'planned',
    dependencies: ['WP01'],
    severalFeatures: false,
    branch: '001-x-WP02',
    branchExists: false,
    worktree: null,
    defaultWorktree: '/repo/.worktrees/001-x-WP02',
    insideWorktree: false,
    unstartedDependencies: [],
    hasFeedback: false,
  };

  it('starts a planned WP with its dependency as base, and ends with the hand-in', () => {
    const steps = implementerNextSteps(facts);
    expect(steps[0]).toMatch(/^kit implement WP02 --base WP01 --agent <your agent name>/);
    expect(steps.at(-1)).toBe('kit move WP02 --to for_review');
  });

  it('waits for unstarted dependencies, and names the feature when there are several', () => {
    expect(implementerNextSteps({ ...facts, unstartedDependencies: ['WP01'] })[0]).toMatch(/^wait: WP01/);
    expect(implementerNextSteps({ ...facts, severalFeatures: true }).at(-1)).toBe(
      'kit move WP02 --to for_review --feature 001-x',
    );
  });

  it('in doing: into the worktree (or recreate it), feedback first, then hand in', () => {
    const doing = { ...facts, lane: 'doing' as const, branchExists: true, worktree: '/repo/.worktrees/001-x-WP02' };
    expect(implementerNextSteps(doing)[0]).toBe('cd "/repo/.worktrees/001-x-WP02"');
    expect(implementerNextSteps({ ...doing, insideWorktree: true })[0]).toMatch(/^commit your work/);
    expect(implementerNextSteps({ ...doing, worktree: null })[0]).toMatch(
      /^git worktree add "\/repo\/\.worktrees\/001-x-WP02" 001-x-WP02/,
    );
    expect(implementerNextSteps({ ...doing, hasFeedback: true, insideWorktree: true })[0]).toMatch(/review feedback/);
    expect(implementerNextSteps({ ...facts, lane: 'for_review' })).toEqual(['wait for the review: kit review WP02']);
  });
});
