// Questions asked of a Region (types.ts): data rate of an (SF, BW), RX1/RX2 channel and data rate,
// payload limits, TX power steps, and the channel a node hops to for its next uplink. Pure
// functions over the tables, no allocation on the uplink path (device code).
import type { DutyCycle } from '../dutycycle.ts';
import { DR_NONE } from './types.ts';
import type { Region } from './types.ts';

/** The lowest DR with this SF and bandwidth, or DR_NONE. (US915 SF8/500 kHz is DR4 on the uplink, DR12 on a downlink: use rx1DataRate for downlinks.) */
export function dataRateOf(r: Region, sf: number, bwHz: number): number {
  for (let dr = 0; dr < r.drSf.length; dr++) {
    if (r.drSf[dr] === sf && r.drBwKhz[dr] * 1000 === bwHz) return dr;
  }
  return DR_NONE;
}

/** Spreading factor of a DR (0 when not LoRa or outside the table). */
export function drSf(r: Region, dr: number): number {
  return dr >= 0 && dr < r.drSf.length ? r.drSf[dr] : 0;
}

/** Bandwidth (Hz) of a DR (0 when not LoRa or outside the table). */
export function drBwHz(r: Region, dr: number): number {
  return dr >= 0 && dr < r.drBwKhz.length ? r.drBwKhz[dr] * 1000 : 0;
}

/** Uplink channel number of a frequency, or -1 when the plan has no such channel. */
export function uplinkChannelOf(r: Region, freqHz: number): number {
  for (let i = 0; i < r.uplinkHz.length; i++) if (r.uplinkHz[i] === freqHz) return i;
  return -1;
}

/** True when the channel may carry this uplink DR. */
export function channelAllowsDr(r: Region, channel: number, dr: number): boolean {
  const range = r.uplinkDrRange[channel];
  return dr >= (range & 15) && dr <= (range >> 4);
}

/**
 * RX1 frequency for an uplink on freqHz: the uplink frequency itself, or in fixed plans (US915) the
 * downlink channel (uplink channel mod 8). -1 when freqHz is not a channel of a fixed plan.
 */
export function rx1FreqHz(r: Region, uplinkHz: number): number {
  const n = r.downlinkHz.length;
  if (n === 0) return uplinkHz;
  const ch = uplinkChannelOf(r, uplinkHz);
  return ch < 0 ? -1 : r.downlinkHz[ch % n];
}

/** RX1 DR for an uplink DR and RX1DROffset (DownlinkDwellTime picks the AS923 table), or DR_NONE. */
export function rx1DataRate(r: Region, uplinkDr: number, offset: number, downlinkDwell: boolean): number {
  const t = downlinkDwell && r.rx1DrDwell ? r.rx1DrDwell : r.rx1Dr;
  const k = r.rx1OffsetCount;
  if (offset < 0 || offset >= k || uplinkDr < 0 || (uplinkDr + 1) * k > t.length) return DR_NONE;
  return t[uplinkDr * k + offset];
}

/** Largest FRMPayload (N = M − 8, no FOpts) at a DR, under the dwell-time table when dwell is set; -1 when undefined. */
export function maxAppPayload(r: Region, dr: number, dwell: boolean): number {
  const t = dwell && r.maxMacPayloadDwell ? r.maxMacPayloadDwell : r.maxMacPayload;
  if (dr < 0 || dr >= t.length || t[dr] === 0) return -1;
  return t[dr] - 8;
}

/** EIRP (dBm) of TXPower index i: Max EIRP − 2·i; NaN outside the plan's steps. */
export function txPowerDbm(r: Region, i: number): number {
  return i >= 0 && i < r.txPowerSteps ? r.maxEirpDbm - 2 * i : NaN;
}

/**
 * US915 sub-band mask (sub-band 1..8): channels 8(k−1)..8(k−1)+7 and the 500 kHz channel 64+k−1,
 * the "FSB" an 8-channel gateway listens to. null for another plan or sub-band.
 */
export function subBandMask(r: Region, subBand: number): Uint8Array | null {
  if (r.uplinkHz.length !== 72 || subBand < 1 || subBand > 8) return null;
  const m = new Uint8Array(72);
  for (let i = 0; i < 8; i++) m[(subBand - 1) * 8 + i] = 1;
  m[64 + subBand - 1] = 1;
  return m;
}

function usable(r: Region, mask: Uint8Array, ch: number, dr: number): boolean {
  return mask[ch] === 1 && channelAllowsDr(r, ch, dr);
}

/**
 * The channel for the next uplink at DR dr: uniformly at random (rnd in [0, 1)) among the channels
 * enabled in mask that carry dr and whose duty-cycle sub-band is free at nowMs (dc null: no duty
 * cycle). Returns the channel number, or -1 when none is free now (nextChannelFreeMs says when).
 */
export function pickChannel(r: Region, mask: Uint8Array, dr: number, dc: DutyCycle | null, nowMs: number, rnd: number): number {
  const n = r.uplinkHz.length;
  let free = 0;
  for (let ch = 0; ch < n; ch++) {
    if (usable(r, mask, ch, dr) && (!dc || dc.nextFreeMs(r.uplinkHz[ch], nowMs) <= nowMs)) free++;
  }
  if (free === 0) return -1;
  let k = Math.floor(rnd * free);
  if (k >= free) k = free - 1;
  for (let ch = 0; ch < n; ch++) {
    if (usable(r, mask, ch, dr) && (!dc || dc.nextFreeMs(r.uplinkHz[ch], nowMs) <= nowMs)) {
      if (k === 0) return ch;
      k--;
    }
  }
  return -1;
}

/** Earliest time (≥ nowMs) some channel usable by pickChannel is free; Infinity when none ever is. */
export function nextChannelFreeMs(r: Region, mask: Uint8Array, dr: number, dc: DutyCycle | null, nowMs: number): number {
  let best = Infinity;
  for (let ch = 0; ch < r.uplinkHz.length; ch++) {
    if (!usable(r, mask, ch, dr)) continue;
    const t = dc ? dc.nextFreeMs(r.uplinkHz[ch], nowMs) : nowMs;
    if (t < best) best = t;
  }
  return best;
}
