// PHYPayload codec for LoRaWAN 1.0.x data frames (LoRaWAN 1.0.4 §4, ITU-T Y.4480):
//   MHDR(1) | DevAddr(4 LE) | FCtrl(1) | FCnt(2 LE) | FOpts(0..15) | [FPort(1) | FRMPayload] | MIC(4)
// Pure, no crypto: session.ts verifies and decrypts.
import {
  MTYPE_UNCONFIRMED_UP, MTYPE_CONFIRMED_DOWN, MAJOR_LORAWAN_R1, FCTRL_ADR, FCTRL_ADR_ACK_REQ, FCTRL_ACK,
  FCTRL_FPENDING, FCTRL_FOPTS_LEN, FRAME_MIN_LEN, FRAME_MAX_LEN, ERR_TOO_SHORT, ERR_TOO_LONG,
  ERR_NOT_DATA_FRAME, ERR_MAJOR_VERSION, ERR_MHDR_RFU, ERR_FOPTS_OVERRUN, ERR_FOPTS_WITH_PORT0,
} from './constants.ts';

export interface DataFrame {
  mtype: number;       // MTYPE_* 2..5
  devAddr: number;     // uint32, as usually written (0x26011BDA); little-endian on air
  adr: boolean;
  adrAckReq: boolean;  // RFU on downlinks
  ack: boolean;
  fpending: boolean;   // FPending on downlinks, ClassB on uplinks
  fcnt: number;        // the 16 bits on air
  fopts: Uint8Array;   // 0..15 bytes of MAC commands
  fport: number;       // -1 when absent
  payload: Uint8Array; // FRMPayload as on air (encrypted)
  mic: number;         // uint32, the four MIC bytes read big-endian (in wire order: 2B11FF0D)
}

/**
 * Parses a data frame. Never throws; returns an ERR_* code for anything that is not a well-formed
 * LoRaWAN R1 data frame. fopts and payload are views into bytes (no copies).
 */
export function decodeFrame(bytes: Uint8Array): DataFrame | number {
  const n = bytes.length;
  if (n < FRAME_MIN_LEN) return ERR_TOO_SHORT;
  if (n > FRAME_MAX_LEN) return ERR_TOO_LONG;
  const mhdr = bytes[0];
  const mtype = mhdr >> 5;
  if (mtype < MTYPE_UNCONFIRMED_UP || mtype > MTYPE_CONFIRMED_DOWN) return ERR_NOT_DATA_FRAME;
  if ((mhdr & 3) !== MAJOR_LORAWAN_R1) return ERR_MAJOR_VERSION;
  if (mhdr & 0x1c) return ERR_MHDR_RFU;
  const fctrl = bytes[5];
  const foptsLen = fctrl & FCTRL_FOPTS_LEN;
  const micAt = n - 4;
  const fhdrEnd = 8 + foptsLen;
  if (fhdrEnd > micAt) return ERR_FOPTS_OVERRUN;
  let fport = -1;
  let payloadAt = micAt;
  if (fhdrEnd < micAt) {
    fport = bytes[fhdrEnd];
    payloadAt = fhdrEnd + 1;
    if (fport === 0 && foptsLen > 0) return ERR_FOPTS_WITH_PORT0;
  }
  return {
    mtype: mtype,
    // * 16777216 rather than << 24 keeps the result unsigned for addresses >= 0x80000000.
    devAddr: bytes[1] + (bytes[2] << 8) + (bytes[3] << 16) + bytes[4] * 16777216,
    adr: (fctrl & FCTRL_ADR) !== 0,
    adrAckReq: (fctrl & FCTRL_ADR_ACK_REQ) !== 0,
    ack: (fctrl & FCTRL_ACK) !== 0,
    fpending: (fctrl & FCTRL_FPENDING) !== 0,
    fcnt: bytes[6] | (bytes[7] << 8),
    fopts: bytes.subarray(8, fhdrEnd),
    fport: fport,
    payload: bytes.subarray(payloadAt, micAt),
    mic: bytes[micAt] * 16777216 + (bytes[micAt + 1] << 16) + (bytes[micAt + 2] << 8) + bytes[micAt + 3],
  };
}

/** Writes v as 4 bytes big-endian (wire order of the MIC). */
export function putMic(b: Uint8Array, at: number, v: number): void {
  b[at] = (v >>> 24) & 0xff;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/**
 * Serialises f as it stands, MIC included (f.mic as given). Preconditions, not checked: mtype 2..5,
 * fopts at most 15 bytes (extra bytes are dropped), payload empty when fport is -1 (it is not written).
 */
export function encodeFrame(f: DataFrame): Uint8Array {
  const foptsLen = f.fopts.length > 15 ? 15 : f.fopts.length;
  const hasPort = f.fport >= 0;
  const plen = hasPort ? f.payload.length : 0;
  const b = new Uint8Array(8 + foptsLen + (hasPort ? 1 : 0) + plen + 4);
  b[0] = ((f.mtype & 7) << 5) | MAJOR_LORAWAN_R1;
  const a = f.devAddr >>> 0;
  b[1] = a & 0xff;
  b[2] = (a >>> 8) & 0xff;
  b[3] = (a >>> 16) & 0xff;
  b[4] = (a >>> 24) & 0xff;
  b[5] = (f.adr ? FCTRL_ADR : 0) | (f.adrAckReq ? FCTRL_ADR_ACK_REQ : 0) | (f.ack ? FCTRL_ACK : 0) |
    (f.fpending ? FCTRL_FPENDING : 0) | foptsLen;
  b[6] = f.fcnt & 0xff;
  b[7] = (f.fcnt >> 8) & 0xff;
  let at = 8;
  for (let i = 0; i < foptsLen; i++) b[at++] = f.fopts[i];
  if (hasPort) {
    b[at++] = f.fport & 0xff;
    for (let i = 0; i < plen; i++) b[at++] = f.payload[i];
  }
  putMic(b, at, f.mic);
  return b;
}
