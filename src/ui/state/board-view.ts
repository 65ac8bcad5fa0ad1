/**
 * From data and state to what is on the screen: the layout for a terminal size (four lanes, or one lane
 * below 80 columns), and a view model the Ink components render without deciding anything. Pure.
 */
import { progress } from '../../domain/board.js';
import { LANES, type Lane } from '../../lanes/lane.js';
import type { StatusResult } from '../../services/status.js';
import { type BoardCard, type BoardColumns, type BoardState, featuresInScope, scopes } from './board-state.js';
import { cardMarks, type Mark } from './marks.js';
import { cut, displayWidth, sanitize } from './text.js';

/** Below this many columns the board shows one lane at a time. */
export const NARROW_BELOW = 80;
/** Lines per card: id and title, then agent and marks. */
export const CARD_HEIGHT = 2;
/** Lines of a lane that are not cards: two borders, the title, "n more" above and below. */
const COLUMN_CHROME = 5;
const HEADER_HEIGHT = 2;
const FOOTER_HEIGHT = 1;
const MIN_WIDTH = 30;
const MIN_HEIGHT = 10;

export const LANE_TITLES: Record<Lane, string> = {
  planned: 'PLANNED',
  doing: 'DOING',
  for_review: 'FOR REVIEW',
  done: 'DONE',
};

export interface BoardSize {
  columns: number;
  rows: number;
}

export interface BoardLayout {
  /** The frame: the terminal's width, and one line less than its height (so Ink never scrolls it). */
  width: number;
  height: number;
  narrow: boolean;
  tooSmall: boolean;
  bodyHeight: number;
  /** Outer width of each lane shown: four, or one when narrow. */
  columnWidths: number[];
  /** Cards that fit in a lane. */
  visibleRows: number;
  /** Lines of the detail view's content that fit. */
  detailHeight: number;
}

export function boardLayout(size: BoardSize): BoardLayout {
  const width = Math.max(1, Math.floor(size.columns));
  const height = Math.max(1, Math.floor(size.rows) - 1);
  const narrow = width < NARROW_BELOW;
  const bodyHeight = Math.max(0, height - HEADER_HEIGHT - FOOTER_HEIGHT);
  const count = narrow ? 1 : LANES.length;
  const base = Math.floor(width / count);
  const columnWidths = Array.from({ length: count }, (_, index) => base + (index < width % count ? 1 : 0));
  return {
    width,
    height,
    narrow,
    tooSmall: width < MIN_WIDTH || height < MIN_HEIGHT,
    bodyHeight,
    columnWidths,
    // Below 80 columns a row of lane tabs sits above the one lane shown.
    visibleRows: Math.max(1, Math.floor((bodyHeight - COLUMN_CHROME - (narrow ? 1 : 0)) / CARD_HEIGHT)),
    detailHeight: Math.max(1, height - HEADER_HEIGHT - FOOTER_HEIGHT),
  };
}

export interface CardView {
  key: string;
  /** `WP02`, or `003 WP02` in the all-features view. */
  label: string;
  /** The title, cut to what fits beside the label. */
  title: string;
  agent: string;
  marks: Mark[];
  selected: boolean;
}

export interface ColumnView {
  lane: Lane;
  title: string;
  count: number;
  width: number;
  focused: boolean;
  cards: CardView[];
  /** Cards scrolled out of view above and below. */
  above: number;
  below: number;
  /** What an empty lane says. */
  empty: string;
}

export interface LaneTab {
  lane: Lane;
  title: string;
  count: number;
  focused: boolean;
}

export interface HeaderView {
  title: string;
  /** `███░░░ 3/10 done (30%)` */
  progress: string;
  /** The second line, left: the filter, or which view this is. */
  info: string;
  /** The second line, right: live state (updated at, refreshing, an error). */
  notice: string;
  noticeTone: 'ok' | 'busy' | 'error';
}

export interface BoardView {
  layout: BoardLayout;
  header: HeaderView;
  columns: ColumnView[];
  /** Below 80 columns: every lane with its count, the focused one marked. */
  laneTabs: LaneTab[] | null;
  footer: string;
}

export interface Notice {
  text: string;
  tone: 'ok' | 'busy' | 'error';
}

/** `█████░░░░░ 5/10 done (50%)`, the bar `barWidth` cells wide. */
export function progressText(done: number, total: number, barWidth: number): string {
  const percent = total === 0 ? 0 : Math.round((done / total) * 100);
  const filled = total === 0 ? 0 : Math.round((done / total) * barWidth);
  return `${'█'.repeat(filled)}${'░'.repeat(Math.max(0, barWidth - filled))} ${done}/${total} done (${percent}%)`;
}

const FOOTER_WIDE = '←↓↑→/hjkl move · ⏎ details · ⇥/f feature · / filter · ? help · q quit';
const FOOTER_NARROW = '←→ lane · ↑↓ move · ⏎ details · ⇥ feature · / filter · ? help · q';
const FOOTER_FILTER = 'type to filter · ⏎ keep · Esc clear · ↑↓ move';

/** Columns of a card line: the lane's width minus its two borders and the selection marker. */
export function cardTextWidth(columnWidth: number): number {
  return Math.max(1, columnWidth - 3);
}

function cardView(card: BoardCard, allFeatures: boolean, selected: boolean, now: number, width: number): CardView {
  const label = allFeatures ? `${card.feature.id.split('-')[0] ?? card.feature.id} ${card.wp.id}` : card.wp.id;
  return {
    key: card.key,
    label,
    title: cut(sanitize(card.wp.title) || '(untitled)', Math.max(0, width - displayWidth(label) - 1)),
    agent: sanitize(card.wp.agent ?? ''),
    marks: cardMarks(card.wp, now),
    selected,
  };
}

function headerView(status: StatusResult, state: BoardState, width: number, notice: Notice): HeaderView {
  const features = featuresInScope(status, state.scope);
  const all = state.scope === null || features.length !== 1;
  const workPackages = features.flatMap((feature) => feature.workPackages);
  const { done, total } = progress(workPackages);
  const feature = features[0];
  const title =
    all || !feature
      ? `All features (${status.features.length})`
      : `${feature.id}${feature.title && feature.title !== feature.id ? ` · ${sanitize(feature.title)}` : ''}`;
  const bar = progressText(done, total, Math.max(5, Math.min(20, Math.floor(width / 6))));
  const views = scopes(status);
  const position = Math.max(0, views.indexOf(all ? null : (feature?.id ?? null))) + 1;
  let info = `view ${position}/${views.length} (⇥ next)`;
  if (state.editingFilter) info = `filter: ${state.filter}▏`;
  else if (state.filter) info = `filter: ${state.filter} (/ to edit)`;
  // Canceled 3.x WPs are in no lane: the header names them.
  const canceled = features.flatMap((scoped) =>
    scoped.workPackages
      .filter((wp) => wp.statusLane === 'canceled')
      .map((wp) => (all ? `${scoped.id.slice(0, 3)} ${wp.id}` : wp.id)),
  );
  if (canceled.length > 0) info += ` · canceled: ${canceled.join(', ')}`;
  return {
    title: cut(`kit · ${title}`, Math.max(1, width - displayWidth(bar) - 1)),
    progress: bar,
    info: cut(info, Math.max(1, width - displayWidth(notice.text) - 1)),
    notice: cut(notice.text, width),
    noticeTone: notice.tone,
  };
}

/** Everything the board shows, for one state, data set and terminal size. */
export function boardView(input: {
  status: StatusResult;
  state: BoardState;
  columns: BoardColumns;
  layout: BoardLayout;
  now: number;
  notice: Notice;
}): BoardView {
  const { status, state, columns, layout, now, notice } = input;
  const allFeatures = state.scope === null || featuresInScope(status, state.scope).length !== 1;
  const rows = layout.visibleRows;
  const lanesShown = layout.narrow ? [LANES[state.lane] ?? 'planned'] : [...LANES];
  const columnViews = lanesShown.map((lane, index): ColumnView => {
    const laneIndex = LANES.indexOf(lane);
    const cards = columns[lane];
    const offset = Math.min(state.offsets[laneIndex] ?? 0, Math.max(0, cards.length - rows));
    const visible = cards.slice(offset, offset + rows);
    const focused = laneIndex === state.lane;
    const width = layout.columnWidths[index] ?? layout.width;
    return {
      lane,
      title: LANE_TITLES[lane],
      count: cards.length,
      width,
      focused,
      cards: visible.map((card) =>
        cardView(card, allFeatures, focused && card.key === state.selected, now, cardTextWidth(width)),
      ),
      above: offset,
      below: Math.max(0, cards.length - offset - visible.length),
      empty: state.filter ? 'no match' : '—',
    };
  });
  const footer = state.editingFilter ? FOOTER_FILTER : layout.narrow ? FOOTER_NARROW : FOOTER_WIDE;
  return {
    layout,
    header: headerView(status, state, layout.width, notice),
    columns: columnViews,
    laneTabs: layout.narrow
      ? LANES.map((lane, index) => ({
          lane,
          title: LANE_TITLES[lane],
          count: columns[lane].length,
          focused: index === state.lane,
        }))
      : null,
    footer: cut(footer, layout.width),
  };
}

/** The ISO times whose ages the visible cards show (for the one timer that keeps ages true). */
export function visibleCommitTimes(columns: BoardColumns): string[] {
  return LANES.flatMap((lane) => columns[lane].flatMap((card) => (card.wp.git ? [card.wp.git.lastCommitAt] : [])));
}
