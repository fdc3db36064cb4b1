// US902-928 (RP002-1.0.3 §2.5). Cross-checked with Lora-net/LoRaMac-node src/mac/region/RegionUS915.h.
import { CFLIST_CHANNEL_MASK } from './types.ts';
import type { Region } from './types.ts';

/** §2.5.2: channels 0..63 at 902.3 MHz + 200 kHz·n (125 kHz), 64..71 at 903.0 MHz + 1.6 MHz·(n − 64) (500 kHz). */
function us915Uplink(): Int32Array {
  const a = new Int32Array(72);
  for (let i = 0; i < 64; i++) a[i] = 902300000 + 200000 * i;
  for (let i = 0; i < 8; i++) a[64 + i] = 903000000 + 1600000 * i;
  return a;
}

/** DR0..DR3 on the 125 kHz channels, DR4 on the 500 kHz ones (the LR-FHSS DR5/DR6 are not used by kerb). */
function us915DrRange(): Uint8Array {
  const a = new Uint8Array(72);
  for (let i = 0; i < 72; i++) a[i] = i < 64 ? 0x30 : 0x44;
  return a;
}

function us915Mask(first: number, last: number, extra: number): Uint8Array {
  const a = new Uint8Array(72);
  for (let i = first; i <= last; i++) a[i] = 1;
  if (extra >= 0) a[extra] = 1;
  return a;
}

/** §2.5.2: downlink channels 0..7 at 923.3 MHz + 600 kHz·n (500 kHz). */
function us915Downlink(): Int32Array {
  const a = new Int32Array(8);
  for (let i = 0; i < 8; i++) a[i] = 923300000 + 600000 * i;
  return a;
}

export const US915: Region = {
  name: 'US915',
  bandLoHz: 902000000,
  bandHiHz: 928000000,
  uplinkHz: us915Uplink(),
  uplinkDrRange: us915DrRange(),
  defaultMask: us915Mask(0, 71, -1),
  joinMask: us915Mask(0, 71, -1),
  // Sub-band 2 (channels 8..15 and 65): what an 8-channel concentrator hears in the common US plan.
  kerbMask: us915Mask(8, 15, 65),
  downlinkHz: us915Downlink(),
  // §2.5.3: DR0..DR3 SF10..SF7/125 kHz, DR4 SF8/500 kHz, DR5/DR6 LR-FHSS, DR8..DR13 SF12..SF7/500 kHz.
  drSf: new Uint8Array([10, 9, 8, 7, 8, 0, 0, 0, 12, 11, 10, 9, 8, 7, 0, 0]),
  drBwKhz: new Uint16Array([125, 125, 125, 125, 500, 0, 0, 0, 500, 500, 500, 500, 500, 500, 0, 0]),
  // §2.5.6, repeater compatible.
  maxMacPayload: new Uint8Array([19, 61, 133, 230, 230, 0, 0, 0, 61, 137, 230, 230, 230, 230, 0, 0]),
  maxMacPayloadDwell: null,
  // §2.5.7: RX1 on downlink channel (uplink channel mod 8), offsets 0..3; rows DR0..DR4.
  rx1OffsetCount: 4,
  rx1Dr: new Int8Array([
    10, 9, 8, 8,
    11, 10, 9, 8,
    12, 11, 10, 9,
    13, 12, 11, 10,
    13, 13, 12, 11,
  ]),
  rx1DrDwell: null,
  rx2Hz: 923300000,
  rx2Dr: 8,
  defaultDr: 0,
  // §2.5.3: TXPower 0..14 = Max EIRP − 2·TXPower, Max EIRP +30 dBm.
  maxEirpDbm: 30,
  txPowerSteps: 15,
  cfListType: CFLIST_CHANNEL_MASK,
  dutyCycle: null,
  // FCC 47 CFR 15.247(a)(1)(i), which §2.5 follows: at most 400 ms on a 125 kHz channel.
  dwellTimeMs: 400,
  downlinkDwell: false,
  downlinkPowerDbm: 20,
};
