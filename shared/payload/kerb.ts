// kerb v1 sensor payload codec (FPort 1 readings, FPort 2 status frame, FPort 3 alert).
// Byte-exact layout, ranges and worked examples: docs/protocol.md §2. Device code: Espruino subset,
// no module state, errors are numeric codes, decoders never throw.
//
// Readings frame = MSB-first bit stream:
//   ver(3) | S(1) | presence(7, kind 0 first) | X(1) | [ext group: presence(7) X(1)]* |
//   [status: LEB128-style 7+1 bit groups, if S] | fields of present kinds in kind order | zero pad
// Why a bit stream rather than bytes: the reference message needs 83 value bits at LPP resolution;
// byte-aligned fields would cost 15 bytes, the bit stream 12 (93 bits incl. a 12-bit header).
// Why presence bits in a fixed kind order: absent readings cost one bit, and because kinds are only
// ever appended (extension groups after the known ones, their fields after the known fields) an old
// decoder reads every kind it knows at the right offset and can count the new ones it cannot read.

import {
  KERB_VERSION, KIND_COUNT, STATUS_CLAMPED, STATUS_MAX,
  PAYLOAD_ERR_TRUNCATED, PAYLOAD_ERR_VERSION, PAYLOAD_ERR_TRAILING, PAYLOAD_ERR_EMPTY,
  PAYLOAD_ERR_STATUS, PAYLOAD_ERR_LENGTH, PAYLOAD_ERR_VALUE,
  STATUS_FRAME_VERSION, STATUS_FRAME_LEN, ALERT_FRAME_VERSION, ALERT_FRAME_LEN, ALERT_RISING,
} from './constants.ts';

export * from './constants.ts';

/** Fixed-point readings, integers, units in the names (docs/architecture.md contract). */
export interface Readings {
  pm25DeciUgm3?: number; pm10DeciUgm3?: number; // µg/m³ × 10
  tempDeciC?: number;    // °C × 10
  rhHalfPct?: number;    // %RH × 2
  pressureDeciHpa?: number; // hPa × 10
  noiseDeciDb?: number;  // dB(A) × 10
  batteryMv?: number;    // mV (10 mV resolution on air)
  status?: number;       // node status flags (STATUS_* bits)
  /** Set by the decoder only: number of reading kinds present that this decoder does not know. */
  unknownKinds?: number;
}

/** Field names in kind order (KIND_* constants index these tables). */
export const KIND_FIELDS = ['pm25DeciUgm3', 'pm10DeciUgm3', 'tempDeciC', 'rhHalfPct', 'pressureDeciHpa', 'noiseDeciDb', 'batteryMv'];
/** Width in bits of each kind's field. */
export const KIND_BITS = [15, 15, 11, 8, 13, 11, 10];
/** Value (in the Readings unit) that code 0 stands for. */
export const KIND_OFFSET = [0, 0, -500, 0, 3000, 0, 0];
/** Readings units per code step (battery: 10 mV per code). */
export const KIND_STEP = [1, 1, 1, 1, 1, 1, 10];
/** Highest valid code (all ones except RH, which stops at 100 %RH). */
export const KIND_MAX_CODE = [32767, 32767, 2047, 200, 8191, 2047, 1023];

/** Reading value range as encodable: [min, max] in Readings units for kind k. */
export function kindRange(k: number): number[] {
  return [KIND_OFFSET[k], KIND_OFFSET[k] + KIND_MAX_CODE[k] * KIND_STEP[k]];
}

interface BitCursor { buf: Uint8Array; pos: number }

function putBits(w: BitCursor, value: number, n: number): void {
  // MSB first; n <= 24 so shifts stay within 31-bit signed range.
  for (let i = n - 1; i >= 0; i--) {
    if ((value >> i) & 1) w.buf[w.pos >> 3] |= 0x80 >> (w.pos & 7);
    w.pos++;
  }
}

/** Reads n bits MSB-first; the caller has checked that n bits remain. */
function getBits(r: BitCursor, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    v = (v << 1) | ((r.buf[r.pos >> 3] >> (7 - (r.pos & 7))) & 1);
    r.pos++;
  }
  return v;
}

function isNum(v: unknown): boolean {
  return typeof v === 'number' && v === v && v !== Infinity && v !== -Infinity;
}

/**
 * encodeReadings for a caller that keeps readings by kind: v[k] (Readings units, finite) for each
 * kind k whose bit is set in present, and the status flags. The sensor node uses this form, so the
 * device carries neither the field names nor a Readings object.
 */
export function encodeKinds(v: ArrayLike<number>, present: number, st: number): Uint8Array {
  const codes = new Int32Array(KIND_COUNT);
  let nbits = 12;
  let clamped = false;
  for (let k = 0; k < KIND_COUNT; k++) {
    if (!((present >> k) & 1)) continue;
    let c = Math.round((v[k] - KIND_OFFSET[k]) / KIND_STEP[k]);
    if (c < 0) { c = 0; clamped = true; }
    if (c > KIND_MAX_CODE[k]) { c = KIND_MAX_CODE[k]; clamped = true; }
    codes[k] = c;
    nbits += KIND_BITS[k];
  }
  let status = Math.round(st);
  if (status < 0 || status > STATUS_MAX) status = 0;
  if (clamped) status |= STATUS_CLAMPED;
  // LEB128 status: one byte per started group of 7 bits.
  for (let g = status; g !== 0; g = Math.floor(g / 128)) nbits += 8;
  const w: BitCursor = { buf: new Uint8Array((nbits + 7) >> 3), pos: 0 };
  putBits(w, KERB_VERSION, 3);
  putBits(w, status !== 0 ? 1 : 0, 1);
  for (let k = 0; k < KIND_COUNT; k++) putBits(w, (present >> k) & 1, 1);
  putBits(w, 0, 1); // no extension groups in v1 encoders
  if (status !== 0) {
    let s = status;
    for (;;) {
      const more = s >= 0x80;
      putBits(w, (more ? 0x80 : 0) | (s & 0x7f), 8);
      if (!more) break;
      s = Math.floor(s / 128);
    }
  }
  for (let k = 0; k < KIND_COUNT; k++) if ((present >> k) & 1) putBits(w, codes[k], KIND_BITS[k]);
  return w.buf;
}

/**
 * Encodes readings (FPort 1). Absent or non-finite readings are left out. Values outside a field's
 * range are saturated to the nearest end and STATUS_CLAMPED is set (docs §2.1 "Out of range").
 * Non-integers are rounded to the on-air resolution. O(1), one allocation.
 */
export function encodeReadings(r: Readings): Uint8Array {
  const rr = r as { [k: string]: number | undefined };
  const v = [0, 0, 0, 0, 0, 0, 0];
  let present = 0;
  for (let k = 0; k < KIND_COUNT; k++) {
    const x = rr[KIND_FIELDS[k]];
    if (!isNum(x)) continue;
    v[k] = x as number;
    present |= 1 << k;
  }
  return encodeKinds(v, present, isNum(r.status) ? (r.status as number) : 0);
}

/**
 * Decodes a readings frame. Returns PAYLOAD_ERR_* on a frame that is empty, cut short, of another
 * version, carries forbidden values or non-zero padding. Kinds this decoder does not know are
 * counted in unknownKinds (their fields follow the known ones, so known values are still right).
 */
export function decodeReadings(b: Uint8Array): Readings | number {
  const len = b.length;
  if (len === 0) return PAYLOAD_ERR_EMPTY;
  const total = len * 8;
  const r: BitCursor = { buf: b, pos: 0 };
  if (total < 12) return PAYLOAD_ERR_TRUNCATED;
  if (getBits(r, 3) !== KERB_VERSION) return PAYLOAD_ERR_VERSION;
  const hasStatus = getBits(r, 1);
  let present = 0;
  for (let k = 0; k < KIND_COUNT; k++) present |= getBits(r, 1) << k;
  let ext = getBits(r, 1);
  let unknown = 0;
  while (ext) {
    if (total - r.pos < 8) return PAYLOAD_ERR_TRUNCATED;
    let g = getBits(r, 7);
    ext = getBits(r, 1);
    // The last group must name a kind, or it is padding no encoder emits (canonical form).
    if (!ext && g === 0) return PAYLOAD_ERR_VALUE;
    while (g) { unknown += g & 1; g >>= 1; }
  }
  const out: Readings = {};
  const o = out as { [k: string]: number };
  if (hasStatus) {
    let s = 0;
    let mul = 1;
    for (let i = 0; ; i++) {
      if (i === 4) return PAYLOAD_ERR_STATUS;
      if (total - r.pos < 8) return PAYLOAD_ERR_TRUNCATED;
      const g = getBits(r, 8);
      s += (g & 0x7f) * mul;
      mul *= 128;
      if (!(g & 0x80)) {
        // Canonical form only (what encodeReadings emits): no status field for 0, no zero top group.
        if (g === 0) return PAYLOAD_ERR_VALUE;
        break;
      }
    }
    out.status = s;
  }
  for (let k = 0; k < KIND_COUNT; k++) {
    if (!((present >> k) & 1)) continue;
    if (total - r.pos < KIND_BITS[k]) return PAYLOAD_ERR_TRUNCATED;
    const c = getBits(r, KIND_BITS[k]);
    if (c > KIND_MAX_CODE[k]) return PAYLOAD_ERR_VALUE;
    o[KIND_FIELDS[k]] = KIND_OFFSET[k] + c * KIND_STEP[k];
  }
  if (unknown > 0) {
    out.unknownKinds = unknown;
  } else {
    // Only zero padding up to the byte boundary may follow: anything else means a misparse.
    if (total - r.pos >= 8) return PAYLOAD_ERR_TRAILING;
    if (getBits(r, total - r.pos) !== 0) return PAYLOAD_ERR_TRAILING;
  }
  return out;
}

// ---- FPort 2: status frame (17 bytes, byte-aligned, little-endian; docs §2.3) ----

export interface StatusFrame {
  fwMajor: number; fwMinor: number; fwPatch: number; // firmware version
  uptimeS: number;          // seconds since boot, uint32
  resetCause: number;       // RESET_*
  status: number;           // STATUS_* flags, uint16 on air
  reportIntervalS: number;  // current reporting interval, uint16
  pm25AlertDeciUgm3: number; // PM2.5 alert threshold (µg/m³ × 10), uint16; 0 = alerts off
  bootCount: number;        // boots since provisioning, uint16 (wraps)
}

function u8(v: number): number { return Math.max(0, Math.min(255, Math.round(v) || 0)); }
function u16(v: number): number { return Math.max(0, Math.min(65535, Math.round(v) || 0)); }

export function encodeStatusFrame(s: StatusFrame): Uint8Array {
  const b = new Uint8Array(STATUS_FRAME_LEN);
  const up = Math.max(0, Math.min(4294967295, Math.round(s.uptimeS) || 0));
  b[0] = STATUS_FRAME_VERSION;
  b[1] = u8(s.fwMajor); b[2] = u8(s.fwMinor); b[3] = u8(s.fwPatch);
  b[4] = up & 255; b[5] = (up >>> 8) & 255; b[6] = (up >>> 16) & 255; b[7] = (up >>> 24) & 255;
  b[8] = u8(s.resetCause);
  const st = u16(s.status);
  b[9] = st & 255; b[10] = st >> 8;
  const ri = u16(s.reportIntervalS);
  b[11] = ri & 255; b[12] = ri >> 8;
  const th = u16(s.pm25AlertDeciUgm3);
  b[13] = th & 255; b[14] = th >> 8;
  const bc = (Math.round(s.bootCount) || 0) & 0xffff;
  b[15] = bc & 255; b[16] = bc >> 8;
  return b;
}

export function decodeStatusFrame(b: Uint8Array): StatusFrame | number {
  if (b.length === 0) return PAYLOAD_ERR_EMPTY;
  if (b[0] !== STATUS_FRAME_VERSION) return PAYLOAD_ERR_VERSION;
  if (b.length < STATUS_FRAME_LEN) return PAYLOAD_ERR_TRUNCATED;
  if (b.length > STATUS_FRAME_LEN) return PAYLOAD_ERR_LENGTH;
  return {
    fwMajor: b[1], fwMinor: b[2], fwPatch: b[3],
    uptimeS: (b[4] | (b[5] << 8) | (b[6] << 16)) + b[7] * 16777216,
    resetCause: b[8],
    status: b[9] | (b[10] << 8),
    reportIntervalS: b[11] | (b[12] << 8),
    pm25AlertDeciUgm3: b[13] | (b[14] << 8),
    bootCount: b[15] | (b[16] << 8),
  };
}

// ---- FPort 3: alert frame (7 bytes; docs §2.4) ----

export interface Alert {
  kind: number;      // KIND_* of the reading that crossed its threshold
  rising: boolean;   // true: crossed upwards (alert raised); false: fell back below (cleared)
  value: number;     // reading in its Readings unit (int16 on air; battery in mV)
  threshold: number; // threshold in the same unit (int16)
}

function i16(v: number): number { return Math.max(-32768, Math.min(32767, Math.round(v) || 0)); }

export function encodeAlert(a: Alert): Uint8Array {
  const b = new Uint8Array(ALERT_FRAME_LEN);
  const v = i16(a.value) & 0xffff;
  const t = i16(a.threshold) & 0xffff;
  b[0] = ALERT_FRAME_VERSION;
  b[1] = u8(a.kind);
  b[2] = a.rising ? ALERT_RISING : 0;
  b[3] = v & 255; b[4] = v >> 8;
  b[5] = t & 255; b[6] = t >> 8;
  return b;
}

export function decodeAlert(b: Uint8Array): Alert | number {
  if (b.length === 0) return PAYLOAD_ERR_EMPTY;
  if (b[0] !== ALERT_FRAME_VERSION) return PAYLOAD_ERR_VERSION;
  if (b.length < ALERT_FRAME_LEN) return PAYLOAD_ERR_TRUNCATED;
  if (b.length > ALERT_FRAME_LEN) return PAYLOAD_ERR_LENGTH;
  if (b[2] & ~ALERT_RISING) return PAYLOAD_ERR_VALUE;
  const v = b[3] | (b[4] << 8);
  const t = b[5] | (b[6] << 8);
  return {
    kind: b[1],
    rising: (b[2] & ALERT_RISING) !== 0,
    value: v >= 32768 ? v - 65536 : v,
    threshold: t >= 32768 ? t - 65536 : t,
  };
}
