// Payload formatter for The Things Stack and ChirpStack v4: decodeUplink({bytes, fPort}) →
// {data, warnings, errors} (TTS docs "JavaScript uplink formatters": errors set = decoding failed;
// ChirpStack v4 codec: decodeUplink(input) returning {data}). firmware/build/formatter.ts bundles
// this file into docs/kerb-formatter.js, a standalone ES5.1 script (TTS runs formatters on an
// ECMAScript 5.1 runtime) with a top-level `function decodeUplink(input)`.
// input.bytes is a plain array there: the decoders below only index and read .length, so no typed
// array is needed at run time (the build test deletes Uint8Array from the sandbox to prove it).
// Output uses the human units of the reading-kind table (readings.ts): µg/m³, °C, %, hPa, dB(A), V
// (docs/protocol.md §2.5).

import {
  decodeReadings, decodeStatusFrame, decodeAlert,
  FPORT_READINGS, FPORT_STATUS, FPORT_ALERT, STATUS_CLAMPED,
  PAYLOAD_ERR_TRUNCATED, PAYLOAD_ERR_VERSION, PAYLOAD_ERR_TRAILING, PAYLOAD_ERR_EMPTY,
  PAYLOAD_ERR_STATUS, PAYLOAD_ERR_LENGTH, PAYLOAD_ERR_VALUE, LPP_ERR_TRUNCATED, LPP_ERR_TYPE,
} from './kerb.ts';
import { decodeLpp, lppTypeName, LPP_GPS, LPP_COLOUR } from './lpp.ts';
import { READINGS, STATUS_FLAGS, type ReadingKind } from './readings.ts';
import { flagNames, humanReadings, humanValue, kindBySlot } from './human.ts';

export interface UplinkInput { bytes: number[]; fPort: number }
export interface UplinkOutput { data: { [k: string]: unknown }; warnings: string[]; errors: string[] }

// Output field names, human units and flag names come from the reading-kind table (readings.ts).
export const RESET_NAMES = ['unknown', 'power-on', 'watchdog', 'software', 'brown-out', 'error', 'pin'];

export function errorText(code: number): string {
  switch (code) {
    case PAYLOAD_ERR_TRUNCATED: return 'frame truncated';
    case PAYLOAD_ERR_VERSION: return 'unsupported payload version';
    case PAYLOAD_ERR_TRAILING: return 'unexpected bytes after the last field';
    case PAYLOAD_ERR_EMPTY: return 'empty payload';
    case PAYLOAD_ERR_STATUS: return 'status field too long';
    case PAYLOAD_ERR_LENGTH: return 'wrong frame length';
    case PAYLOAD_ERR_VALUE: return 'field holds a forbidden value';
    case LPP_ERR_TRUNCATED: return 'Cayenne LPP: value truncated';
    case LPP_ERR_TYPE: return 'Cayenne LPP: unknown type';
    default: return 'decode error ' + code;
  }
}

export function statusFlagNames(status: number): string[] {
  return flagNames(status, STATUS_FLAGS);
}

function fail(code: number): UplinkOutput {
  return { data: {}, warnings: [], errors: [errorText(code)] };
}

function readingsOut(bytes: Uint8Array, table: ReadingKind[]): UplinkOutput {
  const r = decodeReadings(bytes);
  if (typeof r === 'number') return fail(r);
  const data: { [k: string]: unknown } = humanReadings(r as { [k: string]: number | undefined }, table);
  const warnings: string[] = [];
  const status = r.status || 0;
  data.status = status;
  data.flags = statusFlagNames(status);
  if (status & STATUS_CLAMPED) warnings.push('a reading was outside its range and was saturated');
  if (r.unknownKinds) {
    data.unknownKinds = r.unknownKinds;
    warnings.push(r.unknownKinds + ' reading kind(s) unknown to this formatter were skipped; update the formatter');
  }
  return { data: data, warnings: warnings, errors: [] };
}

function statusOut(bytes: Uint8Array): UplinkOutput {
  const s = decodeStatusFrame(bytes);
  if (typeof s === 'number') return fail(s);
  return {
    data: {
      firmware: s.fwMajor + '.' + s.fwMinor + '.' + s.fwPatch,
      uptimeS: s.uptimeS,
      resetCause: s.resetCause < RESET_NAMES.length ? RESET_NAMES[s.resetCause] : 'code ' + s.resetCause,
      status: s.status,
      flags: statusFlagNames(s.status),
      reportIntervalS: s.reportIntervalS,
      pm25AlertThreshold: s.pm25AlertDeciUgm3 / 10,
      bootCount: s.bootCount,
    },
    warnings: [],
    errors: [],
  };
}

function alertOut(bytes: Uint8Array, table: ReadingKind[]): UplinkOutput {
  const a = decodeAlert(bytes);
  if (typeof a === 'number') return fail(a);
  const k = kindBySlot(table, a.kind);
  return {
    data: {
      alert: k ? k.name : 'kind ' + a.kind,
      rising: a.rising,
      value: k ? humanValue(k, a.value) : a.value,
      threshold: k ? humanValue(k, a.threshold) : a.threshold,
    },
    warnings: k ? [] : ['alert for a reading kind unknown to this formatter'],
    errors: [],
  };
}

/** Third-party nodes on other ports: Cayenne LPP, named like TTS's built-in LPP formatter (`temperature_3`). */
function lppOut(bytes: Uint8Array, fPort: number): UplinkOutput {
  const l = decodeLpp(bytes);
  if (typeof l === 'number') return { data: {}, warnings: [], errors: ['fPort ' + fPort + ' is not a kerb port and the payload is not Cayenne LPP (' + errorText(l) + ')'] };
  const data: { [k: string]: unknown } = {};
  for (let i = 0; i < l.length; i++) {
    const f = l[i];
    const key = lppTypeName(f.type) + '_' + f.channel;
    let v: unknown = f.value;
    if (f.type === LPP_GPS) v = { latitude: f.values[0], longitude: f.values[1], altitude: f.values[2] };
    else if (f.type === LPP_COLOUR) v = { r: f.values[0], g: f.values[1], b: f.values[2] };
    else if (f.values.length === 3) v = { x: f.values[0], y: f.values[1], z: f.values[2] };
    data[key] = v;
  }
  return { data: data, warnings: ['decoded as Cayenne LPP'], errors: [] };
}

/** decodeUplink over a given reading-kind table (tests pass a copy with an extra kind). */
export function decodeUplinkWith(input: UplinkInput, table: ReadingKind[]): UplinkOutput {
  const bytes = input.bytes as unknown as Uint8Array;
  const port = input.fPort;
  if (port === FPORT_READINGS) return readingsOut(bytes, table);
  if (port === FPORT_STATUS) return statusOut(bytes);
  if (port === FPORT_ALERT) return alertOut(bytes, table);
  if (port > 0 && port < 224) return lppOut(bytes, port);
  return { data: {}, warnings: [], errors: ['fPort ' + port + ' carries no application data'] };
}

export function decodeUplink(input: UplinkInput): UplinkOutput {
  return decodeUplinkWith(input, READINGS);
}
