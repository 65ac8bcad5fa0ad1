/**
 * Review feedback lives in the WP body under `## Review Feedback`, where the implementing agent reads it
 * first. Spec Kitty's prompt template ships that section with a placeholder line; kit replaces the
 * placeholder, or adds the newest feedback above older rounds. Pure text in, text out.
 */
const HEADING = /^##[ \t]+Review Feedback[ \t]*$/m;
const PLACEHOLDER = /^\*\[(?:This section is empty initially|Empty until)[^\n]*\]\*[ \t]*$/m;

export interface Feedback {
  note: string;
  reviewer: string;
  timestamp: string;
}

/** The body with this feedback recorded under `## Review Feedback` (the section is created if missing). */
export function addReviewFeedback(body: string, feedback: Feedback, eol: string): string {
  const block = [
    `**${feedback.timestamp}, ${feedback.reviewer}:**`,
    '',
    ...feedback.note.trim().split(/\r?\n/),
    '',
  ].join(eol);
  const heading = HEADING.exec(body);
  if (!heading) {
    const separator = body.length === 0 || body.endsWith('\n') ? '' : eol;
    return `${body}${separator}${eol}## Review Feedback${eol}${eol}${block}`;
  }
  const sectionStart = heading.index + heading[0].length;
  const nextHeading = /^#{1,2}[ \t]/m.exec(body.slice(sectionStart));
  const sectionEnd = nextHeading ? sectionStart + nextHeading.index : body.length;
  const section = body.slice(sectionStart, sectionEnd);
  const placeholder = PLACEHOLDER.exec(section);
  if (placeholder) {
    const start = sectionStart + placeholder.index;
    return body.slice(0, start) + block.trimEnd() + body.slice(start + placeholder[0].length);
  }
  // Newest first, right under the heading, so the agent sees the latest round without scrolling.
  const lineEnd = body.indexOf('\n', sectionStart);
  const insertAt = lineEnd === -1 ? body.length : lineEnd + 1;
  return `${body.slice(0, insertAt)}${eol}${block}${body.slice(insertAt)}`;
}
