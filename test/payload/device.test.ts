// The payload codec, link framing, airtime and duty-cycle code as the device gets it: bundled by
// the firmware pipeline (firmware/build/bundle.ts, Espruino target + post-bundle subset checker),
// then run in a sandbox without the built-ins Espruino lacks (docs/device-subset.md) and compared
// with the same code run as TypeScript on V8.
import { describe, it, expect, beforeAll } from 'vitest';
import vm from 'node:vm';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bundleSource, type BundleResult } from '../../firmware/build/bundle.ts';
import { encodeReadings, decodeReadings } from '../../shared/payload/kerb.ts';
import { encodeLinkMessage } from '../../shared/link/link.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const P = JSON.parse(readFileSync(new URL('../vectors/payload-kerb.json', import.meta.url), 'utf8'));
const K = JSON.parse(readFileSync(new URL('../vectors/link-messages.json', import.meta.url), 'utf8'));

const ENTRY = `
import { encodeReadings, decodeReadings, encodeStatusFrame, decodeStatusFrame, encodeAlert, decodeAlert } from './shared/payload/kerb.ts';
import { encodeLinkMessage, createDeframer } from './shared/link/link.ts';
import { timeOnAirMs } from './shared/lorawan/airtime.ts';
import { createDutyCycle } from './shared/lorawan/dutycycle.ts';
declare const kerbExports: Record<string, unknown>;
kerbExports.encodeReadings = encodeReadings; kerbExports.decodeReadings = decodeReadings;
kerbExports.encodeStatusFrame = encodeStatusFrame; kerbExports.decodeStatusFrame = decodeStatusFrame;
kerbExports.encodeAlert = encodeAlert; kerbExports.decodeAlert = decodeAlert;
kerbExports.encodeLinkMessage = encodeLinkMessage; kerbExports.createDeframer = createDeframer;
kerbExports.timeOnAirMs = timeOnAirMs; kerbExports.createDutyCycle = createDutyCycle;
`;

let built: BundleResult;
let run: (expr: string) => unknown;

beforeAll(async () => {
  built = await bundleSource(ENTRY, {}, ROOT);
  const ctx = vm.createContext({ kerbExports: {} });
  // Built-ins missing on Espruino 2v29 (docs/device-subset.md): a use would throw here.
  vm.runInContext(`for (const k of ['Map','Set','WeakMap','Symbol','Proxy','Reflect','BigInt']) delete globalThis[k];
    delete Array.from; delete Array.of; delete Object.freeze; delete Number.isInteger; delete Math.trunc;`, ctx);
  vm.runInContext(built.code, ctx);
  run = (expr) => vm.runInContext(expr, ctx);
});

const hexIn = (h: string) => `new Uint8Array([${[...Buffer.from(h, 'hex')].join(',')}])`;
const toHex = (u: unknown) => Buffer.from(u as Uint8Array).toString('hex');

describe('shared codecs as an Espruino bundle', () => {
  it('pass the firmware bundler and the Espruino-subset checker', () => {
    expect(built.buildErrors).toEqual([]);
    expect(built.violations).toEqual([]);
    expect(built.ok).toBe(true);
    console.log(`payload + link + airtime + duty-cycle bundle: ${built.bytes} bytes`);
  });
  it('encode and decode the readings vectors like V8 does', () => {
    for (const v of P.readings) {
      expect(toHex(run(`kerbExports.encodeReadings(${JSON.stringify(v.readings)})`))).toBe(v.hex);
      expect(JSON.parse(JSON.stringify(run(`kerbExports.decodeReadings(${hexIn(v.hex)})`)))).toEqual(v.readings);
    }
    for (const v of P.errors) expect(run(`kerbExports.decodeReadings(${hexIn(v.hex)})`)).toBe(v.code);
    const r = { pm25DeciUgm3: 99999, tempDeciC: -1234, status: 0x300 };
    expect(toHex(run(`kerbExports.encodeReadings(${JSON.stringify(r)})`))).toBe(toHex(encodeReadings(r)));
    expect(decodeReadings(encodeReadings(r))).toBeTypeOf('object');
  });
  it('frame and deframe the link vectors', () => {
    for (const v of K.messages) {
      const m = v.message.payload !== undefined ? `Object.assign(${JSON.stringify(v.message)}, { payload: ${hexIn(v.message.payload)} })` : JSON.stringify(v.message);
      expect(toHex(run(`kerbExports.encodeLinkMessage(${m})`))).toBe(v.wire);
      const got = run(`(function () { var out = []; var d = kerbExports.createDeframer(function (m) { out.push(m); }, function (c) { out.push(c); });
        var w = ${hexIn(v.wire)}; for (var i = 0; i < w.length; i++) d.push(w.subarray(i, i + 1)); return out; })()`) as unknown[];
      expect(got.length).toBe(1);
      expect(toHex(encodeLinkMessage(got[0] as Parameters<typeof encodeLinkMessage>[0]))).toBe(v.wire);
    }
  });
  it('time on air and duty cycle', () => {
    expect(run('kerbExports.timeOnAirMs(12, 125000, 1, 25, 8, true, true)')).toBeCloseTo(1482.752, 9);
    expect(run('(function () { var d = kerbExports.createDutyCycle(); d.record(868100000, 0, 100); return d.nextFreeMs(868300000, 100); })()')).toBeCloseTo(10000, 9);
  });
});
