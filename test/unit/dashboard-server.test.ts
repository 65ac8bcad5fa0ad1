/**
 * The dashboard's HTTP server on its own, with in-memory handlers (no repository): what reaches a handler
 * and what never does, HEAD, oversized bodies (413), the event stream, and a close() that does not wait for open
 * connections.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type DashboardHandlers, type DashboardServer, startDashboardServer } from '../../src/io/dashboard-server.js';
import { listenToEvents, rawRequest } from '../helpers/dashboard.js';

const servers: DashboardServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function handlers(overrides: Partial<DashboardHandlers> = {}): DashboardHandlers & { moves: unknown[] } {
  const moves: unknown[] = [];
  return {
    assets: new Map([['/', { contentType: 'text/html; charset=utf-8', body: Buffer.from('<p>page</p>') }]]),
    status: () => Promise.resolve('{"features":[]}'),
    detail: (feature, wp) => Promise.resolve({ status: 200, body: { feature, wp } }),
    move: (body) => {
      moves.push(body);
      return Promise.resolve({ status: 200, body: { ok: true } });
    },
    token: 'secret',
    moves,
    ...overrides,
  };
}

async function start(options: Partial<DashboardHandlers> = {}) {
  const routes = handlers(options);
  const server = await startDashboardServer(0, routes);
  servers.push(server);
  return { server, routes, port: server.port };
}

describe('the dashboard server', () => {
  it('listens on 127.0.0.1 and names its URL', async () => {
    const { server } = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
  });

  it('answers HEAD without a body and GET with one', async () => {
    const { port } = await start();
    const head = await rawRequest(port, { path: '/', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('11');
    expect((await rawRequest(port, { path: '/' })).body).toBe('<p>page</p>');
  });

  it('hands the detail route its query, and nothing else', async () => {
    const { port } = await start();
    const detail = await rawRequest(port, { path: '/api/detail?feature=001-x&wp=WP02&extra=1' });
    expect(JSON.parse(detail.body)).toEqual({ feature: '001-x', wp: 'WP02' });
    expect((await rawRequest(port, { path: '/?x=../../etc/passwd' })).body).toBe('<p>page</p>');
  });

  it('takes a move only with the token, the origin and a JSON body of at most 16 KB', async () => {
    const { port, routes } = await start();
    const headers = {
      Origin: `http://localhost:${port}`,
      'X-Kit-Token': 'secret',
      'Content-Type': 'application/json',
    };
    const post = (body: string, extra: Record<string, string> = {}) =>
      rawRequest(port, { path: '/api/move', method: 'POST', headers: { ...headers, ...extra }, body });
    expect((await post('{"wp":"WP01"}')).status).toBe(200);
    expect((await post('not json')).status).toBe(400);
    const tooLarge = await post(JSON.stringify({ pad: 'x'.repeat(20_000) }));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body).toContain('larger than 16 KB');
    // Up to a megabyte the body is read to its end, so the answer reaches the client rather than a reset.
    expect((await post(JSON.stringify({ pad: 'x'.repeat(900_000) }))).status).toBe(413);
    expect((await post('{}', { 'X-Kit-Token': 'Secret' })).status).toBe(403);
    expect((await rawRequest(port, { path: '/api/move', headers })).status).toBe(405);
    expect(routes.moves).toEqual([{ wp: 'WP01' }]);
  });

  it('cuts off a body beyond a megabyte, and goes on serving', async () => {
    const { port, routes } = await start();
    const headers = { Origin: `http://127.0.0.1:${port}`, 'X-Kit-Token': 'secret', 'Content-Type': 'application/json' };
    const huge = await rawRequest(port, { path: '/api/move', method: 'POST', headers, body: 'x'.repeat(20_000_000) })
      .then((response) => response.status)
      .catch((error: NodeJS.ErrnoException) => error.code);
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(huge);
    expect(routes.moves).toEqual([]);
    expect((await rawRequest(port, { path: '/' })).status).toBe(200);
  });

  it('forgets an event stream when its page goes away (reloads leave nothing open)', async () => {
    const { server, port } = await start();
    for (let reload = 0; reload < 20; reload++) {
      const stream = listenToEvents(port);
      await stream.ready;
      stream.close();
    }
    await expect.poll(() => server.streams()).toBe(0);
    server.broadcast('change', {}); // writes to nobody, and does not throw
  });

  it('answers HEAD on the event stream with its headers, without opening a stream', async () => {
    const { server, port } = await start();
    const head = await rawRequest(port, { path: '/api/events', method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(server.streams()).toBe(0);
  });

  it('answers 404, not 405, for a write to a path that is no route', async () => {
    const { port } = await start();
    for (const path of ['/api/nope', '/api/', '/nope']) {
      expect((await rawRequest(port, { path, method: 'POST', body: '{}' })).status, path).toBe(404);
    }
    expect((await rawRequest(port, { path: '/api/status', method: 'POST', body: '{}' })).status).toBe(405);
    expect((await rawRequest(port, { path: '/api/events', method: 'DELETE' })).status).toBe(405);
  });

  it('refuses every move when actions are off, whatever the request carries', async () => {
    const { port } = await start({ move: null, token: null });
    const response = await rawRequest(port, {
      path: '/api/move',
      method: 'POST',
      headers: { Origin: `http://127.0.0.1:${port}`, 'X-Kit-Token': '', 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(403);
  });

  it('broadcasts to every open event stream, and closes with streams still open', async () => {
    const { server, port } = await start();
    const first = listenToEvents(port);
    const second = listenToEvents(port);
    await Promise.all([first.ready, second.ready]);
    expect(server.streams()).toBe(2);
    server.broadcast('change', { at: 'now' });
    await expect
      .poll(() => [first.events, second.events])
      .toEqual([
        ['hello', 'change'],
        ['hello', 'change'],
      ]);
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(server.streams()).toBe(0);
    first.close();
    second.close();
  });
});
