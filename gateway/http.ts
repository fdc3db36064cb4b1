// GET /metrics (Prometheus text exposition, prom-client) and GET /health (JSON). /health answers
// 200 when the gateway can do its job (MQTT connected and, if radios are configured, at least one
// up) and 503 otherwise, so it works as a systemd/Kubernetes/uptime probe. Other paths go to the
// routes a feature mounts (the page, gateway/features/page.ts).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './types.ts';
import type { PromMetrics } from './metrics.ts';

export interface HealthReport {
  status: 'ok' | 'degraded';
  [k: string]: unknown;
}

/** A feature's share of the HTTP server: returns true when it answered the request. */
export interface HttpRoute {
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean;
}

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startHttp(host: string, port: number, metrics: PromMetrics, health: () => Promise<HealthReport>, log: Logger, routes: readonly HttpRoute[] = []): Promise<HttpServer> {
  return listen(host, port, log, [...(routes.length ? ['/'] : []), '/metrics', '/health'], (req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    const done = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (url !== '/metrics' && url !== '/health' && url !== '/healthz') for (const r of routes) if (r.handle(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return done(405, 'text/plain', 'method not allowed\n');
    if (url === '/metrics') {
      metrics.text().then(
        (t) => done(200, metrics.contentType, t),
        (e: Error) => done(500, 'text/plain', `metrics failed: ${e.message}\n`),
      );
      return;
    }
    if (url === '/health' || url === '/healthz') {
      health().then(
        (h) => done(h.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(h) + '\n'),
        (e: Error) => done(500, 'application/json', JSON.stringify({ status: 'error', error: e.message }) + '\n'),
      );
      return;
    }
    done(404, 'text/plain', 'kerb gateway: try /metrics or /health\n');
  });
}

/** An HTTP server on host:port (0 = any free port) answering with `handler`; rejects when it cannot bind. */
export async function listen(host: string, port: number, log: Logger, paths: string[], handler: http.RequestListener): Promise<HttpServer> {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  log.info('http listening', { url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`, paths });
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
