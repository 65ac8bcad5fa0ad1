/**
 * `kit dashboard` without a browser: the real built kit serving a real repository, asked over raw HTTP.
 * /api/status against `kit status --json` run on the same repository; the Host and Origin checks; paths
 * that must not reach anything; the event stream following a `kit move` made by another process; lane
 * actions refused without --allow-actions and working with it; and a clean stop on SIGINT and SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isoAt, makeSharedRepo, missionMeta, transition, ulid } from '../helpers/spec-kitty-3.js';
import {
  listenToEvents,
  makeDashboardRepo,
  rawRequest,
  type RunningDashboard,
  startDashboard,
} from '../helpers/dashboard.js';
import { addFeature, committedWp, DIAMOND, expectSuccess, type FeatureRepo, waitUntil } from '../helpers/lanes.js';
import { resultOf, type TempRepo } from '../helpers/repo.js';

interface StatusJson {
  features: {
    id: string;
    workPackages: { id: string; lane: string; git: { lastCommitAgeSeconds: number } | null }[];
  }[];
  sync: { ageSeconds: number | null } | null;
}

/** The status without what depends on the moment it was read (ages in seconds), and those ages apart. */
function splitAges(status: StatusJson): { rest: string; ages: number[] } {
  const ages: number[] = [];
  const rest = JSON.stringify(status, (key, value: unknown) => {
    if (key === 'lastCommitAgeSeconds' || key === 'ageSeconds') {
      if (typeof value === 'number') ages.push(value);
      return 'AGE';
    }
    return value;
  });
  return { rest, ages };
}

function laneOf(status: StatusJson, wp: string): string | undefined {
  return status.features[0]?.workPackages.find((candidate) => candidate.id === wp)?.lane;
}

describe.skipIf(process.platform === 'win32')('kit dashboard over HTTP', () => {
  let fx: FeatureRepo;
  let server: RunningDashboard;
  let actions: RunningDashboard | undefined;

  beforeAll(async () => {
    fx = await makeDashboardRepo();
    server = await startDashboard(fx.repo.root);
  }, 60_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
    await actions?.stop('SIGKILL');
  });

  it('prints {url, port} under --json and serves the page on 127.0.0.1', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.port).toBeGreaterThan(0);
    const page = await rawRequest(server.port, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(page.body).toContain('<script src="/dashboard.js"');
    // Read-only: the page carries no token.
    expect(page.body).toContain('<meta name="kit-token" content="" />');
    for (const path of ['/dashboard.js', '/dashboard.css', '/favicon.svg']) {
      expect((await rawRequest(server.port, { path })).status, path).toBe(200);
    }
  });

  it("/api/status is kit status --json's result, read on the same repository", async () => {
    const before = resultOf<StatusJson>(await fx.repo.kit(['status', '--json']));
    const response = await rawRequest(server.port, { path: '/api/status' });
    const after = resultOf<StatusJson>(await fx.repo.kit(['status', '--json']));
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const served = JSON.parse(response.body) as StatusJson;
    // Byte for byte once serialised the same way, except the ages, which move with the clock between reads.
    expect(JSON.stringify(served)).toBe(response.body);
    const api = splitAges(served);
    expect(api.rest).toBe(splitAges(before).rest);
    expect(api.rest).toBe(splitAges(after).rest);
    splitAges(before).ages.forEach((age, index) => {
      expect(api.ages[index]).toBeGreaterThanOrEqual(age - 1);
      expect(api.ages[index]).toBeLessThanOrEqual((splitAges(after).ages[index] ?? 0) + 1);
    });
    // The fixture is what the test thinks it is: a WP in every lane, git facts for the started ones.
    expect(['WP01', 'WP02', 'WP03', 'WP04', 'WP05'].map((wp) => laneOf(served, wp))).toEqual([
      'done',
      'doing',
      'for_review',
      'planned',
      'planned',
    ]);
  });

  it('refuses a foreign Host and a foreign Origin with 403 (DNS rebinding)', async () => {
    const { port } = server;
    const host = (value: string) => rawRequest(port, { path: '/api/status', headers: { Host: value } });
    expect((await host(`localhost:${port}`)).status).toBe(200);
    for (const foreign of ['evil.example', `evil.example:${port}`, `127.0.0.1:${port + 1}`, '127.0.0.1', '']) {
      const response = await host(foreign);
      expect(response.status, `Host: ${foreign}`).toBe(403);
      expect(response.body).not.toContain('workPackages');
    }
    const origin = (value: string) => rawRequest(port, { path: '/api/status', headers: { Origin: value } });
    expect((await origin(`http://127.0.0.1:${port}`)).status).toBe(200);
    expect((await origin(`http://localhost:${port}`)).status).toBe(200);
    for (const foreign of ['http://evil.example', `http://evil.example:${port}`, 'null', `https://127.0.0.1:${port}`]) {
      expect((await origin(foreign)).status, `Origin: ${foreign}`).toBe(403);
    }
    expect((await rawRequest(port, { path: '/', headers: { Host: 'evil.example' } })).status).toBe(403);
  });

  it('answers 404 for every path that is not one of its routes, and never reads a file for one', async () => {
    for (const path of [
      '/nope',
      '/../package.json',
      '/%2e%2e/package.json',
      '/..%2fpackage.json',
      '/templates/dashboard/index.html',
      '/index.html',
      '/dashboard.js/',
      '//dashboard.js',
      '/api/',
      '/api/status/x',
      '/.git/config',
    ]) {
      const response = await rawRequest(server.port, { path });
      expect(response.status, path).toBe(404);
      expect(response.body, path).not.toContain('kit-cli');
    }
    const detail = await rawRequest(server.port, { path: '/api/detail?feature=../../etc&wp=passwd' });
    expect(detail.status).toBe(404);
  });

  it("gives a WP's detail: prompt, history, review feedback, diff stat", async () => {
    const response = await rawRequest(server.port, { path: `/api/detail?feature=${fx.feature}&wp=WP02` });
    expect(response.status).toBe(200);
    const detail = (
      JSON.parse(response.body) as {
        result: {
          prompt: string;
          history: { lane: string }[];
          diffStat: { files: { path: string }[] };
          commits: { subject: string }[];
          workPackage: { id: string; git: { uncommitted: number } };
        };
      }
    ).result;
    expect(detail.workPackage.id).toBe('WP02');
    expect(detail.workPackage.git.uncommitted).toBe(1);
    expect(detail.prompt).toContain('WP02');
    expect(detail.history.map((entry) => entry.lane)).toEqual(['planned', 'doing']);
    expect(detail.diffStat.files.map((file) => file.path)).toEqual(['WP02.txt']);
    expect(detail.commits.map((commit) => commit.subject)).toEqual(['Work on WP02']);
  });

  it('says which port is taken, and how to choose another, when --port is in use', async () => {
    const taken = await fx.repo.kit(['dashboard', '--port', String(server.port), '--no-open']);
    expect(taken.exitCode).toBe(3);
    expect(taken.stderr).toContain(`port ${server.port} on 127.0.0.1 is in use`);
    expect(taken.stderr).toContain('--port 0');
  });

  it('refuses lane actions without --allow-actions', async () => {
    const { port } = server;
    const body = JSON.stringify({ feature: fx.feature, wp: 'WP03', to: 'done' });
    const headers = { Origin: `http://127.0.0.1:${port}`, 'Content-Type': 'application/json' };
    const response = await rawRequest(port, { path: '/api/move', method: 'POST', headers, body });
    expect(response.status).toBe(403);
    expect(response.body).toContain('--allow-actions');
    expect(committedWp(fx, 'WP03').lane).toBe('for_review');
    // Other methods on the read routes are not allowed either.
    expect((await rawRequest(port, { path: '/api/status', method: 'POST', headers, body })).status).toBe(405);
    expect((await rawRequest(port, { path: '/', method: 'DELETE' })).status).toBe(405);
  });

  it('streams a change event within 3 s of a kit move made by another process', async () => {
    const stream = listenToEvents(server.port);
    try {
      await stream.ready;
      const movedAt = Date.now();
      expectSuccess(await fx.repo.kit(['move', 'WP05', '--to', 'doing']), 'kit move WP05');
      await waitUntil(() => stream.events.includes('change'), 'a change event', 3000 + (Date.now() - movedAt));
      const status = JSON.parse((await rawRequest(server.port, { path: '/api/status' })).body) as StatusJson;
      expect(laneOf(status, 'WP05')).toBe('doing');
    } finally {
      stream.close();
    }
  });

  it("moves a lane with --allow-actions, only with the page's token and origin, through kit move's rules", async () => {
    actions = await startDashboard(fx.repo.root, ['--allow-actions']);
    const { port } = actions;
    const page = (await rawRequest(port, { path: '/' })).body;
    const token = /<meta name="kit-token" content="([^"]+)"/.exec(page)?.[1];
    expect(token).toMatch(/^[\w-]{20,}$/);
    const origin = `http://127.0.0.1:${port}`;
    const post = (body: unknown, headers: Record<string, string>) =>
      rawRequest(port, { path: '/api/move', method: 'POST', headers, body: JSON.stringify(body) });
    const move = { feature: fx.feature, wp: 'WP03', to: 'done' };
    const json = { 'Content-Type': 'application/json' };

    expect((await post(move, { ...json, Origin: origin })).status).toBe(403); // no token
    expect((await post(move, { ...json, Origin: origin, 'X-Kit-Token': 'wrong' })).status).toBe(403);
    expect((await post(move, { ...json, 'X-Kit-Token': token ?? '' })).status).toBe(403); // no Origin
    expect((await post(move, { ...json, Origin: 'http://evil.example', 'X-Kit-Token': token ?? '' })).status).toBe(403);
    expect(
      (await post(move, { 'Content-Type': 'text/plain', Origin: origin, 'X-Kit-Token': token ?? '' })).status,
    ).toBe(415);
    expect(committedWp(fx, 'WP03').lane).toBe('for_review');

    const headers = { ...json, Origin: origin, 'X-Kit-Token': token ?? '' };
    const illegal = await post({ feature: fx.feature, wp: 'WP02', to: 'done' }, headers);
    expect(illegal.status).toBe(409);
    expect(illegal.body).toContain('WP02 cannot move from doing to done');
    expect((await post({ feature: fx.feature, wp: 'WP99', to: 'done' }, headers)).status).toBe(404);
    expect((await post({ feature: fx.feature, wp: 'WP03' }, headers)).status).toBe(400);

    const moved = await post(move, headers);
    expect(moved.status, moved.body).toBe(200);
    expect(committedWp(fx, 'WP03').lane).toBe('done');
    const status = resultOf<StatusJson>(await fx.repo.kit(['status', '--json']));
    expect(laneOf(status, 'WP03')).toBe('done');
  });

  it('stops cleanly on SIGINT and on SIGTERM: exit 0, no process left', async () => {
    const stream = listenToEvents(server.port);
    await stream.ready;
    const interrupted = await server.stop('SIGINT');
    stream.close();
    expect(interrupted).toEqual({ exitCode: 0, signal: null, leftovers: [] });
    expect(server.stdout()).not.toContain('error');

    const running = actions ?? (await startDashboard(fx.repo.root));
    const terminated = await running.stop('SIGTERM');
    expect(terminated).toEqual({ exitCode: 0, signal: null, leftovers: [] });
  });
});

describe.skipIf(process.platform === 'win32')('kit dashboard with lane_store: ref', () => {
  let fx: FeatureRepo;
  let server: RunningDashboard | undefined;

  beforeAll(async () => {
    const repo = makeSharedRepo([]);
    fx = await addFeature(repo, { wps: DIAMOND });
    repo.write('.kit/config.yaml', 'version: 1\nspecsDir: kitty-specs\nworktreesDir: .worktrees\nlane_store: ref\n');
    repo.git(['add', '.kit']);
    repo.git(['commit', '-q', '-m', 'kit: lanes on refs/kit/lanes']);
    server = await startDashboard(repo.root);
  }, 60_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('streams a change event for a kit move that only moves refs/kit/lanes/main, and serves the moved lane', async () => {
    if (!server) throw new Error('no dashboard');
    const stream = listenToEvents(server.port);
    try {
      await stream.ready;
      const mainBefore = fx.repo.git(['rev-parse', 'main']);
      const movedAt = Date.now();
      expectSuccess(await fx.repo.kit(['move', 'WP05', '--to', 'doing']), 'kit move WP05');
      // Neither main nor the checked-out WP file moved: only kit's lane ref did.
      expect(fx.repo.git(['rev-parse', 'main'])).toBe(mainBefore);
      expect(fx.repo.git(['status', '--porcelain'])).toBe('');
      await waitUntil(() => stream.events.includes('change'), 'a change event', 3000 + (Date.now() - movedAt));
      const status = JSON.parse((await rawRequest(server.port, { path: '/api/status' })).body) as StatusJson;
      expect(laneOf(status, 'WP05')).toBe('doing');
      const detail = await rawRequest(server.port, { path: `/api/detail?feature=${fx.feature}&wp=WP05` });
      expect(JSON.parse(detail.body)).toMatchObject({
        ok: true,
        result: { source: 'refs/kit/lanes/main', frontmatter: { lane: 'doing' } },
      });
    } finally {
      stream.close();
    }
  });
});

describe.skipIf(process.platform === 'win32')('kit dashboard on a Spec Kitty 3.x feature', () => {
  const dir = 'flow-01KQZK7A';
  let repo: TempRepo;
  let server: RunningDashboard | undefined;

  beforeAll(async () => {
    const ids = ['WP01', 'WP02', 'WP03'];
    repo = makeSharedRepo([
      {
        dir,
        meta: missionMeta(dir),
        wps: Object.fromEntries(
          ids.map((id) => [
            `${id}-work.md`,
            { work_package_id: id, title: `Work ${id}`, dependencies: id === 'WP02' ? ['WP01'] : [] },
          ]),
        ),
        log: ids.map((id, index) =>
          transition({
            wp: id,
            from: 'genesis',
            to: 'planned',
            at: isoAt('2026-01-01T00:00:00+00:00', index, 512_804),
            id: ulid(2_000_000 + index, index + 1),
            slug: dir,
            actor: 'finalize-tasks',
            reason: 'canonical bootstrap',
          }),
        ),
        statusJson: 'reduced',
      },
    ]);
    writeFileSync(join(repo.root, '.git', 'info', 'exclude'), '/.worktrees/\n');
    expectSuccess(await repo.kit(['implement', 'WP01', '--agent', 'claude']), 'kit implement WP01');
    expectSuccess(await repo.kit(['move', 'WP03', '--to', 'canceled', '--note', 'dropped']), 'kit move WP03');
    server = await startDashboard(repo.root);
  }, 60_000);

  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it("serves kit status --json's result, canceled WP included", async () => {
    if (!server) throw new Error('no dashboard');
    const cli = resultOf<StatusJson>(await repo.kit(['status', '--json']));
    const served = JSON.parse((await rawRequest(server.port, { path: '/api/status' })).body) as StatusJson;
    expect(splitAges(served).rest).toBe(splitAges(cli).rest);
    expect(laneOf(served, 'WP03')).toBe('done'); // its column; statusLane says canceled
  });

  it("gives a 3.x WP's history from the event log, and the detail of a WP without a branch", async () => {
    if (!server) throw new Error('no dashboard');
    const detail = async (wp: string) => {
      const response = await rawRequest(server?.port ?? 0, { path: `/api/detail?feature=${dir}&wp=${wp}` });
      expect(response.status, wp).toBe(200);
      return (
        JSON.parse(response.body) as {
          result: {
            history: { lane: string; agent: string | null; action: string }[];
            base: string | null;
            commits: unknown[];
            diffStat: unknown;
          };
        }
      ).result;
    };
    const started = await detail('WP01');
    expect(started.history.map((entry) => [entry.lane, entry.agent])).toEqual([
      ['planned', 'finalize-tasks'],
      ['claimed', 'claude'],
      ['in_progress', 'claude'],
    ]);
    expect(started.history[1]?.action).toBe('planned → claimed');
    expect(started.base).toMatch(/^[0-9a-f]{40}$/);
    const canceled = await detail('WP03');
    expect(canceled.history.map((entry) => entry.lane)).toEqual(['planned', 'canceled']);
    expect(canceled.history[1]?.action).toBe('planned → canceled: dropped');
    const unstarted = await detail('WP02');
    expect(unstarted).toMatchObject({ base: null, commits: [], diffStat: null });
  });
});
