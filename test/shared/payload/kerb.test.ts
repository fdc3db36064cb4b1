import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  encodeReadings, decodeReadings, encodeStatusFrame, decodeStatusFrame, encodeAlert, decodeAlert,
  type Readings, type StatusFrame, type Alert,
  STATUS_CLAMPED, STATUS_PM_FAULT, PAYLOAD_ERR_TRUNCATED, PAYLOAD_ERR_VERSION, kindRange, KIND_FIELDS,
} from '../../../shared/payload/kerb.ts';

const V = JSON.parse(readFileSync(new URL('../../vectors/payload-kerb.json', import.meta.url), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// Independent re-statement of docs/protocol.md §2.1 (tables typed again from the doc, not imported),
// building the frame as a string of '0'/'1' characters.
const DOC_FIELDS: [string, number, number, number][] = [
  // name, bits, offset (value at code 0), step
  ['pm25DeciUgm3', 15, 0, 1], ['pm10DeciUgm3', 15, 0, 1], ['tempDeciC', 11, -500, 1], ['rhHalfPct', 8, 0, 1],
  ['pressureDeciHpa', 13, 3000, 1], ['noiseDeciDb', 11, 0, 1], ['batteryMv', 10, 0, 10],
];
function docEncode(r: Record<string, number>): string {
  const bin = (v: number, n: number) => v.toString(2).padStart(n, '0');
  let s = '001' + (r.status ? '1' : '0');
  for (const [n] of DOC_FIELDS) s += n in r ? '1' : '0';
  s += '0';
  if (r.status) {
    let st = r.status;
    do { const g = st & 0x7f; st = Math.floor(st / 128); s += (st ? '1' : '0') + bin(g, 7); } while (st);
  }
  for (const [n, bits, off, step] of DOC_FIELDS) if (n in r) s += bin((r[n] - off) / step, bits);
  while (s.length % 8) s += '0';
  let h = '';
  for (let i = 0; i < s.length; i += 8) h += parseInt(s.slice(i, i + 8), 2).toString(16).padStart(2, '0');
  return h;
}

describe('kerb readings: golden vectors', () => {
  for (const v of V.readings) {
    it(v.name, () => {
      expect(docEncode(v.readings)).toBe(v.hex);
      expect(hex(encodeReadings(v.readings))).toBe(v.hex);
      expect(decodeReadings(bytes(v.hex))).toEqual(v.readings);
    });
  }
  it('reference message is at most 12 bytes', () => {
    expect(encodeReadings(V.readings[0].readings).length).toBeLessThanOrEqual(12);
  });
  for (const v of V.clamped) {
    it(`clamps: ${v.name}`, () => {
      expect(hex(encodeReadings(v.input))).toBe(v.hex);
      expect(decodeReadings(bytes(v.hex))).toEqual(v.decoded);
    });
  }
  for (const v of V.future) {
    it(`old decoder on a newer frame: ${v.name}`, () => {
      expect(decodeReadings(bytes(v.hex))).toEqual(v.decoded);
    });
  }
  for (const v of V.errors) {
    it(`rejects: ${v.name}`, () => {
      expect(decodeReadings(bytes(v.hex))).toBe(v.code);
    });
  }
});

describe('kerb readings: edge behaviour', () => {
  it('treats NaN and Infinity as absent', () => {
    expect(decodeReadings(encodeReadings({ tempDeciC: NaN, rhHalfPct: Infinity, batteryMv: 3000 }))).toEqual({ batteryMv: 3000 });
  });
  it('ranges cover street reality', () => {
    const want: Record<string, [number, number]> = {
      pm25DeciUgm3: [0, 10000], pm10DeciUgm3: [0, 10000], tempDeciC: [-400, 850], rhHalfPct: [0, 200],
      pressureDeciHpa: [3000, 11000], noiseDeciDb: [200, 1400], batteryMv: [0, 6000],
    };
    KIND_FIELDS.forEach((f, k) => {
      const [lo, hi] = kindRange(k);
      expect(lo).toBeLessThanOrEqual(want[f][0]);
      expect(hi).toBeGreaterThanOrEqual(want[f][1]);
    });
  });
  it('keeps the caller status and adds STATUS_CLAMPED only when something saturated', () => {
    const d = decodeReadings(encodeReadings({ noiseDeciDb: 99999, status: STATUS_PM_FAULT })) as Readings;
    expect(d.status).toBe(STATUS_PM_FAULT | STATUS_CLAMPED);
    expect(d.noiseDeciDb).toBe(2047);
    expect(decodeReadings(encodeReadings({ noiseDeciDb: 2047 }))).toEqual({ noiseDeciDb: 2047 });
  });
  it('every prefix of a frame is rejected as truncated', () => {
    const full = bytes(V.readings[0].hex);
    for (let n = 1; n < full.length; n++) expect(decodeReadings(full.subarray(0, n))).toBe(PAYLOAD_ERR_TRUNCATED);
  });
});

const arbReadings: fc.Arbitrary<Readings> = fc.record({
  pm25DeciUgm3: fc.integer({ min: 0, max: 32767 }),
  pm10DeciUgm3: fc.integer({ min: 0, max: 32767 }),
  tempDeciC: fc.integer({ min: -500, max: 1547 }),
  rhHalfPct: fc.integer({ min: 0, max: 200 }),
  pressureDeciHpa: fc.integer({ min: 3000, max: 11191 }),
  noiseDeciDb: fc.integer({ min: 0, max: 2047 }),
  batteryMv: fc.integer({ min: 0, max: 10230 }),
  status: fc.integer({ min: 1, max: 0x0fffffff }).filter((s) => !(s & STATUS_CLAMPED)),
}, { requiredKeys: [] });

describe('kerb readings: properties', () => {
  it('decode(encode(x)) = x within resolution', () => {
    fc.assert(fc.property(arbReadings, (r) => {
      const d = decodeReadings(encodeReadings(r)) as Readings;
      expect(typeof d).toBe('object');
      const exp: Record<string, number> = { ...r } as Record<string, number>;
      if (exp.batteryMv !== undefined) exp.batteryMv = Math.round(exp.batteryMv / 10) * 10;
      expect(d).toEqual(exp);
    }), { numRuns: 5000 });
  });
  it('matches the independent doc encoder', () => {
    fc.assert(fc.property(arbReadings, (r) => {
      const x = { ...r } as Record<string, number>;
      if (x.batteryMv !== undefined) x.batteryMv = Math.round(x.batteryMv / 10) * 10;
      expect(hex(encodeReadings(x))).toBe(docEncode(x));
    }), { numRuns: 2000 });
  });
  it('out-of-range values saturate and flag', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 6 }), fc.double({ min: -1e7, max: 1e7, noNaN: true }), (k, v) => {
      const [lo, hi] = kindRange(k);
      const d = decodeReadings(encodeReadings({ [KIND_FIELDS[k]]: v } as Readings)) as Record<string, number>;
      const got = d[KIND_FIELDS[k]];
      expect(got).toBeGreaterThanOrEqual(lo);
      expect(got).toBeLessThanOrEqual(hi);
      const out = Math.round(v) < lo - (k === 6 ? 5 : 0.5) || Math.round(v) > hi + (k === 6 ? 5 : 0.5);
      if (out) expect(d.status).toBe(STATUS_CLAMPED);
    }), { numRuns: 3000 });
  });
  it('100k random byte strings never throw; accepted ones re-encode to themselves', () => {
    let accepted = 0;
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 20 }), (b) => {
      b[0] = (b[0] & 0x1f) | 0x20; // most frames with a valid version so the fuzz reaches the fields
      const d = decodeReadings(b);
      if (typeof d === 'number') return;
      accepted++;
      if (d.unknownKinds) return;
      // Canonical form: an accepted frame re-encodes to exactly the same bytes.
      const again = encodeReadings(d);
      if (Buffer.compare(Buffer.from(again), Buffer.from(b)) !== 0) throw new Error(`not canonical: ${hex(b)} → ${hex(again)}`);
    }), { numRuns: 100_000 });
    expect(accepted).toBeGreaterThan(100);
  });
  it('bit-flipped and cut valid frames never throw', () => {
    fc.assert(fc.property(arbReadings, fc.nat(), fc.nat(), (r, flip, cut) => {
      const b = encodeReadings(r);
      b[flip % b.length] ^= 1 << (flip % 8);
      const c = b.subarray(0, cut % (b.length + 1));
      const d = decodeReadings(c);
      if (typeof d !== 'number' && typeof d !== 'object') throw new Error('decoder returned ' + typeof d);
    }), { numRuns: 20_000 });
  });
});

describe('status frame (FPort 2) and alert (FPort 3)', () => {
  it('golden vectors', () => {
    for (const v of V.status) {
      expect(hex(encodeStatusFrame(v.frame))).toBe(v.hex);
      expect(decodeStatusFrame(bytes(v.hex))).toEqual(v.frame);
    }
    for (const v of V.alert) {
      expect(hex(encodeAlert(v.alert))).toBe(v.hex);
      expect(decodeAlert(bytes(v.hex))).toEqual(v.alert);
    }
  });
  it('round trips', () => {
    const arbS: fc.Arbitrary<StatusFrame> = fc.record({
      fwMajor: fc.integer({ min: 0, max: 255 }), fwMinor: fc.integer({ min: 0, max: 255 }), fwPatch: fc.integer({ min: 0, max: 255 }),
      uptimeS: fc.integer({ min: 0, max: 4294967295 }), resetCause: fc.integer({ min: 0, max: 255 }),
      status: fc.integer({ min: 0, max: 65535 }), reportIntervalS: fc.integer({ min: 0, max: 65535 }),
      pm25AlertDeciUgm3: fc.integer({ min: 0, max: 65535 }), bootCount: fc.integer({ min: 0, max: 65535 }),
    });
    fc.assert(fc.property(arbS, (s) => { expect(decodeStatusFrame(encodeStatusFrame(s))).toEqual(s); }), { numRuns: 2000 });
    const arbA: fc.Arbitrary<Alert> = fc.record({
      kind: fc.integer({ min: 0, max: 255 }), rising: fc.boolean(),
      value: fc.integer({ min: -32768, max: 32767 }), threshold: fc.integer({ min: -32768, max: 32767 }),
    });
    fc.assert(fc.property(arbA, (a) => { expect(decodeAlert(encodeAlert(a))).toEqual(a); }), { numRuns: 2000 });
  });
  it('random bytes never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), fc.boolean(), (b, v1) => {
      if (v1 && b.length) b[0] = 1;
      const s = decodeStatusFrame(b);
      const a = decodeAlert(b);
      // plain checks: expect() per run costs more than the decoders themselves
      if (typeof s !== 'number' && typeof s !== 'object') throw new Error('status frame decoder returned ' + typeof s);
      if (typeof a !== 'number' && typeof a !== 'object') throw new Error('alert decoder returned ' + typeof a);
    }), { numRuns: 100_000 });
    expect(decodeStatusFrame(bytes('02'))).toBe(PAYLOAD_ERR_VERSION);
  });
});
