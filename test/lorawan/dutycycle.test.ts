import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createDutyCycle, EU868_UPLINK_FREQS, EU868_RX2_FREQ, SUBBAND_NONE } from '../../shared/lorawan/dutycycle.ts';
import { timeOnAirMs } from '../../shared/lorawan/airtime.ts';

describe('EU868 duty cycle', () => {
  it('maps frequencies to the ETSI/LoRaMac-node sub-bands', () => {
    const d = createDutyCycle();
    const cases: [number, number, number][] = [
      // freq, band, duty cycle
      [863100000, 0, 0.001], [865000000, 1, 0.01], [866000000, 1, 0.01], [868000000, 1, 0.01],
      [868100000, 2, 0.01], [868300000, 2, 0.01], [868500000, 2, 0.01], [868600000, 2, 0.01],
      [868800000, 3, 0.001], [869200000, 3, 0.001], [869525000, 4, 0.1], [869650000, 4, 0.1],
      [869850000, 5, 0.01], [870000000, 5, 0.01],
    ];
    for (const [f, b, dc] of cases) {
      expect(d.subBand(f)).toBe(b);
      expect(d.dutyCycle(b)).toBeCloseTo(dc, 12);
    }
    for (const f of [862000000, 868650000, 869300000, 869675000, 870100000, 915000000]) {
      expect(d.subBand(f)).toBe(SUBBAND_NONE);
      expect(d.nextFreeMs(f, 0)).toBe(Infinity);
      expect(d.record(f, 0, 10)).toBe(SUBBAND_NONE);
    }
  });
  it('exports the default channels and RX2', () => {
    expect(EU868_UPLINK_FREQS).toEqual([868100000, 868300000, 868500000]);
    expect(EU868_RX2_FREQ).toBe(869525000);
  });
  it('1 % band: 99·T silence after a frame of T (ETSI EN 300 220-2, which RP002-1.0.x EU863-870 refers to), shared by the three default channels', () => {
    const d = createDutyCycle();
    const t = timeOnAirMs(7, 125000, 1, 25, 8, true, true); // 61.696 ms
    expect(d.nextFreeMs(868100000, 1000)).toBe(1000);
    d.record(868100000, 1000, t);
    const end = 1000 + t;
    expect(d.nextFreeMs(868100000, end)).toBeCloseTo(end + 99 * t, 9);
    expect(d.nextFreeMs(868500000, end)).toBeCloseTo(end + 99 * t, 9); // same sub-band g1
    expect(d.nextFreeMs(869525000, end)).toBe(end); // g3 untouched
    expect(d.nextFreeMs(868100000, end + 99 * t + 1)).toBe(end + 99 * t + 1);
  });
  it('0.1 % and 10 % bands: off-period T·(1/dc − 1)', () => {
    const d = createDutyCycle();
    d.record(868800000, 0, 100);
    expect(d.nextFreeMs(868800000, 100)).toBeCloseTo(100 + 999 * 100, 9);
    d.record(869525000, 0, 100);
    expect(d.nextFreeMs(869525000, 100)).toBeCloseTo(100 + 9 * 100, 9);
  });
  it('instances are independent (no module state)', () => {
    const a = createDutyCycle();
    const b = createDutyCycle();
    a.record(868100000, 0, 50);
    expect(b.nextFreeMs(868100000, 1)).toBe(1);
  });
  it('a node obeying nextFreeMs never exceeds the duty cycle over any long run', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.constantFrom(...EU868_UPLINK_FREQS, EU868_RX2_FREQ, 868800000), fc.integer({ min: 10, max: 3000 }), fc.integer({ min: 0, max: 5000 })), { minLength: 1, maxLength: 200 }), (txs) => {
      const d = createDutyCycle();
      let now = 0;
      const onAir = new Map<number, number>();
      for (const [f, toa, gap] of txs) {
        now = Math.max(now + gap, d.nextFreeMs(f, now + gap));
        d.record(f, now, toa);
        const b = d.subBand(f);
        onAir.set(b, (onAir.get(b) ?? 0) + toa);
        now += toa;
      }
      // Total airtime per band over [0, now + last off-period] respects the band's duty cycle.
      for (const [b, total] of onAir) {
        const horizon = Math.max(now, ...[...EU868_UPLINK_FREQS, EU868_RX2_FREQ, 868800000].filter((f) => d.subBand(f) === b).map((f) => d.nextFreeMs(f, now)));
        expect(total).toBeLessThanOrEqual(horizon * d.dutyCycle(b) + 1e-6);
      }
    }), { numRuns: 300 });
  });
});
