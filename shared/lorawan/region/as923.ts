// AS923 group 1 (RP002-1.0.3 §2.10; AS923-1 has no frequency offset). Cross-checked with
// Lora-net/LoRaMac-node src/mac/region/RegionAS923.h (CHANNEL_PLAN_GROUP_AS923_1).
import { CFLIST_FREQUENCIES } from './types.ts';
import type { Region } from './types.ts';

export const AS923_1: Region = {
  name: 'AS923-1',
  bandLoHz: 915000000,
  bandHiHz: 928000000,
  // §2.10.2: the two default channels, DR0..DR5.
  uplinkHz: new Int32Array([923200000, 923400000]),
  uplinkDrRange: new Uint8Array([0x50, 0x50]),
  defaultMask: new Uint8Array([1, 1]),
  joinMask: new Uint8Array([1, 1]),
  kerbMask: new Uint8Array([1, 1]),
  downlinkHz: new Int32Array(0),
  // §2.10.3: DR0..DR5 SF12..SF7/125 kHz, DR6 SF7/250 kHz, DR7 FSK 50 kbit/s.
  drSf: new Uint8Array([12, 11, 10, 9, 8, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  drBwKhz: new Uint16Array([125, 125, 125, 125, 125, 125, 250, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  // §2.10.6, repeater compatible: UplinkDwellTime = 0, and = 1 (400 ms; DR0/DR1 not allowed).
  maxMacPayload: new Uint8Array([59, 59, 123, 123, 230, 230, 230, 230, 0, 0, 0, 0, 0, 0, 0, 0]),
  maxMacPayloadDwell: new Uint8Array([0, 0, 19, 61, 133, 230, 230, 230, 0, 0, 0, 0, 0, 0, 0, 0]),
  // §2.10.7: RX1 on the uplink channel; offsets 0..7, 6 and 7 raising the DR; DownlinkDwellTime 0 / 1.
  rx1OffsetCount: 8,
  rx1Dr: new Int8Array([
    0, 0, 0, 0, 0, 0, 1, 2,
    1, 0, 0, 0, 0, 0, 2, 3,
    2, 1, 0, 0, 0, 0, 3, 4,
    3, 2, 1, 0, 0, 0, 4, 5,
    4, 3, 2, 1, 0, 0, 5, 6,
    5, 4, 3, 2, 1, 0, 6, 7,
    6, 5, 4, 3, 2, 1, 7, 7,
    7, 6, 5, 4, 3, 2, 7, 7,
  ]),
  rx1DrDwell: new Int8Array([
    2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 3,
    2, 2, 2, 2, 2, 2, 3, 4,
    3, 2, 2, 2, 2, 2, 4, 5,
    4, 3, 2, 2, 2, 2, 5, 6,
    5, 4, 3, 2, 2, 2, 6, 7,
    6, 5, 4, 3, 2, 2, 7, 7,
    7, 6, 5, 4, 3, 2, 7, 7,
  ]),
  rx2Hz: 923200000,
  rx2Dr: 2,
  // DR2: the lowest data rate allowed under the default 400 ms uplink dwell time.
  defaultDr: 2,
  // §2.10.3: TXPower 0..7 = Max EIRP − 2·TXPower, Max EIRP +16 dBm by default.
  maxEirpDbm: 16,
  txPowerSteps: 8,
  cfListType: CFLIST_FREQUENCIES,
  // No duty cycle in the plan itself (LoRaMac-node AS923_DUTY_CYCLE_ENABLED 0); some countries add
  // listen-before-talk or 1 %, which kerb does not implement.
  dutyCycle: null,
  // UplinkDwellTime = 1 until a TxParamSetupReq says otherwise (LoRaMac-node AS923_DEFAULT_UPLINK_DWELL_TIME).
  dwellTimeMs: 400,
  // DownlinkDwellTime = 0 by default (LoRaMac-node REGION_COMMON_DEFAULT_DOWNLINK_DWELL_TIME).
  downlinkDwell: false,
  downlinkPowerDbm: 14,
};
