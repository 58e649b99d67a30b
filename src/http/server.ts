// The bot's small HTTP server: /healthz now, the OAuth callback pages later. Routes are a plain
// table; every answer carries safe headers, and nothing here knows about discord.js.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.ts';

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export interface Health {
  /** 'ready' once the gateway session is up. */
  gateway(): string;
  /** True when the store answered a real round trip (a write read back); false or a throw is "down". */
  store(): Promise<boolean>;
  /** This process's gateway shards: the count all processes share, and each of its shards' status. */
  shards?(): { count: number; ids: { id: number; status: string }[] };
}

const SAFE_HEADERS = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...SAFE_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  res.end(text);
}

export interface HttpServer {
  readonly server: Server;
  /** The port actually bound (HTTP_PORT=0 picks a free one). */
  port(): number;
  close(): Promise<void>;
}

export async function startHttpServer(
  port: number,
  health: Health,
  logger: Logger,
  routes: Record<string, Route> = {},
): Promise<HttpServer> {
  const table: Record<string, Route> = {
    'GET /healthz': async (_req, res) => {
      const gateway = health.gateway();
      const store = (await health.store().catch(() => false)) ? 'ok' : 'down';
      const shards = health.shards?.();
      const ok =
        gateway === 'ready' && store === 'ok' && (shards?.ids.every((s) => s.status === 'ready') ?? true);
      sendJson(res, ok ? 200 : 503, {
        status: ok ? 'ok' : 'degraded',
        gateway,
        store,
        ...(shards ? { shards } : {}),
      });
    },
    ...routes,
  };
  const server = createServer((req, res) => {
    // The port faces the internet: a request line that is not a URL gets a 400, never a throw.
    const url = URL.canParse(req.url ?? '/', 'http://localhost')
      ? new URL(req.url ?? '/', 'http://localhost')
      : undefined;
    if (!url) {
      sendJson(res, 400, { error: 'bad request' });
      return;
    }
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    // Exact paths first, then one-segment prefixes written as "GET /link/*".
    const exact = `${method} ${url.pathname}`;
    const prefix = `${method} ${url.pathname.replace(/\/[^/]*$/, '/*')}`;
    // Then deep prefixes of any method, written as "* /u/**" (the upload page's tus endpoint).
    const deep = Object.keys(table).find(
      (k) => k.startsWith('* ') && k.endsWith('/**') && url.pathname.startsWith(k.slice(2, -2)),
    );
    const key = table[exact] ? exact : table[prefix] ? prefix : (deep ?? exact);
    const route = table[key];
    // Uploads stream for as long as they take; every other request gets 30 s in all.
    if (!key.startsWith('* ')) {
      const timer = setTimeout(() => req.socket.destroy(), 30_000);
      res.once('close', () => clearTimeout(timer));
    }
    if (!route) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    Promise.resolve(route(req, res, url)).catch((error: unknown) => {
      // The route key, not the path: /link/<state> carries a secret.
      logger.error({ err: error, route: key }, 'http route failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  // Node's own request timeout counts a whole body, so it is off: long uploads are measured by
  // their idle time (the socket's timeout), everything else by the 30 s timer above.
  server.requestTimeout = 0;
  server.timeout = 120_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => logger.error({ err: error }, 'http server error'));
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });
  return {
    server,
    port: () => (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
