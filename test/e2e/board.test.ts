/**
 * End to end: the real built `kit status` in a real terminal (tmux), against a temporary repository. It
 * opens the live board, sees a `kit move` made by another process move the card to another lane, and quits
 * cleanly with q. Skipped, with a message, only where tmux is not installed; in CI (which installs it,
 * see .ci/run) a missing tmux is a failure.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { expectSuccess, makeFeatureRepo } from '../helpers/lanes.js';
import { childEnv, KIT_BIN, makeRepo, makeTempDir } from '../helpers/repo.js';

const hasTmux = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
const inCi = process.env.CI !== undefined;

const WIDTH = 120;
const HEIGHT = 40;

/** One private tmux server per test (its own socket), started with a clean environment: no CI variables. */
class Tmux {
  readonly socket = `kit-board-e2e-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly env = childEnv({
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    NO_COLOR: undefined,
    SHELL: '/bin/sh',
  });

  run(args: readonly string[]): string {
    const result = spawnSync('tmux', ['-L', this.socket, ...args], { env: this.env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  }

  /** A terminal with a plain shell in `cwd`, as a person would have. */
  start(cwd: string): void {
    const config = join(makeTempDir('kit-tmux-'), 'tmux.conf');
    writeFileSync(config, 'set -g default-shell /bin/sh\n');
    this.run(['-f', config, 'new-session', '-d', '-x', String(WIDTH), '-y', String(HEIGHT), '-s', 'board', '-c', cwd]);
  }

  /** Types a command line into the shell and runs it. */
  type(line: string): void {
    this.run(['send-keys', '-t', 'board', '-l', line]);
    this.run(['send-keys', '-t', 'board', 'Enter']);
  }

  capture(): string {
    return this.run(['capture-pane', '-p', '-t', 'board']);
  }

  pane(format: string): string {
    return this.run(['display-message', '-p', '-t', 'board', format]).trim();
  }

  keys(...keys: string[]): void {
    this.run(['send-keys', '-t', 'board', ...keys]);
  }

  /** Stops the server and removes its socket. */
  kill(): void {
    const socket = spawnSync('tmux', ['-L', this.socket, 'display-message', '-p', '#{socket_path}'], {
      env: this.env,
      encoding: 'utf8',
    }).stdout.trim();
    spawnSync('tmux', ['-L', this.socket, 'kill-server'], { env: this.env, stdio: 'ignore' });
    if (socket) rmSync(socket, { force: true });
  }
}

/** Polls the screen until `check` passes; fails with the last screen after the deadline. */
async function waitForScreen(tmux: Tmux, what: string, check: (screen: string) => boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let screen = '';
  for (;;) {
    screen = tmux.capture();
    if (check(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${screen}`);
    await sleep(25);
  }
}

/** The lane (0 planned … 3 done) whose column shows a card with this id, from the four equal columns. */
function laneOf(screen: string, id: string): number | null {
  for (const line of screen.split('\n')) {
    const chars = [...line];
    const at = line.indexOf(` ${id} `) !== -1 ? [...line.slice(0, line.indexOf(` ${id} `))].length : -1;
    const marked = line.indexOf(`▸${id} `) !== -1 ? [...line.slice(0, line.indexOf(`▸${id} `))].length : -1;
    const index = at !== -1 ? at : marked;
    if (index !== -1 && chars.length >= WIDTH - 1) return Math.floor(index / (WIDTH / 4));
  }
  return null;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

describe.skipIf(!hasTmux && !inCi)(
  `kit status in a terminal (tmux)${hasTmux ? '' : ' — skipped: tmux is not installed'}`,
  () => {
    it('opens the live board, follows a kit move made elsewhere, and quits cleanly with q', async () => {
      expect(hasTmux, 'tmux is required in CI: .ci/run installs it').toBe(true);
      const fx = await makeFeatureRepo();
      const tmux = new Tmux();
      cleanups.push(() => tmux.kill());
      expect(Object.keys(tmux.env).filter((key) => key === 'CI' || key.startsWith('CI_'))).toEqual([]);

      tmux.start(fx.repo.root);
      await waitForScreen(tmux, 'the shell prompt', (screen) => /^\S*[#$] ?$/m.test(screen));
      tmux.type(`'${process.execPath}' '${KIT_BIN}' status; echo "kit exited with $?"`);
      const first = await waitForScreen(
        tmux,
        'the board',
        (screen) => screen.includes('q quit') && screen.includes('PLANNED (5)'),
      );
      expect(first).toContain('DOING (0)');
      expect(first).toContain('0/5 done (0%)');
      expect(laneOf(first, 'WP05')).toBe(0);

      // Another process moves WP05: the card changes column, without a key press.
      const moved = Date.now();
      expectSuccess(await fx.repo.kit(['move', 'WP05', '--to', 'doing', '--agent', 'e2e']), 'kit move');
      const after = await waitForScreen(tmux, 'WP05 in the DOING lane', (screen) => laneOf(screen, 'WP05') === 1);
      expect(after).toContain('PLANNED (4)');
      expect(after).toContain('DOING (1)');
      // Generous for a loaded machine; the bench measures the real latency (target 300 ms).
      expect(Date.now() - moved).toBeLessThan(10_000);

      // It follows the terminal: narrower than 80 columns, one lane at a time; wide again, all four.
      tmux.run(['resize-window', '-t', 'board', '-x', '70', '-y', String(HEIGHT)]);
      const narrow = await waitForScreen(tmux, 'one lane', (screen) => screen.includes('‹ PLANNED 4 │ DOING 1'));
      expect(narrow).not.toContain('DOING (1)');
      expect(narrow.split('\n').every((line) => [...line].length <= 70)).toBe(true);
      tmux.run(['resize-window', '-t', 'board', '-x', String(WIDTH), '-y', String(HEIGHT)]);
      await waitForScreen(tmux, 'four lanes', (screen) => screen.includes('DOING (1)') && screen.includes('DONE (0)'));

      tmux.keys('q');
      const end = await waitForScreen(tmux, 'kit to exit', (screen) => /^kit exited with \d+/m.test(screen), 10_000);
      expect(end).toMatch(/^kit exited with 0$/m);
      // The alternate screen was left: the board is gone, the shell and its prompt are back.
      expect(end).not.toContain('PLANNED (');
      expect(end).toMatch(/^kit exited with 0\n\S*[#$] ?$/m);
      expect(tmux.pane('#{pane_current_command}')).toBe('sh');
    });
  },
);

/**
 * A preload that logs every module URL node loads from Ink, React, chokidar or the board bundle (a module
 * resolve hook, so ESM imports are seen too).
 */
function moduleLogger(): { args: string[]; loaded: () => string[] } {
  const dir = makeTempDir('kit-modules-');
  const log = join(dir, 'loaded.txt');
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  if (/node_modules\\/(ink|react|react-reconciler|chokidar|yoga-layout)\\/|\\/dist\\/board\\.js$/.test(result.url)) {
    appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  }
  return result;
}
`,
  );
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
  return {
    args: ['--import', `file://${register}`],
    loaded: () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []),
  };
}

describe('the board loads only where it runs', () => {
  it('kit --help, kit status without a terminal, --plain and --json never load Ink, React or chokidar', async () => {
    const fx = await makeFeatureRepo();
    const runs: string[][] = [['--help'], ['status'], ['status', '--plain'], ['status', '--json'], ['check']];
    for (const args of runs) {
      const logger = moduleLogger();
      const result = spawnSync(process.execPath, [...logger.args, KIT_BIN, ...args], {
        cwd: fx.repo.root,
        env: childEnv(),
        encoding: 'utf8',
      });
      expect(result.status, `kit ${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(logger.loaded(), `kit ${args.join(' ')}`).toEqual([]);
    }
  });

  it('kit status in a repository without features prints the plain message', () => {
    const repo = makeRepo();
    const result = spawnSync(process.execPath, [KIT_BIN, 'status'], {
      cwd: repo.root,
      env: childEnv(),
      encoding: 'utf8',
    });
    expect(result.stdout).toContain('No features yet');
  });
});
