/**
 * The lane model: where a work package stands. Pure: no fs, git or clock.
 * Spec Kitty writes `lane:` in frontmatter (and, in its older layout, used the lane as a folder name);
 * some versions wrote `in_progress` for `doing`, so reads accept it and writes never produce it.
 */
export const LANES = ['planned', 'doing', 'for_review', 'done'] as const;
export type Lane = (typeof LANES)[number];

const LANE_ALIASES: Readonly<Record<string, Lane>> = { in_progress: 'doing' };

/** The lane a frontmatter value or folder name means, or undefined when it names no lane. */
export function parseLane(raw: unknown): Lane | undefined {
  if (typeof raw !== 'string') return undefined;
  const value = raw.trim();
  if ((LANES as readonly string[]).includes(value)) return value as Lane;
  return LANE_ALIASES[value];
}

/** Lanes that mean "someone is still working on it": the CI gate fails while any WP is in one. */
export function isUnfinished(lane: Lane, strict: boolean): boolean {
  return lane === 'doing' || lane === 'for_review' || (strict && lane === 'planned');
}
