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

    it('puts repository text in as text, marks forecast conflicts, keeps canceled WPs out of Done, draws a cycle', async () => {
      expect(hasChromium, 'chromium is required in CI: .ci/run installs it').toBe(true);
      [server, browser] = await Promise.all([startDashboard(fx.repo.root), launchChromium()]);
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      // What a repository can hold that the fixture does not: markup in every text kit shows, a forecast
      // conflict, a canceled Spec Kitty 3.x WP, a dependency cycle, a history entry that is not a record. The
      // real server's answers, changed on their way to the page.
      const markup = (what: string) => `<img src=x onerror="window.__xss='${what}'"><b>${what}</b>`;
      await page.route('**/api/status', async (route) => {
        const response = await route.fetch();
        const status = (await response.json()) as {
          features: {
            title: string;
            problems: { message: string }[];
            workPackages: Record<string, unknown>[];
          }[];
        };
        const feature = status.features[0];
        if (!feature) throw new Error('no feature in the status');
        feature.title = markup('feature');
        feature.problems = [{ message: markup('problem'), file: null, code: 'x' } as never];
        const wps = new Map(feature.workPackages.map((wp) => [wp.id as string, wp]));
        Object.assign(wps.get('WP02') ?? {}, {
          title: markup('title'),
          agent: markup('agent'),
          conflicts: [{ with: 'WP03', files: ['src/shared.ts'] }],
        });
        Object.assign(wps.get('WP03') ?? {}, { conflicts: [{ with: 'WP02', files: ['src/shared.ts'] }] });
        Object.assign(wps.get('WP05') ?? {}, { lane: 'done', statusLane: 'canceled', dependencies: ['WP04'] });
        // A cycle, WP01 → WP04 → WP02 → WP01, and no WP without a dependency.
        Object.assign(wps.get('WP01') ?? {}, { dependencies: ['WP04'] });
        await route.fulfill({ response, json: status });
      });
      await page.route('**/api/detail?*', async (route) => {
        const response = await route.fetch();
        const detail = (await response.json()) as { result: { workPackage: object } & Record<string, unknown> };
        Object.assign(detail.result.workPackage, { conflicts: [{ with: 'WP03', files: ['src/shared.ts'] }] });
        Object.assign(detail.result, {
          reviewFeedback: markup('feedback'),
          history: [null, 'moved by hand', { lane: markup('history'), agent: 'codex', timestamp: 't1' }],
          commits: [{ sha: '0123456789abcdef', subject: markup('commit') }],
          prompt: markup('prompt'),
        });
        await route.fulfill({ response, json: detail });
      });
      await page.goto(server.url);

      const feature = page.locator(`[data-feature="${fx.feature}"]`);
      const wp02 = feature.locator('.lane[data-lane="doing"] .card[data-wp="WP02"]');
      await expect.poll(() => wp02.count()).toBe(1);
      expect(await wp02.locator('.title').textContent()).toBe(markup('title'));
      expect(await wp02.locator('.agent').textContent()).toBe(markup('agent'));
      expect(await feature.locator('h2').textContent()).toContain(markup('feature'));
      expect(await feature.locator('.problems').textContent()).toContain(markup('problem'));
      // ✗ as on the terminal board, and in the legend.
      expect(await wp02.locator('.mark.conflict').allTextContents()).toEqual(['✗WP03']);
      expect(await feature.locator('.card[data-wp="WP03"] .mark.conflict').allTextContents()).toEqual(['✗WP02']);
      expect(await page.locator('footer.legend').textContent()).toContain('✗WP03');
      // The canceled WP is apart, and Done counts only what was done.
      expect(await feature.locator('.lane[data-lane="done"] .card').count()).toBe(1);
      expect(await feature.locator('.lane[data-lane="done"] h3').textContent()).toBe('Done (1)');
      expect(await feature.locator('.lane[data-lane="canceled"] .card[data-wp="WP05"]').count()).toBe(1);
      // The graph with a cycle still has a size (no NaN) and every node.
      const graph = feature.locator('svg[data-graph]');
      expect(await graph.locator('g.node').count()).toBe(5);
      for (const attribute of ['width', 'height']) {
        expect(Number(await graph.getAttribute(attribute)), attribute).toBeGreaterThan(0);
      }

      // A graph the user folds stays folded when the board is drawn again (a change, the filter, the minute).
      await feature.locator('details.graph > summary').click();
      await page.locator('#filter').fill('WP');
      await expect.poll(() => feature.locator('.card').count()).toBe(5);
      await expect.poll(() => feature.locator('details.graph').getAttribute('open')).toBeNull();
      await feature.locator('details.graph > summary').click();
      await page.locator('#filter').fill('');
      // The redraw the filter causes is asynchronous: wait for the board to settle on the graph's state.
      await expect.poll(() => feature.locator('.card').count()).toBe(5);
      await expect.poll(() => feature.locator('details.graph').getAttribute('open')).toBe('');

      await wp02.click();
      await expect.poll(() => page.locator('#detail [data-detail="WP02"]').count()).toBe(1);
      const detail = page.locator('#detail');
      expect(await detail.locator('.feedback').textContent()).toBe(markup('feedback'));
      expect(await detail.locator('.prompt').textContent()).toBe(markup('prompt'));
      const text = await detail.textContent();
      expect(text).toContain(markup('commit'));
      expect(text).toContain(markup('history'));
      expect(text).toContain('WP03 (src/shared.ts)');

      // Nothing became markup: no element the texts name, no handler ran.
      expect(await page.locator('#board img, #board b, #detail img, #detail b').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __xss?: string }).__xss)).toBeUndefined();
      expect(errors).toEqual([]);

      await browser.close();
      browser = undefined;
      const stopped = await server.stop('SIGINT');
      server = undefined;
      expect(stopped).toEqual({ exitCode: 0, signal: null, leftovers: [] });
    }, 60_000);
  },
);
