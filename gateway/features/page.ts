// The gateway page (docs/gateway.md "The page"): a live view of the devices, their 24-hour history,
// a map from the registry's locations and the gateway itself, served by the gateway over HTTP as
// plain files (gateway/page/: HTML, CSS and a script, no build step, nothing fetched from elsewhere)
// and a small JSON API, with updates pushed as server-sent events (HTML Living Standard §9.2).
// Read-only, except a downlink POST that needs the configured token (Authorization: Bearer,
// RFC 6750 §2.1); without a configured token the page cannot send anything.
import fs from 'node:fs';
import http from 'node:http';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { DownlinkResult, Logger, Uplink } from '../types.ts';
import { isLoopback, parseHostPort, tileTemplate } from '../config.ts';
import { listen, type HealthReport, type HttpRoute, type HttpServer } from '../http.ts';
import { parseDownCommand, type NamedEncoder } from '../commands.ts';
import { PageModel, type DeviceSummary } from '../page-model.ts';
import { RateLog } from '../rate-log.ts';
import type { Feature, GatewayContext } from './feature.ts';

/** What the page reads from the other features. */
export interface PageSources {
  health(): Promise<HealthReport>;
  availability(id: string): string;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/page/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/page/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
  '/page/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

/** The page loads only its own files (and map tiles from `tiles`, when configured) and talks only to its own origin. */
function securityHeaders(tiles: string | undefined): Record<string, string> {
  return {
    'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:${tiles ? ` ${tiles}` : ''}; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/** Gateway status pushed to the page this often. */
const TICK_MS = 2000;
const HEARTBEAT_MS = 15_000;
const MAX_EVENT_CLIENTS = 64;
const MAX_BODY = 8192;
const RECENT_DOWNLINKS = 50;

type Json = Record<string, unknown>;

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export class PageFeature implements Feature, HttpRoute {
  readonly name = 'page';
  private readonly ctx: GatewayContext;
  private readonly sources: PageSources;
  private readonly named: NamedEncoder;
  private readonly log: Logger;
  private readonly refusals: RateLog;
  readonly model = new PageModel();
  private assets = new Map<string, Buffer>();
  private token: Buffer | undefined;
  private running = false;
  private own: HttpServer | undefined;
  private ownLoopback = true;
  private readonly clients = new Set<http.ServerResponse>();
  private readonly downlinks: Json[] = [];
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private lastFrames = { at: 0, count: 0 };
  /** Availability as last sent to the page: a device going offline is an event too. */
  private readonly shownAvailability = new Map<string, string>();
  private headers: Record<string, string> = securityHeaders(undefined);
  private framesPerS = 0;

  constructor(ctx: GatewayContext, sources: PageSources, named: NamedEncoder) {
    this.ctx = ctx;
    this.sources = sources;
    this.named = named;
    this.log = ctx.log.child({ component: 'page' });
    // Anyone who can reach the page can knock: one line, then a summary a minute.
    this.refusals = new RateLog(this.log);
  }

  /** The port of the page's own listener (page.bind), when it has one. */
  get ownPort(): number | undefined {
    return this.own?.port;
  }

  async start(): Promise<void> {
    const { page } = this.ctx.config;
    if (!page.enabled) return;
    const dir = new URL('../page/', import.meta.url);
    for (const a of Object.values(ASSETS)) if (!this.assets.has(a.file)) this.assets.set(a.file, fs.readFileSync(new URL(a.file, dir)));
    let token = page.token;
    if (page.tokenFile) {
      try {
        token = fs.readFileSync(page.tokenFile, 'utf8').trim();
      } catch (e) {
        throw new Error(`page.tokenFile: cannot read ${page.tokenFile}: ${(e as Error).message}`);
      }
      if (token.length < 16) throw new Error(`page.tokenFile: the token in ${page.tokenFile} is shorter than 16 characters`);
    }
    this.token = token ? sha256(token) : undefined;
    this.headers = securityHeaders(page.mapTiles ? tileTemplate(page.mapTiles) : undefined);
    const bind = page.bind ? parseHostPort(page.bind) : undefined;
    if (bind) {
      this.ownLoopback = isLoopback(bind.host);
      this.own = await listen(bind.host, bind.port, this.log, ['/'], (req, res) => {
        if (!this.handle(req, res)) this.send(res, 404, { error: 'not found: the page is at /' });
      });
    } else this.ownLoopback = isLoopback(this.ctx.config.http.host);
    this.running = true;
    this.timer = setInterval(() => void this.tick(), TICK_MS);
    this.timer.unref();
    this.heartbeat = setInterval(() => this.broadcastRaw(': ping\n\n'), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.timer);
    clearInterval(this.heartbeat);
    this.refusals.stop();
    for (const c of this.clients) c.end();
    this.clients.clear();
    await this.own?.close();
    this.own = undefined;
  }

  onUplink(u: Uplink): void {
    if (!this.running) return;
    this.model.uplink(u);
    if (!this.clients.size) return;
    const d = this.ctx.registry.get(u.deviceId);
    if (!d) return;
    const a = this.sources.availability(d.id);
    this.shownAvailability.set(d.id, a);
    this.broadcast('device', this.model.summary(d, a));
  }

  onDownlinkResult(r: DownlinkResult): void {
    if (!this.running) return;
    const e: Json = { id: r.id, device: r.deviceId, state: r.state, at: new Date(r.at).toISOString() };
    if (r.reason !== undefined) e.reason = r.reason;
    if (r.fcntDown !== undefined) e.fcntDown = r.fcntDown;
    this.downlinks.unshift(e);
    if (this.downlinks.length > RECENT_DOWNLINKS) this.downlinks.pop();
    this.broadcast('downlink', e);
  }

  onRegistryReload(): void {
    if (!this.running) return;
    this.model.retain(new Set(this.ctx.registry.list().map((d) => d.id)));
    this.broadcast('devices', this.devices());
  }

  /** Serves the page's paths; false for any other path (the caller answers it). */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (!this.running) return false;
    // With a listener of its own (page.bind) the page is not on the gateway's HTTP server.
    if (this.own && req.socket.localPort !== this.own.port) return false;
    const url = new URL(req.url ?? '/', 'http://page.invalid');
    const p = url.pathname;
    const asset = ASSETS[p];
    const api = p.startsWith('/api/');
    if (!asset && !api) return false;
    // A page bound to loopback answers only names of loopback: a web site that rebinds its own DNS
    // name to 127.0.0.1 must not be able to read it from the user's browser.
    if (this.ownLoopback && !loopbackHost(req.headers.host)) {
      this.send(res, 403, { error: `host ${JSON.stringify(req.headers.host ?? '')} not allowed: this page is bound to loopback; open it as http://127.0.0.1:PORT/ or http://localhost:PORT/` });
      return true;
    }
    const m = /^\/api\/devices\/([a-z0-9_-]{1,64})\/(history|downlink)$/.exec(p);
    if (m && m[2] === 'downlink') {
      if (req.method !== 'POST') this.send(res, 405, { error: 'POST a downlink command here' }, { allow: 'POST' });
      else this.downlink(req, res, m[1]!);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      this.send(res, 405, { error: 'the page is read-only: only GET (and POST /api/devices/<id>/downlink with the token)' }, { allow: 'GET, HEAD' });
      return true;
    }
    if (asset) {
      res.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache', ...this.headers });
      res.end(req.method === 'HEAD' ? undefined : this.assets.get(asset.file));
    } else if (p === '/api/state') {
      void this.state().then((s) => this.send(res, 200, s));
    } else if (p === '/api/events') {
      this.events(req, res);
    } else if (m && m[2] === 'history') {
      if (!this.ctx.registry.get(m[1]!)) this.send(res, 404, { error: `unknown device ${m[1]}` });
      else this.send(res, 200, { device: m[1], ...(this.model.history(m[1]!, Date.now()) ?? { series: this.model.series, t: [], v: this.model.series.map(() => []) }) });
    } else this.send(res, 404, { error: `no such API path ${p}` });
    return true;
  }

  private devices(): DeviceSummary[] {
    return this.ctx.registry.list().map((d) => this.model.summary(d, this.sources.availability(d.id)));
  }

  private async state(): Promise<Json> {
    return {
      kinds: this.model.table.map((k) => ({ name: k.name, label: k.label, unit: k.unit, decimals: k.decimals })),
      offlineAfterS: this.ctx.config.availability.offlineAfterS,
      map: { tiles: this.ctx.config.page.mapTiles || null, attribution: this.ctx.config.page.mapAttribution },
      devices: this.devices(),
      gateway: await this.gateway(),
    };
  }

  private async gateway(): Promise<Json> {
    const { metrics, config } = this.ctx;
    const h = await this.sources.health();
    const rejected: Record<string, number> = {};
    for (const v of await metrics.values('frames_rejected_total')) rejected[String(v.labels.reason ?? 'unknown')] = v.value;
    return {
      ...h,
      framesReceived: await metrics.value('frames_received_total'),
      framesPerS: this.framesPerS,
      uplinks: await metrics.value('uplinks_total'),
      rejected,
      downlinks: this.downlinks,
      mqttBase: config.mqtt.baseTopic,
      downlinksFromPage: this.token !== undefined,
      now: new Date().toISOString(),
    };
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const count = await this.ctx.metrics.value('frames_received_total');
    if (this.lastFrames.at) this.framesPerS = Math.max(0, count - this.lastFrames.count) / ((now - this.lastFrames.at) / 1000);
    this.lastFrames = { at: now, count };
    if (!this.clients.size || !this.running) return;
    this.broadcast('gateway', await this.gateway());
    for (const d of this.ctx.registry.list()) {
      const a = this.sources.availability(d.id);
      if (this.shownAvailability.get(d.id) === a) continue;
      this.shownAvailability.set(d.id, a);
      this.broadcast('device', this.model.summary(d, a));
    }
  }

  private events(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (this.clients.size >= MAX_EVENT_CLIENTS) {
      this.send(res, 503, { error: `too many open pages (${MAX_EVENT_CLIENTS}); close one and reload` });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', ...this.headers });
    res.write('retry: 3000\n\n');
    this.clients.add(res);
    const gone = () => this.clients.delete(res);
    req.on('close', gone);
    res.on('error', gone);
    void this.gateway().then((g) => this.clients.has(res) && res.write(frame('gateway', g)));
  }

  private broadcast(event: string, data: unknown): void {
    if (this.clients.size) this.broadcastRaw(frame(event, data));
  }

  private broadcastRaw(text: string): void {
    for (const c of this.clients) c.write(text);
  }

  private downlink(req: http.IncomingMessage, res: http.ServerResponse, deviceId: string): void {
    const { metrics } = this.ctx;
    if (!this.token) {
      metrics.inc('page_downlinks_total', { result: 'refused' });
      this.send(res, 403, { error: 'sending from the page is off: this gateway has no page.token; set page.token (or page.tokenFile) in its configuration to allow downlinks with that token' });
      req.resume();
      return;
    }
    const auth = req.headers.authorization ?? '';
    const given = /^Bearer +(\S+)$/i.exec(auth)?.[1];
    if (!given || !timingSafeEqual(sha256(given), this.token)) {
      metrics.inc('page_downlinks_total', { result: 'unauthorized' });
      this.refusals.note('unauthorized', 'warn', 'page downlink refused: missing or wrong token', { device: deviceId, from: req.socket.remoteAddress });
      this.send(res, 401, { error: given ? 'wrong token: send the gateway\'s page.token as Authorization: Bearer <token>' : 'a downlink needs the page token: send Authorization: Bearer <token> (page.token in the gateway configuration)' }, { 'www-authenticate': `Bearer realm="kerb", error="${given ? 'invalid_token' : 'invalid_request'}"` });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return this.send(res, 413, { error: `command larger than ${MAX_BODY} bytes` });
      let value: unknown;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch (e) {
        return this.send(res, 400, { error: `the body must be a JSON command like {"command": "request_status"}: ${(e as Error).message}` });
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) return this.send(res, 400, { error: 'the body must be a JSON object' });
      if (!this.ctx.registry.get(deviceId)) return this.send(res, 404, { error: `unknown device ${deviceId}` });
      const p = parseDownCommand(deviceId, value as Json, Date.now(), this.ctx.config.downlinks.expiryS, this.named);
      if ('error' in p) return this.send(res, 400, { error: p.error, id: p.id });
      this.ctx.ingest.queueDownlink(p.downlink).then(
        () => {
          metrics.inc('page_downlinks_total', { result: 'queued' });
          this.log.info('downlink queued from the page', { device: deviceId, id: p.downlink.id });
          this.send(res, 202, { id: p.downlink.id, device: deviceId, state: 'queued' });
        },
        (e: Error) => this.send(res, 503, { error: e.message, id: p.downlink.id }),
      );
    });
  }

  private send(res: http.ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    res.writeHead(code, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...this.headers, ...headers });
    res.end(JSON.stringify(body) + '\n');
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** localhost, 127.x.y.z or [::1], with or without a port. */
function loopbackHost(host: string | undefined): boolean {
  if (!host) return false;
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::\d+)?$/.exec(host);
  const name = (m?.[1] ?? m?.[2] ?? '').toLowerCase();
  return isLoopback(name);
}
