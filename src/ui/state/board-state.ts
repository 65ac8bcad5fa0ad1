/**
 * The board's state and everything that changes it: which feature is in view, the filter, the selected
 * card, which lane has the focus, how far each lane is scrolled, the detail view and the help overlay.
 * Pure: keys come in as plain objects, data as the `kit status` result; nothing here renders, reads a file
 * or looks at the clock. The Ink container keeps one BoardState and feeds it through `reduceKey` and
 * `reconcile`.
 *
 * The selection is a card key (`<feature>/<WP>`), not a position, so it survives re-renders: when the data
 * changes, `reconcile` finds the card again, in whatever lane it now is. A card that is gone (filtered out,
 * deleted) leaves the selection at the same row of the same lane.
 */
import { LANES, type Lane } from '../../lanes/lane.js';
import type { StatusFeature, StatusResult, StatusWorkPackage } from '../../services/status.js';

export interface BoardCard {
  /** `<feature>/<WP>`: unique over all features. */
  key: string;
  feature: StatusFeature;
  wp: StatusWorkPackage;
}

export type BoardColumns = Record<Lane, BoardCard[]>;

export interface BoardState {
  /** The feature in view, or null for "all features". */
  scope: string | null;
  mode: 'board' | 'detail';
  help: boolean;
  /** The filter text; cards match when every word of it is found in the id, title, agent, feature or branch. */
  filter: string;
  /** True while the filter is being typed (after `/`). */
  editingFilter: boolean;
  /** Index into LANES of the lane with the focus. */
  lane: number;
  /** Row of the selected card in the focused lane. */
  row: number;
  /** Key of the selected card; null when the focused lane is empty. */
  selected: string | null;
  /** First visible row of each lane. */
  offsets: number[];
  /** The card the detail view shows, and how far it is scrolled. */
  detailKey: string | null;
  detailScroll: number;
  quit: boolean;
  /** Bumped by `r`: the container reloads when it changes. */
  refresh: number;
}

/** A key press, as the container reads it from the terminal (Ink's Key, reduced to what the board uses). */
export interface BoardKey {
  input: string;
  up?: boolean;
  down?: boolean;
  left?: boolean;
  right?: boolean;
  enter?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  backspace?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
}

/** What the reducer needs to know besides the state: the data and how much fits on the screen. */
export interface BoardContext {
  status: StatusResult;
  /** Cards that fit in one lane. */
  visibleRows: number;
  /** Lines of the detail view's content, and how many of them fit. */
  detailLines: number;
  detailHeight: number;
}

export function initialState(scope: string | null = null): BoardState {
  return {
    scope,
    mode: 'board',
    help: false,
    filter: '',
    editingFilter: false,
    lane: 0,
    row: 0,
    selected: null,
    offsets: LANES.map(() => 0),
    detailKey: null,
    detailScroll: 0,
    quit: false,
    refresh: 0,
  };
}

/** The views Tab cycles through: all features, then each feature. */
export function scopes(status: StatusResult): (string | null)[] {
  return [null, ...status.features.map((feature) => feature.id)];
}

/** The scope to start in: the feature asked for, else the only feature, else all features. */
export function startScope(status: StatusResult, requested: string | undefined): string | null {
  if (requested !== undefined && status.features.some((feature) => feature.id === requested)) return requested;
  return status.features.length === 1 ? (status.features[0]?.id ?? null) : null;
}

/** The features in view: one, or all. A scope whose feature has gone shows all. */
export function featuresInScope(status: StatusResult, scope: string | null): StatusFeature[] {
  if (scope === null) return status.features;
  const feature = status.features.find((candidate) => candidate.id === scope);
  return feature ? [feature] : status.features;
}

export function cardKey(feature: string, wp: string): string {
  return `${feature}/${wp}`;
}

/** True when every word of the filter occurs (case-insensitively) in the card's id, title, agent, feature or branch. */
export function matchesFilter(card: BoardCard, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const haystack = [
    card.wp.id,
    card.wp.title,
    card.wp.agent ?? '',
    card.feature.id,
    card.feature.title,
    card.wp.branch ?? '',
  ]
    .join('\n')
    .toLowerCase();
  return words.every((word) => haystack.includes(word));
}

/** The cards of each lane in view, in board order (feature order, then WP order), filtered; canceled WPs apart. */
export function boardColumns(status: StatusResult, scope: string | null, filter: string): BoardColumns {
  const columns = Object.fromEntries(LANES.map((lane) => [lane, [] as BoardCard[]])) as BoardColumns;
  for (const feature of featuresInScope(status, scope)) {
    for (const wp of feature.workPackages) {
      // A canceled 3.x WP is shown apart (the header names it), not as finished work in DONE.
      if (wp.statusLane === 'canceled') continue;
      const card = { key: cardKey(feature.id, wp.id), feature, wp };
      if (matchesFilter(card, filter)) columns[wp.lane].push(card);
    }
  }
  return columns;
}

/** Every card of the status result by key (whatever the scope and filter), for the detail view. */
export function findCard(status: StatusResult, key: string | null): BoardCard | undefined {
  if (key === null) return undefined;
  for (const feature of status.features) {
    for (const wp of feature.workPackages) {
      if (cardKey(feature.id, wp.id) === key) return { key, feature, wp };
    }
  }
  return undefined;
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}

function laneCards(columns: BoardColumns, lane: number): BoardCard[] {
  return columns[LANES[lane] ?? 'planned'];
}

/**
 * Brings the state in line with the data: the selected card is found again (following it to another lane
 * if it moved), or the selection falls back to the same row of the focused lane; every lane's scroll
 * offset is kept in range, and the focused lane scrolls so that the selection is visible.
 */
export function reconcile(state: BoardState, columns: BoardColumns, visibleRows: number): BoardState {
  const rows = Math.max(1, visibleRows);
  let lane = clamp(state.lane, 0, LANES.length - 1);
  let row = state.row;
  let selected: string | null = null;
  if (state.selected !== null) {
    for (let index = 0; index < LANES.length; index++) {
      const found = laneCards(columns, index).findIndex((card) => card.key === state.selected);
      if (found !== -1) {
        lane = index;
        row = found;
        selected = state.selected;
        break;
      }
    }
  }
  const cards = laneCards(columns, lane);
  if (selected === null) {
    row = cards.length === 0 ? 0 : clamp(row, 0, cards.length - 1);
    selected = cards[row]?.key ?? null;
  }
  const offsets = LANES.map((laneName, index) => {
    const count = columns[laneName].length;
    let offset = clamp(state.offsets[index] ?? 0, 0, Math.max(0, count - rows));
    if (index === lane && selected !== null) {
      if (row < offset) offset = row;
      else if (row >= offset + rows) offset = row - rows + 1;
    }
    return offset;
  });
  const unchanged =
    lane === state.lane &&
    row === state.row &&
    selected === state.selected &&
    offsets.every((offset, index) => offset === state.offsets[index]);
  return unchanged ? state : { ...state, lane, row, selected, offsets };
}

function select(state: BoardState, columns: BoardColumns, lane: number, row: number): BoardState {
  const cards = laneCards(columns, lane);
  const clampedRow = cards.length === 0 ? 0 : clamp(row, 0, cards.length - 1);
  return { ...state, lane, row: clampedRow, selected: cards[clampedRow]?.key ?? null };
}

// eslint-disable-next-line no-control-regex -- the point: typed text has no control characters
const PRINTABLE = /^[^\u0000-\u001f\u007f]+$/;

function isQuit(key: BoardKey): boolean {
  return key.ctrl === true && key.input === 'c';
}

/** One key press. Returns the same object when the key changes nothing. */
export function reduceKey(state: BoardState, key: BoardKey, context: BoardContext): BoardState {
  if (isQuit(key)) return { ...state, quit: true };
  if (state.help) {
    if (key.input === 'q' && !key.ctrl) return { ...state, quit: true };
    return { ...state, help: false };
  }
  if (state.mode === 'detail') return reduceDetailKey(state, key, context);
  if (state.editingFilter) return reduceFilterKey(state, key, context);
  return reduceBoardKey(state, key, context);
}

function reduceBoardKey(state: BoardState, key: BoardKey, context: BoardContext): BoardState {
  const columns = boardColumns(context.status, state.scope, state.filter);
  const rows = context.visibleRows;
  const input = key.ctrl || key.meta ? '' : key.input;
  const move = (lane: number, row: number) => reconcile(select(state, columns, lane, row), columns, rows);

  if (key.escape || input === 'q') return { ...state, quit: true };
  if (key.left || input === 'h') return move(clamp(state.lane - 1, 0, LANES.length - 1), state.row);
  if (key.right || input === 'l') return move(clamp(state.lane + 1, 0, LANES.length - 1), state.row);
  if (key.up || input === 'k') return move(state.lane, state.row - 1);
  if (key.down || input === 'j') return move(state.lane, state.row + 1);
  if (key.pageUp) return move(state.lane, state.row - rows);
  if (key.pageDown) return move(state.lane, state.row + rows);
  if (key.home || input === 'g') return move(state.lane, 0);
  if (key.end || input === 'G') return move(state.lane, Number.MAX_SAFE_INTEGER);
  if (key.enter) {
    if (state.selected === null) return state;
    return { ...state, mode: 'detail', detailKey: state.selected, detailScroll: 0 };
  }
  if (key.tab || input === 'f' || input === 'F') {
    const all = scopes(context.status);
    const current = Math.max(0, all.indexOf(state.scope));
    const step = key.shift || input === 'F' ? -1 : 1;
    const scope = all[(current + step + all.length) % all.length] ?? null;
    return refocus({ ...state, scope }, context);
  }
  if (input === '/') return { ...state, editingFilter: true };
  if (input === '?') return { ...state, help: true };
  if (input === 'r') return { ...state, refresh: state.refresh + 1 };
  return state;
}

/**
 * After the set of cards changed under the user (a filter, another feature): reconcile, and when the
 * focused lane has no card left, move to the first lane that has one, so there is always a selection.
 */
function refocus(state: BoardState, context: BoardContext): BoardState {
  const columns = boardColumns(context.status, state.scope, state.filter);
  const next = reconcile(state, columns, context.visibleRows);
  if (next.selected !== null) return next;
  const lane = LANES.findIndex((name) => columns[name].length > 0);
  return lane === -1 ? next : reconcile(select(next, columns, lane, 0), columns, context.visibleRows);
}

function withFilter(state: BoardState, filter: string, context: BoardContext): BoardState {
  return refocus({ ...state, filter }, context);
}

function reduceFilterKey(state: BoardState, key: BoardKey, context: BoardContext): BoardState {
  if (key.enter) return { ...state, editingFilter: false };
  if (key.escape) return withFilter({ ...state, editingFilter: false }, '', context);
  if (key.backspace) {
    if (state.filter === '') return { ...state, editingFilter: false };
    return withFilter(state, [...state.filter].slice(0, -1).join(''), context);
  }
  if (key.ctrl && key.input === 'u') return withFilter(state, '', context);
  if (key.up || key.down || key.left || key.right || key.pageUp || key.pageDown) {
    return reduceBoardKey(state, key, context);
  }
  if (key.ctrl || key.meta || key.tab || !PRINTABLE.test(key.input)) return state;
  return withFilter(state, state.filter + key.input, context);
}

function reduceDetailKey(state: BoardState, key: BoardKey, context: BoardContext): BoardState {
  const page = Math.max(1, context.detailHeight);
  const max = Math.max(0, context.detailLines - page);
  const scrollTo = (line: number) => {
    const detailScroll = clamp(line, 0, max);
    return detailScroll === state.detailScroll ? state : { ...state, detailScroll };
  };
  const input = key.ctrl || key.meta ? '' : key.input;
  if (key.escape || key.backspace || key.left || input === 'h') return { ...state, mode: 'board', detailScroll: 0 };
  if (input === 'q') return { ...state, quit: true };
  if (input === '?') return { ...state, help: true };
  if (key.up || input === 'k') return scrollTo(state.detailScroll - 1);
  if (key.down || input === 'j' || key.enter) return scrollTo(state.detailScroll + 1);
  if (key.pageUp || input === 'b') return scrollTo(state.detailScroll - page);
  if (key.pageDown || input === ' ') return scrollTo(state.detailScroll + page);
  if (key.home || input === 'g') return scrollTo(0);
  if (key.end || input === 'G') return scrollTo(max);
  if (input === 'r') return { ...state, refresh: state.refresh + 1 };
  return state;
}
