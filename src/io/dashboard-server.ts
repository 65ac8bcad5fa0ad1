/**
 * The dashboard's HTTP server, on Node's own `http`: a handful of fixed routes, nothing else.
 *
 * What it guards against, and how:
 * - Other machines: it listens on 127.0.0.1 only, never on every interface.
 * - DNS rebinding (a web page whose host name is made to resolve to 127.0.0.1, then reads the dashboard as
 *   "its own" origin): every request must name the dashboard itself in `Host` (`127.0.0.1:<port>` or
 *   `localhost:<port>`), and an `Origin`, when the browser sends one, must be the dashboard's: else 403.
 * - Reading files: no request path reaches the file system. The page's files are read once at start into
 *   memory, and a path is looked up in a fixed table as the exact string; anything else (`/../x`, `/x/`,
 *   `/%2e%2e/`) is 404, so there is nothing to list and nothing to escape.
 * - Cross-site writes: the one write (`POST /api/move`) is refused unless the server was started with actions
 *   on, and then needs the same-origin `Origin`, a JSON body (which a form cannot send without a CORS
 *   preflight this server never answers) and the per-run token the page carries.
 * - Hanging on exit: `close()` ends the event streams and every open connection, then the listener.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DashboardAsset {
  contentType: string;
  body: Buffer;
}

/** What a handler answers: an HTTP status and a JSON document. */
export interface JsonReply {
  status: number;
  body: unknown;
}

export interface DashboardHandlers {
  /** Fixed paths (`/`, `/dashboard.js`, ...) to the bytes served for them. */
  assets: ReadonlyMap<string, DashboardAsset>;
  /** `GET /api/status`: the JSON text to send. */
  status(): Promise<string>;
  /** `GET /api/detail?feature=&wp=`. */
  detail(feature: string, wp: string): Promise<JsonReply>;
  /** `POST /api/move`, with the parsed body; null when lane actions are off. */
  move: ((body: unknown) => Promise<JsonReply>) | null;
  /** The token a `POST` must carry in `X-Kit-Token` (actions on). */
  token: string | null;
}

export interface DashboardServer {
  url: string;
  port: number;
  /** Sends an event to every open `/api/events` stream. */
  broadcast(event: string, data: unknown): void;
  /** How many event streams are open (for tests and diagnostics). */
  streams(): number;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const MAX_BODY_BYTES = 16 * 1024;
/**
 * A larger body is still read to its end (and dropped) up to this size, so the client gets its 413: a
 * connection closed while the client is still sending reaches it as a reset, not as an answer. Beyond
 * this, it is cut off.
 */
const MAX_DRAINED_BYTES = 1024 * 1024;
/** The read routes (GET and HEAD); any other method on them is 405, any other path 404. */
const READ_ROUTES = new Set(['/api/status', '/api/detail', '/api/events']);

const SECURITY_HEADERS: Record<string, string> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

/** Starts the server on 127.0.0.1:`port` (0: a free port the system picks). */
export async function startDashboardServer(port: number, handlers: DashboardHandlers): Promise<DashboardServer> {
  const streams = new Set<ServerResponse>();
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { ok: false, error: { message: String(error) } });
      else response.destroy();
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const host = (request.headers.host ?? '').toLowerCase();
    const origin = request.headers.origin;
    if (!allowedHosts.has(host)) return refuse(response, 'this server answers only to its own address');
    if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) {
      return refuse(response, 'requests from other origins are refused');
    }
    const target = request.url ?? '';
    const query = target.indexOf('?');
    const path = query === -1 ? target : target.slice(0, query);
    const params = new URLSearchParams(query === -1 ? '' : target.slice(query + 1));
    const method = request.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';

    if (path === '/api/move') {
      if (method !== 'POST') return notAllowed(response, 'POST');
      if (!handlers.move || !handlers.token) {
        return refuse(response, 'lane actions are off: start kit dashboard with --allow-actions');
      }
      // A write needs the page's own origin (a browser always sends it on POST) and the page's token.
      if (origin === undefined) return refuse(response, 'a lane action needs the Origin header');
      if (request.headers['x-kit-token'] !== handlers.token) return refuse(response, 'missing or wrong token');
      if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
        return sendJson(response, 415, { ok: false, error: { message: 'send the action as application/json' } });
      }
      const body = await readJsonBody(request);
      if (body === TOO_LARGE) {
        const message = `the body is larger than ${MAX_BODY_BYTES / 1024} KB`;
        return sendJson(response, 413, { ok: false, error: { message } });
      }
      if (body === NOT_JSON) return sendJson(response, 400, { ok: false, error: { message: 'not a JSON body' } });
      const reply = await handlers.move(body);
      return sendJson(response, reply.status, reply.body);
    }
    if (!read) {
      return handlers.assets.has(path) || READ_ROUTES.has(path)
        ? notAllowed(response, 'GET, HEAD')
        : notFound(response);
    }
    if (path === '/api/status') {
      return send(response, 200, 'application/json; charset=utf-8', Buffer.from(await handlers.status()), method);
    }
    if (path === '/api/detail') {
      const reply = await handlers.detail(params.get('feature') ?? '', params.get('wp') ?? '');
      return sendJson(response, reply.status, reply.body);
    }
    if (path === '/api/events') {
      // HEAD gets the stream's headers only: a stream opened for it would never end.
      if (method === 'HEAD') return send(response, 200, 'text/event-stream; charset=utf-8', Buffer.alloc(0), method);
      return openStream(response);
    }
    const asset = handlers.assets.get(path);
    if (!asset) return notFound(response);
    return send(response, 200, asset.contentType, asset.body, method);
  };

  const openStream = (response: ServerResponse): void => {
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    // The page reconnects after a second if the stream drops, and re-reads the status when it does.
    response.write('retry: 1000\n\n');
    response.write(`event: hello\ndata: {}\n\n`);
    streams.add(response);
    response.on('close', () => streams.delete(response));
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: LOOPBACK }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`${LOOPBACK}:${actualPort}`, `localhost:${actualPort}`]);
  allowedOrigins = new Set([`http://${LOOPBACK}:${actualPort}`, `http://localhost:${actualPort}`]);

  let closing: Promise<void> | null = null;
  return {
    url: `http://${LOOPBACK}:${actualPort}/`,
    port: actualPort,
    broadcast(event, data) {
      const message = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
      for (const stream of streams) stream.write(message);
    },
    streams: () => streams.size,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        streams.clear();
        server.close(() => resolve());
        // Keep-alive connections and event streams would hold close() open: end them now.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: Buffer, method = 'GET'): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': contentType, 'Content-Length': body.length });
  response.end(method === 'HEAD' ? undefined : body);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  send(response, status, 'application/json; charset=utf-8', Buffer.from(JSON.stringify(body)));
}

function refuse(response: ServerResponse, message: string): void {
  sendJson(response, 403, { ok: false, error: { message } });
}

function notFound(response: ServerResponse): void {
  sendJson(response, 404, { ok: false, error: { message: 'not found' } });
}

function notAllowed(response: ServerResponse, allow: string): void {
  response.setHeader('Allow', allow);
  sendJson(response, 405, { ok: false, error: { message: `method not allowed (allowed: ${allow})` } });
}

const TOO_LARGE = Symbol('too large');
const NOT_JSON = Symbol('not JSON');

/** The request's JSON body; TOO_LARGE beyond MAX_BODY_BYTES (read and dropped, see MAX_DRAINED_BYTES), or NOT_JSON. */
async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early destroys the request, and with it the connection: only beyond the drain limit.
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DRAINED_BYTES) return TOO_LARGE;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) return TOO_LARGE;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return NOT_JSON;
  }
}
