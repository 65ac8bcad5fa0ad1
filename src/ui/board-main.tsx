/**
 * The live board's entry point, bundled by scripts/build.mjs (esbuild) into dist/board.js with Ink, React
 * and chokidar inside: loading the bundle takes about 0.1 s where importing Ink's 566 files one by one
 * takes 0.4–1.2 s. `kit status` imports it dynamically, and only when it starts the board, so no other
 * command (and not `kit --help`) loads Ink or React.
 *
 * The data functions come from the caller (the status command's own, unbundled services), so the bundle
 * holds only the UI and the watcher. The board runs on the terminal's alternate screen, which is left on
 * exit, however it exits (q, Ctrl-C, SIGTERM, SIGHUP), so the shell looks as it did before.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { render } from 'ink';
import { watchWorkspace, type WatchTargets } from '../io/watch.js';
import type { WorkPackageDetail } from '../services/board-detail.js';
import { mergeFeatures, reloadScope } from '../services/board-reload.js';
import type { StatusResult } from '../services/status.js';
import { BoardApp, type BoardSource } from './board-app.js';
import { startScope } from './state/board-state.js';

export interface RunBoardOptions {
  /** The data of the first frame. */
  initial: StatusResult;
  /** When reading it started (ms since the epoch): the watcher reports anything changed since. */
  initialReadAt: number;
  /** The feature to start in (its directory name), when one was asked for. */
  feature?: string | undefined;
  /** `kit status` data: of every feature, or of one (by directory name). */
  load: (feature?: string) => Promise<StatusResult>;
  detail: (input: { file: string; targetBranch: string }) => Promise<WorkPackageDetail>;
  watch: WatchTargets;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

const ENTER_ALTERNATE_SCREEN = '\u001b[?1049h\u001b[H';
const LEAVE_ALTERNATE_SCREEN = '\u001b[?1049l';
const SHOW_CURSOR = '\u001b[?25h';

/**
 * The board is a long-lived process that reads all its data again on a change: at 2,000 WPs each full
 * reload allocates ~40 MB that is garbage a moment later. Left to itself, V8 grows the young generation to
 * its maximum (32 MB) and the old generation with it rather than collect, and the process's memory ratchets
 * up with every change. So, as this module loads (while the first data is being read):
 * - the young generation stops growing (`--semi-space-growth-factor=1`, a flag V8 reads as it goes);
 * - a full collection is available on demand: V8 only offers `gc` with --expose-gc; the flag can be set at
 *   run time, and a new context then has the function (what the `expose-gc` package does).
 * Both are best effort: without them the board works the same, with more memory.
 */
function tuneHeap(): (() => void) | null {
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  }
}

const collect = tuneHeap();

/** Runs the board until the user quits. */
export async function runBoard(options: RunBoardOptions): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  let collectTimer: NodeJS.Timeout | undefined;
  /** One full collection soon, once the frame being drawn is out (reloads in a row make it one). */
  const collectSoon = () => {
    if (!collect) return;
    clearTimeout(collectTimer);
    collectTimer = setTimeout(collect, 100);
    collectTimer.unref();
  };
  let current = options.initial;
  const source: BoardSource = {
    async load(changed) {
      const scope = reloadScope(changed, options.watch, current);
      let result: StatusResult | undefined;
      if (scope.kind === 'features' && scope.features.length === 0) return current;
      if (scope.kind === 'features') {
        // A feature that cannot be read on its own any more (renamed, removed): reload everything.
        const fresh = await Promise.all(scope.features.map((feature) => options.load(feature))).catch(() => null);
        if (fresh) result = mergeFeatures(current, fresh);
      }
      result ??= await options.load();
      current = result;
      // The reload's garbage goes at once, not when V8 would rather grow the heap (see tuneHeap).
      collectSoon();
      return result;
    },
    detail: (card) => options.detail({ file: card.wp.file, targetBranch: card.feature.targetBranch }),
    watch(onChange) {
      const watcher = watchWorkspace({ ...options.watch, since: options.initialReadAt }, onChange);
      return {
        follow: (worktrees, since) => void watcher.follow(worktrees, since),
        close: () => watcher.close(),
      };
    },
  };

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(LEAVE_ALTERNATE_SCREEN + SHOW_CURSOR);
  };
  stdout.write(ENTER_ALTERNATE_SCREEN);
  process.once('exit', restore);
  const app = render(
    <BoardApp
      source={source}
      initial={options.initial}
      initialReadAt={options.initialReadAt}
      initialScope={startScope(options.initial, options.feature)}
    />,
    { stdout, stdin, exitOnCtrlC: false, patchConsole: false, maxFps: 60 },
  );
  // The same for the garbage of reading the first data.
  collectSoon();
  // A SIGTERM or SIGHUP ends the board the way q does: the watcher closes, the terminal is restored and the
  // process exits on its own (without a listener of ours, it would die on the signal before the restore).
  const quit = () => app.unmount();
  process.on('SIGTERM', quit);
  process.on('SIGHUP', quit);
  try {
    await app.waitUntilExit();
  } finally {
    process.off('SIGTERM', quit);
    process.off('SIGHUP', quit);
    process.off('exit', restore);
    restore();
  }
}
