/**
 * Fixtures for `kit dashboard`: a repository whose feature has a WP in every lane, the real built kit
 * serving it as a child process (its own process group, so what it leaves behind can be listed), and raw
 * HTTP requests whose Host, Origin and path the test chooses (fetch would normalise or forbid them).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addFeature, commitFile, DIAMOND, expectSuccess, type FeatureRepo } from './lanes.js';
import { childEnv, KIT_BIN } from './repo.js';
import { makeSharedRepo } from './spec-kitty-3.js';

/**
 * Feature 001-x (the diamond of test/helpers/lanes.ts) with its WPs spread over the lanes: WP01 done,
 * WP02 doing (a commit and an uncommitted file), WP03 for_review, WP04 planned and blocked, WP05 planned and
 * ready. Lives until the end of the file (beforeAll), not of one test.
 */
export async function makeDashboardRepo(): Promise<FeatureRepo> {
  const repo = makeSharedRepo([]);
  writeFileSync(join(repo.root, '.git', 'info', 'exclude'), '/.worktrees/\n');
  const fx = await addFeature(repo, { wps: DIAMOND });
  const implement = async (id: string) => {
    expectSuccess(await repo.kit(['implement', id, '--agent', 'claude']), `kit implement ${id}`);
    commitFile(fx.worktreePath(id), `${id}.txt`, `work of ${id}\n`, `Work on ${id}`);
  };
  await implement('WP01');
  expectSuccess(await repo.kit(['move', 'WP01', '--to', 'for_review']), 'kit move WP01');
  expectSuccess(await repo.kit(['review', 'WP01', '--approve', '--agent', 'codex']), 'kit review WP01');
  await implement('WP02');
  writeFileSync(join(fx.worktreePath('WP02'), 'draft.txt'), 'not committed yet\n');
  await implement('WP03');
  expectSuccess(await repo.kit(['move', 'WP03', '--to', 'for_review']), 'kit move WP03');
  return fx;
}

export interface RunningDashboard {
  child: ChildProcess;
  url: string;
  port: number;
  /** Everything kit printed so far. */
  stdout(): string;
  stderr(): string;
  /** Sends the signal and waits for kit to exit; `leftovers` lists what is still in its process group. */
  stop(
    signal?: NodeJS.Signals,
  ): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; leftovers: string[] }>;
}

function processGroup(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && Number(line.split(/\s+/)[1]) === pgid);
}

/** Starts `kit dashboard --port 0 --no-open --json ...` in `cwd` and waits for its {url, port}. */
export function startDashboard(cwd: string, args: readonly string[] = []): Promise<RunningDashboard> {
  const child = spawn(process.execPath, [KIT_BIN, 'dashboard', '--port', '0', '--no-open', '--json', ...args], {
    cwd,
    env: childEnv(),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (exitCode, signal) => resolve({ exitCode, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kit dashboard did not print its URL in 20 s; stdout: ${out}; stderr: ${err}`));
    }, 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kit dashboard exited (${code}) before serving; stdout: ${out}; stderr: ${err}`));
    });
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      let started: { ok: boolean; result: { url: string; port: number } };
      try {
        started = JSON.parse(out) as typeof started;
      } catch {
        return; // not the whole document yet
      }
      clearTimeout(timer);
      const pgid = child.pid ?? -1;
      resolve({
        child,
        url: started.result.url,
        port: started.result.port,
        stdout: () => out,
        stderr: () => err,
        async stop(signal = 'SIGINT') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal);
          const result = await exited;
          return { ...result, leftovers: processGroup(pgid) };
        },
      });
    });
  });
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request to 127.0.0.1:port exactly as given: the path is not normalised, the Host is ours. */
export function rawRequest(
  port: number,
  options: { path: string; method?: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: { Host: `127.0.0.1:${port}`, ...options.headers },
        setHost: false,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

/** Opens /api/events and collects the events' names as they come. */
export function listenToEvents(port: number): { events: string[]; close(): void; ready: Promise<void> } {
  const events: string[] = [];
  let buffer = '';
  let close = () => undefined as void;
  const ready = new Promise<void>((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path: '/api/events', headers: { Accept: 'text/event-stream' } },
      (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const name = /^event: (.+)$/m.exec(buffer.slice(0, end))?.[1];
            if (name) events.push(name);
            buffer = buffer.slice(end + 2);
          }
          if (events.includes('hello')) resolve();
        });
        response.on('error', () => undefined);
      },
    );
    request.on('error', reject);
    request.end();
    close = () => request.destroy();
  });
  return { events, ready, close: () => close() };
}
