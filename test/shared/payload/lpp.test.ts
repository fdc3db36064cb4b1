import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { decodeLpp, lppToReadings, lppTypeName, LPP_TYPES, type LppValue } from '../../../shared/payload/lpp.ts';
import { encodeReadings } from '../../../shared/payload/kerb.ts';

const V = JSON.parse(readFileSync(new URL('../../vectors/payload-lpp.json', import.meta.url), 'utf8'));
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

// Test-side LPP encoder from the published table (sizes/multipliers typed again here).
const SPEC: Record<number, [number, number, number, boolean]> = {
  0: [1, 1, 1, false], 1: [1, 1, 1, false], 2: [2, 1, 100, true], 3: [2, 1, 100, true], 100: [4, 1, 1, false],
  101: [2, 1, 1, false], 102: [1, 1, 1, false], 103: [2, 1, 10, true], 104: [1, 1, 2, false], 113: [2, 3, 1000, true],
  115: [2, 1, 10, false], 116: [2, 1, 100, false], 117: [2, 1, 1000, false], 118: [4, 1, 1, false], 120: [1, 1, 1, false],
  121: [2, 1, 1, true], 125: [2, 1, 1, false], 128: [2, 1, 1, false], 130: [4, 1, 1000, false], 131: [4, 1, 1000, false],
  132: [2, 1, 1, false], 133: [4, 1, 1, false], 134: [2, 3, 100, true], 135: [1, 3, 1, false], 142: [1, 1, 1, false],
};
function encodeField(channel: number, type: number, raws: number[]): number[] {
  const size = type === 136 ? 3 : SPEC[type][0];
  const out = [channel, type];
  for (const r of raws) {
    const u = r < 0 ? r + 2 ** (8 * size) : r;
    for (let i = size - 1; i >= 0; i--) out.push(Math.floor(u / 2 ** (8 * i)) & 255);
  }
  return out;
}

describe('Cayenne LPP', () => {
  for (const v of V.vectors) {
    it(v.name, () => {
      const d = decodeLpp(bytes(v.hex)) as LppValue[];
      expect(d.map((x) => ({ channel: x.channel, type: x.type, values: x.values }))).toEqual(v.decoded);
      expect(d.every((x) => x.value === x.values[0])).toBe(true);
      if (v.readings) expect(lppToReadings(d)).toEqual(v.readings);
    });
  }
  for (const v of V.errors) it(`rejects: ${v.name}`, () => expect(decodeLpp(bytes(v.hex))).toBe(v.code));

  it('the table covers the test spec exactly, with names', () => {
    expect(LPP_TYPES.map((r) => r[0]).sort((a, b) => (a as number) - (b as number))).toEqual([...Object.keys(SPEC).map(Number), 136].sort((a, b) => a - b));
    expect(lppTypeName(103)).toBe('temperature');
    expect(lppTypeName(7)).toBe('');
    expect(decodeLpp(new Uint8Array(0))).toEqual([]);
  });

  it('reference message: 27 bytes as LPP, at most 12 as kerb', () => {
    // PM2.5, PM10 and noise have no LPP type: third-party nodes send them as analog inputs.
    const lpp = [
      ...encodeField(1, 2, [1230]), ...encodeField(2, 2, [2500]), ...encodeField(3, 103, [184]), ...encodeField(4, 104, [130]),
      ...encodeField(5, 115, [10132]), ...encodeField(6, 2, [6250]), ...encodeField(7, 116, [371]),
    ];
    expect(lpp.length).toBe(27);
    expect((decodeLpp(Uint8Array.from(lpp)) as LppValue[]).length).toBe(7);
    const kerb = encodeReadings({ pm25DeciUgm3: 123, pm10DeciUgm3: 250, tempDeciC: 184, rhHalfPct: 130, pressureDeciHpa: 10132, noiseDeciDb: 625, batteryMv: 3710 });
    expect(kerb.length).toBeLessThanOrEqual(12);
  });

  const arbField = fc.oneof(
    fc.constantFrom(...Object.keys(SPEC).map(Number)).chain((t) => {
      const [size, n, , signed] = SPEC[t];
      const max = 2 ** (8 * size);
      return fc.tuple(fc.integer({ min: 0, max: 255 }), fc.constant(t),
        fc.array(signed ? fc.integer({ min: -max / 2, max: max / 2 - 1 }) : fc.integer({ min: 0, max: max - 1 }), { minLength: n, maxLength: n }));
    }),
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.constant(136), fc.array(fc.integer({ min: -(2 ** 23), max: 2 ** 23 - 1 }), { minLength: 3, maxLength: 3 })),
  );

  it('decode(encode(fields)) = fields in LPP units', () => {
    fc.assert(fc.property(fc.array(arbField, { maxLength: 10 }), (fields) => {
      const b = Uint8Array.from(fields.flatMap(([c, t, raws]) => encodeField(c, t, raws)));
      const d = decodeLpp(b) as LppValue[];
      expect(d.length).toBe(fields.length);
      d.forEach((x, i) => {
        const [c, t, raws] = fields[i];
        expect(x.channel).toBe(c);
        expect(x.type).toBe(t);
        const divs = t === 136 ? [10000, 10000, 100] : raws.map(() => SPEC[t][2]);
        x.values.forEach((v, k) => expect(v).toBeCloseTo(raws[k] / divs[k], 9));
      });
    }), { numRuns: 2000 });
  });

  it('lppToReadings maps within resolution and takes the first of each type', () => {
    fc.assert(fc.property(fc.integer({ min: -32768, max: 32767 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), (t, h, p, v) => {
      const b = Uint8Array.from([...encodeField(1, 103, [t]), ...encodeField(2, 104, [h]), ...encodeField(3, 115, [p]), ...encodeField(4, 116, [v]), ...encodeField(5, 103, [0])]);
      expect(lppToReadings(decodeLpp(b) as LppValue[])).toEqual({ tempDeciC: t, rhHalfPct: h, pressureDeciHpa: p, batteryMv: v * 10 });
    }), { numRuns: 1000 });
  });

  it('100k random and mutated byte strings never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.boolean(), (b, known) => {
      if (known) for (let i = 1; i < b.length; i += 4) b[i] = 103; // bias toward valid type bytes
      const d = decodeLpp(b);
      if (typeof d !== 'number' && !Array.isArray(d)) throw new Error('bad result');
    }), { numRuns: 100_000 });
  });
});
