/**
 * The board's one container component: it owns the keyboard (useInput), the terminal size, the watcher
 * subscription and the data. A change the watcher reports becomes a reload of the `kit status` data (one
 * at a time; changes during a reload cause exactly one more), and every key goes through the pure reducer
 * in src/ui/state/board-state.ts. Everything it renders is a view model computed by pure functions.
 */
import { useApp, useInput, useStdout, type Key } from 'ink';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { WorkPackageDetail } from '../services/board-detail.js';
import type { StatusResult } from '../services/status.js';
import { BoardScreen, HelpScreen, TooSmall } from './components/board-screen.js';
import { DetailScreen } from './components/detail-screen.js';
import {
  type BoardCard,
  type BoardKey,
  boardColumns,
  findCard,
  initialState,
  reconcile,
  reduceKey,
} from './state/board-state.js';
import { type BoardSize, boardLayout, boardView, type Notice, visibleCommitTimes } from './state/board-view.js';
import { detailLines, detailView } from './state/detail-lines.js';
import { nextAgeChangeMs } from './state/marks.js';

/** A subscription to "something changed" (the watcher, or a fake in tests). */
export interface BoardSubscription {
  /** The WP worktrees to watch from now on; `since`: when the data that lists them was read. */
  follow(worktrees: readonly string[], since: number): void;
  close(): void | Promise<void>;
}

/** Where the board's data comes from. */
export interface BoardSource {
  /** The data again; `changed`: the paths that changed since the last load (null: unknown, reload all). */
  load(changed: readonly string[] | null): Promise<StatusResult>;
  detail(card: BoardCard): Promise<WorkPackageDetail>;
  /** Calls `onChange` with the paths that changed (a coalesced burst) whenever something did. */
  watch(onChange: (paths: readonly string[]) => void): BoardSubscription;
}

export interface BoardAppProps {
  source: BoardSource;
  /** The data of the first frame (collected before Ink starts, so the first frame is the full board). */
  initial: StatusResult;
  /** When reading `initial` started (ms since the epoch); default: now. */
  initialReadAt?: number;
  initialScope: string | null;
  /** A fixed terminal size (tests); by default the terminal's, following resizes. */
  size?: BoardSize;
  clock?: () => number;
}

/**
 * Ink hands over several characters at once when they arrive together (typed fast, pasted, or sent by
 * tmux): `jjl` is three key presses on the board. Escape sequences come one per call already.
 */
function toBoardKeys(input: string, key: Key): BoardKey[] {
  const chars = [...input];
  if (chars.length > 1 && !key.ctrl && !key.meta) return chars.map((char) => toBoardKey(char, key));
  return [toBoardKey(input, key)];
}

function toBoardKey(input: string, key: Key): BoardKey {
  return {
    input,
    up: key.upArrow,
    down: key.downArrow,
    left: key.leftArrow,
    right: key.rightArrow,
    enter: key.return,
    escape: key.escape,
    tab: key.tab,
    shift: key.shift,
    ctrl: key.ctrl,
    meta: key.meta && !key.escape,
    backspace: key.backspace || key.delete,
    pageUp: key.pageUp,
    pageDown: key.pageDown,
    home: key.home,
    end: key.end,
  };
}

function timeOfDay(ms: number): string {
  return new Date(ms).toTimeString().slice(0, 8);
}

function worktreesOf(status: StatusResult): string[] {
  return status.features.flatMap((feature) => feature.workPackages.flatMap((wp) => (wp.worktree ? [wp.worktree] : [])));
}

function useTerminalSize(fixed: BoardSize | undefined): BoardSize {
  const { stdout } = useStdout();
  const read = (): BoardSize => fixed ?? { columns: stdout.columns || 80, rows: stdout.rows || 24 };
  const [size, setSize] = useState(read);
  useEffect(() => {
    if (fixed) return;
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, fixed]);
  return fixed ?? size;
}

interface LoadedDetail {
  key: string;
  detail: WorkPackageDetail | null;
  error: string | null;
}

export function BoardApp({
  source,
  initial,
  initialReadAt,
  initialScope,
  size: fixedSize,
  clock = Date.now,
}: BoardAppProps) {
  const { exit } = useApp();
  const size = useTerminalSize(fixedSize);
  const layout = useMemo(() => boardLayout(size), [size]);
  const [status, setStatus] = useState(initial);
  const [now, setNow] = useState(clock);
  const [notice, setNotice] = useState<Notice>(() => ({ text: `live · ${timeOfDay(clock())}`, tone: 'ok' }));
  const [stored, setState] = useState(() => initialState(initialScope));
  const [loaded, setLoaded] = useState<LoadedDetail | null>(null);

  const columns = useMemo(
    () => boardColumns(status, stored.scope, stored.filter),
    [status, stored.scope, stored.filter],
  );
  // The stored state may predate the data or the terminal size; what is shown is always reconciled.
  const state = reconcile(stored, columns, layout.visibleRows);

  const card = state.mode === 'detail' ? findCard(status, state.detailKey) : undefined;
  const detailData = loaded && card && loaded.key === card.key ? loaded : null;
  const lines = useMemo(
    () =>
      card
        ? detailLines({
            card,
            detail: detailData?.detail ?? null,
            error: detailData?.error ?? null,
            width: layout.width,
            now,
          })
        : [],
    [card, detailData, layout.width, now],
  );

  // What the key handler needs, always current.
  const context = useRef({ status, layout, lines: lines.length });
  context.current = { status, layout, lines: lines.length };

  useInput((input, key) => {
    const keys = toBoardKeys(input, key);
    setState((previous) => {
      const { status: data, layout: current, lines: lineCount } = context.current;
      let next = previous;
      for (const boardKey of keys) {
        const base = reconcile(next, boardColumns(data, next.scope, next.filter), current.visibleRows);
        next = reduceKey(base, boardKey, {
          status: data,
          visibleRows: current.visibleRows,
          detailLines: lineCount,
          detailHeight: current.detailHeight,
        });
      }
      return next;
    });
  });

  useEffect(() => {
    if (state.quit) exit();
  }, [state.quit, exit]);

  // The watcher subscription and the reload loop: one load at a time; what changes meanwhile is gathered
  // for exactly one more.
  const reload = useRef<() => void>(() => undefined);
  useEffect(() => {
    let stopped = false;
    let running = false;
    let again = false;
    let changed: Set<string> | null = new Set();
    const request = (paths: readonly string[] | null) => {
      if (paths === null) changed = null;
      else for (const path of paths) changed?.add(path);
      void run();
    };
    const run = async () => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          const batch = changed === null ? null : [...changed];
          changed = new Set();
          try {
            const readAt = Date.now();
            const next = await source.load(batch);
            if (stopped) return;
            setStatus(next);
            setNow(clock());
            setNotice({ text: `live · ${timeOfDay(clock())}`, tone: 'ok' });
            subscription.follow(worktreesOf(next), readAt);
          } catch (error) {
            if (stopped) return;
            setNotice({ text: `reload failed: ${(error as Error).message.split('\n')[0] ?? ''}`, tone: 'error' });
          }
        } while (again && !stopped);
      } finally {
        running = false;
      }
    };
    reload.current = () => request(null);
    const subscription: BoardSubscription = source.watch((paths) => request(paths));
    // Changes made since the initial data was read are reported by the watcher when it starts.
    subscription.follow(worktreesOf(initial), initialReadAt ?? Date.now());
    return () => {
      stopped = true;
      void subscription.close();
    };
    // The initial data and the clock are read once; a new source starts a new subscription.
  }, [source]);

  useEffect(() => {
    if (state.refresh > 0) reload.current();
  }, [state.refresh]);

  // The detail view's file: loaded when it opens, and again whenever the data changes.
  useEffect(() => {
    if (state.mode !== 'detail' || !card) return;
    let cancelled = false;
    source.detail(card).then(
      (detail) => {
        if (!cancelled) setLoaded({ key: card.key, detail, error: null });
      },
      (error: unknown) => {
        if (!cancelled) setLoaded({ key: card.key, detail: null, error: (error as Error).message });
      },
    );
    return () => {
      cancelled = true;
    };
    // `card` is a new object on every render; its key and the data it came from are what matter.
  }, [state.mode, card?.key, status, source]);

  // Ages on the cards change at minute, hour or day boundaries: one timer for the next change, no polling.
  useEffect(() => {
    const wait = nextAgeChangeMs(visibleCommitTimes(columns), clock());
    if (wait === null) return;
    const timer = setTimeout(() => setNow(clock()), wait);
    return () => clearTimeout(timer);
  }, [columns, now, clock]);

  if (layout.tooSmall) return <TooSmall columns={size.columns} rows={size.rows} />;
  if (state.help) return <HelpScreen width={layout.width} height={layout.height} />;
  if (state.mode === 'detail') {
    const view = detailView({
      card,
      lines,
      scroll: state.detailScroll,
      width: layout.width,
      height: layout.detailHeight,
    });
    return <DetailScreen view={view} width={layout.width} height={layout.height} />;
  }
  const view = boardView({ status, state, columns, layout, now, notice });
  return <BoardScreen view={view} />;
}
