import { describe, expect, it } from 'vitest';
import {
  type BoardContext,
  type BoardKey,
  type BoardState,
  boardColumns,
  initialState,
  matchesFilter,
  reconcile,
  reduceKey,
  scopes,
  startScope,
} from '../../src/ui/state/board-state.js';
import { feature, sampleStatus, status, wp } from '../ui/fixtures.js';

const data = sampleStatus();
const context: BoardContext = { status: data, visibleRows: 2, detailLines: 50, detailHeight: 10 };

function key(input: string | Partial<BoardKey>): BoardKey {
  return typeof input === 'string' ? { input } : { input: '', ...input };
}

/** The start state, reconciled with the data (as the container shows it). */
function start(scope: string | null = null, ctx = context): BoardState {
  return reconcile(initialState(scope), boardColumns(ctx.status, scope, ''), ctx.visibleRows);
}

function press(state: BoardState, ...keys: (string | Partial<BoardKey>)[]): BoardState {
  return keys.reduce((current, next) => reduceKey(current, key(next), context), state);
}

describe('board grouping and filtering', () => {
  it('groups the cards of every feature by lane, in feature then WP order', () => {
    const columns = boardColumns(data, null, '');
    expect(columns.planned.map((card) => card.key)).toEqual(['001-x/WP04', '001-x/WP05', '002-y/WP01']);
    expect(columns.doing.map((card) => card.key)).toEqual(['001-x/WP02', '002-y/WP02']);
    expect(columns.for_review.map((card) => card.key)).toEqual(['001-x/WP03']);
    expect(columns.done.map((card) => card.key)).toEqual(['001-x/WP01']);
  });

  it('shows one feature when scoped to it, and all when its feature is gone', () => {
    expect(boardColumns(data, '002-y', '').planned.map((card) => card.key)).toEqual(['002-y/WP01']);
    expect(boardColumns(data, '999-gone', '').planned).toHaveLength(3);
  });

  it('filters by every word, case-insensitively, over id, title, agent, feature and branch', () => {
    const columns = boardColumns(data, null, 'PARSER codex');
    expect(
      Object.values(columns)
        .flat()
        .map((card) => card.key),
    ).toEqual(['001-x/WP02']);
    const [card] = boardColumns(data, null, '').doing;
    if (!card) throw new Error('fixture');
    expect(matchesFilter(card, '001-x-wp02')).toBe(true);
    expect(matchesFilter(card, 'the x feature')).toBe(true);
    expect(matchesFilter(card, 'parser gemini')).toBe(false);
    expect(matchesFilter(card, '  ')).toBe(true);
  });

  it('cycles all features, then each feature; starts on the feature asked for, or the only one', () => {
    expect(scopes(data)).toEqual([null, '001-x', '002-y']);
    expect(startScope(data, '002-y')).toBe('002-y');
    expect(startScope(data, undefined)).toBeNull();
    expect(startScope(status(feature('001-a', [])), undefined)).toBe('001-a');
  });
});

describe('reconcile: the selection survives new data', () => {
  it('selects the first card of the first lane to start with', () => {
    expect(start()).toMatchObject({ lane: 0, row: 0, selected: '001-x/WP04' });
  });

  it('follows the selected card into the lane it moved to', () => {
    const state = press(start(), 'j'); // 001-x/WP05
    const moved = sampleStatus();
    const wp05 = moved.features[0]?.workPackages.find((candidate) => candidate.id === 'WP05');
    if (!wp05) throw new Error('fixture');
    wp05.lane = 'for_review';
    const next = reconcile(state, boardColumns(moved, null, ''), 2);
    expect(next).toMatchObject({ lane: 2, row: 1, selected: '001-x/WP05' });
  });

  it('keeps the row of the lane when the selected card is gone, and clamps it', () => {
    const state = press(start(), 'j', 'j'); // row 2: 002-y/WP01
    const fewer = status(feature('001-x', [wp('WP04', 'planned'), wp('WP05', 'planned')]));
    expect(reconcile(state, boardColumns(fewer, null, ''), 2)).toMatchObject({
      lane: 0,
      row: 1,
      selected: '001-x/WP05',
    });
    const none = status(feature('001-x', [wp('WP01', 'done')]));
    expect(reconcile(state, boardColumns(none, null, ''), 2)).toMatchObject({ lane: 0, row: 0, selected: null });
  });

  it('scrolls the focused lane so that the selection is visible, and keeps every offset in range', () => {
    const state = press(start(), 'j', 'j');
    expect(state.offsets[0]).toBe(1);
    const back = press(state, 'k', 'k');
    expect(back.offsets[0]).toBe(0);
    const big = { ...state, offsets: [9, 9, 9, 9] };
    expect(reconcile(big, boardColumns(data, null, ''), 2).offsets).toEqual([1, 0, 0, 0]);
  });

  it('returns the same object when nothing changes (no needless re-render)', () => {
    const state = start();
    expect(reconcile(state, boardColumns(data, null, ''), 2)).toBe(state);
  });
});

describe('reduceKey', () => {
  it('moves with arrows and h/j/k/l, clamped at the edges', () => {
    const state = start();
    expect(press(state, 'k').selected).toBe('001-x/WP04');
    expect(press(state, 'h').lane).toBe(0);
    expect(press(state, 'j').selected).toBe('001-x/WP05');
    expect(press(state, { down: true }, { down: true }, { down: true }).selected).toBe('002-y/WP01');
    expect(press(state, 'l')).toMatchObject({ lane: 1, selected: '001-x/WP02' });
    expect(press(state, { right: true }, { right: true }, { right: true }, 'l')).toMatchObject({
      lane: 3,
      selected: '001-x/WP01',
    });
    expect(press(state, 'l', { left: true })).toMatchObject({ lane: 0, selected: '001-x/WP04' });
    expect(press(state, 'G').selected).toBe('002-y/WP01');
    expect(press(state, 'G', 'g').selected).toBe('001-x/WP04');
    expect(press(state, { pageDown: true }).row).toBe(2);
  });

  it('keeps the row when moving to a lane, clamped to its cards', () => {
    const state = press(start(), 'j', 'j', 'l'); // row 2 → doing has 2 cards
    expect(state).toMatchObject({ lane: 1, row: 1, selected: '002-y/WP02' });
  });

  it('opens the detail view with Enter, scrolls it within bounds, and goes back with Esc', () => {
    const detail = press(start(), { enter: true });
    expect(detail).toMatchObject({ mode: 'detail', detailKey: '001-x/WP04', detailScroll: 0 });
    expect(press(detail, 'j', { down: true }).detailScroll).toBe(2);
    expect(press(detail, 'k').detailScroll).toBe(0);
    expect(press(detail, { pageDown: true }).detailScroll).toBe(10);
    expect(press(detail, ' ', ' ', ' ', ' ', ' ').detailScroll).toBe(40);
    expect(press(detail, 'G').detailScroll).toBe(40);
    expect(press(detail, 'G', 'g').detailScroll).toBe(0);
    const back = press(detail, 'j', { escape: true });
    expect(back).toMatchObject({ mode: 'board', selected: '001-x/WP04', quit: false });
  });

  it('does not open the detail of nothing', () => {
    const empty = status(feature('001-x', [wp('WP01', 'done')]));
    const ctx = { ...context, status: empty };
    const state = reconcile(initialState(null), boardColumns(empty, null, ''), 2);
    expect(state.selected).toBeNull();
    expect(reduceKey(state, key({ enter: true }), ctx)).toBe(state);
  });

  it('switches features with Tab/f forwards and Shift-Tab/F backwards, keeping the selection when it can', () => {
    const state = press(start(), 'j', 'j'); // 002-y/WP01
    const first = press(state, { tab: true });
    expect(first.scope).toBe('001-x');
    expect(first.selected).toBe('001-x/WP05'); // 002-y/WP01 is not in 001-x: same row, clamped
    expect(press(state, 'f', 'f').scope).toBe('002-y');
    expect(press(state, 'f', 'f', 'f').scope).toBeNull();
    expect(press(state, { tab: true, shift: true }).scope).toBe('002-y');
    expect(press(state, 'F').selected).toBe('002-y/WP01');
  });

  it('lands on a card when the focused lane of the new feature is empty', () => {
    const state = press(start(), 'l', 'l'); // for review: 001-x/WP03
    const next = press(state, 'F'); // 002-y has nothing for review
    expect(next).toMatchObject({ scope: '002-y', lane: 0, selected: '002-y/WP01' });
  });

  it('edits the filter after /: typing narrows, Backspace deletes, Enter keeps, Esc clears', () => {
    let state = press(start(), '/', 'p', 'r', 'i', 'n', 't');
    expect(state).toMatchObject({ editingFilter: true, filter: 'print', lane: 2, selected: '001-x/WP03' });
    state = press(state, { backspace: true });
    expect(state.filter).toBe('prin');
    // Letters are text while editing: q does not quit, j does not move.
    expect(press(state, 'q', 'j')).toMatchObject({ filter: 'prinqj', quit: false });
    const kept = press(state, { enter: true });
    expect(kept).toMatchObject({ editingFilter: false, filter: 'prin' });
    const cleared = press(kept, '/', { escape: true });
    expect(cleared).toMatchObject({ editingFilter: false, filter: '' });
    expect(press(state, { ctrl: true, input: 'u' }).filter).toBe('');
    expect(press(start(), '/', { backspace: true }).editingFilter).toBe(false);
    // Arrows still move while typing.
    expect(press(start(), '/', { down: true }).selected).toBe('001-x/WP05');
  });

  it('opens and closes the help with ?', () => {
    const help = press(start(), '?');
    expect(help.help).toBe(true);
    expect(press(help, 'x').help).toBe(false);
    expect(press(help, { escape: true })).toMatchObject({ help: false, quit: false });
    expect(press(help, 'q').quit).toBe(true);
  });

  it('quits with q, with Esc on the board, and with Ctrl-C anywhere', () => {
    expect(press(start(), 'q').quit).toBe(true);
    expect(press(start(), { escape: true }).quit).toBe(true);
    expect(press(start(), { ctrl: true, input: 'c' }).quit).toBe(true);
    expect(press(start(), '/', { ctrl: true, input: 'c' }).quit).toBe(true);
    expect(press(start(), { enter: true }, { ctrl: true, input: 'c' }).quit).toBe(true);
    expect(press(start(), { enter: true }, 'q').quit).toBe(true);
    expect(press(start(), { enter: true }, { escape: true }).quit).toBe(false);
  });

  it('asks for a reload with r', () => {
    expect(press(start(), 'r', 'r').refresh).toBe(2);
  });

  it('ignores keys it does not know', () => {
    const state = start();
    expect(reduceKey(state, key('z'), context)).toBe(state);
  });
});
