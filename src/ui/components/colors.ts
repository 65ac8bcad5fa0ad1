/** The colours of the board: one per mark kind and per detail tone. */
import type { DetailTone } from '../state/detail-lines.js';
import type { MarkKind } from '../state/marks.js';

export const MARK_COLORS: Record<MarkKind, string> = {
  ahead: 'green',
  dirty: 'yellow',
  stale: 'red',
  conflict: 'red',
  blocked: 'red',
  ready: 'green',
  age: 'gray',
  missing: 'yellow',
  locked: 'magenta',
  status: 'cyan',
};

export const TONE_COLORS: Record<DetailTone, string | undefined> = {
  heading: 'cyan',
  text: undefined,
  dim: 'gray',
  code: 'yellow',
  warn: 'red',
  ok: 'green',
};

export const NOTICE_COLORS = { ok: 'green', busy: 'yellow', error: 'red' } as const;

/** `color` as a prop only when there is one (Ink's Text takes no `color={undefined}` under exactOptionalPropertyTypes). */
export function tint(color: string | undefined): { color?: string } {
  return color ? { color } : {};
}
