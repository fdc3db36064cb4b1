// MAC commands, LoRaWAN 1.0.4 §5 (TS001-1.0.4): CID byte then a fixed-size payload whose size
// depends on the CID and the direction. They travel in FOpts (plaintext, ≤ 15 bytes) or as the
// FRMPayload of FPort 0 (encrypted with NwkSKey; session.ts does that). §5: a receiver that meets a
// CID it does not know cannot know its length, so it stops processing the rest: decodeMac returns
// the commands before it. Multi-byte fields little-endian. DeviceTime (0x0D) is from 1.0.3 on.
// Pure and device-portable; the node decodes downlink commands and encodes its answers, the
// gateway the other way round.
import { DIR_UP } from './constants.ts';

export const CID_LINK_CHECK = 0x02;
export const CID_LINK_ADR = 0x03;
export const CID_DUTY_CYCLE = 0x04;
export const CID_RX_PARAM_SETUP = 0x05;
export const CID_DEV_STATUS = 0x06;
export const CID_NEW_CHANNEL = 0x07;
export const CID_RX_TIMING_SETUP = 0x08;
export const CID_TX_PARAM_SETUP = 0x09;
export const CID_DL_CHANNEL = 0x0a;
export const CID_DEVICE_TIME = 0x0d;

// Status bits of the answers (§5.3 LinkADRAns, §5.5 RXParamSetupAns, §5.7 NewChannelAns).
export const LINK_ADR_ANS_POWER = 4;
export const LINK_ADR_ANS_DR = 2;
export const LINK_ADR_ANS_CHMASK = 1;
export const RX_PARAM_ANS_RX1_DR_OFFSET = 4;
export const RX_PARAM_ANS_RX2_DR = 2;
export const RX_PARAM_ANS_CHANNEL = 1;
export const NEW_CHANNEL_ANS_DR = 2;
export const NEW_CHANNEL_ANS_FREQ = 1;
/** DevStatusAns Battery (§5.6): 0 external power, 1..254 level, 255 cannot measure. */
export const BATTERY_EXTERNAL = 0;
export const BATTERY_UNKNOWN = 255;

// Payload sizes after the CID for CIDs 0x02..0x0D, -1 = not defined in that direction (1.1-only
// CIDs 0x0B, 0x0C are unknown to a 1.0.x device). Uplink: LinkCheckReq, LinkADRAns, DutyCycleAns,
// RXParamSetupAns, DevStatusAns, NewChannelAns, RXTimingSetupAns, TxParamSetupAns, DlChannelAns,
// -, -, DeviceTimeReq. Downlink: the matching Req/Ans.
const LEN_UP = new Int8Array([0, 1, 0, 1, 2, 1, 0, 0, 1, -1, -1, 0]);
const LEN_DOWN = new Int8Array([2, 4, 1, 4, 0, 5, 1, 1, 4, -1, -1, 5]);

/** Payload bytes after the CID, or -1 for a CID unknown in that direction (dir: DIR_UP / DIR_DOWN). */
export function macPayloadLen(cid: number, dir: number): number {
  if (cid < CID_LINK_CHECK || cid > CID_DEVICE_TIME) return -1;
  return (dir === DIR_UP ? LEN_UP : LEN_DOWN)[cid - CID_LINK_CHECK];
}

/**
 * One MAC command. cid plus the fields of that command in that direction (others absent):
 * - LinkCheckAns (down): margin (dB above the demodulation floor, 0..254), gwCnt
 * - LinkADRReq (down): dataRate, txPower, chMask (16 bits), chMaskCntl, nbTrans
 * - LinkADRAns, RXParamSetupAns, NewChannelAns, DlChannelAns (up): status (the ACK bits above)
 * - DutyCycleReq (down): maxDutyCycle (aggregate duty cycle 1/2^n)
 * - RXParamSetupReq (down): rx1DrOffset, rx2DataRate, freqHz
 * - DevStatusAns (up): battery (0..255, see BATTERY_*), margin (SNR of the last DevStatusReq, −32..31 dB)
 * - NewChannelReq (down): chIndex, freqHz (0 disables), minDr, maxDr
 * - RXTimingSetupReq (down): delay (seconds, 0 = 1)
 * - TxParamSetupReq (down): eirpDwell (the raw byte: DownlinkDwellTime bit 5, UplinkDwellTime bit 4, MaxEIRP 3..0)
 * - DlChannelReq (down): chIndex, freqHz
 * - DeviceTimeAns (down): gpsSeconds (since the GPS epoch, 1980-01-06), fraction (1/256 s)
 * Requests and answers without a payload (LinkCheckReq, DevStatusReq, DeviceTimeReq, DutyCycleAns,
 * RXTimingSetupAns, TxParamSetupAns) carry cid only.
 */
export interface MacCommand {
  cid: number;
  margin?: number; gwCnt?: number;
  dataRate?: number; txPower?: number; chMask?: number; chMaskCntl?: number; nbTrans?: number;
  status?: number;
  maxDutyCycle?: number;
  rx1DrOffset?: number; rx2DataRate?: number; freqHz?: number;
  battery?: number;
  chIndex?: number; minDr?: number; maxDr?: number;
  delay?: number;
  eirpDwell?: number;
  gpsSeconds?: number; fraction?: number;
}

function u24(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
}

function put24(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >> 8) & 0xff;
  b[at + 2] = (v >> 16) & 0xff;
}

/** Fields of one command whose payload starts at b[at]. */
function readCmd(cid: number, dir: number, b: Uint8Array, at: number): MacCommand {
  const c: MacCommand = { cid: cid };
  if (dir === DIR_UP) {
    if (cid === CID_DEV_STATUS) {
      c.battery = b[at];
      // 6-bit two's complement (§5.6)
      c.margin = (b[at + 1] & 0x3f) >= 32 ? (b[at + 1] & 0x3f) - 64 : b[at + 1] & 0x3f;
    } else if (cid === CID_LINK_ADR || cid === CID_RX_PARAM_SETUP || cid === CID_NEW_CHANNEL || cid === CID_DL_CHANNEL) {
      c.status = b[at];
    }
    return c;
  }
  switch (cid) {
    case CID_LINK_CHECK: c.margin = b[at]; c.gwCnt = b[at + 1]; break;
    case CID_LINK_ADR:
      c.dataRate = b[at] >> 4; c.txPower = b[at] & 15; c.chMask = b[at + 1] | (b[at + 2] << 8);
      c.chMaskCntl = (b[at + 3] >> 4) & 7; c.nbTrans = b[at + 3] & 15; break;
    case CID_DUTY_CYCLE: c.maxDutyCycle = b[at] & 15; break;
    case CID_RX_PARAM_SETUP:
      c.rx1DrOffset = (b[at] >> 4) & 7; c.rx2DataRate = b[at] & 15; c.freqHz = u24(b, at + 1) * 100; break;
    case CID_NEW_CHANNEL:
      c.chIndex = b[at]; c.freqHz = u24(b, at + 1) * 100; c.maxDr = b[at + 4] >> 4; c.minDr = b[at + 4] & 15; break;
    case CID_RX_TIMING_SETUP: c.delay = b[at] & 15; break;
    case CID_TX_PARAM_SETUP: c.eirpDwell = b[at]; break;
    case CID_DL_CHANNEL: c.chIndex = b[at]; c.freqHz = u24(b, at + 1) * 100; break;
    case CID_DEVICE_TIME:
      c.gpsSeconds = b[at] + (b[at + 1] << 8) + (b[at + 2] << 16) + b[at + 3] * 16777216; c.fraction = b[at + 4]; break;
  }
  return c;
}

/**
 * The commands in b (FOpts, or a decrypted FPort 0 payload) sent in direction dir. Stops at the
 * first unknown CID or a command cut short (§5); never throws.
 */
export function decodeMac(b: Uint8Array, dir: number): MacCommand[] {
  const out: MacCommand[] = [];
  let at = 0;
  while (at < b.length) {
    const cid = b[at];
    const n = macPayloadLen(cid, dir);
    if (n < 0 || at + 1 + n > b.length) break;
    out.push(readCmd(cid, dir, b, at + 1));
    at += 1 + n;
  }
  return out;
}

/** Number of bytes decodeMac consumed: less than b.length when it stopped at an unknown CID. */
export function macParsedLen(b: Uint8Array, dir: number): number {
  let at = 0;
  while (at < b.length) {
    const n = macPayloadLen(b[at], dir);
    if (n < 0 || at + 1 + n > b.length) break;
    at += 1 + n;
  }
  return at;
}

function writeCmd(c: MacCommand, dir: number, b: Uint8Array, at: number): void {
  const cid = c.cid;
  const f = c.freqHz ? Math.round(c.freqHz / 100) : 0;
  if (dir === DIR_UP) {
    if (cid === CID_DEV_STATUS) {
      b[at] = (c.battery || 0) & 0xff;
      b[at + 1] = (c.margin || 0) & 0x3f;
    } else if (cid === CID_LINK_ADR || cid === CID_RX_PARAM_SETUP || cid === CID_NEW_CHANNEL || cid === CID_DL_CHANNEL) {
      b[at] = (c.status || 0) & 0xff;
    }
    return;
  }
  switch (cid) {
    case CID_LINK_CHECK: b[at] = (c.margin || 0) & 0xff; b[at + 1] = (c.gwCnt || 0) & 0xff; break;
    case CID_LINK_ADR:
      b[at] = (((c.dataRate || 0) & 15) << 4) | ((c.txPower || 0) & 15);
      b[at + 1] = (c.chMask || 0) & 0xff; b[at + 2] = ((c.chMask || 0) >> 8) & 0xff;
      b[at + 3] = (((c.chMaskCntl || 0) & 7) << 4) | ((c.nbTrans || 0) & 15); break;
    case CID_DUTY_CYCLE: b[at] = (c.maxDutyCycle || 0) & 15; break;
    case CID_RX_PARAM_SETUP:
      b[at] = (((c.rx1DrOffset || 0) & 7) << 4) | ((c.rx2DataRate || 0) & 15); put24(b, at + 1, f); break;
    case CID_NEW_CHANNEL:
      b[at] = (c.chIndex || 0) & 0xff; put24(b, at + 1, f);
      b[at + 4] = (((c.maxDr || 0) & 15) << 4) | ((c.minDr || 0) & 15); break;
    case CID_RX_TIMING_SETUP: b[at] = (c.delay || 0) & 15; break;
    case CID_TX_PARAM_SETUP: b[at] = (c.eirpDwell || 0) & 0xff; break;
    case CID_DL_CHANNEL: b[at] = (c.chIndex || 0) & 0xff; put24(b, at + 1, f); break;
    case CID_DEVICE_TIME: {
      const s = c.gpsSeconds || 0;
      b[at] = s & 0xff; b[at + 1] = (s >>> 8) & 0xff; b[at + 2] = (s >>> 16) & 0xff; b[at + 3] = (s >>> 24) & 0xff;
      b[at + 4] = (c.fraction || 0) & 0xff;
      break;
    }
  }
}

/**
 * The bytes of cmds sent in direction dir, ready for FOpts (when ≤ 15 bytes) or FPort 0. A command
 * whose CID is unknown in that direction is left out (it could not be parsed by the receiver).
 */
export function encodeMac(cmds: MacCommand[], dir: number): Uint8Array {
  let n = 0;
  for (let i = 0; i < cmds.length; i++) {
    const l = macPayloadLen(cmds[i].cid, dir);
    if (l >= 0) n += 1 + l;
  }
  const b = new Uint8Array(n);
  let at = 0;
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i];
    const l = macPayloadLen(c.cid, dir);
    if (l < 0) continue;
    b[at] = c.cid;
    writeCmd(c, dir, b, at + 1);
    at += 1 + l;
  }
  return b;
}
