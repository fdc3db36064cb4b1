// SenML-CBOR packs read back with a tiny independent RFC 8949 decoder (below), to show a consumer
// needs nothing but CBOR and RFC 8428: integer labels (RFC 8428 Table 4), no cbor-x extensions.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeSenmlCbor, encodeSenmlCbor, resolveSenml, senmlToJson, uplinkToSenml } from '../../gateway/senml.ts';
import type { Uplink } from '../../gateway/types.ts';

/** Minimal RFC 8949 decoder: major types 0-5 and 7 (floats, true/false/null); throws on tags. */
function cborDecode(b: Uint8Array): unknown {
  let i = 0;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  function arg(ai: number): number {
    if (ai < 24) return ai;
    if (ai === 24) return b[i++]!;
    if (ai === 25) { const v = dv.getUint16(i); i += 2; return v; }
    if (ai === 26) { const v = dv.getUint32(i); i += 4; return v; }
    if (ai === 27) { const v = Number(dv.getBigUint64(i)); i += 8; return v; }
    throw new Error(`indefinite/reserved length ${ai}`);
  }
  function item(): unknown {
    const ib = b[i++]!;
    const mt = ib >> 5;
    const ai = ib & 31;
    switch (mt) {
      case 0: return arg(ai);
      case 1: return -1 - arg(ai);
      case 2: { const n = arg(ai); const v = b.slice(i, i + n); i += n; return v; }
      case 3: { const n = arg(ai); const v = new TextDecoder().decode(b.subarray(i, i + n)); i += n; return v; }
      case 4: { const n = arg(ai); const a: unknown[] = []; for (let k = 0; k < n; k++) a.push(item()); return a; }
      case 5: { const n = arg(ai); const m = new Map<unknown, unknown>(); for (let k = 0; k < n; k++) { const key = item(); m.set(key, item()); } return m; }
      case 6: throw new Error(`unexpected CBOR tag ${arg(ai)}`);
      default:
        if (ai === 20) return false;
        if (ai === 21) return true;
        if (ai === 22) return null;
        if (ai === 25) { const h = dv.getUint16(i); i += 2; const e = (h >> 10) & 31, f = h & 1023; const s = h >> 15 ? -1 : 1; return s * (e === 0 ? f * 2 ** -24 : e === 31 ? (f ? NaN : Infinity) : (1 + f / 1024) * 2 ** (e - 15)); }
        if (ai === 26) { const v = dv.getFloat32(i); i += 4; return v; }
        if (ai === 27) { const v = dv.getFloat64(i); i += 8; return v; }
        throw new Error(`simple value ${ai}`);
    }
  }
  const v = item();
  if (i !== b.length) throw new Error('trailing bytes');
  return v;
}

const up: Uplink = {
  deviceId: 'lamp-0001',
  devAddr: 0x26011bda,
  fcnt: 70000,
  fport: 1,
  confirmed: false,
  adr: true,
  payload: new Uint8Array([1, 2, 3]),
  readings: { pm25DeciUgm3: 123, pm10DeciUgm3: 250, tempDeciC: 215, rhHalfPct: 111, pressureDeciHpa: 10132, noiseDeciDb: 543, batteryMv: 3610, status: 0 },
  receivedAt: 1_763_900_000_123,
  meta: { gatewayId: 'gw-1', radioId: '/dev/ttyUSB0', rssiDbm: -97, snrDb: 7.5, freqHz: 868_100_000, sf: 9, bwHz: 125_000, cr: 1, tsUs: 1 },
};

describe('SenML-CBOR uplink packs', () => {
  it('uses RFC 8428 integer labels and registry units, readable with a plain CBOR decoder', () => {
    const bytes = encodeSenmlCbor(uplinkToSenml(up));
    const pack = cborDecode(bytes) as Map<number, unknown>[];
    expect(Array.isArray(pack)).toBe(true);
    const first = pack[0]!;
    expect(first.get(-2)).toBe('urn:dev:kerb:lamp-0001:'); // bn
    expect(first.get(-3)).toBeCloseTo(1_763_900_000.123, 3); // bt, seconds
    const byName = new Map(pack.map((m) => [m.get(0) as string, m]));
    const v = (n: string) => byName.get(n)!.get(2) as number;
    const u = (n: string) => byName.get(n)!.get(1);
    expect([v('temperature'), u('temperature')]).toEqual([21.5, 'Cel']);
    expect([v('humidity'), u('humidity')]).toEqual([55.5, '%RH']);
    expect([v('pressure'), u('pressure')]).toEqual([101320, 'Pa']);
    expect(u('pm2.5')).toBe('kg/m3');
    expect(v('pm2.5')).toBeCloseTo(12.3e-9, 15);
    expect(v('pm10')).toBeCloseTo(25.0e-9, 15);
    expect([v('noise'), u('noise')]).toEqual([54.3, 'dB']);
    expect([v('battery'), u('battery')]).toEqual([3.61, 'V']);
    expect([v('rssi'), u('rssi')]).toEqual([-97, 'dBm']);
    expect([v('snr'), u('snr')]).toEqual([7.5, 'dB']);
    expect(v('sf')).toBe(9);
    expect([v('freq'), u('freq')]).toEqual([868_100_000, 'Hz']);
    expect(v('fcnt')).toBe(70000);
    expect(byName.get('gateway')!.get(3)).toBe('gw-1'); // vs
    expect(byName.get('devaddr')!.get(3)).toBe('26011BDA');
    expect(byName.get('confirmed')!.get(4)).toBe(false); // vb
    expect(byName.has('payload')).toBe(false); // decoded readings: raw bytes not repeated
  });

  it('carries the raw FRMPayload in vd (a CBOR byte string) when there are no readings', () => {
    const bytes = encodeSenmlCbor(uplinkToSenml({ ...up, fport: 42, readings: null, payload: new Uint8Array([0xde, 0xad]) }));
    const pack = cborDecode(bytes) as Map<number, unknown>[];
    const p = pack.find((m) => m.get(0) === 'payload')!;
    expect(p.get(8)).toEqual(new Uint8Array([0xde, 0xad]));
    expect(pack[0]!.get(-2)).toBe('urn:dev:kerb:lamp-0001:');
    const json = JSON.parse(senmlToJson(decodeSenmlCbor(bytes))) as { n?: string; vd?: string }[];
    expect(json.find((r) => r.n === 'payload')!.vd).toBe('3q0');
  });

  it('resolves per RFC 8428 §4.6 into full names and absolute times', () => {
    const r = resolveSenml(decodeSenmlCbor(encodeSenmlCbor(uplinkToSenml(up))));
    const t = r.find((x) => x.name === 'urn:dev:kerb:lamp-0001:temperature')!;
    expect(t.value).toBe(21.5);
    expect(t.unit).toBe('Cel');
    expect(t.time).toBeCloseTo(1_763_900_000.123, 3);
    expect(r.every((x) => x.name.startsWith('urn:dev:kerb:lamp-0001:'))).toBe(true);
  });

  it('property: any readings round-trip through CBOR to the same scaled values', () => {
    const opt = (max: number) => fc.option(fc.integer({ min: 0, max }), { nil: undefined });
    fc.assert(
      fc.property(fc.record({ pm25DeciUgm3: opt(32767), tempDeciC: fc.option(fc.integer({ min: -500, max: 1547 }), { nil: undefined }), rhHalfPct: opt(200), batteryMv: opt(10230) }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (rd, fcnt) => {
        const readings = Object.fromEntries(Object.entries(rd).filter(([, x]) => x !== undefined));
        const pack = cborDecode(encodeSenmlCbor(uplinkToSenml({ ...up, fcnt, readings }))) as Map<number, unknown>[];
        const get = (n: string) => pack.find((m) => m.get(0) === n)?.get(2) as number | undefined;
        expect(get('fcnt')).toBe(fcnt);
        if (rd.tempDeciC !== undefined) expect(get('temperature')).toBeCloseTo(rd.tempDeciC / 10, 9);
        else expect(get('temperature')).toBeUndefined();
        if (rd.rhHalfPct !== undefined) expect(get('humidity')).toBeCloseTo(rd.rhHalfPct / 2, 9);
        if (rd.batteryMv !== undefined) expect(get('battery')).toBeCloseTo(rd.batteryMv / 1000, 9);
        if (rd.pm25DeciUgm3 !== undefined) expect(get('pm2.5')).toBeCloseTo(rd.pm25DeciUgm3 * 1e-10, 15);
      }),
      { numRuns: 200 },
    );
  });
});
