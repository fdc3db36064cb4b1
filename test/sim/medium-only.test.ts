// Medium-only mode (LoRaSim's experiment 4) against the pure-ALOHA model, not against timing.
import { describe, it, expect } from 'vitest';
import { runMediumOnly, alohaDer, EXPERIMENT_4 } from '../../sim/medium-only.ts';
import { timeOnAirMs } from '../../shared/lorawan/airtime.ts';

describe('medium-only mode: LoRaSim experiment 4 (SF12, BW125, CR4/5, 20 bytes, mean gap 1,000 s, capture off)', () => {
  it('a 20-byte SF12 frame is 1318.912 ms on air (LoRaSim airtime(12, 1, 20, 125) with the same formula)', () => {
    expect(timeOnAirMs(12, 125000, 1, 20, 8, true, true)).toBeCloseTo(1318.912, 3);
  });

  const counts = [50, 100, 200, 500, 1000];
  const frames = 300_000;
  const results = counts.map((n) => runMediumOnly({ nodes: n, durationS: (frames * EXPERIMENT_4.meanGapS) / n, seed: 4 }));

  for (const [k, n] of counts.entries()) {
    it(`DER at ${n} nodes is within 0.004 of pure ALOHA, and every loss is a collision`, () => {
      const r = results[k]!;
      expect(r.sent).toBeGreaterThan(frames * 0.95);
      expect(r.outOfRange).toBe(0);
      expect(r.delivered + r.collided).toBe(r.sent);
      expect(Math.abs(r.der - alohaDer(n, EXPERIMENT_4.meanGapS * 1000, r.toaMs))).toBeLessThan(0.004);
      expect(Math.abs(r.der - r.derAloha)).toBeLessThan(0.004);
    });
  }

  it('DER falls with the node count as e^(-2G): each step of the curve, not only its ends', () => {
    for (let k = 1; k < results.length; k++) expect(results[k]!.der).toBeLessThan(results[k - 1]!.der);
    // ln DER is linear in N with slope -2A/(M+A): the fit through the points recovers it.
    const xs = counts;
    const ys = results.map((r) => Math.log(r.der));
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    let sxy = 0;
    let sxx = 0;
    for (let k = 0; k < xs.length; k++) {
      sxy += (xs[k]! - mx) * (ys[k]! - my);
      sxx += (xs[k]! - mx) ** 2;
    }
    const a = results[0]!.toaMs;
    const m = EXPERIMENT_4.meanGapS * 1000;
    expect(sxy / sxx).toBeCloseTo(-2 * a / (m + a), 4);
  });

  it('capture on (6 dB, preamble lock) delivers more than capture off at the same load', () => {
    const off = runMediumOnly({ nodes: 500, durationS: 200_000, seed: 7 });
    const on = runMediumOnly({ nodes: 500, durationS: 200_000, seed: 7, capture: true });
    expect(on.sent).toBe(off.sent);
    expect(on.der).toBeGreaterThan(off.der + 0.05);
  });

  it('the same seed gives the same counts; another seed other counts', () => {
    const a = runMediumOnly({ nodes: 300, durationS: 50_000, seed: 11 });
    const b = runMediumOnly({ nodes: 300, durationS: 50_000, seed: 11 });
    const c = runMediumOnly({ nodes: 300, durationS: 50_000, seed: 12 });
    expect(b).toEqual(a);
    expect(c.delivered).not.toBe(a.delivered);
  });
});
