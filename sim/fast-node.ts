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

  constructor(private readonly o: FastNodeOptions) {
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
        o.medium.receiveExternal(o.mediumNode, w.params, w.closeMs - w.openMs, (payload, rssi, snr) => {
          this.vn.radio.deliver(payload, rssi, snr);
        });
      },
    });
  }

  private uplink(phy: Uint8Array, params: RadioParams, toaMs: number): void {
    const o = this.o;
    const u = decodeUplink(this.session, this.lastFcnt, phy, params, toaMs);
    if (u.fcnt >= 0) this.lastFcnt = u.fcnt;
    o.onUplink(o.index, u);
    o.medium.injectUplink(o.mediumNode, params, phy);
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
