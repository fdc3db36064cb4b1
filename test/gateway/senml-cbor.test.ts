// gateway/senml.ts encodes SenML-CBOR with cbor-x; these pin its output to the RFC 8428 shape
// (an array of maps with integer labels, no tags, exact numbers) for real uplink packs and for
// arbitrary records, so an option change in the encoder cannot silently change the wire format.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { encodeSenmlCbor, decodeSenmlCbor, uplinkToSenml, READING_RECORDS, scaleReading, FAST_SCALE_LIMIT } from '../../gateway/senml.ts';
import type { SenmlRecord } from '../../gateway/senml.ts';
import type { Uplink } from '../../gateway/types.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const num = fc.oneof(
  fc.integer({ min: -0x100000000, max: 0xffffffff }),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, -0, 23, 24, 255, 256, 65535, 65536, -24, -25, -256, -257, -65536, -65537, 2 ** 32, -(2 ** 32) - 1, 2 ** 53, 1763900000.123),
);
const str = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom('', 'urn:dev:kerb:lamp-0001:', 'µg/m³ é 漢 🚀'));
const rec: fc.Arbitrary<SenmlRecord> = fc.record(
  { bn: str, bt: num, n: str, u: str, v: num, vs: str, vb: fc.boolean(), vd: fc.uint8Array({ maxLength: 300 }), s: num, t: num },
  { requiredKeys: [] },
);

describe('SenML-CBOR encoder', () => {
  it('writes a record byte for byte as RFC 8949 preferred serialisation with RFC 8428 integer labels', () => {
    const bytes = encodeSenmlCbor([{ bn: 'urn:dev:kerb:a:', n: 'temp', u: 'Cel', v: 21.5 }]);
    // 81 array(1) · A4 map(4) · 21 = -2 (bn) 6F text(15) "urn:dev:kerb:a:" · 00 = n 64 "temp" ·
    // 01 = u 63 "Cel" · 02 = v FB float64 21.5 (40 35 80 00 00 00 00 00)
    const want = '81a4216f' + Buffer.from('urn:dev:kerb:a:').toString('hex') + '0064' + Buffer.from('temp').toString('hex') +
      '0163' + Buffer.from('Cel').toString('hex') + '02fb4035800000000000';
    expect(hex(bytes)).toBe(want);
  });

  it('encodes arbitrary records as an untagged CBOR array of integer-keyed maps that decodes back', () => {
    fc.assert(
      fc.property(fc.array(rec, { maxLength: 30 }), (pack) => {
        const bytes = encodeSenmlCbor(pack);
        expect(bytes[0]! >> 5).toBe(4); // RFC 8949 major type 4: array (not a tag, not a record extension)
        const back = decodeSenmlCbor(bytes);
        expect(back.length).toBe(pack.length);
        back.forEach((r, i) => {
          for (const k of Object.keys(pack[i]!) as (keyof SenmlRecord)[]) {
            const v = pack[i]![k];
            if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) continue;
            if (v instanceof Uint8Array) expect(hex(r[k] as Uint8Array)).toBe(hex(v));
            else if (typeof v === "number") expect(r[k] === v).toBe(true); // -0 encodes as the integer 0
            else expect(r[k]).toBe(v);
          }
        });
      }),
      { numRuns: 300 },
    );
  });

  it('matches on real uplink packs and decodes back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.boolean(), fc.integer({ min: 0, max: 65535 }), fc.uint8Array({ maxLength: 51 }), (fcnt, withReadings, t, payload) => {
        const u: Uplink = {
          deviceId: 'lamp-0001', devAddr: 0x26011bda, fcnt, fport: withReadings ? 1 : 7, confirmed: fcnt % 2 === 0, adr: false, payload,
          readings: withReadings ? { tempDeciC: t - 32768, rhHalfPct: t % 201, pm25DeciUgm3: t, batteryMv: 3600 } : null,
          receivedAt: 1763900000123 + t, meta: { gatewayId: 'gw-1', radioId: '/dev/ttyUSB0', rssiDbm: -97, snrDb: 7.5, freqHz: 868100000, sf: 9, bwHz: 125000, cr: 1, tsUs: 5 },
        };
        const pack = uplinkToSenml(u);
        const bytes = encodeSenmlCbor(pack);
        expect(decodeSenmlCbor(bytes)).toEqual(pack.map((r) => ({ ...r })));
      }),
      { numRuns: 100 },
    );
  });

  it('returns an independent copy (the scratch buffer is reused)', () => {
    const a = encodeSenmlCbor([{ n: 'a', v: 1 }]);
    const before = hex(a);
    encodeSenmlCbor([{ n: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', v: 2.5 }]);
    expect(hex(a)).toBe(before);
  });

  it('scaleReading equals the 12-significant-digit rounding of raw * scale for every codec integer', () => {
    const tidy = (x: number) => (Number.isInteger(x) ? x : Number(x.toPrecision(12)));
    const scales = [...new Set(READING_RECORDS.map((d) => d.scale)), 0.01, 0.25, 100, 3];
    let checked = 0;
    for (const sc of scales) {
      for (let raw = -FAST_SCALE_LIMIT; raw <= FAST_SCALE_LIMIT; raw += 7) {
        const want = tidy(raw * sc);
        if (scaleReading(raw, sc) !== want) expect([sc, raw, scaleReading(raw, sc)]).toEqual([sc, raw, want]);
        checked++;
      }
      for (const raw of [0, 1, -1, 65535, -32768, FAST_SCALE_LIMIT, 1.5, 1e12]) expect(scaleReading(raw, sc)).toBe(tidy(raw * sc));
    }
    expect(checked).toBeGreaterThan(100_000);
  });
});
