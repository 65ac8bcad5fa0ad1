/**
 * `kit dashboard`: the board in a browser. One page (templates/dashboard/) over a small local server
 * (io/dashboard-server.ts), fed by the same services as the terminal:
 *
 * - `/api/status` is `kit status --json`'s result, from the same `collectStatus`, serialized as is;
 * - `/api/events` says "changed" whenever the live board's watcher (io/watch.ts) sees a change, and the page
 *   reads the status again;
 * - `/api/detail` is what `kit review` gathers (commits, diff stat) plus the board's detail (frontmatter,
 *   body: the WP's prompt), its history and its review feedback;
 * - `POST /api/move` (only with --allow-actions) is `kit move`, through `moveWorkPackage`.
 *
 * Every name a request carries is first looked up among the features and WPs the status lists, so only
 * ids kit itself reported reach a service, never a path.
 */
import { randomBytes } from 'node:crypto';
import { posix, relative, sep } from 'node:path';
import { reviewFeedback } from '../domain/agent-briefing.js';
import { parseStatusLog } from '../domain/status-log.js';
import { KitError } from '../errors.js';
import { type DashboardServer, type JsonReply, startDashboardServer } from '../io/dashboard-server.js';
import { readDashboardAssets } from '../io/templates.js';
import { watchWorkspace, type WorkspaceWatcher } from '../io/watch.js';
import type { Workspace } from '../io/workspace.js';
import { loadWorkPackageDetail, readLaneFile } from './board-detail.js';
import { reviewWorkPackage } from './agents-review.js';
import { moveWorkPackage } from './move-work-package.js';
import { collectStatus, type StatusResult } from './status.js';

export interface DashboardOptions {
  /** 0: a free port. */
  port: number;
  allowActions: boolean;
}

export interface Dashboard {
  url: string;
  port: number;
  actions: boolean;
  /** Stops the watcher, the event streams and the server; resolves once all are closed. */
  close(): Promise<void>;
}

/** A status read is reused while nothing changed and it is younger than this (ages are in seconds). */
const STATUS_REUSE_MS = 1000;

export async function startDashboard(workspace: Workspace, options: DashboardOptions): Promise<Dashboard> {
  const startedAt = Date.now();
  /** Bumped on every change the watcher reports: a status read before it is stale. */
  let version = 0;
  let cached: { version: number; at: number; text: Promise<string>; result: Promise<StatusResult> } | null = null;
  let watcher: WorkspaceWatcher | null = null;
  let server: DashboardServer | null = null;

  const readStatus = (): { text: Promise<string>; result: Promise<StatusResult> } => {
    const now = Date.now();
    if (cached && cached.version === version && now - cached.at < STATUS_REUSE_MS) return cached;
    const result = collectStatus(workspace, { now: new Date(now) });
    const entry = { version, at: now, result, text: result.then((status) => JSON.stringify(status)) };
    cached = entry;
    // A failed read is not kept: the next request tries again (and gets the error as a 500). Nobody may be
    // waiting for the text (the read at start): its failure must not count as unhandled and end kit.
    entry.text.catch(() => undefined);
    result.then(
      (status) => void watcher?.follow(worktreesOf(status), now),
      () => {
        if (cached === entry) cached = null;
      },
    );
    return entry;
  };

  const changed = () => {
    version++;
    server?.broadcast('change', { at: new Date().toISOString() });
  };

  const token = options.allowActions ? randomBytes(24).toString('base64url') : null;
  const assets = readDashboardAssets({ token });
  server = await listenOn(options.port, () =>
    startDashboardServer(options.port, {
      assets,
      token,
      status: () => readStatus().text,
      detail: async (feature, wp) => {
        const found = findWorkPackage(await readStatus().result, feature, wp);
        if (!found) return notFound(`${feature} ${wp}`);
        return { status: 200, body: { ok: true, result: await workPackageDetail(workspace, found) } };
      },
      move: options.allowActions
        ? async (body) => {
            const request = parseMove(body);
            if (!request) {
              return badRequest('send {"feature": "...", "wp": "WPnn", "to": "<lane>"} (and "note" for a rejection)');
            }
            if (!findWorkPackage(await readStatus().result, request.feature, request.wp)) {
              return notFound(`${request.feature} ${request.wp}`);
            }
            try {
              const result = await moveWorkPackage(workspace, { ...request, force: false, now: new Date() });
              changed();
              return { status: 200, body: { ok: true, result } };
            } catch (error) {
              if (!(error instanceof KitError)) throw error;
              return { status: 409, body: { ok: false, error: { message: error.message, hint: error.hint ?? null } } };
            }
          }
        : null,
    }),
  );

  watcher = watchWorkspace(
    { specsDir: workspace.specsPath, commonDir: workspace.commonDir, since: startedAt },
    changed,
  );
  // Read the status now: the page's first request finds it ready (or under way), and git's caches warm.
  readStatus().result.catch(() => undefined);

  let closing: Promise<void> | null = null;
  const running = server;
  const watching = watcher;
  return {
    url: running.url,
    port: running.port,
    actions: options.allowActions,
    close() {
      closing ??= Promise.all([watching.close(), running.close()]).then(() => undefined);
      return closing;
    },
  };
}

export interface DashboardDetail {
  feature: { id: string; title: string; targetBranch: string };
  /** The WP as `kit status --json` lists it. */
  workPackage: StatusResult['features'][number]['workPackages'][number];
  /** Where the WP file was read: `working tree` or `branch <name>`. */
  source: string;
  frontmatter: Record<string, unknown>;
  /** The WP file's body: the prompt its agent works from. */
  prompt: string;
  history: unknown[];
  reviewFeedback: string | null;
  base: string | null;
  commits: { sha: string; subject: string }[];
  diffStat: {
    files: { path: string; added: number | null; deleted: number | null }[];
    added: number;
    deleted: number;
  } | null;
  problem: string | null;
}

type Found = {
  feature: StatusResult['features'][number];
  wp: StatusResult['features'][number]['workPackages'][number];
};

function findWorkPackage(status: StatusResult, featureId: string, wpId: string): Found | null {
  const feature = status.features.find((candidate) => candidate.id === featureId);
  const wp = feature?.workPackages.find((candidate) => candidate.id === wpId);
  return feature && wp ? { feature, wp } : null;
}

async function workPackageDetail(workspace: Workspace, { feature, wp }: Found): Promise<DashboardDetail> {
  const [file, review, statusHistory] = await Promise.all([
    loadWorkPackageDetail(workspace, { file: wp.file, targetBranch: feature.targetBranch }),
    // Read-only without a decision: the commits and diff stat `kit review` shows.
    reviewWorkPackage(workspace, { wp: wp.id, feature: feature.id, decision: null, now: new Date() }).catch(() => null),
    feature.format === '3.x' ? statusLogHistory(workspace, feature, wp.id) : null,
  ]);
  const history = statusHistory ?? file.frontmatter.history;
  return {
    feature: { id: feature.id, title: feature.title, targetBranch: feature.targetBranch },
    workPackage: wp,
    source: file.source,
    frontmatter: file.frontmatter,
    prompt: file.body,
    history: Array.isArray(history) ? history : [],
    reviewFeedback: reviewFeedback(file.body),
    base: review?.base.commit ?? null,
    commits: review?.commits ?? [],
    diffStat: review?.diffStat ?? null,
    problem: file.problem,
  };
}

/**
 * A Spec Kitty 3.x WP's history: its lane transitions in the feature's status.events.jsonl (its frontmatter
 * has none), read where its lanes are read, as entries shaped like a 1.x history's. Null when the log cannot
 * be read (kit check reports that).
 */
async function statusLogHistory(
  workspace: Workspace,
  feature: Found['feature'],
  wpId: string,
): Promise<Record<string, unknown>[] | null> {
  const specsDir = relative(workspace.root, workspace.specsPath).split(sep).join(posix.sep);
  const file = posix.join(specsDir, feature.id, 'status.events.jsonl');
  const read = await readLaneFile(workspace, { file, targetBranch: feature.targetBranch });
  if (read.text === null) return null;
  return parseStatusLog(read.text)
    .transitions.filter((transition) => transition.wpId === wpId)
    .map((transition) => {
      const actor = transition.raw.actor;
      const reason = transition.raw.reason;
      return {
        timestamp: transition.at,
        lane: transition.to,
        agent: typeof actor === 'string' && actor ? actor : null,
        action: `${transition.from} → ${transition.to}${transition.force ? ' (forced)' : ''}${typeof reason === 'string' && reason ? `: ${reason}` : ''}`,
      };
    });
}

function worktreesOf(status: StatusResult): string[] {
  return status.features.flatMap((feature) => feature.workPackages.flatMap((wp) => (wp.worktree ? [wp.worktree] : [])));
}

function parseMove(body: unknown): { feature: string; wp: string; to: string; note: string | undefined } | null {
  if (typeof body !== 'object' || body === null) return null;
  const { feature, wp, to, note } = body as Record<string, unknown>;
  if (typeof feature !== 'string' || typeof wp !== 'string' || typeof to !== 'string') return null;
  if (note !== undefined && note !== null && typeof note !== 'string') return null;
  return { feature, wp, to, note: typeof note === 'string' && note.trim() ? note : undefined };
}

/** The server, or a KitError saying what to do when the port cannot be had. */
async function listenOn(port: number, start: () => Promise<DashboardServer>): Promise<DashboardServer> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EADDRINUSE' && code !== 'EACCES') throw error;
    throw new KitError(
      code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is in use` : `port ${port} may not be used by you`,
      { hint: 'choose another with --port, or --port 0 for a free one' },
    );
  }
}

function notFound(what: string): JsonReply {
  return { status: 404, body: { ok: false, error: { message: `no work package ${what}` } } };
}

function badRequest(message: string): JsonReply {
  return { status: 400, body: { ok: false, error: { message } } };
}
