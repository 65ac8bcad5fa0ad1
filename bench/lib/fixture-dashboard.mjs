// The `dashboard` fixture: what `dashboard-first-paint` needs. A repository of its own with 200 WPs (5
// features × 40, generated like the planning repository, with --active's doing and for_review WPs), and
// one headless Chromium (Debian's `chromium`, driven by playwright-core, a devDependency) kept for every
// run; each run opens a fresh page (its own browser context: no cache, no cookies).
//
// A run (firstPaint) is timed from spawning `kit dashboard --port 0 --no-open --json` to the frame in which
// the page shows all 200 cards: kit's start-up, the server listening and printing its URL, the page and its
// script loaded, /api/status read (kit status --json's work), every lane drawn, and one animation frame
// after that, so the cards are painted. The browser is started before the clock, as a user's is already
// open. kit is then stopped with SIGINT (not timed) and must exit 0.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureRepo, git, restoreRepo } from './generate.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const DASHBOARD_PARAMS = { features: 5, wpsPerFeature: 40, active: true };
const START_TIMEOUT_MS = 30_000;

/** Why the scenario cannot run here (no chromium, no playwright-core), or null. */
async function missing() {
  if (!existsSync(CHROMIUM)) return `skipped: ${CHROMIUM} is not installed (apt-get install chromium)`;
  try {
    await import('playwright-core');
    return null;
  } catch {
    return 'skipped: playwright-core is not installed (npm ci installs it)';
  }
}

export async function enterDashboardFixture(base, options) {
  const skip = await missing();
  const repo = ensureRepo(base.root, DASHBOARD_PARAMS, { fresh: options.fresh, log: options.log });
  const ctx = {
    root: base.root,
    repo: repo.dir,
    kitDir: join(repo.dir, '.git', 'kit'),
    cacheDir: join(repo.dir, '.git', 'kit', 'cache'),
    params: DASHBOARD_PARAMS,
    git: (args) => git(repo.dir, args),
    restore: () => restoreRepo(repo.dir, { head: repo.head }),
    skip,
    summary: { dir: repo.dir, wps: DASHBOARD_PARAMS.features * DASHBOARD_PARAMS.wpsPerFeature, skip },
  };
  if (skip) return ctx;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const cards = DASHBOARD_PARAMS.features * DASHBOARD_PARAMS.wpsPerFeature;
  return {
    ...ctx,
    close: () => browser.close(),
    /** One measured run, in the shape bench/lib/measure.mjs returns. */
    async firstPaint(kit, env) {
      const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
      let stdout = '';
      let stderr = '';
      const started = performance.now();
      const child = spawn(process.execPath, [kit.bin, 'dashboard', '--port', '0', '--no-open', '--json'], {
        cwd: repo.dir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      try {
        child.stdout.setEncoding('utf8');
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (chunk) => (stderr += chunk));
        const url = await new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('kit dashboard printed no URL')), START_TIMEOUT_MS);
          child.on('exit', () => reject(new Error(`kit dashboard exited: ${stderr.trim()}`)));
          child.stdout.on('data', (chunk) => {
            stdout += chunk;
            try {
              resolve(JSON.parse(stdout).result.url);
              clearTimeout(timer);
            } catch {
              // not the whole document yet
            }
          });
        });
        await page.goto(url, { waitUntil: 'commit' });
        // These two functions run in the page (browser globals), not here.
        /* global document, requestAnimationFrame */
        await page.waitForFunction((n) => document.querySelectorAll('.card').length >= n, cards, {
          polling: 'raf',
          timeout: START_TIMEOUT_MS,
        });
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve())));
        const ms = performance.now() - started;
        child.kill('SIGINT');
        const { code, signal } = await exited;
        return { ms, rssMb: null, cpuMs: null, exitCode: code, signal, stdout, stderr };
      } catch (error) {
        child.kill('SIGKILL');
        const { signal } = await exited;
        return {
          ms: performance.now() - started,
          rssMb: null,
          cpuMs: null,
          exitCode: 1,
          signal,
          stdout,
          stderr: `${stderr}\n${error.message}`,
        };
      } finally {
        await page.close();
      }
    },
  };
}
