/** A problem kit check reports. `kind` is stable (scripts match on it); `message` is for people. */
export type ProblemKind =
  | 'unfinished'
  | 'frontmatter'
  | 'lane'
  | 'lane-mismatch'
  | 'wp-id'
  | 'duplicate-wp'
  | 'dependency'
  | 'cycle'
  | 'meta'
  | 'status'
  | 'file';

export interface Problem {
  kind: ProblemKind;
  feature: string | null;
  wp: string | null;
  /** Repository-relative, forward slashes. */
  file: string | null;
  line: number | null;
  message: string;
}

/** Stable report order: by feature, file, line, then message. */
export function compareProblems(a: Problem, b: Problem): number {
  return (
    (a.feature ?? '').localeCompare(b.feature ?? '') ||
    (a.file ?? '').localeCompare(b.file ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    a.message.localeCompare(b.message)
  );
}
