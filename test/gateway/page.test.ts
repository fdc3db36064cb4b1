// The gateway page's model (24-hour minute ring, frame-counter gaps, human units), its
// configuration keys, and its HTTP side on an in-process gateway: the files with their security
// headers, the JSON API, server-sent events on an uplink, the loopback Host check and the
// token-guarded downlink POST (403 with no token configured, 401 without or with a wrong one).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type GatewayHandle } from '../../gateway/main.ts';
import { createLogger } from '../../gateway/log.ts';
import { resolveConfig } from '../../gateway/config.ts';
import { KerbError } from '../../host/errors.ts';
import { MinuteRing, PageModel, HISTORY_POINTS } from '../../gateway/page-model.ts';
import type { LinkTransport, Uplink } from '../../gateway/types.ts';
import { encodeLinkMessage, LINK_RX } from '../../shared/link/link.ts';
import { encodeReadings } from '../../shared/payload/kerb.ts';
import { loraUplink, newDevice, writeRegistry, type TestDevice } from '../helpers/ingest.ts';
import { KERB, waitUntil } from '../helpers/gateway.ts';
import { spawnSync } from 'node:child_process';

class MemTransport implements LinkTransport {
  readonly name = 'page-radio';
  private data: ((c: Uint8Array) => void)[] = [];
  write(): void {}
  onData(cb: (chunk: Uint8Array) => void): void {
    this.data.push(cb);
  }
  onClose(): void {}
  close(): void {}
  feed(b: Uint8Array): void {
    for (const d of this.data) d(b);
  }
}

function uplink(o: Partial<Uplink> & { fcnt: number; receivedAt: number }): Uplink {
  return {
    deviceId: 'lamp-1', devAddr: 1, fport: 1, confirmed: false, adr: false, payload: new Uint8Array(0), readings: null,
    meta: { gatewayId: 'gw', radioId: 'r', rssiDbm: -100, snrDb: 5, freqHz: 868100000, sf: 9, bwHz: 125000, cr: 1, tsUs: 0 },
    ...o,
  };
}

describe('page model', () => {
  it('keeps one point per minute, the later value winning, and drops the oldest beyond capacity', () => {
    const r = new MinuteRing(2, 5);
    const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);
    r.add(t0 + 1000, [1, 10]);
    r.add(t0 + 30_000, [2, NaN]); // same minute: series 0 replaced, series 1 kept
    expect(r.points(0)).toEqual({ t: [t0], v: [[2], [10]] });
    for (let m = 1; m <= 6; m++) r.add(t0 + m * 60_000, [m, NaN]);
    expect(r.size).toBe(5);
    const p = r.points(0);
    expect(p.t).toEqual([2, 3, 4, 5, 6].map((m) => t0 + m * 60_000));
    expect(p.v[0]).toEqual([2, 3, 4, 5, 6]);
    expect(p.v[1]).toEqual([null, null, null, null, null]);
    expect(r.points(t0 + 5 * 60_000).t).toHaveLength(2);
  });

  it('grows its storage up to 24 h of minutes and never beyond', () => {
    const r = new MinuteRing(1);
    const t0 = Date.UTC(2026, 0, 1);
    for (let m = 0; m < HISTORY_POINTS + 100; m++) r.add(t0 + m * 60_000, [m]);
    expect(r.size).toBe(HISTORY_POINTS);
    const p = r.points(0);
    expect(p.v[0]![0]).toBe(100);
    expect(p.v[0]!.at(-1)).toBe(HISTORY_POINTS + 99);
    // A point older than the last (a clock stepped back) is dropped, not inserted out of order.
    r.add(t0, [-1]);
    expect(r.points(0).v[0]!.at(-1)).toBe(HISTORY_POINTS + 99);
  });

  it('counts frame-counter gaps as lost frames and shows readings in human units', () => {
    const m = new PageModel();
    const t = Date.UTC(2026, 5, 1, 8);
    m.uplink(uplink({ fcnt: 10, receivedAt: t, readings: { pm25DeciUgm3: 123, tempDeciC: 215, batteryMv: 3610, status: 32 } }));
    m.uplink(uplink({ fcnt: 11, receivedAt: t + 300_000, readings: { pm25DeciUgm3: 130 } }));
    m.uplink(uplink({ fcnt: 15, receivedAt: t + 600_000, readings: { pm25DeciUgm3: 140 } }));
    const s = m.summary({ id: 'lamp-1', name: 'Lamp 1', devAddrHex: '00000001', location: { lat: 51, lon: 3.7 } }, 'online');
    expect(s.received).toBe(3);
    expect(s.lost).toBe(3);
    expect(s.delivery).toBeCloseTo(3 / 6, 9);
    expect(s.readings).toEqual({ pm25: 14, temperature: 21.5, battery: 3.61 });
    expect(s.status).toEqual(['REBOOTED']);
    // A lower counter is a new session: no gap counted.
    m.uplink(uplink({ fcnt: 0, receivedAt: t + 900_000 }));
    expect(m.summary({ id: 'lamp-1', name: 'x', devAddrHex: '1' }, 'online').lost).toBe(3);
    const h = m.history('lamp-1', t + 900_000)!;
    expect(h.series.slice(0, 3)).toEqual(['pm25', 'pm10', 'temperature']);
    expect(h.t).toHaveLength(4);
    expect(h.v[h.series.indexOf('pm25')]).toEqual([12.3, 13, 14, null]);
    expect(h.v[h.series.indexOf('rssi')]).toEqual([-100, -100, -100, -100]);
  });
});

describe('page configuration', () => {
  const bad = (file: Record<string, unknown>): string => {
    try {
      resolveConfig({ file });
    } catch (e) {
      expect(e).toBeInstanceOf(KerbError);
      return (e as Error).message;
    }
    throw new Error('accepted');
  };

  it('names the key of every page setting it refuses', () => {
    expect(bad({ page: { token: 'short' } })).toMatch(/page\.token: must be at least 16 characters/);
    expect(bad({ page: { bind: 'localhost' } })).toMatch(/page\.bind: must be host:port/);
    expect(bad({ page: { bind: '127.0.0.1:70000' } })).toMatch(/page\.bind: must be host:port/);
    expect(bad({ page: { token: 'x'.repeat(20), tokenFile: '/etc/kerb/page-token' } })).toMatch(/page\.tokenFile: give page\.token or page\.tokenFile, not both/);
    expect(bad({ page: { enabled: true }, http: { enabled: false } })).toMatch(/page\.enabled: the page is served on the gateway HTTP server/);
    expect(bad({ page: { colour: 'red' } })).toMatch(/page\.colour: unknown key/);
    expect(bad({ page: { mapTiles: 'https://tile.openstreetmap.org/{z}/{x}.png' } })).toMatch(/page\.mapTiles: must be an http\(s\) URL template with \{z\}, \{x\} and \{y\}/);
    expect(bad({ page: { mapTiles: 'ftp://tiles.example/{z}/{x}/{y}.png' } })).toMatch(/page\.mapTiles: must be an http\(s\) URL template/);
  });

  it('hides the token in kerb gateway --check-config', () => {
    const token = 'do-not-print-this-token-123';
    const r = spawnSync(process.execPath, [KERB, 'gateway', '--check-config', '--state-dir', os.tmpdir(), '--set', `page.token=${token}`], { encoding: 'utf8', env: { ...process.env, KERB_CONFIG: '' } });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).page).toMatchObject({ enabled: true, bind: '', token: '***', tokenFile: '' });
    expect(r.stdout + r.stderr).not.toContain(token);
  });

  it('defaults to on, on the gateway HTTP server, read-only', () => {
    const c = resolveConfig({});
    expect(c.page).toEqual({ enabled: true, bind: '', token: '', tokenFile: '', mapTiles: '', mapAttribution: '' });
    expect(resolveConfig({ file: { page: { bind: '[::1]:8080' } } }).page.bind).toBe('[::1]:8080');
    // With HTTP off and nothing asked of the page, it is simply off (the simulator's default).
    expect(resolveConfig({ file: { http: { enabled: false } } }).page.enabled).toBe(true);
  });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(port: number, p: string, o: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

/** Reads server-sent events from /api/events until stopped. */
function events(port: number): { got: { event: string; data: unknown }[]; close(): void } {
  const got: { event: string; data: unknown }[] = [];
  const req = http.get({ host: '127.0.0.1', port, path: '/api/events' }, (res) => {
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev && data) got.push({ event: ev, data: JSON.parse(data) });
      }
    });
  });
  req.on('error', () => {});
  return { got, close: () => req.destroy() };
}

const TOKEN = 'page-token-for-the-test-0123456789';
const dirs: string[] = [];
const gateways: GatewayHandle[] = [];
afterEach(async () => {
  for (const g of gateways.splice(0)) await g.stop();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function gateway(page: Record<string, unknown>, devs: TestDevice[], extra: Record<string, unknown> = {}): Promise<{ gw: GatewayHandle; radio: MemTransport }> {
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-page-'));
  dirs.push(stateDir);
  writeRegistry(path.join(stateDir, 'devices.json'), devs);
  const gw = await startGateway(
    { gateway: { id: 'gw-page', stateDir }, http: { port: 0 }, page, broker: { port: 0 }, homeassistant: { enabled: false }, stats: { intervalS: 0 }, ...extra },
    { log: createLogger({ level: 'error', sink: { write: () => {} } }) },
  );
  gateways.push(gw);
  const radio = new MemTransport();
  gw.ingest.attachTransport(radio);
  await waitUntil(() => gw.mqttConnected(), 10_000, 'gateway connected');
  return { gw, radio };
}

function rx(radio: MemTransport, dev: TestDevice, fcnt: number, readings: Parameters<typeof encodeReadings>[0]): void {
  radio.feed(encodeLinkMessage({ type: LINK_RX, payload: loraUplink(dev, fcnt, encodeReadings(readings)), rssiDbm: -97, snrDb: 7.5, freqHz: 868100000, sf: 9, bwHz: 125000, cr: 1, tsUs: fcnt * 1000 }));
}

describe('the page over HTTP', () => {
  it('serves its files with a strict policy, the state, live events and 24 h history; refuses downlinks with no token configured', async () => {
    const dev = { ...newDevice('lamp-1'), name: 'Market St 12', location: { lat: 51.05, lon: 3.72 } };
    const { gw, radio } = await gateway({}, [dev, newDevice('lamp-2')]);
    const port = gw.pagePort!;
    expect(port).toBe(gw.httpPort);

    const index = await request(port, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.body).toContain('<script src="/page/app.js"');
    expect(index.headers['content-security-policy']).toContain("default-src 'none'");
    expect(index.headers['content-security-policy']).toContain("connect-src 'self'");
    expect(index.headers['content-security-policy']).toContain("img-src 'self' data:;"); // no tiles: nothing from elsewhere
    for (const f of ['/page/app.js', '/page/style.css']) expect((await request(port, f)).status).toBe(200);
    // /metrics and /health are still the health feature's.
    expect((await request(port, '/metrics')).body).toContain('kerb_radio_up{radio="page-radio"} 1');

    const sse = events(port);
    try {
      await waitUntil(() => sse.got.some((e) => e.event === 'gateway'), 10_000, 'a gateway event on connect');
      rx(radio, dev, 1, { pm25DeciUgm3: 123, tempDeciC: 215, batteryMv: 3610 });
      rx(radio, dev, 4, { pm25DeciUgm3: 150, tempDeciC: 216, batteryMv: 3600 });
      const ev = await waitUntil(() => sse.got.filter((e) => e.event === 'device').at(1), 10_000, 'two device events');
      expect(ev.data).toMatchObject({ id: 'lamp-1', name: 'Market St 12', fcnt: 4, received: 2, lost: 2, availability: 'online', readings: { pm25: 15, temperature: 21.6, battery: 3.6 }, rssi: [-97, -97], snr: [7.5, 7.5], sf: 9 });
    } finally {
      sse.close();
    }

    const state = JSON.parse((await request(port, '/api/state')).body);
    expect(state.kinds.map((k: { name: string }) => k.name)).toContain('pm25');
    expect(state.devices.map((d: { id: string }) => d.id)).toEqual(['lamp-1', 'lamp-2']);
    expect(state.devices[0].location).toEqual({ lat: 51.05, lon: 3.72 });
    expect(state.devices[1]).toMatchObject({ lastSeen: null, availability: 'unknown' });
    expect(state.gateway).toMatchObject({ gateway: 'gw-page', status: 'ok', mqtt: { connected: true }, radios: [{ radio: 'page-radio', up: true }], uplinks: 2, framesReceived: 2, downlinksFromPage: false });
    expect(state.gateway.outbox).toHaveProperty('depth');

    const hist = JSON.parse((await request(port, '/api/devices/lamp-1/history')).body);
    expect(hist.t.length).toBeGreaterThanOrEqual(1);
    expect(hist.v[hist.series.indexOf('pm25')].at(-1)).toBe(15);
    expect((await request(port, '/api/devices/nobody/history')).status).toBe(404);

    const post = await request(port, '/api/devices/lamp-1/downlink', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: '{"command":"request_status"}' });
    expect(post.status).toBe(403);
    expect(JSON.parse(post.body).error).toMatch(/no page\.token/);
    // Read-only: nothing else but that POST.
    expect((await request(port, '/api/state', { method: 'DELETE' })).status).toBe(405);
    // A DNS-rebinding page reaches the loopback listener under its own name: refused.
    const rebound = await request(port, '/api/state', { headers: { host: 'evil.example:9110' } });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/bound to loopback/);
  });

  it('tells an open page when a silent device goes offline', async () => {
    const dev = newDevice('lamp-1');
    const { gw, radio } = await gateway({}, [dev], { availability: { offlineAfterS: 1, checkIntervalS: 1 } });
    const sse = events(gw.pagePort!);
    try {
      await waitUntil(() => sse.got.some((e) => e.event === 'gateway'), 10_000, 'a gateway event on connect');
      rx(radio, dev, 1, { tempDeciC: 200 });
      await waitUntil(() => sse.got.some((e) => e.event === 'device' && (e.data as { availability: string }).availability === 'online'), 10_000, 'online');
      const off = await waitUntil(() => sse.got.find((e) => e.event === 'device' && (e.data as { availability: string }).availability === 'offline'), 15_000, 'offline without an uplink');
      expect(off.data).toMatchObject({ id: 'lamp-1', fcnt: 1, received: 1 });
    } finally {
      sse.close();
    }
  });

  it('accepts a downlink only with the configured token, on a listener of its own', async () => {
    const dev = newDevice('lamp-1');
    const { gw } = await gateway({ token: TOKEN, bind: '127.0.0.1:0', mapTiles: 'https://tiles.example.org/{z}/{x}/{y}.png', mapAttribution: '© tiles.example.org' }, [dev]);
    const port = gw.pagePort!;
    // Map tiles, when configured, are the one origin besides its own the page may load images from.
    const index = await request(port, '/');
    expect(index.headers['content-security-policy']).toContain("img-src 'self' data: https://tiles.example.org;");
    expect(JSON.parse((await request(port, '/api/state')).body).map).toEqual({ tiles: 'https://tiles.example.org/{z}/{x}/{y}.png', attribution: '© tiles.example.org' });
    expect(port).not.toBe(gw.httpPort);
    expect((await request(gw.httpPort!, '/')).status).toBe(404); // not on the gateway HTTP server
    const post = (headers: Record<string, string>, body = '{"id":"p-1","command":"set_interval","seconds":600}') =>
      request(port, '/api/devices/lamp-1/downlink', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    const none = await post({});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm="kerb"/);
    expect(JSON.parse(none.body).error).toMatch(/Authorization: Bearer/);
    const wrong = await post({ authorization: `Bearer ${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(JSON.parse(wrong.body).error).toMatch(/wrong token/);
    expect((await post({ authorization: `Basic ${TOKEN}` })).status).toBe(401);

    expect((await post({ authorization: `Bearer ${TOKEN}` }, '{"command":"set_interval","seconds":1}')).status).toBe(400);
    expect((await post({ authorization: `Bearer ${TOKEN}` }, 'not json')).status).toBe(400);
    const unknown = await request(port, '/api/devices/lamp-9/downlink', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"command":"request_status"}' });
    expect(unknown.status).toBe(404);

    const ok = await post({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(202);
    expect(JSON.parse(ok.body)).toEqual({ id: 'p-1', device: 'lamp-1', state: 'queued' });
    const state = await waitUntil(async () => {
      const s = JSON.parse((await request(port, '/api/state')).body);
      return s.gateway.downlinks.length ? s : undefined;
    }, 10_000, 'the queued downlink in the gateway state');
    expect(state.gateway.downlinksFromPage).toBe(true);
    expect(state.gateway.downlinks[0]).toMatchObject({ id: 'p-1', device: 'lamp-1', state: 'queued' });
  });
});
