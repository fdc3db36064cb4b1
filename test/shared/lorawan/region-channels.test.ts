// Channel hopping (pickChannel): uniform over the enabled channels that carry the DR, never into a
// sub-band whose duty cycle is spent (EU868), and only the sub-band's channels in US915.
import { describe, expect, it } from 'vitest';
import { EU868 } from '../../../shared/lorawan/region/eu868.ts';
import { US915 } from '../../../shared/lorawan/region/us915.ts';
import { AS923_1 } from '../../../shared/lorawan/region/as923.ts';
import { nextChannelFreeMs, pickChannel, subBandMask } from '../../../shared/lorawan/region/region.ts';
import { createDutyCycleFor, eu868SubBand } from '../../../shared/lorawan/dutycycle.ts';
import { timeOnAirMs } from '../../../shared/lorawan/airtime.ts';

/** mulberry32: a small seeded PRNG, so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pearson's chi-square statistic of counts against a uniform expectation. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
}

describe('pickChannel', () => {
  it('spreads uplinks uniformly over the eight EU868 channels (chi-square, p = 0.001)', () => {
    const r = rng(1);
    const counts = new Array(8).fill(0) as number[];
    for (let i = 0; i < 80_000; i++) counts[pickChannel(EU868, EU868.kerbMask, 5, null, 0, r())]!++;
    // χ²(7 degrees of freedom) at p = 0.001 is 24.32
    expect(chiSquare(counts)).toBeLessThan(24.32);
    expect(Math.min(...counts)).toBeGreaterThan(9000);
  });

  it('uses only the default channels with the RP002 default mask', () => {
    const r = rng(2);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) seen.add(pickChannel(EU868, EU868.defaultMask, 0, null, 0, r()));
    expect([...seen].sort()).toEqual([0, 1, 2]);
  });

  it('US915 sub-band 2: DR0..DR3 on channels 8..15, DR4 on channel 65 only, uniformly', () => {
    const m = subBandMask(US915, 2)!;
    const r = rng(3);
    const counts = new Map<number, number>();
    for (let i = 0; i < 40_000; i++) {
      const ch = pickChannel(US915, m, 1, null, 0, r());
      counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    // χ²(7) at p = 0.001
    expect(chiSquare([...counts.values()])).toBeLessThan(24.32);
    for (let i = 0; i < 100; i++) expect(pickChannel(US915, m, 4, null, 0, r())).toBe(65);
    // a DR no channel carries
    expect(pickChannel(US915, m, 8, null, 0, 0.5)).toBe(-1);
    expect(nextChannelFreeMs(US915, m, 8, null, 0)).toBe(Infinity);
  });

  it('an empty mask gives no channel', () => {
    const none = new Uint8Array(AS923_1.uplinkHz.length);
    expect(pickChannel(AS923_1, none, 2, null, 0, 0.3)).toBe(-1);
    expect(nextChannelFreeMs(AS923_1, none, 2, null, 0)).toBe(Infinity);
  });

  it('rnd at the ends of [0, 1) picks the first and the last usable channel', () => {
    expect(pickChannel(EU868, EU868.kerbMask, 0, null, 0, 0)).toBe(0);
    expect(pickChannel(EU868, EU868.kerbMask, 0, null, 0, 0.999999)).toBe(7);
  });

  it('EU868 duty cycle: a node sending as often as it may never starts in a spent sub-band, and uses both 1 % sub-bands', () => {
    const dc = createDutyCycleFor(EU868.dutyCycle!);
    const r = rng(4);
    const toa = timeOnAirMs(12, 125000, 1, 25, 8, true, true); // DR0, a 12-byte kerb payload
    // Independent accounting: per sub-band, the earliest next start (start + T/dc, ETSI EN 300 220-2 off-time).
    const readyAt = new Map<number, number>();
    const airtime = new Map<number, number>();
    const perChannel = new Array(8).fill(0) as number[];
    let now = 0;
    const horizon = 48 * 3600 * 1000;
    let frames = 0;
    while (now < horizon) {
      let ch = pickChannel(EU868, EU868.kerbMask, 0, dc, now, r());
      if (ch < 0) {
        const next = nextChannelFreeMs(EU868, EU868.kerbMask, 0, dc, now);
        expect(next).toBeGreaterThan(now);
        if (next >= horizon) break;
        now = next;
        ch = pickChannel(EU868, EU868.kerbMask, 0, dc, now, r());
      }
      expect(ch).toBeGreaterThanOrEqual(0);
      const f = EU868.uplinkHz[ch]!;
      const band = eu868SubBand(f);
      expect(now).toBeGreaterThanOrEqual(readyAt.get(band) ?? 0);
      readyAt.set(band, now + toa * 100);
      airtime.set(band, (airtime.get(band) ?? 0) + toa);
      dc.record(f, now, toa);
      perChannel[ch]!++;
      frames++;
      now += toa;
    }
    // 868.1–868.5 MHz (868.0–868.6 MHz sub-band) and 867.1–867.9 MHz (865–868 MHz sub-band), 1 % each
    expect([...airtime.keys()].sort()).toEqual([1, 2]);
    for (const t of airtime.values()) {
      expect(t / horizon).toBeLessThanOrEqual(0.01 + toa / horizon);
      expect(t / horizon).toBeGreaterThan(0.0095);
    }
    expect(frames).toBeGreaterThan(2 * 0.0095 * horizon / toa);
    expect(Math.min(...perChannel)).toBeGreaterThan(0);
  });
});
