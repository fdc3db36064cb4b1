// Self-test entry: encodes the reference readings, encrypts and MICs one uplink with the shared
// core, once with the board's AES and once with the portable one, and prints both PHYPayloads.
// "SELFTEST OK" means the two agree (hardware AES seam works) — the first thing to run on a new board.
import { encodeReadings } from '../../shared/payload/kerb.ts';
import { sealFrame } from '../../shared/lorawan/session.ts';
import { portableAes, type AesFactory } from '../../shared/lorawan/aes.ts';
import { MTYPE_UNCONFIRMED_UP } from '../../shared/lorawan/constants.ts';
import { boardAes } from './hal/aes.ts';

declare function print(s: string): void;
declare const KERB_BOARD: string;

function hex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16);
  return s;
}

function seal(aes: AesFactory): Uint8Array {
  // Fixed test keys (LoRaWAN 1.0.4 examples use 2B7E1516…; any constant works for a self-test).
  const nwk = new Uint8Array([0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c]);
  const app = new Uint8Array([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]);
  const payload = encodeReadings({
    pm25DeciUgm3: 123, pm10DeciUgm3: 234, tempDeciC: 215, rhHalfPct: 110,
    pressureDeciHpa: 10132, noiseDeciDb: 553, batteryMv: 3710,
  });
  return sealFrame({ nwkSKey: aes(nwk), appSKey: aes(app) }, {
    mtype: MTYPE_UNCONFIRMED_UP, devAddr: 0x26011bda, adr: false, adrAckReq: false, ack: false, fpending: false,
    fcnt: 1, fopts: new Uint8Array(0), fport: 1, payload: payload, mic: 0,
  }, 1);
}

function main(): void {
  const aes = boardAes();
  const hw = aes ? hex(seal(aes)) : 'no hardware AES';
  const sw = hex(seal(portableAes));
  print('kerb selftest board=' + KERB_BOARD);
  print('frame ' + hw);
  print(hw === sw ? 'SELFTEST OK' : 'SELFTEST FAIL portable=' + sw);
}

main();
