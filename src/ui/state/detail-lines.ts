/**
 * The detail view of one WP as lines of text, wrapped to the terminal's width: its frontmatter fields,
 * dependencies with their lanes, git facts, history and Markdown body. Pure; the view scrolls over the
 * result, so the number of lines is known before anything is rendered.
 */
import type { WorkPackageDetail } from '../../services/board-detail.js';
import type { BoardCard } from './board-state.js';
import { LANE_TITLES } from './board-view.js';
import { ageSeconds, compactAge } from './marks.js';
import { cut, displayWidth, sanitize, wrapLine } from './text.js';

export type DetailTone = 'heading' | 'text' | 'dim' | 'code' | 'warn' | 'ok';

export interface DetailLine {
  /** A field name shown before the text (first wrapped line only). */
  label?: string;
  text: string;
  tone: DetailTone;
}

export interface DetailInput {
  card: BoardCard;
  /** The WP file's frontmatter and body; null while it loads. */
  detail: WorkPackageDetail | null;
  /** Why loading it failed. */
  error: string | null;
  width: number;
  now: number;
}

const LABEL_WIDTH = 16;
const MAX_LISTED_FILES = 20;

function formatValue(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
    return value.length === 0 ? '[]' : value.map((item) => String(item)).join(', ');
  }
  return JSON.stringify(value);
}

export function detailLines(input: DetailInput): DetailLine[] {
  const { card, detail, error, now } = input;
  const width = Math.max(10, input.width);
  const { wp, feature } = card;
  const lines: DetailLine[] = [];
  const push = (text: string, tone: DetailTone = 'text', label?: string) => {
    const labelText = label === undefined ? '' : `${label.padEnd(LABEL_WIDTH - 1)} `;
    const wrapped = wrapLine(sanitize(text), Math.max(1, width - displayWidth(labelText)));
    wrapped.forEach((part, index) => {
      if (index === 0 && label !== undefined) lines.push({ label: labelText, text: part, tone });
      else lines.push({ text: `${' '.repeat(displayWidth(labelText))}${part}`, tone });
    });
  };
  const heading = (text: string) => {
    if (lines.length > 0) lines.push({ text: '', tone: 'text' });
    lines.push({ text, tone: 'heading' });
  };

  heading('Fields');
  push(feature.id + (feature.title && feature.title !== feature.id ? ` (${feature.title})` : ''), 'text', 'feature');
  push(`${wp.file}${detail ? `  (${detail.source})` : ''}`, 'dim', 'file');
  if (error) push(`cannot read the WP file: ${error}`, 'warn');
  else if (!detail) push('loading…', 'dim');
  else if (detail.problem) push(`the frontmatter cannot be read: ${detail.problem}`, 'warn');
  if (detail && !detail.problem) {
    for (const [key, value] of Object.entries(detail.frontmatter)) {
      if (key === 'history') continue;
      push(formatValue(value), 'text', key);
    }
  } else {
    push(LANE_TITLES[wp.lane], 'text', 'lane');
    push(wp.agent ?? '—', 'text', 'agent');
  }

  heading('Dependencies');
  if (wp.dependencies.length === 0) push('none', 'dim');
  const lanes = new Map(feature.workPackages.map((other) => [other.id, other]));
  for (const id of wp.dependencies) {
    const dependency = lanes.get(id);
    if (!dependency) push('not in this feature', 'warn', id);
    else push(`${LANE_TITLES[dependency.lane]} · ${dependency.title}`, dependency.lane === 'done' ? 'ok' : 'warn', id);
  }
  if (wp.blockedBy.length > 0) push(`blocked by ${wp.blockedBy.join(', ')} (not done yet)`, 'warn');

  heading('Git');
  const git = wp.git;
  if (!git) {
    push(wp.lane === 'planned' ? 'no branch yet (kit implement creates it)' : 'no branch', 'dim');
  } else {
    push(wp.branch ?? '—', 'text', 'branch');
    push(wp.worktree ?? 'none', wp.worktree ? 'text' : 'warn', 'worktree');
    push(git.tip.slice(0, 12), 'dim', 'tip');
    push(`${git.ahead} commit${git.ahead === 1 ? '' : 's'} beyond its base`, 'text', 'ahead');
    const behind = Object.entries(git.behind).filter(([, count]) => count > 0);
    if (behind.length === 0) push('no (up to date with its dependencies)', 'ok', 'stale base');
    for (const [id, count] of behind) {
      push(`${id} has ${count} commit${count === 1 ? '' : 's'} this branch does not`, 'warn', 'stale base');
    }
    if (wp.staleBase.length > 0) push(`kit restack ${wp.id} --feature ${feature.id} rebases it onto them`, 'code');
    for (const conflict of wp.conflicts ?? []) {
      push(`with ${conflict.with} in ${conflict.files.join(', ')}`, 'warn', 'conflict forecast');
    }
    if (git.uncommitted === null) {
      push(wp.worktree ? 'unknown (git status failed)' : 'no worktree', 'warn', 'uncommitted');
    } else {
      push(
        `${git.uncommitted} file${git.uncommitted === 1 ? '' : 's'}`,
        git.uncommitted > 0 ? 'warn' : 'ok',
        'uncommitted',
      );
      for (const file of (git.uncommittedFiles ?? []).slice(0, MAX_LISTED_FILES)) push(`  ${file}`, 'dim');
      const more = (git.uncommittedFiles?.length ?? 0) - MAX_LISTED_FILES;
      if (more > 0) push(`  … and ${more} more`, 'dim');
    }
    push(`${git.lastCommitAt} (${compactAge(ageSeconds(git.lastCommitAt, now))} ago)`, 'text', 'last commit');
    if (git.locked) push('yes', 'warn', 'locked');
  }

  heading('History');
  const history = detail && !detail.problem ? detail.frontmatter.history : undefined;
  if (!Array.isArray(history) || history.length === 0) push(detail ? 'none' : '…', 'dim');
  else {
    for (const entry of history) {
      if (!entry || typeof entry !== 'object') continue;
      const record = entry as Record<string, unknown>;
      const field = (key: string) =>
        record[key] === undefined || record[key] === null ? '' : formatValue(record[key]);
      const who = field('agent');
      push(
        [field('lane').padEnd(10), who ? `${who}:` : '', field('action')].filter(Boolean).join(' '),
        'text',
        field('timestamp').replace(/\.\d+/, '').slice(0, 20) || '—',
      );
    }
  }

  heading('Body');
  const body = detail?.body.replace(/^\s*\n/, '') ?? '';
  if (!body.trim()) push(detail ? '(empty)' : '…', 'dim');
  let inCode = false;
  for (const raw of body.replace(/\s+$/, '').split(/\r?\n/)) {
    const line = raw.replace(/\t/g, '  ');
    if (/^\s*(```|~~~)/.test(line)) {
      inCode = !inCode;
      push(line, 'code');
    } else if (inCode) push(line, 'code');
    else if (/^#{1,6}\s/.test(line)) push(line, 'heading');
    else push(line, 'text');
  }
  return lines;
}

export interface DetailView {
  title: string;
  lane: string;
  /** Second header line: the feature, and which lines are in view. */
  info: string;
  lines: DetailLine[];
  footer: string;
}

const DETAIL_FOOTER = '↑↓/jk scroll · PgUp PgDn/b space page · g G top bottom · Esc back · q quit';

/** The part of the detail lines in view, with its header and footer. */
export function detailView(input: {
  card: BoardCard | undefined;
  lines: readonly DetailLine[];
  scroll: number;
  width: number;
  height: number;
}): DetailView {
  const { card, lines, width, height } = input;
  if (!card) {
    return {
      title: 'Gone',
      lane: '',
      info: '',
      lines: [{ text: 'This WP is no longer on the board (its file was removed or renamed).', tone: 'warn' }],
      footer: cut('Esc back · q quit', width),
    };
  }
  const scroll = Math.max(0, Math.min(input.scroll, Math.max(0, lines.length - height)));
  const shown = lines.slice(scroll, scroll + height);
  const range = lines.length <= height ? 'all' : `${scroll + 1}–${scroll + shown.length} of ${lines.length}`;
  const lane = LANE_TITLES[card.wp.lane];
  return {
    title: cut(
      `${card.wp.id} · ${sanitize(card.wp.title) || '(untitled)'}`,
      Math.max(1, width - displayWidth(lane) - 1),
    ),
    lane,
    info: cut(`${card.feature.id} · lines ${range}`, width),
    lines: shown,
    footer: cut(DETAIL_FOOTER, width),
  };
}
