// The gateway page end to end in a real headless Chromium (Debian's `chromium`, driven by
// playwright-core), against the real gateway fed by the simulated street: the page loads with no
// script or policy error, a device appears, its readings update live without a reload
// (server-sent events), the map and the 24 h charts are drawn, a downlink without the token is
// refused, and screenshots are kept under test-output/. Without Chromium the test is skipped;
// with CI set it fails instead.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadScenario } from '../../sim/scenario.ts';
import { Fleet } from '../../sim/fleet.ts';
import { runWithGateway } from '../../sim/attach.ts';
import { startGateway, type GatewayHandle } from '../../gateway/main.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = path.join(ROOT, 'test-output');
const CHROMIUM = process.env.KERB_CHROMIUM ?? '/usr/bin/chromium';
const missing = fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (Debian: apt-get install chromium; or set KERB_CHROMIUM)`;
if (missing && !process.env.CI) console.warn(`test/gateway/page-chromium: skipped, ${missing}`);

const TOKEN = 'chromium-test-token-0123456789abcdef';

/** What the functions run in the page touch (the Node tsconfig has no DOM types); `globalThis` is the window there. */
interface InPage {
  kerbLoaded?: number;
  document: {
    body: { dataset: Record<string, string | undefined> };
    querySelectorAll(selector: string): Iterable<{ getAttribute(name: string): string | null }>;
  };
}

describe.skipIf(missing !== null && !process.env.CI)('the gateway page in headless Chromium', () => {
  let browser: Browser;
  let page: Page;
  let fleet: Fleet;
  let run: Promise<unknown>;
  let url = '';
  const problems: string[] = [];
  // A tile server of another origin (the page must load its tiles under its policy).
  const tilesAsked: string[] = [];
  const tiles = http.createServer((req, res) => {
    tilesAsked.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/svg+xml' });
    res.end('<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="#e8ece4" stroke="#c9d1c2"/></svg>');
  });

  beforeAll(async () => {
    if (missing) throw new Error(`CI needs Chromium for the page test: ${missing}`);
    fs.mkdirSync(OUT, { recursive: true });
    await new Promise<void>((r) => tiles.listen(0, '127.0.0.1', () => r()));
    const tileUrl = `http://localhost:${(tiles.address() as AddressInfo).port}/{z}/{x}/{y}.svg`;
    const sc = loadScenario(path.join(ROOT, 'sim/scenarios/quickstart.yaml'));
    sc.start = new Date().toISOString();
    sc.durationH = 24 * 366; // until the test ends it
    fleet = new Fleet(sc, {});
    let started!: (g: GatewayHandle) => void;
    const ready = new Promise<GatewayHandle>((r) => (started = r));
    let gw: GatewayHandle | undefined;
    // A minute of the street every wall second, so uplinks come every few seconds.
    run = runWithGateway(fleet, {
      startGateway: (async (cfg: never) => (gw = await startGateway(cfg))) as never,
      paced: 60,
      drainTimeoutMs: 5000,
      gatewayConfig: { http: { enabled: true, port: 0 }, page: { token: TOKEN, mapTiles: tileUrl, mapAttribution: 'test tiles' }, broker: { embedded: 'always', port: 0 } },
      onStarted: () => started(gw!),
    });
    run.catch(() => {});
    const g = await ready;
    url = `http://127.0.0.1:${g.pagePort}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => {
      if (!r.url().endsWith('/api/events')) problems.push(`request failed: ${r.url()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (fleet) (fleet as { durationMs: number }).durationMs = fleet.clock.now();
    await run;
    tiles.close();
  }, 60_000);

  it('shows a device, updates it live, draws the map and charts, and refuses a downlink without the token', async () => {
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.title()).toBe('kerb gateway');
    await page.evaluate(() => ((globalThis as unknown as InPage).kerbLoaded = 1));

    // A device appears: a row with a frame counter and readings in human units.
    await page.waitForSelector('#devices tr[data-fcnt]:not([data-fcnt=""])', { timeout: 60_000 });
    expect(await page.locator('#devices tbody tr').count()).toBe(25);
    const first = await page.locator('#devices tr[data-fcnt]:not([data-fcnt=""])').first();
    const cell = await first.locator('td[data-kind="temperature"]').textContent();
    expect(cell).toMatch(/^-?\d+\.\d$/);
    await expect.poll(() => page.locator('#live').textContent()).toBe('● live');

    // Live: a later uplink changes a row (its frame counter and readings) without a reload.
    const before = await page.$$eval('#devices tr[data-id]', (rows) => Object.fromEntries(rows.map((r) => [r.getAttribute('data-id'), r.getAttribute('data-fcnt')])));
    const eventsBefore = Number(await page.evaluate(() => (globalThis as unknown as InPage).document.body.dataset.events ?? '0'));
    const changed = await page.waitForFunction(
      (b: Record<string, string | null>) => {
        for (const r of (globalThis as unknown as InPage).document.querySelectorAll('#devices tr[data-id]')) {
          const id = r.getAttribute('data-id')!;
          const f = r.getAttribute('data-fcnt');
          if (f && b[id] && f !== b[id]) return id;
        }
        return false;
      },
      before,
      { timeout: 60_000 },
    );
    const id = (await changed.jsonValue()) as string;
    expect(Number(await page.evaluate(() => (globalThis as unknown as InPage).document.body.dataset.events))).toBeGreaterThan(eventsBefore);
    expect(await page.evaluate(() => (globalThis as unknown as InPage).kerbLoaded)).toBe(1);
    expect(await page.locator(`#devices tr[data-id="${id}"] td[data-kind="pm25"]`).textContent()).toMatch(/^\d+\.\d$/);

    // The gateway panel and the map.
    await expect.poll(() => page.locator('#gateway dd[data-key="MQTT broker"]').textContent()).toMatch(/^connected · mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(await page.locator('#radios li').first().textContent()).toMatch(/▲ up udp:[0-9a-f]{16}/); // the quickstart's simulated packet forwarder, by its gateway EUI
    expect(await page.locator('#map-svg a.map-device').count()).toBe(25);
    expect(await page.locator('#map-svg a.map-device[data-freshness="fresh"]').count()).toBeGreaterThan(0);
    // Tiles at one zoom level, fetched by the browser from the tile server, under the devices.
    expect(await page.locator('#map-svg image.tile').count()).toBeGreaterThan(0);
    await expect.poll(() => tilesAsked.length).toBeGreaterThan(0);
    expect(new Set(tilesAsked.map((u) => u.split('/')[1])).size).toBe(1);
    await page.screenshot({ path: path.join(OUT, 'page-overview.png') });
    await page.screenshot({ path: path.join(OUT, 'page-full.png'), fullPage: true });

    // The device view: facts and a chart per reading.
    await page.click(`#devices tr[data-id="${id}"] a`);
    await page.waitForSelector('#device:not([hidden]) .chart[data-series="temperature"] svg circle');
    expect(await page.locator('#dev-title').textContent()).toContain(id);
    expect(await page.locator('.chart').count()).toBeGreaterThanOrEqual(8);

    // A downlink without the token is refused, and the page says why.
    expect(await page.isVisible('#send-seconds')).toBe(false); // only for set_interval
    await page.fill('#send-token', '');
    await page.click('#send button[type="submit"]');
    await page.waitForSelector('#send-result[data-status]');
    expect(await page.getAttribute('#send-result', 'data-status')).toBe('401');
    expect(await page.locator('#send-result').textContent()).toMatch(/needs the page token/);
    await page.screenshot({ path: path.join(OUT, 'page-device.png'), fullPage: true });

    // The 401 is the only failure the browser saw (Chromium logs it as a failed resource).
    expect(problems.filter((p) => !/401/.test(p))).toEqual([]);
  }, 180_000);
});
