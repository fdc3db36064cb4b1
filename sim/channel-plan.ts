// The radio channels of a simulated region, read from the shared RP002 region tables
// (shared/lorawan/region, the tables the node and the gateway use): what nodes hop over, what a
// concentrator listens on, where class A downlinks go, the band's duty cycle.
//  - Nodes (simple mode) use the channels a kerb ABP node has enabled out of the box: the region's
//    default channels that kerb enables (EU868: 868.1/868.3/868.5 MHz; US915: sub-band 2;
//    AS923-1: its two default channels), those that carry the node's bandwidth.
//  - A concentrator listens on kerb's channel mask (EU868: the eight channels of the plan
//    lora_pkt_fwd ships, 867.1–868.5 MHz; US915: sub-band 2 and 500 kHz channel 65).
//  - RX1: rx1FreqHz / rx1DataRate with RX1DROffset 0; RX2: the region's default.
import { regionByName, REGION_NAMES } from '../shared/lorawan/region/all.ts';
import { dataRateOf, drSf, drBwHz, rx1FreqHz, rx1DataRate } from '../shared/lorawan/region/region.ts';
import type { Region } from '../shared/lorawan/region/types.ts';

export { REGION_NAMES };

export interface Channel {
  freqHz: number;
  bwHz: number;
  /** Spreading factors an uplink may use on it. */
  sfs: readonly number[];
}

export interface DownlinkParams {
  freqHz: number;
  sf: number;
  bwHz: number;
}

export interface ChannelPlan {
  /** RP002 common name ("EU868", "US915", "AS923-1"). */
  region: string;
  table: Region;
  /** Channels a kerb node uses without network configuration. */
  defaultUplink: readonly Channel[];
  /** The channels an 8-channel concentrator configured for kerb listens on. */
  concentrator: readonly Channel[];
  /** Class A RX1 for an uplink on (freq, sf, bw). */
  rx1(freqHz: number, sf: number, bwHz: number): DownlinkParams;
  rx2: DownlinkParams;
  /** Node-side duty-cycle limits apply (ETSI sub-bands); elsewhere a dwell time instead. */
  dutyCycle: boolean;
  /** Highest SF an uplink may use at 125 kHz on the default channels. */
  maxUplinkSf: number;
  /** Frequencies a gateway may transmit on (the region's band; lora_pkt_fwd's tx_freq_min/max). */
  txRangeHz: [number, number];
}

function channelsOf(r: Region, mask: Uint8Array): Channel[] {
  const out: Channel[] = [];
  for (let ch = 0; ch < r.uplinkHz.length; ch++) {
    if (mask[ch] !== 1) continue;
    const range = r.uplinkDrRange[ch]!;
    const sfs: number[] = [];
    let bwHz = 125000;
    for (let dr = range & 15; dr <= range >> 4; dr++) {
      if (!drSf(r, dr)) continue;
      sfs.push(drSf(r, dr));
      bwHz = drBwHz(r, dr);
    }
    out.push({ freqHz: r.uplinkHz[ch]!, bwHz, sfs: sfs.sort((a, b) => a - b) });
  }
  return out;
}

function planOf(r: Region): ChannelPlan {
  const both = new Uint8Array(r.uplinkHz.length);
  for (let i = 0; i < both.length; i++) both[i] = r.defaultMask[i]! & r.kerbMask[i]!;
  const defaultUplink = channelsOf(r, both);
  let maxUplinkSf = 7;
  for (const c of defaultUplink) if (c.bwHz === 125000) maxUplinkSf = Math.max(maxUplinkSf, ...c.sfs);
  return {
    region: r.name,
    table: r,
    defaultUplink,
    concentrator: channelsOf(r, r.kerbMask),
    rx1: (freqHz, sf, bwHz) => {
      const dr = rx1DataRate(r, dataRateOf(r, sf, bwHz), 0, r.downlinkDwell);
      const f = rx1FreqHz(r, freqHz);
      // Outside the plan (a scenario's own channel list): RX1 on the uplink channel and data rate.
      if (dr < 0 || f < 0) return { freqHz, sf, bwHz };
      return { freqHz: f, sf: drSf(r, dr), bwHz: drBwHz(r, dr) };
    },
    rx2: { freqHz: r.rx2Hz, sf: drSf(r, r.rx2Dr), bwHz: drBwHz(r, r.rx2Dr) },
    dutyCycle: r.dutyCycle !== null,
    maxUplinkSf,
    txRangeHz: [r.bandLoHz, r.bandHiHz],
  };
}

/** The plan of a region by RP002 common name (case-insensitive), or null. */
export function channelPlan(name: string): ChannelPlan | null {
  const r = regionByName(name);
  return r ? planOf(r) : null;
}
