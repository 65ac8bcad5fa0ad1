import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { openInBrowser } from '../io/open-browser.js';
import { onStopSignal } from '../io/stop-signal.js';
import { startDashboard } from '../services/dashboard.js';

export interface DashboardResult {
  url: string;
  port: number;
  actions: boolean;
}

export default class Dashboard extends KitCommand {
  static override summary = 'Serve the live board as a web page on 127.0.0.1, until Ctrl-C.';
  static override description =
    'Every feature with its lanes as columns, each WP with the git facts of kit status (commits ahead, ' +
    'uncommitted files, stale base, what blocks it, agent, age), its detail (prompt, history, review feedback, ' +
    "diff stat) and the dependency graph, following changes live. /api/status is kit status --json's result; " +
    '/api/events streams a change event when something changes. Read-only unless --allow-actions (lane moves, ' +
    'as kit move does them). It listens on 127.0.0.1 only and refuses requests for any other host or origin. ' +
    'With --json it prints {url, port} and keeps serving. Ctrl-C (or SIGTERM) stops it; it exits 0.';
  static override examples = [
    '<%= config.bin %> dashboard',
    '<%= config.bin %> dashboard --port 8765 --no-open',
    '<%= config.bin %> dashboard --allow-actions   # lane moves from the page',
    '<%= config.bin %> dashboard --port 0 --no-open --json   # a free port; {url, port} on stdout',
  ];
  static override flags = {
    port: Flags.integer({ description: 'The port on 127.0.0.1 (0: a free one).', default: 0, min: 0, max: 65535 }),
    'no-open': Flags.boolean({ description: 'Do not try to open a browser (default: xdg-open or open, quietly).' }),
    'allow-actions': Flags.boolean({ description: 'Allow lane moves from the page (as kit move; off: read-only).' }),
  };

  /** Set once the result is out: printed at start (a script reads the URL while kit serves), not again at the end. */
  private printedJson = false;

  async run(): Promise<DashboardResult> {
    const { flags } = await this.parse(Dashboard);
    const workspace = await this.openWorkspace();
    const dashboard = await startDashboard(workspace, { port: flags.port, allowActions: flags['allow-actions'] });
    // Ctrl-C and SIGTERM are how a dashboard ends: close it, then return like any command (exit 0).
    let release = () => {};
    const stopped = new Promise<void>((resolve) => {
      release = onStopSignal(() => void dashboard.close().then(resolve));
    });
    const result = { url: dashboard.url, port: dashboard.port, actions: dashboard.actions };
    if (this.jsonEnabled()) {
      this.logJson(this.toSuccessJson(result));
      this.printedJson = true;
    }
    const mode = dashboard.actions ? 'lane actions on' : 'read-only';
    this.print(`kit dashboard: ${dashboard.url} (${mode}; Ctrl-C to stop)`);
    if (!flags['no-open']) openInBrowser(dashboard.url);
    await stopped;
    release();
    this.print('kit dashboard: stopped');
    return result;
  }

  override logJson(json: unknown): void {
    if (!this.printedJson) super.logJson(json);
  }
}
