// The end device's side of the LoRaWAN MAC layer for EU868 (LoRaWAN 1.0.4 §4.3.1.1, §5, §7;
// RP002-1.0.3 §2.2): applies the network's MAC commands to a small settings object, queues the
// answers for the next uplink (the sticky ones — RXParamSetupAns, RXTimingSetupAns, DlChannelAns —
// repeated in every uplink until a class A downlink arrives, §5.5/§5.8/§5.11), follows LinkADRReq,
// and runs the ADR_ACK_LIMIT/ADR_ACK_DELAY fallback when the network goes quiet. Also the join
// back-off of §7. Pure, device-portable, no module state: the node (or the simulator's model) owns
// one MacDevice per session.
import {
  decodeMac, encodeMac, CID_LINK_CHECK, CID_LINK_ADR, CID_DUTY_CYCLE, CID_RX_PARAM_SETUP, CID_DEV_STATUS, CID_NEW_CHANNEL,
  CID_RX_TIMING_SETUP, CID_DL_CHANNEL, CID_DEVICE_TIME, LINK_ADR_ANS_POWER, LINK_ADR_ANS_DR, LINK_ADR_ANS_CHMASK,
  RX_PARAM_ANS_RX1_DR_OFFSET, RX_PARAM_ANS_RX2_DR, RX_PARAM_ANS_CHANNEL, NEW_CHANNEL_ANS_DR, NEW_CHANNEL_ANS_FREQ,
} from './mac.ts';
import type { MacCommand } from './mac.ts';
import { DIR_UP, DIR_DOWN } from './constants.ts';

/** RP002-1.0.3 §2.2.8 EU868 defaults: ADR_ACK_LIMIT 64, ADR_ACK_DELAY 32 uplinks. */
export const ADR_ACK_LIMIT = 64;
export const ADR_ACK_DELAY = 32;
/** EU868: DR0..DR5 are LoRa 125 kHz SF12..SF7 (DR6 SF7/250 kHz, DR7 FSK are not used by kerb). */
export const EU868_MAX_DR = 5;
/** EU868 TXPower indices 0..7 (MaxEIRP − 2·index dB). */
export const EU868_MAX_TX_POWER = 7;
const EU868_MIN_HZ = 863000000;
const EU868_MAX_HZ = 870000000;

export interface MacDevice {
  dr: number;            // current uplink data rate
  txPower: number;       // TXPower index
  nbTrans: number;       // transmissions of each unconfirmed uplink
  chMask: number;        // enabled channels, bit i = channel i (0..15)
  freqs: number[];       // channel frequencies (Hz), 0 = undefined; 0..2 are the EU868 defaults
  rx1DrOffset: number;
  rx2Dr: number;
  rx2Hz: number;
  rxDelayS: number;      // RECEIVE_DELAY1 in seconds
  maxDutyCycle: number;  // aggregated duty cycle 1/2^n (0 = no limit beyond the bands')
  adrAckCnt: number;     // uplinks since the last downlink (§4.3.1.1)
  answers: MacCommand[]; // answers for the next uplink only
  sticky: MacCommand[];  // answers repeated until a downlink arrives
  /** Last LinkCheckAns: margin (dB) and gateway count; -1 before the first. */
  linkMargin: number;
  linkGwCnt: number;
  /** Last DeviceTimeAns, GPS seconds (with fraction) at the end of the uplink that asked, and that uplink's local end time (ms). */
  gpsAtUplink: number;
  uplinkEndMs: number;
}

/** A fresh MAC state at a data rate (after a join or at start), EU868 default channels. */
export function createMacDevice(dr: number): MacDevice {
  return {
    dr: dr, txPower: 0, nbTrans: 1, chMask: 7, freqs: [868100000, 868300000, 868500000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    rx1DrOffset: 0, rx2Dr: 0, rx2Hz: 869525000, rxDelayS: 1, maxDutyCycle: 0, adrAckCnt: 0, answers: [], sticky: [],
    linkMargin: -1, linkGwCnt: 0, gpsAtUplink: -1, uplinkEndMs: 0,
  };
}

function freqOk(hz: number): boolean {
  return hz >= EU868_MIN_HZ && hz <= EU868_MAX_HZ;
}

/** §5.3 LinkADRReq: all three parts must be acceptable, else nothing is applied. Returns the status. */
function linkAdr(d: MacDevice, c: MacCommand): number {
  let mask = d.chMask;
  let maskOk = true;
  if (c.chMaskCntl === 6) {
    mask = 0;
    for (let i = 0; i < 16; i++) if (d.freqs[i]) mask |= 1 << i;
  } else if (c.chMaskCntl === 0) {
    mask = c.chMask!;
    for (let i = 0; i < 16; i++) if ((mask >> i) & 1 && !d.freqs[i]) maskOk = false;
    if (mask === 0) maskOk = false;
  } else maskOk = false;
  // 1.0.4: DR or TXPower 0xF means "keep the current value".
  const drOk = c.dataRate === 15 || c.dataRate! <= EU868_MAX_DR;
  const pOk = c.txPower === 15 || c.txPower! <= EU868_MAX_TX_POWER;
  const st = (pOk ? LINK_ADR_ANS_POWER : 0) | (drOk ? LINK_ADR_ANS_DR : 0) | (maskOk ? LINK_ADR_ANS_CHMASK : 0);
  if (st === 7) {
    if (c.dataRate !== 15) d.dr = c.dataRate!;
    if (c.txPower !== 15) d.txPower = c.txPower!;
    d.chMask = mask;
    d.nbTrans = c.nbTrans ? c.nbTrans : 1;
  }
  return st;
}

/**
 * Applies the MAC commands of a downlink the node accepted (FOpts, or a decrypted FPort 0 payload).
 * Any class A downlink ends the sticky answers and resets the ADR acknowledgement counter.
 * batteryLevel (0 external, 1..254, 255 unknown) and snrDb (of this downlink) answer DevStatusReq.
 * DeviceTimeAns gives the GPS time at the end of the uplink that asked: the caller keeps that
 * uplink's local end time in d.uplinkEndMs, and gpsNow() counts on from it.
 */
export function onDownlinkMac(d: MacDevice, bytes: Uint8Array, batteryLevel: number, snrDb: number): void {
  d.sticky = [];
  d.adrAckCnt = 0;
  const cmds = decodeMac(bytes, DIR_DOWN);
  let adrStatus = -1;
  for (let i = 0; i < cmds.length; i++) {
    const c = cmds[i];
    const cid = c.cid;
    if (cid === CID_LINK_ADR) {
      // §5.3: a block of LinkADRReq is answered per command; kerb applies each in turn.
      adrStatus = linkAdr(d, c);
      d.answers.push({ cid: CID_LINK_ADR, status: adrStatus });
    } else if (cid === CID_LINK_CHECK) {
      d.linkMargin = c.margin!;
      d.linkGwCnt = c.gwCnt!;
    } else if (cid === CID_DUTY_CYCLE) {
      d.maxDutyCycle = c.maxDutyCycle!;
      d.answers.push({ cid: CID_DUTY_CYCLE });
    } else if (cid === CID_RX_PARAM_SETUP) {
      const st = (c.rx1DrOffset! <= 5 ? RX_PARAM_ANS_RX1_DR_OFFSET : 0) | (c.rx2DataRate! <= EU868_MAX_DR ? RX_PARAM_ANS_RX2_DR : 0) |
        (freqOk(c.freqHz!) ? RX_PARAM_ANS_CHANNEL : 0);
      if (st === 7) {
        d.rx1DrOffset = c.rx1DrOffset!;
        d.rx2Dr = c.rx2DataRate!;
        d.rx2Hz = c.freqHz!;
      }
      d.sticky.push({ cid: CID_RX_PARAM_SETUP, status: st });
    } else if (cid === CID_DEV_STATUS) {
      let m = Math.round(snrDb);
      if (m < -32) m = -32;
      if (m > 31) m = 31;
      d.answers.push({ cid: CID_DEV_STATUS, battery: batteryLevel, margin: m });
    } else if (cid === CID_NEW_CHANNEL) {
      const ix = c.chIndex!;
      const f = c.freqHz!;
      // EU868: channels 0..2 are fixed (RP002-1.0.3 §2.2.2).
      const fOk = ix >= 3 && ix < 16 && (f === 0 || freqOk(f));
      const drOk = c.minDr! <= c.maxDr! && c.maxDr! <= EU868_MAX_DR;
      const st = (fOk ? NEW_CHANNEL_ANS_FREQ : 0) | (drOk ? NEW_CHANNEL_ANS_DR : 0);
      if (st === 3) {
        d.freqs[ix] = f;
        if (f) d.chMask |= 1 << ix;
        else d.chMask &= ~(1 << ix);
      }
      d.answers.push({ cid: CID_NEW_CHANNEL, status: st });
    } else if (cid === CID_RX_TIMING_SETUP) {
      d.rxDelayS = c.delay ? c.delay : 1;
      d.sticky.push({ cid: CID_RX_TIMING_SETUP });
    } else if (cid === CID_DL_CHANNEL) {
      // Separate downlink frequencies are not supported: refuse (both bits 0), sticky as §5.11 says.
      d.sticky.push({ cid: CID_DL_CHANNEL, status: 0 });
    } else if (cid === CID_DEVICE_TIME) {
      d.gpsAtUplink = c.gpsSeconds! + c.fraction! / 256;
    }
  }
}

/** GPS time (s) now, from the last DeviceTimeAns; -1 before the first. */
export function gpsNow(d: MacDevice, nowMs: number): number {
  return d.gpsAtUplink < 0 ? -1 : d.gpsAtUplink + (nowMs - d.uplinkEndMs) / 1000;
}

/** Extra requests the node wants to ask in its next uplink (LinkCheckReq, DeviceTimeReq). */
export const ASK_LINK_CHECK = 1;
export const ASK_DEVICE_TIME = 2;

/**
 * The FOpts of the next uplink: the pending answers (then forgotten), the sticky ones (kept), and
 * the requests asked for. Also steps the ADR fallback (§4.3.1.1): adrAckReq is set for this
 * uplink when adrAckCnt ≥ ADR_ACK_LIMIT; from ADR_ACK_LIMIT + ADR_ACK_DELAY on, each
 * further ADR_ACK_DELAY uplinks without a downlink first restore full TX power, then lower the DR
 * by one step, and at DR0 re-enable the default channels.
 */
export function uplinkMac(d: MacDevice, ask: number, adrOn: boolean): { fopts: Uint8Array; adrAckReq: boolean } {
  const cmds: MacCommand[] = d.answers.concat(d.sticky);
  d.answers = [];
  if (ask & ASK_LINK_CHECK) cmds.push({ cid: CID_LINK_CHECK });
  if (ask & ASK_DEVICE_TIME) cmds.push({ cid: CID_DEVICE_TIME });
  let adrAckReq = false;
  if (adrOn) {
    const n = d.adrAckCnt;
    d.adrAckCnt = n + 1;
    if (n >= ADR_ACK_LIMIT) adrAckReq = true;
    if (n >= ADR_ACK_LIMIT + ADR_ACK_DELAY && (n - ADR_ACK_LIMIT) % ADR_ACK_DELAY === 0) {
      if (d.txPower > 0) d.txPower = 0;
      else if (d.dr > 0) d.dr--;
      else d.chMask = 7;
    }
  }
  let fopts = encodeMac(cmds, DIR_UP);
  // FOpts holds 15 bytes; what does not fit waits (answers are at most a few bytes each).
  if (fopts.length > 15) fopts = fopts.subarray(0, 15);
  return { fopts: fopts, adrAckReq: adrAckReq };
}

/**
 * LoRaWAN 1.0.4 §7 (retransmission back-off): the aggregated duty cycle a device may spend on
 * Join-requests, by time since its first attempt: 1 % in the first hour (36 s per hour), 0.1 %
 * in the next 10 hours (36 s per 10 h), 0.01 % after (8.7 s per 24 h).
 */
export function joinDutyCycle(sinceFirstMs: number): number {
  if (sinceFirstMs < 3600000) return 0.01;
  if (sinceFirstMs < 11 * 3600000) return 0.001;
  return 0.0001;
}

/** Earliest next Join-request after one of toaMs that started at startMs: start + toa / duty cycle. */
export function nextJoinAtMs(firstAttemptMs: number, startMs: number, toaMs: number): number {
  return startMs + toaMs / joinDutyCycle(startMs - firstAttemptMs);
}
