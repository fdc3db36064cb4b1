// kerb serial link between a LoRa radio (bridge board or simulator) and the gateway.
// Wire: 0x00 | COBS( type(1) seq(1) body crc16(2, LE) ) | 0x00 — docs/protocol.md §3.
// Codecs are pure; the deframer is the only state (as in zigbee-herdsman's unpi frame/parser split), it
// resynchronises at every 0x00 and reports problems through onError(code), never by throwing.
// Device code: Espruino subset; one scratch buffer per deframer, no module state.

import {
  LINK_RX, LINK_TX, LINK_TX_RESULT, LINK_STATUS, LINK_PROTO_VERSION, LINK_MAX_FRAME, LINK_MAX_PAYLOAD,
  LINK_RX_HDR, LINK_TX_HDR, LINK_TX_RESULT_LEN, LINK_STATUS_LEN,
  LINK_ERR_OVERSIZE, LINK_ERR_COBS, LINK_ERR_SHORT, LINK_ERR_CRC, LINK_ERR_TYPE, LINK_ERR_LENGTH,
} from './constants.ts';
import { crc16, CRC16_INIT } from './crc16.ts';
import { cobsEncode, cobsDecodeInPlace, cobsMaxLen } from './cobs.ts';

export * from './constants.ts';

/** A packet the radio received (radio → gateway). */
export interface RxPacket {
  type: typeof LINK_RX;
  seq?: number;       // uint8, sender's message counter (wraps); lets the receiver count gaps
  payload: Uint8Array; // PHYPayload, 0..255 bytes
  rssiDbm: number;    // int16, 1 dB
  snrDb: number;      // int8 in 0.25 dB steps on air (SX127x RegPktSnrValue), −32..+31.75
  freqHz: number;     // uint32
  sf: number;         // uint8, 7..12
  bwHz: number;       // uint32
  cr: number;         // uint8, 1..4 = 4/5..4/8
  tsUs: number;       // uint32 radio clock at end of reception (µs, wraps every 71.6 min)
}

/** A transmission the gateway asks for (gateway → radio). */
export interface TxRequest {
  type: typeof LINK_TX;
  seq?: number;
  id: number;         // uint32, echoed in TxResult
  payload: Uint8Array;
  freqHz: number;     // uint32
  sf: number;
  bwHz: number;       // uint32
  cr: number;
  powerDbm: number;   // int8
  invertIq: boolean;  // LoRaWAN downlinks: true
  atUs: number;       // uint32 radio clock at which to start transmitting; 0 = now
}

/** Outcome of a TxRequest (radio → gateway). */
export interface TxResult {
  type: typeof LINK_TX_RESULT;
  seq?: number;
  id: number;         // uint32
  status: number;     // LINK_TX_*
  tsUs: number;       // uint32 radio clock when transmission started (0 if it did not)
}

/** Periodic heartbeat (radio → gateway). */
export interface Status {
  type: typeof LINK_STATUS;
  seq?: number;
  /** LINK_PROTO_VERSION of the sender; the encoder always writes its own, the decoder fills it in. */
  protoVersion?: number;
  uptimeS: number;    // uint32
  fwVersion: number;  // uint32, major << 16 | minor << 8 | patch
  rxOk: number;       // uint32 counters since boot
  rxBad: number;
  txOk: number;
  txFail: number;
}

export type LinkMessage = RxPacket | TxRequest | TxResult | Status;

export interface Deframer {
  /** Feed any chunk of received bytes (any split). Never throws on wire data. */
  push(chunk: Uint8Array): void;
  /** Drop a partial frame (call when the port is reopened). */
  reset(): void;
}

function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 255; b[o + 1] = (v >>> 8) & 255; b[o + 2] = (v >>> 16) & 255; b[o + 3] = (v >>> 24) & 255;
}
function w16(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 255; b[o + 1] = (v >>> 8) & 255;
}
function r32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + b[o + 3] * 16777216;
}
function r16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}
function s16(v: number): number {
  return v >= 32768 ? v - 65536 : v;
}
function s8(v: number): number {
  return v >= 128 ? v - 256 : v;
}
function clampInt(v: number, lo: number, hi: number): number {
  const r = Math.round(v) || 0;
  return r < lo ? lo : r > hi ? hi : r;
}
function u32(v: number): number {
  // Counters and clocks wrap rather than saturate (tsUs, ids).
  const r = Math.round(v) || 0;
  return ((r % 4294967296) + 4294967296) % 4294967296;
}

/** Length of the decoded frame (type..crc) for a message. */
function rawLen(m: LinkMessage): number {
  if (m.type === LINK_RX) return 2 + LINK_RX_HDR + Math.min(m.payload.length, LINK_MAX_PAYLOAD) + 2;
  if (m.type === LINK_TX) return 2 + LINK_TX_HDR + Math.min(m.payload.length, LINK_MAX_PAYLOAD) + 2;
  if (m.type === LINK_TX_RESULT) return 2 + LINK_TX_RESULT_LEN + 2;
  return 2 + LINK_STATUS_LEN + 2;
}

/**
 * Encodes one message as a complete wire packet: leading 0x00 (flushes any partial frame at the
 * receiver, so a glitch costs at most the frame it hit), COBS body, trailing 0x00. Payloads longer
 * than LINK_MAX_PAYLOAD are cut to it; numeric fields are clamped/wrapped to their on-air widths.
 */
export function encodeLinkMessage(m: LinkMessage): Uint8Array {
  const n = rawLen(m);
  const raw = new Uint8Array(n);
  raw[0] = m.type;
  raw[1] = (m.seq || 0) & 255;
  if (m.type === LINK_RX) {
    w32(raw, 2, u32(m.tsUs));
    w32(raw, 6, u32(m.freqHz));
    w16(raw, 10, clampInt(m.rssiDbm, -32768, 32767) & 0xffff);
    raw[12] = clampInt(m.snrDb * 4, -128, 127) & 255;
    raw[13] = clampInt(m.sf, 0, 255);
    w32(raw, 14, u32(m.bwHz));
    raw[18] = clampInt(m.cr, 0, 255);
    raw.set(m.payload.subarray(0, n - 4 - LINK_RX_HDR), 2 + LINK_RX_HDR);
  } else if (m.type === LINK_TX) {
    w32(raw, 2, u32(m.id));
    w32(raw, 6, u32(m.atUs));
    w32(raw, 10, u32(m.freqHz));
    raw[14] = clampInt(m.powerDbm, -128, 127) & 255;
    raw[15] = clampInt(m.sf, 0, 255);
    w32(raw, 16, u32(m.bwHz));
    raw[20] = clampInt(m.cr, 0, 255);
    raw[21] = m.invertIq ? 1 : 0;
    raw.set(m.payload.subarray(0, n - 4 - LINK_TX_HDR), 2 + LINK_TX_HDR);
  } else if (m.type === LINK_TX_RESULT) {
    w32(raw, 2, u32(m.id));
    raw[6] = clampInt(m.status, 0, 255);
    w32(raw, 7, u32(m.tsUs));
  } else {
    raw[2] = LINK_PROTO_VERSION;
    w32(raw, 3, u32(m.uptimeS));
    w32(raw, 7, u32(m.fwVersion));
    w32(raw, 11, u32(m.rxOk));
    w32(raw, 15, u32(m.rxBad));
    w32(raw, 19, u32(m.txOk));
    w32(raw, 23, u32(m.txFail));
  }
  w16(raw, n - 2, crc16(CRC16_INIT, raw, 0, n - 2));
  const out = new Uint8Array(cobsMaxLen(n) + 2);
  const k = cobsEncode(raw, n, out, 1);
  out[0] = 0;
  out[k + 1] = 0;
  return out.subarray(0, k + 2);
}

/**
 * Parses a decoded, CRC-checked frame (type..body, crc excluded): bodyLen = bytes after type+seq.
 * Returns the message or a LINK_ERR_* code. Payloads are copied out of the scratch buffer.
 */
export function parseLinkFrame(b: Uint8Array, len: number): LinkMessage | number {
  if (len < 2) return LINK_ERR_SHORT;
  const t = b[0];
  const seq = b[1];
  const body = len - 2;
  if (t === LINK_RX) {
    if (body < LINK_RX_HDR || body > LINK_RX_HDR + LINK_MAX_PAYLOAD) return LINK_ERR_LENGTH;
    const rx: RxPacket = {
      type: LINK_RX, seq: seq,
      tsUs: r32(b, 2), freqHz: r32(b, 6), rssiDbm: s16(r16(b, 10)), snrDb: s8(b[12]) / 4,
      sf: b[13], bwHz: r32(b, 14), cr: b[18],
      payload: new Uint8Array(b.subarray(2 + LINK_RX_HDR, len)),
    };
    return rx;
  }
  if (t === LINK_TX) {
    if (body < LINK_TX_HDR || body > LINK_TX_HDR + LINK_MAX_PAYLOAD) return LINK_ERR_LENGTH;
    if (b[21] > 1) return LINK_ERR_LENGTH;
    const tx: TxRequest = {
      type: LINK_TX, seq: seq,
      id: r32(b, 2), atUs: r32(b, 6), freqHz: r32(b, 10), powerDbm: s8(b[14]), sf: b[15],
      bwHz: r32(b, 16), cr: b[20], invertIq: b[21] === 1,
      payload: new Uint8Array(b.subarray(2 + LINK_TX_HDR, len)),
    };
    return tx;
  }
  if (t === LINK_TX_RESULT) {
    if (body !== LINK_TX_RESULT_LEN) return LINK_ERR_LENGTH;
    const res: TxResult = { type: LINK_TX_RESULT, seq: seq, id: r32(b, 2), status: b[6], tsUs: r32(b, 7) };
    return res;
  }
  if (t === LINK_STATUS) {
    // A newer sender may append fields: accept a longer body and read what this version knows.
    if (body < LINK_STATUS_LEN) return LINK_ERR_LENGTH;
    const st: Status = {
      type: LINK_STATUS, seq: seq, protoVersion: b[2],
      uptimeS: r32(b, 3), fwVersion: r32(b, 7), rxOk: r32(b, 11), rxBad: r32(b, 15),
      txOk: r32(b, 19), txFail: r32(b, 23),
    };
    return st;
  }
  return LINK_ERR_TYPE;
}

function checkFrame(buf: Uint8Array, encLen: number): LinkMessage | number {
  const n = cobsDecodeInPlace(buf, encLen);
  if (n < 0) return LINK_ERR_COBS;
  if (n < 4) return LINK_ERR_SHORT;
  if (crc16(CRC16_INIT, buf, 0, n - 2) !== r16(buf, n - 2)) return LINK_ERR_CRC;
  return parseLinkFrame(buf, n - 2);
}

/**
 * Decodes one complete wire packet (with or without its delimiters) — convenience for tests and
 * tools; streams go through createDeframer. Returns the message or a LINK_ERR_* code.
 */
export function decodeLinkPacket(pkt: Uint8Array): LinkMessage | number {
  let s = 0;
  let e = pkt.length;
  while (s < e && pkt[s] === 0) s++;
  while (e > s && pkt[e - 1] === 0) e--;
  if (e - s > LINK_MAX_FRAME) return LINK_ERR_OVERSIZE;
  const buf = new Uint8Array(pkt.subarray(s, e));
  return checkFrame(buf, e - s);
}

/**
 * Stateful stream deframer. Bytes accumulate until a 0x00; empty frames (back-to-back delimiters)
 * are ignored silently. A frame longer than LINK_MAX_FRAME is reported once (LINK_ERR_OVERSIZE)
 * and skipped up to the next 0x00. Memory: one LINK_MAX_FRAME scratch buffer; O(1) per byte.
 */
export function createDeframer(onMessage: (m: LinkMessage) => void, onError: (code: number) => void): Deframer {
  const buf = new Uint8Array(LINK_MAX_FRAME);
  const st = { len: 0, dropping: false };
  function endFrame(): void {
    const len = st.len;
    const dropping = st.dropping;
    st.len = 0;
    st.dropping = false;
    if (dropping || len === 0) return;
    // State is reset before the callbacks run, so a throwing callback cannot wedge the deframer.
    const r = checkFrame(buf, len);
    if (typeof r === 'number') onError(r);
    else onMessage(r);
  }
  return {
    push: function (chunk: Uint8Array): void {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (c === 0) {
          endFrame();
        } else if (!st.dropping) {
          if (st.len === LINK_MAX_FRAME) {
            st.dropping = true;
            st.len = 0;
            onError(LINK_ERR_OVERSIZE);
          } else {
            buf[st.len++] = c;
          }
        }
      }
    },
    reset: function (): void {
      st.len = 0;
      st.dropping = false;
    },
  };
}
