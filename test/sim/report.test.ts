// The simulation report says what produced it and shows numbers a person can read: checked on
// made-up summaries (edge cases), on a real `kerb sim --report` run, and laid out by a real
// headless Chromium (Debian's `chromium`) to see that nothing drawn leaves its chart.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReport, ratioColour, fmtHours, ticks, type Series } from '../../sim/report.ts';
import type { Summary, NodeSummary } from '../../sim/summary.ts';

const KERB = fileURLToPath(new URL('../../bin/kerb.mjs', import.meta.url));

function node(i: number, x: number, y: number, ratio: number, life = 400): NodeSummary {
  const sent = 12;
  return {
    id: `sim-${String(i).padStart(5, '0')}`, devAddr: (0x26000000 + i).toString(16).toUpperCase(), x, y, lat: 51, lon: 3.7, sf: 7 + (i % 6),
    sent, delivered: Math.round(sent * ratio), ratio, collided: 0, outOfRange: sent - Math.round(sent * ratio), airtimeMs: 600, dutyCyclePct: 0.01, downlinks: 0, batteryLifeDays: life,
  };
}

function summary(over: Partial<Summary> = {}, scenario: Partial<Summary['scenario']> = {}): Summary {
  const nodes = [node(0, 0, 0, 1), node(1, 2000, 1500, 0.917), node(2, 1000, 750, 0.5, Infinity), node(3, 2000, 0, 0)];
  return {
    scenario: { name: 'edge', seed: 7, durationH: 277.778, nodes: nodes.length, gateways: 1, mode: 'simple', capture: false, intervalS: 1000, traffic: 'poisson', shadowing: true, dutyCycle: true, pathLoss: { d0M: 40, pl0Db: 127.41, gamma: 2.08, sigmaDb: 3.57 }, ...scenario },
    overall: { sent: 48, delivered: 29, deliveryRatio: 0.6042, collided: 0, outOfRange: 19, gatewayBusy: 0, noDemodulator: 0, airtimeS: 2.4, dutyCycleMeanPct: 0.01, dutyCycleMaxPct: 0.02, receptions: 29, heardByGateways: { 1: 29 }, downlinksSent: 0, downlinksDelivered: 0 },
    hourly: { sent: Array.from({ length: 278 }, () => 4), delivered: Array.from({ length: 278 }, () => 2), collided: Array.from({ length: 278 }, () => 1) },
    perSf: { 7: { nodes: 1, sent: 12, delivered: 12, deliveryRatio: 1, collided: 0, airtimeS: 1 }, 12: { nodes: 1234, sent: 123456, delivered: 123455, deliveryRatio: 0.99999, collided: 1, airtimeS: 9 } },
    gateways: [{ id: 'sim-gw-01', x: 2000, y: 1500, lat: 51, lon: 3.7, decoded: 29, collisions: 0, lostWhileTransmitting: 0, lostNoDemodulator: 0, lostOtherSf: 0, downlinks: 0 }],
    battery: { capacityMah: 2600, medianLifeDays: 400, minLifeDays: 400 },
    energy: { chargeMah: 1.2, txChargeMah: 0.1, perDeliveredMah: 0.04, txPerDeliveredUah: 3.4 },
    area: { widthM: 2000, heightM: 1500, origin: { lat: 51, lon: 3.7 } },
    notes: [],
    nodes,
    models: {
      region: 'US915',
      gateway: { model: 'concentrator', channelsHz: [902300000, 902500000], sfs: [7, 8, 9, 10], demodulators: 8, connect: 'udp', halfDuplex: true },
      radio: { capture: false, coSfThresholdDb: 1, orthogonality: 'croce2018', shadowing: true, pathLoss: { d0M: 40, pl0Db: 127.41, gamma: 2.08, sigmaDb: 3.57 } },
      nodes: { mode: 'simple', bwHz: 125000, cr: '4/5', payload: 'readings', txPowerDbm: 14, sf: 'auto', channelsHz: 'region', dutyCycle: true, adr: false, otaa: false },
      traffic: { kind: 'poisson', intervalS: 1000, jitter: null },
      timeOnAirMs: { 7: 61.7 },
    },
    faults: [{ kind: 'dropout', sensor: 'pm', nodes: ['sim-00001'], fromH: 0.5, toH: 1 }, { kind: 'offline', sensor: 'all', nodes: [], fromH: 2, toH: 3 }],
    ...over,
  };
}

const SERIES: Series[] = [{ label: 'Pressure', unit: 'hPa', decimals: 1, points: [[0, 1012.8], [1, 1013.2], [2, 1013.0]] }];

describe('report contents', () => {
  it('states the traffic model, the radio models and the faults of the run, not fixed text', () => {
    const html = renderReport(summary(), SERIES);
    expect(html).toContain('Poisson traffic, one uplink every 1000 s per node on average');
    expect(html).not.toContain('one uplink every 1000 s per node.');
    expect(html).toContain('capture effect off (any overlap on the same channel and SF loses both)');
    expect(html).toContain('log-normal shadowing σ = 3.57 dB');
    expect(html).toContain('PL(d) = 127.41 dB + 10·2.08·log10(d / 40 m)');
    expect(html).toContain('US915, concentrator gateway (2 channels, 8 demodulators)');
    expect(html).toContain('SF orthogonality croce2018 (Croce et al. 2018)');
    expect(html).toMatch(/<h2>Injected faults<\/h2>.*<td>dropout<\/td><td>pm<\/td><td>0\.5 h – 1 h<\/td><td>sim-00001<\/td>/s);
    expect(html).toContain('none (the fraction picked no node)');
    const other = renderReport(summary({}, { traffic: 'periodic', capture: true, shadowing: false, dutyCycle: false }));
    expect(other).toContain('one uplink every 1000 s per node.');
    expect(other).toContain(', no shadowing');
    expect(other).toContain('duty cycle not enforced');
    expect(other).toContain('capture effect on (≥ 1 dB stronger frame');
  });

  it('one way of writing hours, no broken numbers, plural words right', () => {
    const html = renderReport(summary(), SERIES);
    expect(html).toContain('278 h of virtual time');
    expect(html).not.toContain('277.78');
    expect(html).not.toMatch(/NaN|Infinity|undefined|>null</);
    expect(html).toContain('1 gateway,');
    expect(html).not.toContain('gateway(s)');
    expect(html).toContain('(1 node, 12/12)');
    expect(html).toContain('(1234 nodes, 123455/123456)');
    expect(fmtHours(277.778)).toBe('278 h');
    expect(fmtHours(1.5)).toBe('1.5 h');
    expect(fmtHours(0.25)).toBe('0.25 h');
  });

  it('axes are labelled between their ends, in the units of the reading', () => {
    const html = renderReport(summary(), SERIES);
    expect(html).toContain('Pressure (hPa)');
    for (const v of ['1012.8', '1012.9', '1013.0', '1013.1', '1013.2']) expect(html).toContain(`>${v}</text>`);
    expect(ticks(0, 278, 6)).toEqual([0, 50, 100, 150, 200, 250]);
    for (const h of ['0 h', '50 h', '100 h', '250 h']) expect(html).toContain(`>${h}</text>`);
    for (const p of ['0 %', '20 %', '40 %', '100 %']) expect(html).toContain(`>${p}</text>`);
  });

  it('91.7 % and 100 % delivery are different colours', () => {
    expect(ratioColour(0.917)).not.toBe(ratioColour(1));
    expect(ratioColour(0.999)).toBe(ratioColour(1));
    expect(ratioColour(0.5)).not.toBe(ratioColour(0.917));
    expect(ratioColour(Number.NaN)).toBe(ratioColour(0));
  });

  it('leaves out sections with nothing to show', () => {
    const html = renderReport(summary({ nodes: [], perSf: {}, hourly: { sent: [], delivered: [], collided: [] }, faults: [] }), []);
    expect(html).toContain('No nodes in this run.');
    for (const h of ['Traffic', 'Delivery by spreading factor', 'Injected faults', 'Environment at', 'Nodes with the lowest delivery']) expect(html).not.toContain(`<h2>${h}`);
    expect(html).not.toContain('Nodes by delivery ratio');
  });
});

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-report-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('a real run', () => {
  it('kerb sim --report writes the scenario\'s faults, its units and its models', () => {
    const file = path.join(dir, 'qs.html');
    execFileSync(process.execPath, [KERB, 'sim', '--scenario', 'sim/scenarios/quickstart.yaml', '--report', file, '--quiet'], { stdio: 'pipe', timeout: 120_000 });
    const html = fs.readFileSync(file, 'utf8');
    expect(html).toContain('25 nodes, 1 gateway, 2 h of virtual time');
    expect(html).toContain('one uplink every 300 s per node.');
    expect(html).toMatch(/<td>dropout<\/td><td>pm<\/td><td>0\.5 h – 1 h<\/td><td>sim-00004<\/td>/);
    expect(html).toMatch(/<td>stuck<\/td><td>climate<\/td><td>1 h – 2 h<\/td><td>sim-00008<\/td>/);
    for (const u of ['PM2.5 (µg/m³)', 'Temperature (°C)', 'Pressure (hPa)', 'Noise (dB(A))']) expect(html).toContain(u);
    expect(html).toContain('fast node model; EU868, concentrator gateway (8 channels, 8 demodulators); SF orthogonality croce2018');
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  }, 150_000);
});

const chromium = ['chromium', 'chromium-browser'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);
if (!chromium && !process.env.CI) console.warn('test/sim/report: Chromium layout check skipped, no chromium on PATH (Debian: apt-get install chromium)');

// Measures, in the browser, every drawn element of every chart against its SVG's viewBox.
const PROBE = `<script>addEventListener('load', () => {
  const out = [];
  document.querySelectorAll('svg').forEach((svg, i) => {
    const vb = svg.viewBox.baseVal;
    svg.querySelectorAll('text, circle, rect, path, line').forEach((el) => {
      const b = el.getBBox();
      if (b.x < vb.x - 0.5 || b.y < vb.y - 0.5 || b.x + b.width > vb.x + vb.width + 0.5 || b.y + b.height > vb.y + vb.height + 0.5)
        out.push({ svg: i, what: el.tagName + ' ' + (el.textContent || '').slice(0, 40), x: Math.round(b.x), w: Math.round(b.width), y: Math.round(b.y), h: Math.round(b.height), vw: vb.width, vh: vb.height });
    });
  });
  const pre = document.createElement('pre');
  pre.id = 'overflow';
  pre.textContent = JSON.stringify({ out, page: document.documentElement.scrollWidth - innerWidth });
  document.body.appendChild(pre);
});</script>`;

describe.skipIf(!chromium && !process.env.CI)('laid out by Chromium', () => {
  it('nothing drawn leaves its chart: map edges, long bar labels, axis ends', () => {
    const file = path.join(dir, 'probe.html');
    fs.writeFileSync(file, renderReport(summary(), SERIES).replace('</body>', `${PROBE}</body>`));
    const dom = execFileSync(chromium ?? 'chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--window-size=1100,1000', '--virtual-time-budget=5000', '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'ignore'] });
    const m = /<pre id="overflow">([^<]*)<\/pre>/.exec(dom);
    expect(m, 'the probe ran').not.toBeNull();
    const r = JSON.parse(m![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { out: unknown[]; page: number };
    expect(r.out).toEqual([]);
    expect(r.page).toBeLessThanOrEqual(0);
  }, 120_000);
});
