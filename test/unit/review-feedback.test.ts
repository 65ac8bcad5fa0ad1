import { describe, expect, it } from 'vitest';
import { addReviewFeedback } from '../../src/domain/review-feedback.js';

const feedback = {
  note: 'Tests fail on CRLF input.\nAdd a case.',
  reviewer: 'reviewer-bot',
  timestamp: '2026-11-22T10:00:00Z',
};

describe('addReviewFeedback', () => {
  it("replaces Spec Kitty's placeholder and keeps the rest of the body", () => {
    const body =
      '# WP01\n\n## Review Feedback\n\n*[This section is empty initially.]*\n\n---\n\n## Objectives\n\nDo it.\n';
    const out = addReviewFeedback(body, feedback, '\n');
    expect(out).toBe(
      '# WP01\n\n## Review Feedback\n\n**2026-11-22T10:00:00Z, reviewer-bot:**\n\nTests fail on CRLF input.\nAdd a case.\n\n---\n\n## Objectives\n\nDo it.\n',
    );
  });

  it('puts a newer round above an older one', () => {
    const once = addReviewFeedback('## Review Feedback\n\n*[Empty until a reviewer sends it back.]*\n', feedback, '\n');
    const twice = addReviewFeedback(
      once,
      { ...feedback, note: 'Second round.', timestamp: '2026-11-23T00:00:00Z' },
      '\n',
    );
    expect(twice.indexOf('Second round.')).toBeLessThan(twice.indexOf('Tests fail'));
    expect(twice.match(/## Review Feedback/g)).toHaveLength(1);
  });

  it("adds the section when the body has none, in the file's line endings", () => {
    const out = addReviewFeedback('# WP01\r\n\r\nBody.\r\n', feedback, '\r\n');
    expect(out.startsWith('# WP01\r\n\r\nBody.\r\n\r\n## Review Feedback\r\n\r\n**2026-11-22T10:00:00Z')).toBe(true);
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
  });
});
