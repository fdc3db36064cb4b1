// The radio channels a simulated region offers: what nodes hop over, what a concentrator listens
// on, where class A downlinks go. A small table behind one interface so the simulator can take the
// shared region tables (RP002) when they exist without touching the models that use it.
//
// Sources: LoRaWAN Regional Parameters RP002-1.0.x.
//  - EU863-870: three default channels 868.1/868.3/868.5 MHz (every device), RX1 on the uplink
//    channel and data rate (RX1DROffset 0), RX2 869.525 MHz DR0 (SF12/125 kHz). The other five
//    channels of an 8-channel concentrator are network-defined (CFList); 867.1–867.9 MHz is the
//    usual choice (and The Things Network's EU868 plan).
//  - US902-928: upstream 125 kHz channels n = 0..63 at 902.3 + 0.2·n MHz, DR0..DR3 = SF10..SF7
//    (no SF11/SF12 uplinks: the 400 ms dwell-time limit); upstream 500 kHz channels 64..71 at
//    903.0 + 1.6·(n − 64) MHz, DR4 = SF8; downstream 500 kHz
//    channels 0..7 at 923.3 + 0.6·n MHz; RX1 channel = upstream channel mod 8, RX1 DR = DR10..DR13
//    for uplink DR0..DR3 (SF10..SF7 up → SF10..SF7 down on 500 kHz, RX1DROffset 0); RX2 923.3 MHz
//    DR8 (SF12/500 kHz). An 8+1-channel concentrator serves one sub-band: sub-band 2 (channels
//    8..15, 903.9–905.3 MHz, and 500 kHz channel 65, 904.6 MHz) is the common one.

export type RegionName = 'EU868' | 'US915';

export interface Channel {
  freqHz: number;
  bwHz: number;
  /** Spreading factors a node may use on it. */
  sfs: readonly number[];
}

export interface DownlinkParams {
  freqHz: number;
  sf: number;
  bwHz: number;
}

export interface ChannelPlan {
  region: RegionName;
  /** Channels every node may use without network configuration. */
  defaultUplink: readonly Channel[];
  /** An 8-channel concentrator's multi-SF channels (IF0..IF7 on SX1301/SX1302). */
  concentrator: readonly Channel[];
  /** The concentrator's single-SF "LoRa service" channel (IF8), if the region uses one. */
  loraStd: Channel | null;
  /** Class A RX1 for an uplink on (freq, sf, bw). */
  rx1(freqHz: number, sf: number, bwHz: number): DownlinkParams;
  rx2: DownlinkParams;
  /** Node-side duty-cycle limits apply (ETSI sub-bands); US915 has a dwell-time limit instead. */
  dutyCycle: boolean;
  /** Highest SF an uplink may use at 125 kHz. */
  maxUplinkSf: number;
  /** Frequencies a gateway transmits on (its TX chain's range; lora_pkt_fwd tx_freq_min/max). */
  txRangeHz: [number, number];
}

const ALL_SF = [7, 8, 9, 10, 11, 12] as const;
const US_SF = [7, 8, 9, 10] as const;

function ch(freqHz: number, sfs: readonly number[], bwHz = 125000): Channel {
  return { freqHz, bwHz, sfs };
}

export const EU868_PLAN: ChannelPlan = {
  region: 'EU868',
  defaultUplink: [ch(868100000, ALL_SF), ch(868300000, ALL_SF), ch(868500000, ALL_SF)],
  concentrator: [868100000, 868300000, 868500000, 867100000, 867300000, 867500000, 867700000, 867900000].map((f) => ch(f, ALL_SF)),
  // RP002 EU868 DR6 (SF7/250 kHz) on 868.3 MHz exists but is rarely configured; not modelled.
  loraStd: null,
  rx1: (freqHz, sf, bwHz) => ({ freqHz, sf, bwHz }),
  rx2: { freqHz: 869525000, sf: 12, bwHz: 125000 },
  dutyCycle: true,
  maxUplinkSf: 12,
  txRangeHz: [863000000, 870000000],
};

const US_SUBBAND2 = Array.from({ length: 8 }, (_, k) => ch(903900000 + 200000 * k, US_SF));

export const US915_PLAN: ChannelPlan = {
  region: 'US915',
  defaultUplink: US_SUBBAND2,
  concentrator: US_SUBBAND2,
  loraStd: ch(904600000, [8], 500000),
  rx1: (freqHz, sf, bwHz) => {
    // Upstream channel number from its frequency, then RX1 channel = n mod 8 (RP002 US902-928).
    const n = bwHz === 500000 ? 64 + Math.round((freqHz - 903000000) / 1600000) : Math.round((freqHz - 902300000) / 200000);
    // DR0..DR3 (SF10..SF7/125) → DR10..DR13 (SF10..SF7/500); DR4 (SF8/500) → DR13 (SF7/500).
    const downSf = bwHz === 500000 ? 7 : sf;
    return { freqHz: 923300000 + 600000 * (n % 8), sf: downSf, bwHz: 500000 };
  },
  rx2: { freqHz: 923300000, sf: 12, bwHz: 500000 },
  dutyCycle: false,
  maxUplinkSf: 10,
  txRangeHz: [923000000, 928000000],
};

export function channelPlan(region: RegionName): ChannelPlan {
  return region === 'US915' ? US915_PLAN : EU868_PLAN;
}
