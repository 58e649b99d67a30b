// GET /metrics: the process's metrics in Prometheus' text format. With METRICS_TOKEN set, only a
// request with `Authorization: Bearer <token>` is answered (compared in constant time).
import { createHash, timingSafeEqual } from 'node:crypto';
import { metrics } from '../metrics.ts';
import { sendJson, type Route } from './server.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

export function metricsRoute(token: string | undefined): Route {
  const expected = token === undefined ? undefined : digest(token);
  return async (req, res) => {
    if (expected) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (given === undefined || !timingSafeEqual(digest(given), expected)) {
        res.setHeader('www-authenticate', 'Bearer realm="metrics"');
        sendJson(res, 401, { error: 'send METRICS_TOKEN as a bearer token' });
        return;
      }
    }
    const text = await metrics.render();
    res.writeHead(200, {
      'content-type': metrics.contentType,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}
