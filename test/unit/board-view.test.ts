import { describe, expect, it } from 'vitest';
import { boardColumns, findCard, initialState, reconcile } from '../../src/ui/state/board-state.js';
import { boardLayout, boardView, progressText, visibleCommitTimes } from '../../src/ui/state/board-view.js';
import { detailLines, detailView } from '../../src/ui/state/detail-lines.js';
import { ageSeconds, cardMarks, compactAge, nextAgeChangeMs } from '../../src/ui/state/marks.js';
import { ciVariable, decideBoard } from '../../src/ui/state/terminal.js';
import { cut, displayWidth, fit, sanitize, wrapLine } from '../../src/ui/state/text.js';
import { detailOf, feature, git, NOW, sampleStatus, status, wp } from '../ui/fixtures.js';

const notice = { text: 'live', tone: 'ok' as const };

function view(size: { columns: number; rows: number }, data = sampleStatus(), scope: string | null = null) {
  const layout = boardLayout(size);
  const columns = boardColumns(data, scope, '');
  const state = reconcile(initialState(scope), columns, layout.visibleRows);
  return boardView({ status: data, state, columns, layout, now: NOW, notice });
}

describe('board layout', () => {
  it('shows four lanes that share the width from 80 columns up, one lane below', () => {
    const wide = boardLayout({ columns: 122, rows: 40 });
    expect(wide).toMatchObject({ narrow: false, width: 122, height: 39, tooSmall: false });
    expect(wide.columnWidths).toEqual([31, 31, 30, 30]);
    expect(wide.columnWidths.reduce((a, b) => a + b)).toBe(122);
    expect(boardLayout({ columns: 80, rows: 24 }).narrow).toBe(false);
    const narrow = boardLayout({ columns: 79, rows: 24 });
    expect(narrow).toMatchObject({ narrow: true, columnWidths: [79] });
  });

  it('fits as many two-line cards as the height allows, and says when the terminal is too small', () => {
    // 40 rows: frame 39, body 36, lane chrome 5 → 15 cards.
    expect(boardLayout({ columns: 120, rows: 40 }).visibleRows).toBe(15);
    // Narrow: one more line for the lane tabs.
    expect(boardLayout({ columns: 60, rows: 40 }).visibleRows).toBe(15);
    expect(boardLayout({ columns: 60, rows: 39 }).visibleRows).toBe(14);
    expect(boardLayout({ columns: 120, rows: 10 }).tooSmall).toBe(true);
    expect(boardLayout({ columns: 29, rows: 40 }).tooSmall).toBe(true);
  });
});

describe('board view', () => {
  it('has a header with the view and its progress, lanes with counts, and cards with label, title, agent and marks', () => {
    const board = view({ columns: 120, rows: 30 });
    expect(board.header.title).toBe('kit · All features (2)');
    expect(board.header.progress).toMatch(/^█+░+ 1\/7 done \(14%\)$/);
    expect(board.header.info).toBe('view 1/3 (⇥ next)');
    expect(board.columns.map((column) => [column.title, column.count])).toEqual([
      ['PLANNED', 3],
      ['DOING', 2],
      ['FOR REVIEW', 1],
      ['DONE', 1],
    ]);
    const doing = board.columns[1]?.cards[0];
    expect(doing).toMatchObject({ label: '001 WP02', title: 'Build the parser', agent: 'codex', selected: false });
    expect(doing?.marks.map((mark) => mark.text)).toEqual(['↑3', '✎2', '⚠WP01+1', '5m']);
    expect(board.columns[0]?.cards[0]?.selected).toBe(true);
    expect(board.laneTabs).toBeNull();
  });

  it('labels cards with the WP id only inside one feature, and names the feature in the header', () => {
    const board = view({ columns: 120, rows: 30 }, sampleStatus(), '001-x');
    expect(board.header.title).toBe('kit · 001-x · The x feature');
    expect(board.header.progress).toContain('1/5 done (20%)');
    expect(board.columns[1]?.cards.map((card) => card.label)).toEqual(['WP02']);
  });

  it('shows a canceled 3.x WP apart: in no lane, named in the header; other 3.x lanes as marks', () => {
    const data = status(
      feature('001-x', [
        wp('WP01', 'done', { statusLane: 'done' }),
        wp('WP02', 'done', { statusLane: 'canceled' }),
        wp('WP03', 'for_review', { statusLane: 'approved' }),
      ]),
    );
    const board = view({ columns: 100, rows: 30 }, data, '001-x');
    const cards = (lane: string) =>
      board.columns.find((column) => column.lane === lane)?.cards.map((card) => card.label);
    expect(cards('done')).toEqual(['WP01']);
    expect(cards('for_review')).toEqual(['WP03']);
    expect(board.header.info).toContain('canceled: WP02');
    expect(cardMarks(data.features[0]?.workPackages[2] as never, NOW).map((mark) => mark.text)).toContain('approved');
  });

  it('cuts titles to the lane width', () => {
    const data = status(feature('001-x', [wp('WP01', 'doing', { title: 'x'.repeat(80) })]));
    const card = view({ columns: 100, rows: 30 }, data).columns[1]?.cards[0];
    // A lane of 25 columns: 2 borders, the marker, "001 WP01" and a space leave 13.
    expect(card?.title).toBe(`${'x'.repeat(12)}…`);
  });

  it('shows what is scrolled out of view above and below', () => {
    const many = status(
      feature(
        '001-x',
        Array.from({ length: 30 }, (_, index) => wp(`WP${String(index + 1).padStart(2, '0')}`, 'planned')),
      ),
    );
    const layout = boardLayout({ columns: 120, rows: 20 });
    const columns = boardColumns(many, null, '');
    let state = reconcile(initialState(null), columns, layout.visibleRows);
    state = reconcile({ ...state, row: 20, selected: '001-x/WP21' }, columns, layout.visibleRows);
    const board = boardView({ status: many, state, columns, layout, now: NOW, notice });
    const planned = board.columns[0];
    expect(layout.visibleRows).toBe(5);
    expect(planned?.cards.map((card) => card.label)).toEqual([
      '001 WP17',
      '001 WP18',
      '001 WP19',
      '001 WP20',
      '001 WP21',
    ]);
    expect(planned?.above).toBe(16);
    expect(planned?.below).toBe(9);
  });

  it('shows only the focused lane below 80 columns, with tabs for all four', () => {
    const board = view({ columns: 60, rows: 24 });
    expect(board.columns.map((column) => column.title)).toEqual(['PLANNED']);
    expect(board.laneTabs?.map((tab) => `${tab.title} ${tab.count}${tab.focused ? '*' : ''}`)).toEqual([
      'PLANNED 3*',
      'DOING 2',
      'FOR REVIEW 1',
      'DONE 1',
    ]);
    expect(board.footer).toContain('←→ lane');
  });

  it('draws the progress bar to the given width', () => {
    expect(progressText(1, 4, 8)).toBe('██░░░░░░ 1/4 done (25%)');
    expect(progressText(0, 0, 4)).toBe('░░░░ 0/0 done (0%)');
  });

  it('lists the commit times whose ages are on screen', () => {
    expect(visibleCommitTimes(boardColumns(sampleStatus(), null, ''))).toHaveLength(1);
  });
});

describe('card marks', () => {
  it('shows commits ahead, uncommitted files, a stale base, the age; blocked and ready for planned WPs', () => {
    const marks = (candidate: Parameters<typeof cardMarks>[0]) => cardMarks(candidate, NOW).map((mark) => mark.text);
    expect(marks(wp('WP01', 'doing', { git: git({ ahead: 2, uncommitted: 0 }) }))).toEqual(['↑2', '5m']);
    expect(marks(wp('WP01', 'doing', { git: git({ uncommitted: 4, behind: { WP02: 0, WP03: 2 } }) }))).toEqual([
      '↑0',
      '✎4',
      '⚠WP03+2',
      '5m',
    ]);
    expect(marks(wp('WP01', 'doing', { worktree: '/w', git: git({ uncommitted: null }) }))).toEqual(['↑0', '✎?', '5m']);
    expect(marks(wp('WP01', 'doing', { git: git({ uncommitted: null, locked: true }) }))).toEqual([
      '↑0',
      'no wt',
      'locked',
      '5m',
    ]);
    expect(marks(wp('WP02', 'planned', { blockedBy: ['WP01'] }))).toEqual(['⊘WP01']);
    expect(marks(wp('WP02', 'planned'))).toEqual(['ready']);
    expect(marks(wp('WP02', 'doing'))).toEqual(['no branch']);
    expect(marks(wp('WP02', 'done'))).toEqual([]);
  });

  it('formats ages at a minute granularity, and knows when the next label is due', () => {
    expect(compactAge(59)).toBe('<1m');
    expect(compactAge(61)).toBe('1m');
    expect(compactAge(3 * 3600 + 5)).toBe('3h');
    expect(compactAge(2 * 86_400)).toBe('2d');
    expect(ageSeconds('2026-03-01T11:59:00Z', NOW)).toBe(60);
    expect(ageSeconds('not a time', NOW)).toBe(0);
    expect(ageSeconds('2026-03-01T13:00:00Z', NOW)).toBe(0);
    // 5 min 10 s old → "5m" until 6 min: 50 s from now (plus a margin).
    expect(nextAgeChangeMs(['2026-03-01T11:54:50Z'], NOW)).toBe(50_050);
    // 2 h 30 min old → next label at 3 h.
    expect(nextAgeChangeMs(['2026-03-01T09:30:00Z', 'bad'], NOW)).toBe(1_800_050);
    expect(nextAgeChangeMs([], NOW)).toBeNull();
  });
});

describe('detail lines', () => {
  const data = sampleStatus();
  const card = findCard(data, '001-x/WP02');
  if (!card) throw new Error('fixture');

  it('lists the frontmatter fields, dependencies with lanes, git facts, history and the body', () => {
    const lines = detailLines({ card, detail: detailOf(card), error: null, width: 80, now: NOW });
    const text = lines.map((line) => `${line.label ?? ''}${line.text}`);
    expect(text).toContain('Fields');
    expect(text.some((line) => /^work_package_id\s+WP02$/.test(line))).toBe(true);
    expect(text.some((line) => /^dependencies\s+WP01$/.test(line))).toBe(true);
    expect(text.some((line) => /^WP01\s+DONE · Set up the core$/.test(line))).toBe(true);
    expect(text.some((line) => /^stale base\s+WP01 has 1 commit this branch does not$/.test(line))).toBe(true);
    expect(text.some((line) => /^uncommitted\s+2 files$/.test(line))).toBe(true);
    expect(text).toContain('  a.ts');
    expect(text.some((line) => line.includes('planned') && line.includes('system: Prompt generated'))).toBe(true);
    expect(text).toContain('# WP02: Build the parser');
    expect(lines.find((line) => line.text === '# WP02: Build the parser')?.tone).toBe('heading');
    expect(text.every((line) => displayWidth(line) <= 80)).toBe(true);
  });

  it('says when the file is loading or cannot be read', () => {
    const loading = detailLines({ card, detail: null, error: null, width: 60, now: NOW });
    expect(loading.some((line) => line.text === 'loading…')).toBe(true);
    const failed = detailLines({ card, detail: null, error: 'ENOENT', width: 60, now: NOW });
    expect(failed.some((line) => line.text.includes('cannot read the WP file: ENOENT'))).toBe(true);
  });

  it('shows the window in view with its position, and says when the WP is gone', () => {
    const lines = detailLines({ card, detail: detailOf(card), error: null, width: 80, now: NOW });
    const shown = detailView({ card, lines, scroll: 5, width: 80, height: 10 });
    expect(shown.lines).toHaveLength(10);
    expect(shown.lines[0]).toBe(lines[5]);
    expect(shown.info).toBe(`001-x · lines 6–15 of ${lines.length}`);
    expect(shown.title).toBe('WP02 · Build the parser');
    expect(shown.lane).toBe('DOING');
    expect(detailView({ card: undefined, lines, scroll: 0, width: 80, height: 10 }).title).toBe('Gone');
  });
});

describe('terminal text', () => {
  it('measures wide characters and cuts to a width with an ellipsis', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('e\u0301')).toBe(1);
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('abc', 4)).toBe('abc');
    expect(cut('日本語', 4)).toBe('日…');
    expect(fit('ab', 4)).toBe('ab  ');
    expect(sanitize('a\tb\u001b[31m')).toBe('a b [31m');
  });

  it('wraps words to a width, keeping the indentation and breaking long words', () => {
    expect(wrapLine('the quick brown fox', 10)).toEqual(['the quick', 'brown fox']);
    expect(wrapLine('  - item with words', 10)).toEqual(['  - item', '  with', '  words']);
    expect(wrapLine('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapLine('', 5)).toEqual(['']);
  });
});

describe('when the board starts', () => {
  const tty = { plain: false, json: false, stdinIsTTY: true, stdoutIsTTY: true, env: {} };

  it('starts in a terminal, and never with --json, --plain, a pipe, or CI', () => {
    expect(decideBoard(tty)).toEqual({ board: true });
    expect(decideBoard({ ...tty, json: true }).board).toBe(false);
    expect(decideBoard({ ...tty, plain: true }).board).toBe(false);
    expect(decideBoard({ ...tty, stdoutIsTTY: false }).board).toBe(false);
    expect(decideBoard({ ...tty, stdinIsTTY: false }).board).toBe(false);
    expect(decideBoard({ ...tty, env: { TERM: 'dumb' } }).board).toBe(false);
    expect(decideBoard({ ...tty, env: { TERM: 'xterm-256color' } }).board).toBe(true);
    expect(decideBoard({ ...tty, env: { CI: 'true' } })).toEqual({ board: false, reason: 'CI is set (CI)' });
    expect(decideBoard({ ...tty, env: { CI_JOB_ID: '1' } }).board).toBe(false);
    expect(decideBoard({ ...tty, env: { CONTINUOUS_INTEGRATION: '1' } }).board).toBe(false);
  });

  it('treats CI and any CI_* variable as CI, whatever the value, and nothing else', () => {
    expect(ciVariable({ CI: '' })).toBe('CI');
    expect(ciVariable({ CI: 'false' })).toBe('CI');
    expect(ciVariable({ CI_COMMIT_SHA: 'x', PATH: '/bin' })).toBe('CI_COMMIT_SHA');
    expect(ciVariable({ CIRCLE: '1', NOT_CI: '1', CI: undefined })).toBeNull();
  });
});
