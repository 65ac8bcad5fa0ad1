/**
 * End to end: the real built `kit dashboard` in a real headless Chromium (Debian's `chromium`, driven by
 * playwright-core), against a real repository. The page shows every WP in its lane's column, a `kit move`
 * made by another process reaches the open page within 3 s, and a screenshot is written into the test's
 * temporary directory. Skipped, with a message, only where chromium is not installed; in CI (which installs
 * it, see .ci/run) a missing chromium is a failure.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDashboardRepo, type RunningDashboard, startDashboard } from '../helpers/dashboard.js';
import { expectSuccess, type FeatureRepo } from '../helpers/lanes.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const inCi = process.env.CI !== undefined;

/**
 * A headless Chromium that talks to nothing but the page it is sent to. playwright's launch gives it a
 * fresh profile (--user-data-dir) of its own in a temporary directory, removed when it closes.
 */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
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
}

describe.skipIf(!hasChromium && !inCi)(
  `kit dashboard in a browser (headless chromium)${hasChromium ? '' : ' — skipped: chromium is not installed'}`,
  () => {
    let fx: FeatureRepo;
    let server: RunningDashboard | undefined;
    let browser: Browser | undefined;
    const dir = mkdtempSync(join(tmpdir(), 'kit-dashboard-e2e-'));

    beforeAll(async () => {
      fx = await makeDashboardRepo();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      if (server) await server.stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    it('shows every WP in its lane, follows a kit move made elsewhere within 3 s, and takes a screenshot', async () => {
      expect(hasChromium, 'chromium is required in CI: .ci/run installs it').toBe(true);
      [server, browser] = await Promise.all([startDashboard(fx.repo.root), launchChromium()]);
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(server.url);

      const lanes: Record<string, string> = {
        WP01: 'done',
        WP02: 'doing',
        WP03: 'for_review',
        WP04: 'planned',
        WP05: 'planned',
      };
      const feature = page.locator(`[data-feature="${fx.feature}"]`);
      for (const [wp, lane] of Object.entries(lanes)) {
        await expect.poll(() => feature.locator(`.lane[data-lane="${lane}"] .card[data-wp="${wp}"]`).count()).toBe(1);
      }
      // Every card once, in its lane only, with the git facts of the terminal board.
      expect(await feature.locator('.card').count()).toBe(5);
      const doing = feature.locator('.card[data-wp="WP02"]');
      expect(await doing.locator('.mark').allTextContents()).toEqual(expect.arrayContaining(['↑1', '✎1', '<1m']));
      expect(await doing.locator('.agent').textContent()).toBe('claude');
      expect(await feature.locator('.card[data-wp="WP04"] .mark.blocked').textContent()).toBe('⊘WP02,WP03');
      expect(await feature.locator('.card[data-wp="WP05"] .mark.ready').count()).toBe(1);
      // The dependency graph is a picture: a node per WP, an edge per dependency.
      const graph = feature.locator('svg[data-graph]');
      expect(await graph.locator('g.node').count()).toBe(5);
      expect(await graph.locator('path.edge').count()).toBe(4);

      // The detail of a WP: its prompt, history and diff stat.
      await doing.click();
      await expect.poll(() => page.locator('#detail [data-detail="WP02"]').count()).toBe(1);
      const detail = await page.locator('#detail').textContent();
      expect(detail).toContain('WP02.txt');
      expect(detail).toContain('draft.txt');
      expect(detail).toContain('Work Package Prompt');
      await page.keyboard.press('Escape');

      // Another process moves WP05: the open page shows it in its new lane within 3 s of the move (timed from
      // when kit move is done; the page may well show it before the process has exited).
      const moving = fx.repo.kit(['move', 'WP05', '--to', 'doing']).then((run) => ({ run, at: Date.now() }));
      await page.waitForSelector(`[data-feature="${fx.feature}"] .lane[data-lane="doing"] .card[data-wp="WP05"]`, {
        timeout: 20_000,
      });
      const seenAt = Date.now();
      const moved = await moving;
      expectSuccess(moved.run, 'kit move WP05');
      expect(seenAt - moved.at).toBeLessThanOrEqual(3000);
      expect(await feature.locator('.lane[data-lane="planned"] .card[data-wp="WP05"]').count()).toBe(0);

      const screenshot = join(dir, 'dashboard.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      expect(statSync(screenshot).size).toBeGreaterThan(10_000);
      // docs/dashboard.png is this picture: KIT_DASHBOARD_SCREENSHOT=$PWD/docs/dashboard.png refreshes it.
      if (process.env.KIT_DASHBOARD_SCREENSHOT) copyFileSync(screenshot, process.env.KIT_DASHBOARD_SCREENSHOT);
      expect(errors).toEqual([]);

      await browser.close();
      browser = undefined;
      const stopped = await server.stop('SIGINT');
      server = undefined;
      expect(stopped).toEqual({ exitCode: 0, signal: null, leftovers: [] });
    }, 60_000);
  },
);
