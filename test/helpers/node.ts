// Shared fixtures for node tests: a street node on a VirtualClock whose uplinks are captured and
// opened with the real LoRaWAN code (the gateway's view).
import { VirtualClock } from '../../sim/clock.ts';
import { createVirtualStreetNode } from '../../sim/devices/index.ts';
import type { StreetEnv, VirtualStreetNodeOptions, TxEvent, VirtualStreetNode } from '../../sim/devices/index.ts';
import { portableAes } from '../../shared/lorawan/aes.ts';
import { decodeFrame, encodeFrame } from '../../shared/lorawan/frame.ts';
import type { DataFrame } from '../../shared/lorawan/frame.ts';
import { openFrame, sealFrame } from '../../shared/lorawan/session.ts';
import type { Session } from '../../shared/lorawan/session.ts';
import { reconstructFcnt } from '../../shared/lorawan/fcnt.ts';

export const DEV_ADDR = 0x26011bda;
export const NWK = Uint8Array.from(Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex'));
export const APP = Uint8Array.from(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex'));
export const session: Session = { nwkSKey: portableAes(NWK), appSKey: portableAes(APP) };

export const STREET: StreetEnv = {
  tempC: 21.3, rh: 45, pressureHpa: 1013.2, pm25: 12, pm10: 20, noiseDb: 62, batteryMv: 3900,
};

export interface Up {
  ev: TxEvent;
  frame: DataFrame;
  fcnt32: number;
  plain: Uint8Array;
}

/** Gateway-side view: verifies MIC with the reconstructed counter and decrypts. */
export class Receiver {
  last = -1;
  ups: Up[] = [];
  push(ev: TxEvent): void {
    const f = decodeFrame(ev.payload);
    if (typeof f === 'number') throw new Error('bad frame ' + f);
    const fc = reconstructFcnt(this.last, f.fcnt);
    const pt = openFrame(session, ev.payload, f, fc);
    if (typeof pt === 'number') throw new Error('MIC/counter failure ' + pt + ' fcnt ' + fc);
    this.last = fc;
    this.ups.push({ ev, frame: f, fcnt32: fc, plain: pt });
  }
  port(p: number): Up[] {
    return this.ups.filter((u) => u.frame.fport === p);
  }
}

export function makeNode(
  env: (t: number) => StreetEnv,
  extra: Partial<VirtualStreetNodeOptions> = {},
): { clock: VirtualClock; vn: VirtualStreetNode; rx: Receiver } {
  const clock = extra.clock instanceof VirtualClock ? extra.clock : new VirtualClock(0);
  const rx = new Receiver();
  const rxr = extra.onUplink ? null : rx;
  const vn = createVirtualStreetNode({
    devAddr: DEV_ADDR, nwkSKey: NWK, appSKey: APP,
    ...extra,
    clock, env,
    onUplink: extra.onUplink ?? ((ev: TxEvent) => rxr!.push(ev)),
    config: { intervalS: 60, ...extra.config },
  });
  return { clock, vn, rx };
}

/** A downlink as the network server would build it. */
export function downlink(fcnt32: number, fport: number, payload: Uint8Array, confirmed = false): Uint8Array {
  return sealFrame(session, {
    mtype: confirmed ? 5 : 3, devAddr: DEV_ADDR, adr: false, adrAckReq: false, ack: false, fpending: false,
    fcnt: fcnt32 & 0xffff, fopts: new Uint8Array(0), fport, payload, mic: 0,
  }, fcnt32);
}

export { encodeFrame };
