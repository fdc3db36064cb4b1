// The channel model against theory, not against itself.
import { describe, it, expect } from 'vitest';
import { Fleet } from '../../sim/fleet.ts';
import { parseScenario, loadScenario } from '../../sim/scenario.ts';
import { Medium, BOR_2016, rangeM, sensitivityDbm } from '../../sim/medium.ts';
import type { AirFrame } from '../../sim/medium.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { Prng } from '../../sim/prng.ts';
import { LineTrace } from '../../sim/trace.ts';

const ALOHA = new URL('../../sim/scenarios/aloha-validation.yaml', import.meta.url).pathname;

describe('pure ALOHA (capture off)', () => {
  // Offered load G = (frames per second on the channel) × (time on air). For pure ALOHA with Poisson
  // arrivals a frame survives iff no other frame starts within ±ToA of it: P = e^(−2G)
  // (Abramson 1970). The frame length is fixed here, as the theory assumes.
  const base = loadScenario(ALOHA);
  const nodes = 400;
  const toaMs = Fleet.toaMs(7, 25); // 25-byte PHYPayload: 13 bytes LoRaWAN overhead + 12-byte kerb readings
  for (const G of [0.05, 0.15, 0.3, 0.5, 0.8]) {
    it(`delivery ratio follows e^(-2G) at G = ${G}`, () => {
      const s = structuredClone(base);
      s.nodes.count = nodes;
      s.nodes.intervalS = (nodes * toaMs) / G / 1000;
      const expectedFrames = 25_000;
      s.durationH = (expectedFrames * toaMs) / G / 3600_000;
      const fleet = new Fleet(s);
      fleet.runSync();
      let sent = 0;
      let delivered = 0;
      for (let i = 0; i < nodes; i++) {
        sent += fleet.stats.sent[i]!;
        delivered += fleet.stats.delivered[i]!;
      }
      // Frames that were still on the air at the end are counted as sent but not resolved: ignore them.
      const resolved = fleet.stats.multiGw.reduce((a, b) => a + b, 0); // every frame that ended, by gateways that decoded it
      expect(sent - resolved).toBeLessThanOrEqual(nodes);
      const p = delivered / resolved;
      const theory = Math.exp(-2 * G);
      // Sampling error: collisions come in pairs, so use twice the binomial variance; 4 σ bounds.
      const sigma = Math.sqrt((2 * theory * (1 - theory)) / resolved);
      expect(resolved).toBeGreaterThan(expectedFrames * 0.9);
      expect(Math.abs(p - theory)).toBeLessThan(4 * sigma + 0.005);
      // Every undelivered frame was lost to a collision (all nodes sit beside the gateway).
      expect(fleet.stats.outOfRange.reduce((a, b) => a + b, 0)).toBe(0);
    });
  }

  it('capture on delivers more than pure ALOHA at the same load (sanity of the switch)', () => {
    const s = structuredClone(base);
    s.nodes.count = 200;
    s.area = { layout: 'random', widthM: 160, heightM: 160 }; // spread received powers (all in SF7 range) so capture can act
    s.nodes.intervalS = (200 * toaMs) / 0.5 / 1000;
    s.durationH = 1;
    const off = new Fleet(s);
    off.runSync();
    const on = new Fleet({ ...s, radio: { ...s.radio, capture: true } });
    on.runSync();
    const ratio = (f: Fleet) => f.stats.delivered.reduce((a, b) => a + b, 0) / f.stats.sent.reduce((a, b) => a + b, 0);
    expect(ratio(on)).toBeGreaterThan(ratio(off) + 0.05);
  });
});

describe('time on air of frames on the medium', () => {
  // Published values (125 kHz, CR 4/5, 8-symbol preamble, explicit header, CRC on):
  //  - Semtech AN1200.13 / SX1276 datasheet §4.1.1.6 formula, as public LoRa airtime calculators
  //    evaluate it: SF7 14 B → 46.336 ms, SF8 25 B → 113.152 ms.
  //  - LoRaWAN EU868 DR0 maximum frame (51-byte application payload + 13 = 64 B) at SF12 with
  //    low-data-rate optimisation → 2793.472 ms (the figure in public airtime calculators).
  //  - SF9 25 B → 205.824 ms, SF10 25 B → 411.648 ms, SF11 25 B → 823.296 ms (LDRO on), SF12 25 B →
  //    1482.752 ms (LDRO on), SF7 25 B → 61.696 ms: from the AN1200.13 formula, matching the public
  //    calculator at avbentem.github.io/airtime-calculator.
  const cases: [number, number, number][] = [
    [7, 14, 46.336], [8, 25, 113.152], [12, 64, 2793.472], [7, 25, 61.696], [9, 25, 205.824], [10, 25, 411.648], [11, 25, 823.296], [12, 25, 1482.752],
  ];
  for (const [sf, len, ms] of cases) {
    it(`SF${sf}, ${len} bytes → ${ms} ms`, () => {
      const clock = new VirtualClock();
      const m = new Medium(clock, { shadowing: false }, new Prng(1));
      m.addGateway({ id: 'g', pos: { x: 0, y: 0 }, antennaGainDb: 0, freqs: [868100000], sfs: [sf], txPowerDbm: 14 });
      const n = m.addNode({ pos: { x: 10, y: 0 }, antennaGainDb: 0 });
      let frame: AirFrame | undefined;
      m.observer = { uplinkEnd: (f) => (frame = f) };
      m.radio(n).transmit({ freqHz: 868100000, sf, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: false }, new Uint8Array(len), () => {});
      clock.runUntil(10_000);
      expect(frame).toBeDefined();
      expect(frame!.endMs - frame!.startMs).toBeCloseTo(ms, 3);
    });
  }
});

describe('range per SF follows from path loss and sensitivity', () => {
  // Without shadowing a frame is received iff PL(d) ≤ Ptx + gains − S(SF): the range is
  // d = 40 m · 10^((Ptx − S − 127.41) / 20.8) (Bor et al. 2016 with SX1272 sensitivities).
  const expected: Record<number, number> = {};
  for (let sf = 7; sf <= 12; sf++) expected[sf] = 40 * Math.pow(10, (14 - sensitivityDbm(sf, 125000) - 127.41) / 20.8);

  it('matches the closed form (SF7 ≈ 129 m … SF12 ≈ 545 m at 14 dBm, 0 dBi)', () => {
    expect(expected[7]).toBeCloseTo(129.1, 0);
    expect(expected[12]).toBeCloseTo(544.7, 0);
    for (let sf = 7; sf <= 12; sf++) expect(rangeM(BOR_2016, sf, 125000, 14, 0)).toBeCloseTo(expected[sf]!, 6);
  });

  for (let sf = 7; sf <= 12; sf++) {
    it(`SF${sf}: delivered just inside the range, lost just outside (no shadowing); ~50 % at the range with shadowing`, () => {
      const r = expected[sf]!;
      const run = (distances: number[], shadowing: boolean, repeats: number) => {
        const clock = new VirtualClock();
        const m = new Medium(clock, { shadowing, capture: true }, new Prng(sf));
        m.addGateway({ id: 'g', pos: { x: 0, y: 0 }, antennaGainDb: 0, freqs: [868100000], sfs: [sf], txPowerDbm: 14 });
        const nodes = distances.map((d) => m.addNode({ pos: { x: d, y: 0 }, antennaGainDb: 0 }));
        const ok = new Array<number>(distances.length).fill(0);
        m.observer = { uplinkEnd: (f, rx) => { if (rx.some((x) => x.ok)) ok[nodes.indexOf(f.src)]!++; } };
        const toa = 3000;
        for (let k = 0; k < repeats; k++) {
          nodes.forEach((n, i) => clock.setTimeout(() => m.radio(n).transmit({ freqHz: 868100000, sf, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: false }, new Uint8Array(20), () => {}), k * toa * distances.length + i * toa));
        }
        clock.runUntil(repeats * toa * distances.length + 10_000);
        return ok;
      };
      expect(run([r * 0.98, r * 1.02], false, 3)).toEqual([3, 0]);
      const atRange = run([r], true, 400)[0]! / 400;
      expect(atRange).toBeGreaterThan(0.4);
      expect(atRange).toBeLessThan(0.6);
    });
  }
});

describe('determinism', () => {
  const hashRun = async (seed: number, mode: 'simple' | 'fast' = 'simple') => {
    const { createHash } = await import('node:crypto');
    const h = createHash('sha256');
    const s = parseScenario({
      name: 'det', seed, duration: '1h', nodes: { count: 60, intervalS: 120, mode }, area: { layout: 'random', widthM: 500, heightM: 500 },
      faults: [{ kind: 'stuck', sensor: 'pm', fraction: 0.2, fromH: 0.2, toH: 0.6 }, { kind: 'dropout', sensor: 'climate', fraction: 0.2, fromH: 0.3, toH: 0.5 }, { kind: 'offline', nodes: [3], fromH: 0.1, toH: 0.4 }],
    });
    const f = new Fleet(s, { sinks: [new LineTrace((l) => h.update(l + '\n'))] });
    f.runSync();
    return h.digest('hex');
  };
  it('same seed → byte-identical trace; another seed → a different one', async () => {
    const a = await hashRun(5);
    const b = await hashRun(5);
    const c = await hashRun(6);
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });
  it('also with the node application (fast mode)', async () => {
    const a = await hashRun(9, 'fast');
    expect(await hashRun(9, 'fast')).toBe(a);
    expect(await hashRun(9)).not.toBe(a);
  });
});
