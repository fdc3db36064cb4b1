// "fast" node mode: the real sensor-node application (shared/node createNode) with the real drivers
// on D1's virtual buses and chips (sim/devices createVirtualStreetNode), its radio joined to the
// medium: every transmission D1's VirtualRadio makes is injected into the medium, and every receive
// window it opens is registered with the medium, which hands it a downlink when one is heard.
import type { Clock } from '../shared/hal/clock.ts';
import type { RadioParams } from '../shared/hal/radio.ts';
import { decodeFrame } from '../shared/lorawan/frame.ts';
import { openFrame } from '../shared/lorawan/session.ts';
import type { Session } from '../shared/lorawan/session.ts';
import { reconstructFcnt } from '../shared/lorawan/fcnt.ts';
import { decodeReadings } from '../shared/payload/kerb.ts';
import type { Readings } from '../shared/payload/kerb.ts';
import { createVirtualStreetNode } from './devices/index.ts';
import type { StreetEnv, VirtualStreetNode } from './devices/index.ts';
import type { Medium } from './medium.ts';
import { simAes } from './aes.ts';

export interface FleetNode {
  start(firstInMs?: number): void;
  stop(): void;
  /** Downlinks the node's radio received (when the node model counts them itself). */
  downlinkCount?(): number;
}

export interface FastUplink {
  fcnt: number;
  fport: number;
  phy: Uint8Array;
  params: RadioParams;
  toaMs: number;
  /** Decrypted FRMPayload and decoded readings (only when decrypt is on). */
  plain: Uint8Array | null;
  readings: Readings | null;
}

export interface FastNodeOptions {
  index: number;
  clock: Clock;
  medium: Medium;
  mediumNode: number;
  devAddr: number;
  nwkSKey: Uint8Array;
  appSKey: Uint8Array;
  sf: number;
  txPowerDbm: number;
  intervalS: number;
  firstReportMs: number;
  seed: number;
  env: (tMs: number) => StreetEnv;
  /** Decrypt each uplink to record what the node sent (end-to-end checks). */
  decrypt: boolean;
  onUplink(i: number, u: FastUplink): void;
  onRxTime(i: number, ms: number): void;
}

/** What a node sent, as the gateway would read it (FCnt reconstructed; decrypted when a session is given). */
export function decodeUplink(session: Session | null, lastFcnt: number, phy: Uint8Array, params: RadioParams, toaMs: number): FastUplink {
  if (!session) {
    // Nothing to decrypt: FCnt and FPort straight from the header (LoRaWAN 1.0.4 §4.3: MHDR,
    // DevAddr, FCtrl with FOptsLen in its low nibble, FCnt LE16, FOpts, [FPort]), without the
    // allocations of a full decodeFrame — only for frames decodeFrame would accept (node-made).
    const n = phy.length;
    const fol = n ? phy[5]! & 15 : 0;
    const mt = n ? phy[0]! >> 5 : 0;
    // Same acceptance as decodeFrame: length 12..255, MType 2..5, major R1 and RFU bits 0, FOpts
    // inside the frame, no FOpts with FPort 0.
    if (n >= 12 + fol && n <= 255 && mt >= 2 && mt <= 5 && (phy[0]! & 0x1f) === 0) {
      const fport = n > 12 + fol ? phy[8 + fol]! : -1;
      if (!(fport === 0 && fol > 0)) {
        const fcnt = reconstructFcnt(lastFcnt, phy[6]! | (phy[7]! << 8));
        return { fcnt, fport, phy, params, toaMs, plain: null, readings: null };
      }
    }
  }
  const f = decodeFrame(phy);
  let fcnt = -1;
  let fport = -1;
  let plain: Uint8Array | null = null;
  let readings: Readings | null = null;
  if (typeof f !== 'number') {
    fcnt = reconstructFcnt(lastFcnt, f.fcnt);
    fport = f.fport;
    if (session) {
      const p = openFrame(session, phy, f, fcnt);
      if (typeof p !== 'number') {
        plain = p;
        if (fport === 1) {
          const r = decodeReadings(p);
          if (typeof r !== 'number') readings = r;
        }
      }
    }
  }
  return { fcnt, fport, phy, params, toaMs, plain, readings };
}

export class FastNode implements FleetNode {
  readonly vn: VirtualStreetNode;
  private lastFcnt = -1;
  private session: Session | null;
  private firstReportMs: number;

  private readonly o: FastNodeOptions;
  constructor(o: FastNodeOptions) {
    this.o = o;
    this.session = o.decrypt ? { nwkSKey: simAes(o.nwkSKey), appSKey: simAes(o.appSKey) } : null;
    this.firstReportMs = o.firstReportMs;
    const intervalMs = o.intervalS * 1000;
    this.vn = createVirtualStreetNode({
      clock: o.clock,
      env: o.env,
      devAddr: o.devAddr,
      nwkSKey: o.nwkSKey,
      appSKey: o.appSKey,
      aesFactory: simAes,
      seed: o.seed,
      // Fleet scale: every sensor sampled once per report (each sample costs clock events).
      periods: { envMs: intervalMs, pmMs: intervalMs, noiseMs: intervalMs, batteryMs: intervalMs },
      config: { intervalS: o.intervalS, sf: o.sf, txPowerDbm: o.txPowerDbm, firstReportMs: o.firstReportMs, seed: o.seed },
      onUplink: (ev) => this.uplink(ev.payload, ev.params, ev.toaMs),
      onRxWindow: (w) => {
        o.onRxTime(o.index, w.closeMs - w.openMs);
        o.medium.receiveExternal(o.mediumNode, w.params, w.closeMs - w.openMs, this.onLock);
      },
    });
    this.vn.radio.airtimeByMedium = true;
  }

  /** The medium's end of this node's frame (same air time) completes the radio's transmission. */
  private readonly airEnd = (): void => {
    this.vn.radio.endTransmit();
  };

  /** The medium locked a downlink in this node's open window (one bound callback, not one per window). */
  private readonly onLock = (payload: Uint8Array, rssi: number, snr: number): void => {
    this.vn.radio.deliver(payload, rssi, snr);
  };

  private uplink(phy: Uint8Array, params: RadioParams, toaMs: number): void {
    const o = this.o;
    const u = decodeUplink(this.session, this.lastFcnt, phy, params, toaMs);
    if (u.fcnt >= 0) this.lastFcnt = u.fcnt;
    o.onUplink(o.index, u);
    o.medium.injectUplink(o.mediumNode, params, phy, this.airEnd);
  }

  start(firstInMs?: number): void {
    if (firstInMs !== undefined && firstInMs !== this.firstReportMs) {
      // Restart after an outage: the node boots again (power returns), reporting one interval later.
      this.vn.reboot();
      return;
    }
    this.vn.start();
  }

  stop(): void {
    this.vn.stop();
  }

  downlinkCount(): number {
    return this.vn.radio.rxDelivered;
  }
}
