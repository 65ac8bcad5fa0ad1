import { Flags } from '@oclif/core';
import { KitCommand } from '../cli/kit-command.js';
import { renderStatus } from '../cli/render-status.js';
import { loadWorkPackageDetail } from '../services/board-detail.js';
import { selectFeatures } from '../services/feature-selection.js';
import { collectStatus, type StatusResult } from '../services/status.js';
import { syncWithRemote } from '../services/sync.js';
import type * as Board from '../ui/board-main.js';
import { decideBoard } from '../ui/state/terminal.js';

/** The bundled board (dist/board.js, built by scripts/build.mjs): Ink and React load only from here. */
const BOARD_ENTRY = new URL('../board.js', import.meta.url);

export default class Status extends KitCommand {
  static override summary = 'Show every work package by lane, with the git facts beside each.';
  static override description =
    'For every feature (or --feature): the lanes with their WPs; each WP with its agent, branch, worktree, ' +
    'commits ahead of its base, uncommitted files, commits it is behind its dependencies (a stale base) and ' +
    'the age of its last commit. Planned WPs show what blocks them. In a terminal it opens the live board ' +
    '(keys: arrows or hjkl, Enter for details, Tab for the next feature, / to filter, ? for help, q to quit; ' +
    'see docs/board.md); not in a terminal, with --plain or --json, or when CI is set, it prints the plain ' +
    'board. --json follows a versioned schema (schemaVersion 1, see docs/cli-reference.md).';
  static override examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --feature 001 --plain',
    '<%= config.bin %> status --json',
    "<%= config.bin %> status --sync   # with a remote: fetch other machines' claims first",
  ];
  static override flags = {
    feature: Flags.string({ char: 'f', description: 'Only this feature (dir name, number or slug).' }),
    plain: Flags.boolean({
      description: 'Print the plain board instead of opening the live board (the default when not in a terminal).',
    }),
    sync: Flags.boolean({
      description: 'Run kit sync first (fetch claims from the remote); without it kit status uses no network.',
    }),
  };

  async run(): Promise<StatusResult> {
    const { flags } = await this.parse(Status);
    const decision = decideBoard({
      plain: flags.plain,
      json: this.jsonEnabled(),
      stdinIsTTY: process.stdin.isTTY === true,
      stdoutIsTTY: process.stdout.isTTY === true,
      env: process.env,
    });
    // Start loading the board's bundle at once: it loads while git works, and the two overlap.
    const board = decision.board
      ? import(BOARD_ENTRY.href).then(
          (module: typeof Board) => module,
          (error: unknown) => error as Error,
        )
      : null;
    const workspace = await this.openWorkspace();
    if (flags.sync) {
      const synced = await syncWithRemote(workspace, { now: new Date() });
      if (synced.offline) this.printWarnings([`${synced.remote} could not be reached: ${synced.offline}`]);
    }
    if (!board) {
      const result = await collectStatus(workspace, { feature: flags.feature, now: new Date() });
      this.print(renderStatus(result));
      return result;
    }

    // The board shows every feature (Tab switches); --feature picks the one it starts on.
    const feature = flags.feature === undefined ? undefined : selectFeatures(workspace, flags.feature)[0]?.name;
    const load = (only?: string) => collectStatus(workspace, { feature: only, now: new Date() });
    const initialReadAt = Date.now();
    const result = await load();
    const loaded = await board;
    if (result.features.length === 0 || loaded instanceof Error) {
      if (loaded instanceof Error) {
        this.printWarnings([`the live board could not be loaded (${loaded.message}); showing the plain board`]);
      }
      this.print(renderStatus(result));
      return result;
    }
    await loaded.runBoard({
      initial: result,
      initialReadAt,
      feature,
      load,
      detail: (input) => loadWorkPackageDetail(workspace, input),
      watch: { specsDir: workspace.specsPath, commonDir: workspace.commonDir },
    });
    return result;
  }
}
