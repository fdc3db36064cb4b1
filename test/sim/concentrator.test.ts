// The gateway receiver model: Croce et al.'s SIR thresholds between spreading factors, the
// concentrator's demodulator limit and half-duplex, the scenario switches and what the summary
// records. Shadowing is off so received powers are exact.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { Medium, meanPathLossDb, BOR_2016, sensitivityDbm } from '../../sim/medium.ts';
import type { GatewayReception, AirFrame } from '../../sim/medium.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { Prng } from '../../sim/prng.ts';
import { ConcentratorReceivers, CROCE_2018_SIR_DB, sirThresholdDb, coSfThresholdDb } from '../../sim/concentrator.ts';
import type { Orthogonality } from '../../sim/concentrator.ts';
import { parseScenario, loadScenario, ScenarioError } from '../../sim/scenario.ts';
import { Fleet } from '../../sim/fleet.ts';
import { summarize } from '../../sim/summary.ts';
import { channelPlan } from '../../sim/channel-plan.ts';

const VECTOR = JSON.parse(readFileSync(new URL('../vectors/croce-2018-sir.json', import.meta.url), 'utf8')) as { sfs: number[]; sirDb: number[][] };
const CH8 = channelPlan('EU868')!.concentrator.map((c) => c.freqHz);
const D = 50; // every node 50 m from the gateway: the same path loss for all
const LOSS = meanPathLossDb(BOR_2016, D);

function setup(o: { orthogonality?: Orthogonality; demodulators?: number } = {}) {
  const orth = o.orthogonality ?? 'croce2018';
  const clock = new VirtualClock();
  const m = new Medium(clock, { shadowing: false, capture: true, coSfThresholdDb: coSfThresholdDb(orth) }, new Prng(1));
  m.addGateway({ id: 'g', pos: { x: 0, y: 0 }, antennaGainDb: 0, freqs: CH8, sfs: [7, 8, 9, 10, 11, 12], txPowerDbm: 14 });
  const rx = new ConcentratorReceivers({ demodulators: [o.demodulators ?? 8], orthogonality: orth, transmitting: (g, t) => m.gatewayTransmittingAt(g, t), listens: (g, f, sf) => m.gatewayListens(g, f, sf) });
  m.receiver = rx;
  const nodes: number[] = [];
  const out = new Map<number, GatewayReception>();
  m.observer = { uplinkEnd: (f: AirFrame, r) => out.set(f.src, r[0]!) };
  /** Node k sends at atMs with SF sf so that it arrives at the gateway with rxDbm. */
  const send = (k: number, atMs: number, sf: number, rxDbm: number, freqHz = 868100000) => {
    while (nodes.length <= k) nodes.push(m.addNode({ pos: { x: D, y: 0 }, antennaGainDb: 0 }));
    clock.setTimeout(() => m.radio(nodes[k]!).transmit({ freqHz, sf, bwHz: 125000, cr: 1, powerDbm: rxDbm + LOSS, invertIq: false }, new Uint8Array(20), () => {}), atMs);
  };
  return { clock, m, rx, out, send };
}

describe('Croce et al. 2018 SIR thresholds', () => {
  it('are the published Table I', () => {
    expect(VECTOR.sfs).toEqual([7, 8, 9, 10, 11, 12]);
    expect(CROCE_2018_SIR_DB.map((r) => [...r])).toEqual(VECTOR.sirDb);
    for (const [i, sf] of VECTOR.sfs.entries()) for (const [j, isf] of VECTOR.sfs.entries()) expect(sirThresholdDb('croce2018', sf, isf)).toBe(VECTOR.sirDb[i]![j]);
  });

  it('have the paper\'s shape: 1 dB co-SF rejection, every other SF tolerated above it, and the higher the wanted SF the more it tolerates', () => {
    for (let i = 0; i < 6; i++) {
      expect(VECTOR.sirDb[i]![i]).toBe(1);
      for (let j = 0; j < 6; j++) if (i !== j) expect(VECTOR.sirDb[i]![j]).toBeLessThan(0);
    }
    for (let j = 0; j < 6; j++) {
      const col = VECTOR.sirDb.map((r) => r[j]!).filter((_, i) => i !== j);
      for (let k = 1; k < col.length; k++) expect(col[k]).toBeLessThanOrEqual(col[k - 1]!);
    }
    // Ideal orthogonality: the medium's 6 dB same-SF rule, other SFs never interfere.
    expect(sirThresholdDb('ideal', 9, 9)).toBe(6);
    expect(sirThresholdDb('ideal', 7, 12)).toBe(-Infinity);
  });
});

describe('two transmitters at the thresholds (one gateway, same channel)', () => {
  const wantedDbm = sensitivityDbm(12, 125000) + 3;
  // Wanted SF12 starts first; an SF7 interferer d dB stronger overlaps its payload. Table I: −25 dB.
  for (const [d, ok] of [[24.5, true], [25.5, false]] as const) {
    it(`SF12 under an SF7 interferer ${d} dB stronger (SIR ${-d} dB, threshold −25): ${ok ? 'decoded' : 'lost'}`, () => {
      const s = setup();
      s.send(0, 0, 12, wantedDbm);
      s.send(1, 300, 7, wantedDbm + d);
      s.clock.runUntil(5000);
      expect(s.out.get(0)!.ok).toBe(ok);
      if (!ok) expect(s.out.get(0)!.reason).toBe('collision');
      expect(s.out.get(1)!.ok).toBe(true); // the SF7 frame needs only −9 dB over SF12, and has +d
      expect(s.rx.lostCrossSf[0]).toBe(ok ? 0 : 1);
    });
  }

  // The asymmetry of Table I: SF7 wanted, SF12 interferer: −9 dB.
  for (const [d, ok] of [[8.5, true], [9.5, false]] as const) {
    it(`SF7 under an SF12 interferer ${d} dB stronger (threshold −9): ${ok ? 'decoded' : 'lost'}`, () => {
      const s = setup();
      const p = sensitivityDbm(7, 125000) + 3;
      s.send(1, 0, 12, p + d);
      s.send(0, 200, 7, p);
      s.clock.runUntil(5000);
      expect(s.out.get(0)!.ok).toBe(ok);
      expect(s.out.get(1)!.ok).toBe(true);
    });
  }

  it('with ideal orthogonality the SF7 interferer never hurts, even 40 dB stronger', () => {
    const s = setup({ orthogonality: 'ideal' });
    s.send(0, 0, 12, wantedDbm);
    s.send(1, 300, 7, wantedDbm + 40);
    s.clock.runUntil(5000);
    expect(s.out.get(0)!.ok).toBe(true);
  });

  // Same SF: the wanted frame started first (preamble locked); Table I diagonal 1 dB vs the usual 6 dB.
  for (const [orth, sir, ok] of [['croce2018', 1.5, true], ['croce2018', 0.5, false], ['ideal', 5.5, false], ['ideal', 6.5, true]] as const) {
    it(`SF9 over an SF9 interferer at SIR ${sir} dB, ${orth}: ${ok ? 'captured' : 'lost'}`, () => {
      const s = setup({ orthogonality: orth });
      const p = sensitivityDbm(9, 125000) + 10;
      s.send(0, 0, 9, p);
      s.send(1, 50, 9, p - sir);
      s.clock.runUntil(5000);
      expect(s.out.get(0)!.ok).toBe(ok);
      expect(s.out.get(1)!.ok).toBe(false);
    });
  }
});

describe('demodulators and half-duplex', () => {
  it('an SX1301-class concentrator demodulates 8 packets at once; the 9th is lost and counted, a later one gets a demodulator again', () => {
    const s = setup({ orthogonality: 'ideal' });
    const p = sensitivityDbm(10, 125000) + 10;
    // 8 channels × SF10, then an SF11 on the first channel (another SF: no collision), 1 ms apart.
    for (let k = 0; k < 8; k++) s.send(k, k, 10, p, CH8[k]);
    s.send(8, 8, 11, p, CH8[0]);
    // After they all ended (SF10/20 B ≈ 370 ms; SF11 ≈ 740 ms): free again.
    s.send(9, 2000, 10, p, CH8[3]);
    s.clock.runUntil(5000);
    for (let k = 0; k < 8; k++) expect(s.out.get(k)!.ok).toBe(true);
    expect(s.out.get(8)).toMatchObject({ ok: false, reason: 'no_demodulator' });
    expect(s.out.get(9)!.ok).toBe(true);
    expect(s.rx.lostNoDemod[0]).toBe(1);
  });

  it('with 2 demodulators the third overlapping packet is lost, whatever its power', () => {
    const s = setup({ orthogonality: 'ideal', demodulators: 2 });
    const p = sensitivityDbm(7, 125000) + 5;
    s.send(0, 0, 7, p, CH8[0]);
    s.send(1, 1, 7, p, CH8[1]);
    s.send(2, 2, 7, p + 40, CH8[2]);
    s.clock.runUntil(5000);
    expect([0, 1, 2].map((k) => s.out.get(k)!.ok)).toEqual([true, true, false]);
  });

  it('while the gateway transmits it hears nothing and takes no demodulator', () => {
    const s = setup({ orthogonality: 'ideal', demodulators: 1 });
    const p = sensitivityDbm(7, 125000) + 10;
    s.clock.setTimeout(() => s.m.gatewayTransmit(0, { freqHz: 869525000, sf: 9, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: true }, new Uint8Array(20), 0, -1), 0);
    s.send(0, 10, 12, sensitivityDbm(12, 125000) + 10, CH8[0]); // starts during the downlink: lost, and (1.5 s long) takes no demodulator
    s.send(1, 400, 7, p, CH8[1]); // after the downlink (SF9/20 B ≈ 190 ms)
    s.send(2, 401, 7, p, CH8[2]); // the single demodulator is busy with frame 1
    s.clock.runUntil(5000);
    expect(s.out.get(0)).toMatchObject({ ok: false, reason: 'gw_busy' });
    expect(s.out.get(1)!.ok).toBe(true);
    expect(s.out.get(2)).toMatchObject({ ok: false, reason: 'no_demodulator' });
  });
});

describe('scenario switches and the summary', () => {
  const busy = {
    name: 'busy', seed: 7, duration: '1h',
    area: { layout: 'random', widthM: 400, heightM: 400 },
    nodes: { count: 600, mode: 'simple', intervalS: 20, traffic: 'poisson', dutyCycle: false, rxWindows: false, sf: 12, channels: 'concentrator' },
    radio: { shadowing: false },
  };

  it('a concentrator under load loses packets to its demodulator limit; the ideal receiver does not; the summary says which models ran', () => {
    const ideal = new Fleet(parseScenario(busy));
    ideal.runSync();
    const a = summarize(ideal);
    const conc = new Fleet(parseScenario({ ...busy, gateways: { model: 'concentrator', channels: 'all' } }));
    conc.runSync();
    const b = summarize(conc);
    expect(a.overall.noDemodulator).toBe(0);
    expect(b.overall.noDemodulator).toBeGreaterThan(0);
    expect(b.gateways[0]!.lostNoDemodulator).toBeGreaterThan(0);
    expect(b.overall.delivered).toBeLessThan(a.overall.delivered);
    expect(a.models.gateway).toMatchObject({ model: 'ideal', demodulators: 'unlimited' });
    expect(b.models).toMatchObject({ region: 'EU868', gateway: { model: 'concentrator', demodulators: 8, channelsHz: CH8 }, radio: { orthogonality: 'ideal', coSfThresholdDb: 6, capture: true } });
    expect(b.models.nodes).toMatchObject({ bwHz: 125000, cr: '4/5', payload: 'kerb readings (FPort 1)' });
    expect(b.models.timeOnAirMs['12']).toBeGreaterThan(1000);
  });

  it('croce2018 loses frames to other SFs and records it', () => {
    const sc = parseScenario({ ...busy, nodes: { ...busy.nodes, sf: 'auto', count: 300 }, gateways: { model: 'concentrator', demodulators: 64 }, radio: { shadowing: false, orthogonality: 'croce2018' } });
    const f = new Fleet(sc);
    f.runSync();
    const s = summarize(f);
    expect(s.models.radio).toMatchObject({ orthogonality: 'croce2018', coSfThresholdDb: 1 });
    expect(s.gateways[0]!.lostOtherSf).toBeGreaterThan(0);
  });

  it('coding rate, bandwidth and payload size set the time on air; US915 uses sub-band 2 and at most SF10', () => {
    const sc = parseScenario({ ...busy, region: 'US915', nodes: { ...busy.nodes, count: 20, sf: 'auto', cr: 4, bwHz: 125000, payloadBytes: 40, channels: 'all' }, gateways: { model: 'concentrator' } });
    const f = new Fleet(sc);
    f.runSync();
    const s = summarize(f);
    expect(s.models.region).toBe('US915');
    // Sub-band 2: channels 8..15 (903.9–905.3 MHz) and 500 kHz channel 65 (904.6 MHz), RP002 §2.5.2.
    expect(s.models.gateway.channelsHz).toEqual([903900000, 904100000, 904300000, 904500000, 904700000, 904900000, 905100000, 905300000, 904600000]);
    expect(s.models.nodes.channelsHz).toEqual([903900000, 904100000, 904300000, 904500000, 904700000, 904900000, 905100000, 905300000]);
    expect(Math.max(...s.nodes.map((n) => n.sf))).toBeLessThanOrEqual(10);
    expect(s.overall.delivered).toBeGreaterThan(0);
    // 40-byte FRMPayload + 13 bytes of LoRaWAN = 53-byte PHYPayload at CR 4/8.
    const sf = String(s.nodes[0]!.sf);
    expect(s.models.timeOnAirMs[sf]).toBeCloseTo(Fleet.toaMsWith(Number(sf), 125000, 4, 53), 1);
    expect(s.models.nodes).toMatchObject({ cr: '4/8', payload: '40 bytes (FPort 2)', dutyCycle: false });
  });

  it('the shipped concentrator-capacity scenario loses packets to the demodulator limit and to other SFs', () => {
    const sc = loadScenario(new URL('../../sim/scenarios/concentrator-capacity.yaml', import.meta.url).pathname);
    sc.durationH = 0.25;
    const f = new Fleet(sc);
    f.runSync();
    const s = summarize(f);
    expect(s.models.gateway).toMatchObject({ model: 'concentrator', demodulators: 8 });
    expect(s.overall.noDemodulator).toBeGreaterThan(0);
    expect(s.gateways[0]!.lostOtherSf).toBeGreaterThan(0);
    expect(s.overall.delivered).toBeGreaterThan(s.overall.sent / 3);
  });

  it('rejects what the node application cannot do, naming the key', () => {
    expect(() => parseScenario({ name: 'x', seed: 1, nodes: { mode: 'fast', cr: 2 } })).toThrow(/nodes\.cr: only nodes\.mode simple/);
    expect(() => parseScenario({ name: 'x', seed: 1, region: 'CN470' })).toThrow(ScenarioError);
    expect(() => parseScenario({ name: 'x', seed: 1, gateways: { model: 'bridge' } })).toThrow(/gateways\.sfs: a bridge/);
    expect(() => parseScenario({ name: 'x', seed: 1, radio: { orthogonality: 'perfect' } })).toThrow(/radio\.orthogonality/);
  });
});
