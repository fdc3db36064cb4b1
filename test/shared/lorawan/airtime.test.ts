import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { timeOnAirMs, lowDataRateOptimize, payloadSymbols } from '../../../shared/lorawan/airtime.ts';

interface Vec { src: string; sf: number; bw: number; cr: number; len: number; ms: number; preamble?: number; crcOn?: boolean; explicitHeader?: boolean }
const F = JSON.parse(readFileSync(new URL('../../vectors/lorawan-airtime.json', import.meta.url), 'utf8')) as { sources: Record<string, string>; vectors: Vec[] };

// Independent restatement of SX1276 datasheet §4.1.1.6 in seconds and floating point, with the
// LDRO rule written as the datasheet's table (SF11/12 at 125 kHz, SF12 at 250 kHz).
function ref(sf: number, bw: number, cr: number, pl: number, pre: number, eh: boolean, crc: boolean): number {
  const ts = Math.pow(2, sf) / bw;
  const de = (bw === 125000 && sf >= 11) || (bw === 250000 && sf === 12) ? 1 : 0;
  const n = 8 + Math.max(Math.ceil((8 * pl - 4 * sf + 28 + 16 * (crc ? 1 : 0) - 20 * (eh ? 0 : 1)) / (4 * (sf - 2 * de))) * (cr + 4), 0);
  return ((pre + 4.25) * ts + n * ts) * 1000;
}

describe('timeOnAirMs: published calculator values', () => {
  for (const v of F.vectors) {
    const pre = v.preamble ?? 8;
    const eh = v.explicitHeader ?? true;
    const crc = v.crcOn ?? true;
    it(`${v.src}: SF${v.sf} BW${v.bw / 1000} CR4/${v.cr + 4} ${v.len} B${eh ? '' : ' implicit'}${crc ? '' : ' no-CRC'} pre ${pre} → ${v.ms} ms`, () => {
      expect(typeof F.sources[v.src]).toBe('string');
      expect(timeOnAirMs(v.sf, v.bw, v.cr, v.len, pre, eh, crc)).toBeCloseTo(v.ms, 9);
    });
  }
});

describe('timeOnAirMs: every SF 7-12 × BW 125/250/500 × CR 4/5-4/8', () => {
  it('matches the independent formula for payloads 0..255 B, both header modes, CRC on/off', () => {
    let n = 0;
    for (const sf of [7, 8, 9, 10, 11, 12]) for (const bw of [125000, 250000, 500000]) for (let cr = 1; cr <= 4; cr++) {
      for (let pl = 0; pl <= 255; pl += 3) for (const eh of [true, false]) for (const crc of [true, false]) {
        expect(timeOnAirMs(sf, bw, cr, pl, 8, eh, crc)).toBeCloseTo(ref(sf, bw, cr, pl, 8, eh, crc), 9);
        n++;
      }
    }
    expect(n).toBe(6 * 3 * 4 * 86 * 4);
  });
  it('low data-rate optimisation exactly where Tsym > 16 ms', () => {
    const on: string[] = [];
    for (const sf of [7, 8, 9, 10, 11, 12]) for (const bw of [125000, 250000, 500000]) if (lowDataRateOptimize(sf, bw)) on.push(`SF${sf}BW${bw / 1000}`);
    expect(on).toEqual(['SF11BW125', 'SF12BW125', 'SF12BW250']);
  });
  it('is monotonic in payload length and halves with doubled bandwidth (same DE)', () => {
    for (const sf of [7, 8, 9, 10, 11, 12]) for (let cr = 1; cr <= 4; cr++) {
      let prev = 0;
      for (let pl = 0; pl <= 255; pl++) {
        const t = timeOnAirMs(sf, 125000, cr, pl, 8, true, true);
        expect(t).toBeGreaterThanOrEqual(prev);
        prev = t;
        if (sf <= 10) expect(timeOnAirMs(sf, 250000, cr, pl, 8, true, true)).toBeCloseTo(t / 2, 9);
      }
    }
  });
  it('never goes below the 8-symbol header floor', () => {
    expect(payloadSymbols(12, 1, 0, false, false, true)).toBe(8);
  });
});
