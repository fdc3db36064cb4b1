// EU863-870 (RP002-1.0.3 §2.4). Cross-checked with Lora-net/LoRaMac-node src/mac/region/RegionEU868.h.
import { EU868_SUBBANDS } from '../dutycycle.ts';
import { CFLIST_FREQUENCIES } from './types.ts';
import type { Region } from './types.ts';

export const EU868: Region = {
  name: 'EU868',
  bandLoHz: 863000000,
  bandHiHz: 870000000,
  // §2.4.2: the three default channels every device implements (DR0..DR5), then the five the
  // EU868 plan of lora_pkt_fwd's global_conf.json adds (as a CFList would, §2.4.4).
  uplinkHz: new Int32Array([868100000, 868300000, 868500000, 867100000, 867300000, 867500000, 867700000, 867900000]),
  uplinkDrRange: new Uint8Array([0x50, 0x50, 0x50, 0x50, 0x50, 0x50, 0x50, 0x50]),
  defaultMask: new Uint8Array([1, 1, 1, 0, 0, 0, 0, 0]),
  joinMask: new Uint8Array([1, 1, 1, 0, 0, 0, 0, 0]),
  kerbMask: new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1]),
  downlinkHz: new Int32Array(0),
  // §2.4.3: DR0..DR5 SF12..SF7/125 kHz, DR6 SF7/250 kHz, DR7 FSK 50 kbit/s, DR8..DR11 LR-FHSS.
  drSf: new Uint8Array([12, 11, 10, 9, 8, 7, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  drBwKhz: new Uint16Array([125, 125, 125, 125, 125, 125, 250, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
  // §2.4.6, repeater compatible.
  maxMacPayload: new Uint8Array([59, 59, 59, 123, 230, 230, 230, 230, 0, 0, 0, 0, 0, 0, 0, 0]),
  maxMacPayloadDwell: null,
  // §2.4.7: RX1 on the uplink channel, DR = max(0, uplink DR − RX1DROffset), offsets 0..5.
  rx1OffsetCount: 6,
  rx1Dr: new Int8Array([
    0, 0, 0, 0, 0, 0,
    1, 0, 0, 0, 0, 0,
    2, 1, 0, 0, 0, 0,
    3, 2, 1, 0, 0, 0,
    4, 3, 2, 1, 0, 0,
    5, 4, 3, 2, 1, 0,
    6, 5, 4, 3, 2, 1,
    7, 6, 5, 4, 3, 2,
  ]),
  rx1DrDwell: null,
  rx2Hz: 869525000,
  rx2Dr: 0,
  defaultDr: 0,
  // §2.4.3: TXPower 0..7 = Max EIRP − 2·TXPower, Max EIRP +16 dBm by default.
  maxEirpDbm: 16,
  txPowerSteps: 8,
  cfListType: CFLIST_FREQUENCIES,
  dutyCycle: EU868_SUBBANDS,
  dwellTimeMs: 0,
  downlinkDwell: false,
  // 14 dBm: the 868.0–868.6 MHz sub-band's 25 mW ERP limit with margin for antenna gain.
  downlinkPowerDbm: 14,
};
