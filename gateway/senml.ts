// SenML (RFC 8428) packs for uplinks, in the CBOR representation (RFC 8428 §6: integer labels,
// byte strings for vd) and, for the JSON mirror, the JSON one (§5). A consumer with only a CBOR
// decoder and RFC 8428 can read every field: the pack is a CBOR array of maps keyed by the
// integers of RFC 8428 Table 4; names, units and values follow §4 and the IANA SenML Units
// registry (Cel, %RH, Pa, dB, V, kg/m3 [RFC 8798], dBm, Hz); which reading gets which name, unit
// and scale is the reading-kind table, shared/payload/readings.ts.
import { Decoder, Encoder } from 'cbor-x';
import { READINGS, type ReadingKind } from '../shared/payload/readings.ts';
import type { Uplink } from './types.ts';

export interface SenmlRecord {
  bver?: number;
  bn?: string;
  bt?: number;
  bu?: string;
  bv?: number;
  bs?: number;
  n?: string;
  u?: string;
  v?: number;
  vs?: string;
  vb?: boolean;
  vd?: Uint8Array;
  s?: number;
  t?: number;
  ut?: number;
}

/** RFC 8428 Table 4 (CBOR labels). */
export const SENML_LABELS: Record<keyof SenmlRecord, number> = {
  bver: -1, bn: -2, bt: -3, bu: -4, bv: -5, bs: -6, n: 0, u: 1, v: 2, vs: 3, vb: 4, s: 5, t: 6, ut: 7, vd: 8,
};
const LABEL_BY_INT = new Map<number, keyof SenmlRecord>(
  Object.entries(SENML_LABELS).map(([k, v]) => [v, k as keyof SenmlRecord]),
);

export const SENML_CBOR_CONTENT_TYPE = 'application/senml+cbor';
export const SENML_JSON_CONTENT_TYPE = 'application/senml+json';

/** bn of a device: `urn:dev:kerb:<id>:` (a private name, not an RFC 9039 registered subtype). */
export function deviceBaseName(deviceId: string): string {
  return `urn:dev:kerb:${deviceId}:`;
}

/**
 * How each kerb reading becomes a SenML record: name, registry unit, and the factor from the
 * integer on the wire (units in the field name, architecture.md) to the SenML unit. Built from the
 * reading-kind table (shared/payload/readings.ts); the status flags follow the readings, unitless.
 */
export interface ReadingRecord { key: string; n: string; u?: string; scale: number }

export function readingRecords(table: ReadingKind[]): ReadingRecord[] {
  return [
    ...table.map((k) => ({ key: k.key, n: k.senmlName, u: k.senmlUnit, scale: k.senmlScale })),
    { key: 'status', n: 'status', scale: 1 },
  ];
}

export const READING_RECORDS: ReadingRecord[] = readingRecords(READINGS);

/** Names of the radio-metadata records that follow the readings in every pack (docs/gateway.md). */
export const META_NAMES = ['rssi', 'snr', 'sf', 'bw', 'freq', 'gateway', 'radio', 'fcnt', 'fport', 'devaddr', 'confirmed', 'payload'] as const;

/** Round to a sensible number of significant digits so 21.5 is 21.5, not 21.500000000000004. */
function tidy(x: number): number {
  return Number.isInteger(x) ? x : Number(x.toPrecision(12));
}

/**
 * tidy(raw * scale) without the string round trip, for the integers the payload codec produces:
 * dividing by the exact integer 1/scale (10, 2, 1000, 1e10) gives the double nearest to the decimal
 * value, which is what tidy's 12 significant digits parse back to (test/gateway/senml-cbor.test.ts
 * compares the two over the whole range).
 */
export const FAST_SCALE_LIMIT = 70000;
export function scaleReading(raw: number, scale: number): number {
  if (Number.isInteger(raw) && raw >= -FAST_SCALE_LIMIT && raw <= FAST_SCALE_LIMIT) {
    if (scale >= 1 && Number.isInteger(scale)) return raw * scale;
    const d = Math.round(1 / scale);
    if (Math.abs(1 / scale - d) < 1e-9 * d) return raw / d;
  }
  return tidy(raw * scale);
}

export function devAddrHex(devAddr: number): string {
  return (devAddr >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * One pack per uplink: the first record carries bn (the device) and bt (reception time, s since
 * epoch, RFC 8428 §4.5.3); the readings follow, then the radio metadata, then (for ports that carry
 * no kerb readings) the raw FRMPayload as `payload` in vd.
 */
export function uplinkToSenml(u: Uplink, table: ReadingKind[] = READINGS): SenmlRecord[] {
  const recs: SenmlRecord[] = [];
  const r = u.readings as Record<string, number | undefined> | null | undefined;
  if (r) {
    for (const d of table === READINGS ? READING_RECORDS : readingRecords(table)) {
      const raw = r[d.key];
      if (typeof raw !== 'number') continue;
      const rec: SenmlRecord = { n: d.n, v: scaleReading(raw, d.scale) };
      if (d.u) rec.u = d.u;
      recs.push(rec);
    }
  }
  const m = u.meta;
  recs.push(
    { n: 'rssi', u: 'dBm', v: m.rssiDbm },
    { n: 'snr', u: 'dB', v: m.snrDb },
    { n: 'sf', v: m.sf },
    { n: 'bw', u: 'Hz', v: m.bwHz },
    { n: 'freq', u: 'Hz', v: m.freqHz },
    { n: 'gateway', vs: m.gatewayId },
    { n: 'radio', vs: m.radioId },
    { n: 'fcnt', v: u.fcnt },
    { n: 'fport', v: u.fport },
    { n: 'devaddr', vs: devAddrHex(u.devAddr) },
    { n: 'confirmed', vb: u.confirmed },
  );
  // DevStatusAns (LoRaWAN 1.0.4 §5.6): raw battery level (0 external power, 1..254, 255 unknown) and
  // the device's demodulation margin of our last DevStatusReq.
  if (u.devStatus) recs.push({ n: 'devstatus_battery', v: u.devStatus.battery }, { n: 'devstatus_margin', u: 'dB', v: u.devStatus.marginDb });
  if (!r) recs.push({ n: 'payload', vd: u.payload });
  const first = recs[0]!;
  recs[0] = { bn: deviceBaseName(u.deviceId), bt: u.receivedAt / 1000, ...first };
  return recs;
}

// cbor-x does the encoding (a well-kept library over a hand-written encoder): one Encoder instance
// reused for every pack; records become Maps so the RFC 8428 integer labels stay integers.
const encoder = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: false, variableMapSize: true });
const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });

/** RFC 8428 §6: a CBOR array of maps with integer labels. */
export function encodeSenmlCbor(pack: SenmlRecord[]): Uint8Array {
  const arr = pack.map((rec) => {
    const m = new Map<number, unknown>();
    for (const k of Object.keys(rec) as (keyof SenmlRecord)[]) {
      const v = rec[k];
      if (v === undefined) continue;
      m.set(SENML_LABELS[k], v instanceof Uint8Array && !(v instanceof Buffer) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
    }
    return m;
  });
  const out = encoder.encode(arr);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decodes SenML-CBOR (integer labels; string labels are accepted too). Throws on non-SenML input. */
export function decodeSenmlCbor(bytes: Uint8Array): SenmlRecord[] {
  const top: unknown = decoder.decode(bytes);
  if (!Array.isArray(top)) throw new Error('SenML pack must be a CBOR array');
  return top.map((item: unknown) => {
    const rec: Record<string, unknown> = {};
    const entries: [unknown, unknown][] =
      item instanceof Map ? [...item.entries()] : item && typeof item === 'object' ? Object.entries(item) : [];
    if (!entries.length && !(item instanceof Map)) throw new Error('SenML record must be a CBOR map');
    for (const [k, v] of entries) {
      const label = typeof k === 'number' ? LABEL_BY_INT.get(k) : typeof k === 'string' && /^-?\d+$/.test(k) ? LABEL_BY_INT.get(Number(k)) : (k as keyof SenmlRecord);
      if (!label) continue; // RFC 8428 §4.4: unknown non-_ labels may be ignored by this reader
      rec[label] = v instanceof Uint8Array ? new Uint8Array(v) : v;
    }
    return rec as SenmlRecord;
  });
}

/** RFC 8428 §5 JSON representation (vd as base64url without padding). */
export function senmlToJson(pack: SenmlRecord[]): string {
  return JSON.stringify(
    pack.map((rec) => {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(rec) as (keyof SenmlRecord)[]) {
        const v = rec[k];
        if (v === undefined) continue;
        o[k] = v instanceof Uint8Array ? Buffer.from(v).toString('base64url') : v;
      }
      return o;
    }),
  );
}

export interface ResolvedRecord {
  name: string;
  unit?: string;
  value?: number;
  stringValue?: string;
  boolValue?: boolean;
  dataValue?: Uint8Array;
  time: number; // seconds since epoch
}

/** RFC 8428 §4.6 resolution: apply bn/bt/bu/bv to every record. */
export function resolveSenml(pack: SenmlRecord[], nowS = Date.now() / 1000): ResolvedRecord[] {
  let bn = '';
  let bt = 0;
  let bu: string | undefined;
  let bv = 0;
  const out: ResolvedRecord[] = [];
  for (const r of pack) {
    if (r.bn !== undefined) bn = r.bn;
    if (r.bt !== undefined) bt = r.bt;
    if (r.bu !== undefined) bu = r.bu;
    if (r.bv !== undefined) bv = r.bv;
    const hasValue = r.v !== undefined || r.vs !== undefined || r.vb !== undefined || r.vd !== undefined || r.s !== undefined;
    if (!hasValue && r.bv === undefined) continue;
    let time = bt + (r.t ?? 0);
    if (time < 2 ** 28) time = nowS + time; // §4.5.3: small values are relative to now
    const rec: ResolvedRecord = { name: bn + (r.n ?? ''), time };
    const unit = r.u ?? bu;
    if (unit !== undefined) rec.unit = unit;
    if (r.v !== undefined || (r.bv !== undefined && !hasValue)) rec.value = bv + (r.v ?? 0);
    if (r.vs !== undefined) rec.stringValue = r.vs;
    if (r.vb !== undefined) rec.boolValue = r.vb;
    if (r.vd !== undefined) rec.dataValue = r.vd;
    out.push(rec);
  }
  return out;
}
