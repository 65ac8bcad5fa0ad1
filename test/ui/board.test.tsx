import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BoardApp } from '../../src/ui/board-app.js';
import type { BoardSize } from '../../src/ui/state/board-view.js';
import { FakeSource, feature, NOW, sampleStatus, status, wp } from './fixtures.js';

const KEYS = {
  up: '\u001b[A',
  down: '\u001b[B',
  right: '\u001b[C',
  left: '\u001b[D',
  enter: '\r',
  escape: '\u001b',
  tab: '\t',
  backspace: '\u007f',
  pageUp: '\u001b[5~',
};

const mounted: { unmount(): void }[] = [];
afterEach(() => {
  for (const app of mounted.splice(0)) app.unmount();
});

function mount(options: { size?: BoardSize; scope?: string | null; source?: FakeSource } = {}) {
  const source = options.source ?? new FakeSource(sampleStatus());
  const app = render(
    <BoardApp
      source={source}
      initial={source.data}
      initialScope={options.scope ?? null}
      size={options.size ?? { columns: 100, rows: 30 }}
      clock={() => NOW}
    />,
  );
  mounted.push(app);
  const frame = () => app.lastFrame() ?? '';
  return {
    app,
    source,
    frame,
    /** Types keys one at a time, as a person would (Ink reads a burst of keys as one paste). */
    async press(...keys: string[]) {
      for (const key of keys) {
        app.stdin.write(key);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    /** Waits until the frame shows (or, with `absent`, no longer shows) a text. */
    async until(text: string, absent = false) {
      await vi.waitFor(() => (absent ? expect(frame()).not.toContain(text) : expect(frame()).toContain(text)), {
        timeout: 2000,
        interval: 10,
      });
    },
  };
}

/** The line of the frame where a card's label appears. */
function selectedLabel(frame: string): string | undefined {
  return /▸(\d{3} )?WP\d+/.exec(frame)?.[0].slice(1);
}

describe('the board (Ink)', () => {
  it('renders the four lanes with their counts, the header with progress, and the cards with their marks', async () => {
    const board = mount();
    await board.until('PLANNED (3)');
    const frame = board.frame();
    for (const lane of ['PLANNED (3)', 'DOING (2)', 'FOR REVIEW (1)', 'DONE (1)']) expect(frame).toContain(lane);
    expect(frame).toContain('All features (2)');
    expect(frame).toContain('1/7 done (14%)');
    expect(frame).toContain('001 WP02 Build the');
    expect(frame).toContain('codex ↑3 ✎2 ⚠WP01+1 5m');
    expect(frame).toContain('⊘WP02,WP03');
    expect(frame).toContain('ready');
    expect(frame).toContain('? help');
    // The first lane's first card is selected.
    expect(selectedLabel(frame)).toBe('001 WP04');
  });

  it('cuts a long title to fit its lane', async () => {
    const long = 'A very long title that cannot possibly fit into a single lane of the board';
    const board = mount({ source: new FakeSource(status(feature('001-x', [wp('WP01', 'doing', { title: long })]))) });
    await board.until('WP01');
    const line =
      board
        .frame()
        .split('\n')
        .find((candidate) => candidate.includes('WP01')) ?? '';
    expect(line).toContain('WP01 A very long');
    expect(line).toMatch(/WP01 A very long[^│]*…│/);
    expect(line).not.toContain('single lane of the board');
  });

  it('moves the selection with arrows and h/j/k/l, across lanes', async () => {
    const board = mount();
    await board.until('▸001 WP04');
    await board.press('j');
    await board.until('▸001 WP05');
    await board.press(KEYS.down);
    await board.until('▸002 WP01');
    await board.press('k', 'k');
    await board.until('▸001 WP04');
    await board.press('l');
    await board.until('▸001 WP02');
    await board.press(KEYS.down, KEYS.right);
    await board.until('▸001 WP03');
    await board.press(KEYS.left, 'h');
    await board.until('▸001 WP04');
  });

  it('opens the detail view with Enter and goes back with Esc', async () => {
    const board = mount();
    await board.until('▸001 WP04');
    await board.press('l', KEYS.enter);
    await board.until('WP02 · Build the parser');
    await board.until('work_package_id');
    const frame = board.frame();
    expect(frame).toContain('Fields');
    expect(frame).toMatch(/work_package_id\s+WP02/);
    expect(frame).toContain('Dependencies');
    expect(frame).toMatch(/WP01\s+DONE · Set up the core/);
    expect(frame).toContain('2 files');
    expect(frame).toContain('WP01 has 1 commit this branch does not');
    expect(frame).toContain('Prompt generated');
    expect(frame).not.toContain('PLANNED (3)');
    // It scrolls, down to the Markdown body.
    expect(frame).not.toContain('Line 60 of the body.');
    await board.press('G');
    await board.until('Line 60 of the body.');
    await board.press(KEYS.pageUp, KEYS.pageUp);
    await board.until('The body of WP02.');
    await board.press(KEYS.escape);
    await board.until('PLANNED (3)');
    expect(selectedLabel(board.frame())).toBe('001 WP02');
  });

  it('shows one lane at a time below 80 columns, and switches lanes with ←/→', async () => {
    const board = mount({ size: { columns: 60, rows: 24 } });
    await board.until('PLANNED (3)');
    let frame = board.frame();
    expect(frame).not.toContain('DOING (2)');
    expect(frame).toContain('DOING 2'); // the lane tabs
    expect(frame.split('\n').every((line) => line.length <= 60)).toBe(true);
    await board.press(KEYS.right);
    await board.until('DOING (2)');
    frame = board.frame();
    expect(frame).not.toContain('PLANNED (3)');
    expect(selectedLabel(frame)).toBe('001 WP02');
  });

  it('narrows the cards with the / filter, and Esc clears it', async () => {
    const board = mount();
    await board.until('PLANNED (3)');
    await board.press('/', 'p', 'r', 'i', 'n', 't');
    await board.until('filter: print');
    let frame = board.frame();
    expect(frame).toContain('FOR REVIEW (1)');
    expect(frame).toContain('PLANNED (0)');
    expect(frame).not.toContain('WP02 Build the parser');
    // The selection moved to the one card left.
    expect(selectedLabel(frame)).toBe('001 WP03');
    await board.press(KEYS.enter);
    await board.until('filter: print (/ to edit)');
    await board.press('/', KEYS.escape);
    await board.until('PLANNED (3)');
    frame = board.frame();
    expect(frame).not.toContain('filter:');
  });

  it('switches features with Tab and f, through "all features"', async () => {
    const board = mount();
    await board.until('All features (2)');
    await board.press(KEYS.tab);
    await board.until('001-x · The x feature');
    expect(board.frame()).toContain('1/5 done (20%)');
    expect(board.frame()).toContain('WP02 Build the parser');
    await board.press('f');
    await board.until('002-y · Feature 002-y');
    expect(board.frame()).toContain('PLANNED (1)');
    await board.press('f');
    await board.until('All features (2)');
  });

  it('shows the help overlay with ? and closes it with any key', async () => {
    const board = mount();
    await board.until('PLANNED (3)');
    await board.press('?');
    await board.until('Marks on a card');
    expect(board.frame()).toContain('stale base');
    await board.press(KEYS.escape);
    await board.until('PLANNED (3)');
  });

  it('follows changes: a reload moves the card, and the selection stays on it', async () => {
    const source = new FakeSource(sampleStatus());
    const board = mount({ source });
    await board.until('▸001 WP04');
    await board.press('j');
    await board.until('▸001 WP05');
    const next = sampleStatus();
    const moved = next.features[0]?.workPackages.find((candidate) => candidate.id === 'WP05');
    if (!moved) throw new Error('fixture');
    moved.lane = 'doing';
    source.change(next);
    await board.until('DOING (3)');
    expect(board.frame()).toContain('PLANNED (2)');
    expect(selectedLabel(board.frame())).toBe('001 WP05');
    expect(source.followed.at(-1)).toEqual(['/repo/.worktrees/001-x-WP02']);
    expect(source.changes).toEqual([['/repo/kitty-specs/001-x/tasks/WP05-x.md']]);
    // r reloads everything.
    await board.press('r');
    await vi.waitFor(() => expect(source.changes.at(-1)).toBeNull(), { timeout: 2000 });
  });

  it('quits with q, Esc or Ctrl-C, and closes the watcher', async () => {
    for (const key of ['q', KEYS.escape, '\u0003']) {
      const board = mount();
      await board.until('PLANNED (3)');
      await board.press(key);
      await vi.waitFor(() => expect(board.source.closed).toBe(true), { timeout: 2000 });
    }
  });
});
