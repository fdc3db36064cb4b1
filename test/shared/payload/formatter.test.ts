import { describe, it, expect, beforeAll } from 'vitest';
import fc from 'fast-check';
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { parse } from 'acorn';
import { buildFormatter, FORMATTER_OUT, FORMATTER_MAX_BYTES } from '../../../firmware/build/formatter.ts';
import { decodeUplink as libDecodeUplink } from '../../../shared/payload/formatter.ts';
import { decodeReadings, encodeReadings, encodeStatusFrame, encodeAlert, type Readings } from '../../../shared/payload/kerb.ts';

const V = JSON.parse(readFileSync(new URL('../../vectors/payload-kerb.json', import.meta.url), 'utf8'));
const L = JSON.parse(readFileSync(new URL('../../vectors/payload-lpp.json', import.meta.url), 'utf8'));
const arr = (h: string) => [...Buffer.from(h, 'hex')];
const plain = (x: unknown) => JSON.parse(JSON.stringify(x));

type Decode = (input: { bytes: number[]; fPort: number }) => { data: Record<string, unknown>; warnings: string[]; errors: string[] };
let fresh = '';
let sandboxDecode: Decode;

beforeAll(async () => {
  fresh = await buildFormatter();
  // The file alone, in an empty context with ES2015+ built-ins removed: TTS runs ECMAScript 5.1.
  const ctx = vm.createContext({});
  vm.runInContext('delete globalThis.Uint8Array; delete globalThis.ArrayBuffer; delete globalThis.DataView; delete globalThis.Map; delete globalThis.Set; delete globalThis.Symbol; delete globalThis.Promise; delete globalThis.WeakMap;', ctx);
  vm.runInContext(readFileSync(FORMATTER_OUT, 'utf8'), ctx, { filename: 'kerb-formatter.js' });
  const fn = vm.runInContext('typeof decodeUplink === "function" ? decodeUplink : null', ctx) as Decode | null;
  if (!fn) throw new Error('no top-level decodeUplink in the built file');
  sandboxDecode = (input) => plain(fn(vm.runInContext(`(${JSON.stringify(input)})`, ctx)));
});

describe('built formatter file', () => {
  it('docs/kerb-formatter.js equals a fresh build (run npm run build:formatter)', () => {
    expect(readFileSync(FORMATTER_OUT, 'utf8')).toBe(fresh);
  });
  it('is ES5.1 syntax, within the TTS size limit, with a top-level function decodeUplink', () => {
    expect(() => parse(fresh, { ecmaVersion: 5, sourceType: 'script' })).not.toThrow();
    expect(Buffer.byteLength(fresh)).toBeLessThanOrEqual(FORMATTER_MAX_BYTES);
    const ast = parse(fresh, { ecmaVersion: 5, sourceType: 'script' }) as unknown as { body: { type: string; id?: { name: string } }[] };
    expect(ast.body.some((n) => n.type === 'FunctionDeclaration' && n.id?.name === 'decodeUplink')).toBe(true);
    expect(fresh).not.toMatch(/\brequire\(|\bimport\b|\bexport\b/);
  });
});

describe('decodeUplink in the sandbox', () => {
  it('reference readings in human units', () => {
    const out = sandboxDecode({ bytes: arr(V.readings[0].hex), fPort: 1 });
    expect(out).toEqual({
      data: { pm25: 12.3, pm10: 25, temperature: 18.4, relativeHumidity: 65, pressure: 1013.2, noise: 62.5, battery: 3.71, status: 0, flags: [] },
      warnings: [], errors: [],
    });
  });
  it('every readings vector matches the library decoder', () => {
    for (const v of [...V.readings, ...V.clamped, ...V.future]) {
      const input = { bytes: arr(v.hex), fPort: 1 };
      const out = sandboxDecode(input);
      expect(out).toEqual(plain(libDecodeUplink(input)));
      const r = decodeReadings(Uint8Array.from(input.bytes)) as Readings;
      if (r.tempDeciC !== undefined) expect(out.data.temperature).toBe(r.tempDeciC / 10);
      if (r.batteryMv !== undefined) expect(out.data.battery).toBe(r.batteryMv / 1000);
      expect(out.errors).toEqual([]);
    }
    const fut = sandboxDecode({ bytes: arr(V.future[0].hex), fPort: 1 });
    expect(fut.data.unknownKinds).toBe(1);
    expect(fut.warnings.length).toBe(1);
    const pmFail = sandboxDecode({ bytes: arr(V.readings[1].hex), fPort: 1 });
    expect(pmFail.data.flags).toEqual(['PM_FAULT']);
  });
  it('errors are reported, never thrown', () => {
    for (const v of V.errors) {
      const out = sandboxDecode({ bytes: arr(v.hex), fPort: 1 });
      expect(out.errors.length).toBe(1);
      expect(out.data).toEqual({});
    }
    expect(sandboxDecode({ bytes: [1, 2], fPort: 0 }).errors.length).toBe(1);
  });
  it('status (FPort 2) and alert (FPort 3)', () => {
    expect(sandboxDecode({ bytes: arr(V.status[0].hex), fPort: 2 }).data).toEqual({
      firmware: '1.2.3', uptimeS: 86400, resetCause: 'watchdog', status: 0, flags: [], reportIntervalS: 300, pm25AlertThreshold: 50, bootCount: 7,
    });
    expect(sandboxDecode({ bytes: arr(V.alert[0].hex), fPort: 3 }).data).toEqual({ alert: 'pm25', rising: true, value: 63.2, threshold: 50 });
  });
  it('Cayenne LPP on other ports, named like TTS', () => {
    const out = sandboxDecode({ bytes: arr(L.vectors[3].hex), fPort: 5 });
    expect(out.data).toEqual({ temperature_1: -4.1, relative_humidity_2: 76.5, barometric_pressure_3: 1003.4, voltage_4: 3.61 });
    expect(sandboxDecode({ bytes: arr(L.vectors[2].hex), fPort: 9 }).data).toEqual({ gps_1: { latitude: 42.3519, longitude: -87.9094, altitude: 10 } });
    expect(sandboxDecode({ bytes: arr(L.vectors[1].hex), fPort: 9 }).data).toEqual({ accelerometer_6: { x: 1.234, y: -1.234, z: 0 } });
    expect(sandboxDecode({ bytes: [0x03, 0x42], fPort: 9 }).errors.length).toBe(1);
  });
  it('random frames: sandbox = library, on every port, without throwing', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 24 }), fc.constantFrom(1, 1, 1, 2, 3, 7), (bytes, fPort) => {
      if (fPort === 1 && bytes.length) bytes[0] = (bytes[0] & 0x1f) | 0x20;
      expect(sandboxDecode({ bytes, fPort })).toEqual(plain(libDecodeUplink({ bytes, fPort })));
    }), { numRuns: 3000 });
  });
  it('valid random frames decode to the encoded values', () => {
    fc.assert(fc.property(fc.record({
      pm25DeciUgm3: fc.integer({ min: 0, max: 32767 }), tempDeciC: fc.integer({ min: -500, max: 1547 }),
      rhHalfPct: fc.integer({ min: 0, max: 200 }), batteryMv: fc.integer({ min: 0, max: 1023 }).map((c) => c * 10),
    }, { requiredKeys: [] }), (r) => {
      const d = sandboxDecode({ bytes: [...encodeReadings(r)], fPort: 1 }).data;
      if (r.pm25DeciUgm3 !== undefined) expect(d.pm25).toBe(r.pm25DeciUgm3 / 10);
      if (r.tempDeciC !== undefined) expect(d.temperature).toBe(r.tempDeciC / 10);
      if (r.rhHalfPct !== undefined) expect(d.relativeHumidity).toBe(r.rhHalfPct / 2);
      if (r.batteryMv !== undefined) expect(d.battery).toBe(r.batteryMv / 1000);
    }), { numRuns: 500 });
    expect(sandboxDecode({ bytes: [...encodeStatusFrame({ fwMajor: 2, fwMinor: 0, fwPatch: 9, uptimeS: 1, resetCause: 42, status: 0x21, reportIntervalS: 60, pm25AlertDeciUgm3: 0, bootCount: 1 })], fPort: 2 }).data.resetCause).toBe('code 42');
    expect(sandboxDecode({ bytes: [...encodeAlert({ kind: 2, rising: false, value: -105, threshold: -100 })], fPort: 3 }).data).toEqual({ alert: 'temperature', rising: false, value: -10.5, threshold: -10 });
  });
});
