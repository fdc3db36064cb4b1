// A LoRaWAN regional channel plan as data: the tables of LoRa Alliance "LoRaWAN Regional
// Parameters" RP002-1.0.3 (§2.4 EU863-870, §2.5 US902-928, §2.10 AS923; within each, .2 channel
// frequencies, .3 data rate and output power encoding, .4 join-accept CFList, .6 maximum payload
// size, .7 receive windows). Typed arrays and plain objects only (device code, docs/device-subset.md):
// a node bundle holds exactly one Region, the gateway and the simulator all of them.

/** Data-rate index meaning "not defined" in the RX1 tables. */
export const DR_NONE = -1;

/** Join-accept CFList types (RP002-1.0.3 §2.4.4, §2.5.4): a list of frequencies, or a channel mask. */
export const CFLIST_FREQUENCIES = 0;
export const CFLIST_CHANNEL_MASK = 1;

export interface Region {
  /** Common name (RP002-1.0.3 §2.1): "EU868", "US915", "AS923-1". */
  name: string;
  /** Lowest and highest frequency (Hz) of the band the plan lives in; radio metadata outside is impossible. */
  bandLoHz: number;
  bandHiHz: number;
  /** Uplink channel centre frequencies (Hz); the index is the channel number. */
  uplinkHz: Int32Array;
  /** Per uplink channel: lowest DR in the low nibble, highest in the high nibble (LoRaMac-node's packing). */
  uplinkDrRange: Uint8Array;
  /** Channels a device has out of the box (1 = enabled): the default channels, or all 72 in US915. */
  defaultMask: Uint8Array;
  /** Channels a join request may use. */
  joinMask: Uint8Array;
  /**
   * Channels kerb enables on an ABP node (no join-accept, so no CFList sets them): EU868 the eight
   * channels of the EU868 plan lora_pkt_fwd ships, US915 sub-band 2, AS923-1 its two default channels.
   */
  kerbMask: Uint8Array;
  /** RX1 downlink channels (Hz) of fixed plans (US915: RX1 channel = uplink channel mod 8); empty: RX1 on the uplink frequency. */
  downlinkHz: Int32Array;
  /** Per DR 0..15: spreading factor, 0 when the DR is not LoRa (FSK, LR-FHSS) or not defined. */
  drSf: Uint8Array;
  /** Per DR 0..15: bandwidth in kHz, 0 when drSf is 0. */
  drBwKhz: Uint16Array;
  /** Per DR 0..15: maximum MACPayload size M (repeater compatible table), 0 = not defined. N = M − 8. */
  maxMacPayload: Uint8Array;
  /** The same under the 400 ms dwell time limit (AS923 with UplinkDwellTime = 1), or null when the plan has no such table. */
  maxMacPayloadDwell: Uint8Array | null;
  /** Number of RX1DROffset values (columns of rx1Dr). */
  rx1OffsetCount: number;
  /** RX1 data rate: rx1Dr[uplinkDr * rx1OffsetCount + RX1DROffset], DR_NONE where undefined. */
  rx1Dr: Int8Array;
  /** The same with DownlinkDwellTime = 1 (AS923), or null. */
  rx1DrDwell: Int8Array | null;
  /** RX2 defaults. */
  rx2Hz: number;
  rx2Dr: number;
  /** Uplink data rate a device starts with. */
  defaultDr: number;
  /** Default maximum EIRP (dBm); TXPower i is maxEirpDbm − 2·i for i < txPowerSteps. */
  maxEirpDbm: number;
  txPowerSteps: number;
  /** CFListType of this plan's join-accept. */
  cfListType: number;
  /**
   * Duty-cycle sub-bands, four numbers each: lower edge (Hz), upper edge (Hz), 1/duty cycle, lower
   * edge inclusive (1) or not (0); null where the plan has none (dwell time instead).
   */
  dutyCycle: Int32Array | null;
  /** Uplink dwell time limit per transmission (ms) as a device applies it by default, 0 = none. */
  dwellTimeMs: number;
  /** DownlinkDwellTime a network assumes by default (picks rx1DrDwell and the RX1 limits). */
  downlinkDwell: boolean;
  /** Power (dBm) kerb's gateway transmits downlinks with: kerb's choice within the plan's limits. */
  downlinkPowerDbm: number;
}
