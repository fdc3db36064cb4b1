// Medium rules one at a time, with shadowing off so received powers are exact.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Medium, meanPathLossDb, BOR_2016, symbolMs } from '../../sim/medium.ts';
import type { GatewayReception, AirFrame } from '../../sim/medium.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { Prng } from '../../sim/prng.ts';
import { parseScenario } from '../../sim/scenario.ts';
import { Fleet } from '../../sim/fleet.ts';
import { RADIO_OK } from '../../shared/hal/radio.ts';

const UP = { freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: false };

function setup(capture: boolean, distances: number[], gateways: { x: number }[] = [{ x: 0 }]) {
  const clock = new VirtualClock();
  const m = new Medium(clock, { shadowing: false, capture }, new Prng(1));
  for (const g of gateways) m.addGateway({ id: 'g', pos: { x: g.x, y: 0 }, antennaGainDb: 0, freqs: [868100000, 868300000], sfs: [7, 8], txPowerDbm: 14 });
  const nodes = distances.map((d) => m.addNode({ pos: { x: d, y: 0 }, antennaGainDb: 0 }));
  const out = new Map<number, GatewayReception[]>();
  m.observer = { uplinkEnd: (f: AirFrame, rx) => out.set(f.src, rx) };
  const send = (n: number, atMs: number, len = 20, p = UP) => clock.setTimeout(() => m.radio(nodes[n]!).transmit(p, new Uint8Array(len), () => {}), atMs);
  return { clock, m, nodes, out, send };
}

describe('capture effect', () => {
  // Node 0 at 10 m, node 1 at 50 m: 10·2.08·log10(5) = 14.5 dB apart at the gateway.
  it('the stronger frame survives when it started first; the weaker is lost', () => {
    const s = setup(true, [10, 50]);
    s.send(0, 0);
    s.send(1, 10);
    s.clock.runUntil(1000);
    expect(s.out.get(0)![0]!.ok).toBe(true);
    expect(s.out.get(1)![0]).toMatchObject({ ok: false, reason: 'collision' });
  });

  it('a stronger frame arriving during the weaker one\'s payload is lost too (no re-lock after the header)', () => {
    const s = setup(true, [10, 50]);
    s.send(1, 0);
    s.send(0, 30); // preamble of SF7 is 12.25 symbols ≈ 12.5 ms
    s.clock.runUntil(1000);
    expect(s.out.get(0)![0]).toMatchObject({ ok: false, reason: 'collision' });
    expect(s.out.get(1)![0]).toMatchObject({ ok: false, reason: 'collision' });
  });

  it('a stronger frame arriving during the weaker one\'s preamble captures the receiver', () => {
    const s = setup(true, [10, 50]);
    s.send(1, 0);
    s.send(0, 5 * symbolMs(7, 125000));
    s.clock.runUntil(1000);
    expect(s.out.get(0)![0]!.ok).toBe(true);
    expect(s.out.get(1)![0]!.ok).toBe(false);
  });

  it('within 6 dB both are lost; with capture off both are lost whatever the powers', () => {
    const near = setup(true, [30, 40]); // 2.6 dB apart
    near.send(0, 0);
    near.send(1, 10);
    near.clock.runUntil(1000);
    expect(near.out.get(0)![0]!.ok).toBe(false);
    expect(near.out.get(1)![0]!.ok).toBe(false);
    const off = setup(false, [10, 50]);
    off.send(0, 0);
    off.send(1, 10);
    off.clock.runUntil(1000);
    expect(off.out.get(0)![0]!.ok).toBe(false);
    expect(off.out.get(1)![0]!.ok).toBe(false);
  });

  it('different SF or channel do not collide', () => {
    const s = setup(false, [10, 50]);
    s.send(0, 0);
    s.send(1, 10, 20, { ...UP, sf: 8 });
    s.clock.runUntil(2000);
    expect(s.out.get(0)![0]!.ok).toBe(true);
    expect(s.out.get(1)![0]!.ok).toBe(true);
  });
});

describe('gateways', () => {
  it('several gateways hear one frame, each with its own RSSI; collisions are judged per gateway', () => {
    // Node 0 near gateway A, node 1 near gateway B: each gateway captures its near node.
    const s = setup(true, [5, 95], [{ x: 0 }, { x: 100 }]); // both gateways hear both nodes
    s.send(0, 0);
    s.send(1, 5);
    s.clock.runUntil(1000);
    const byGw = (rx: GatewayReception[]) => [0, 1].map((g) => rx.find((r) => r.gw === g)!);
    const a = byGw(s.out.get(0)!);
    const b = byGw(s.out.get(1)!);
    expect(a.map((r) => r.ok)).toEqual([true, false]);
    expect(b.map((r) => r.ok)).toEqual([false, true]);
    expect(a[0]!.rssiDbm).toBeCloseTo(14 - meanPathLossDb(BOR_2016, 5), 6);
    expect(a[1]!.rssiDbm).toBeCloseTo(14 - meanPathLossDb(BOR_2016, 95), 6);
  });

  it('is half-duplex: an uplink overlapping its own downlink is lost there; the downlink reaches a listening node', () => {
    const s = setup(true, [10, 20]);
    let got: number | undefined;
    // Node 1 listens on RX1 parameters (inverted IQ) when the gateway transmits.
    s.clock.setTimeout(() => s.m.radio(s.nodes[1]!).receive({ ...UP, invertIq: true }, 50, (st) => (got = st)), 99);
    s.clock.setTimeout(() => s.m.gatewayTransmit(0, { ...UP, invertIq: true }, new Uint8Array(12), 100, s.nodes[1]!), 0);
    s.send(0, 110);
    s.clock.runUntil(2000);
    expect(s.out.get(0)![0]).toMatchObject({ ok: false, reason: 'gw_busy' });
    expect(got).toBe(RADIO_OK);
  });

  it('a gateway that does not listen on a channel does not hear it', () => {
    const s = setup(true, [10]);
    s.send(0, 0, 20, { ...UP, freqHz: 868500000 });
    s.clock.runUntil(1000);
    expect(s.out.get(0)![0]).toMatchObject({ ok: false, reason: 'not_listening' });
  });
});

describe('positions from a GeoJSON file of lamp posts', () => {
  it('places nodes on the lamp posts and the gateway on its feature, keeping their coordinates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kerb-geo-'));
    try {
      const lamps = [[3.7200, 51.0500], [3.7210, 51.0500], [3.7220, 51.0505], [3.7200, 51.0510], [3.7215, 51.0512]];
      const fc = {
        type: 'FeatureCollection',
        features: [
          ...lamps.map((c, i) => ({ type: 'Feature', properties: { name: `lamp ${i}` }, geometry: { type: 'Point', coordinates: c } })),
          { type: 'Feature', properties: { kind: 'gateway' }, geometry: { type: 'Point', coordinates: [3.7210, 51.0506] } },
        ],
      };
      writeFileSync(join(dir, 'lamps.geojson'), JSON.stringify(fc));
      const sc = parseScenario({ name: 'geo', seed: 1, duration: '10m', area: { layout: 'geojson', file: 'lamps.geojson' }, nodes: { count: 5, mode: 'simple' } }, dir);
      const f = new Fleet(sc);
      expect(f.gateways).toHaveLength(1);
      for (let i = 0; i < 5; i++) {
        expect(f.devices[i]!.lon).toBeCloseTo(lamps[i]![0]!, 5);
        expect(f.devices[i]!.lat).toBeCloseTo(lamps[i]![1]!, 5);
      }
      expect(f.gateways[0]!.lon).toBeCloseTo(3.721, 5);
      // 0.001° of longitude at 51° N is ~70 m.
      expect(f.devices[1]!.pos.x - f.devices[0]!.pos.x).toBeCloseTo(70, -1);
      expect(() => parseScenario({ name: 'x', seed: 1, nodes: { cuont: 3 } })).toThrow(/nodes\.cuont: unknown key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
