// The join server (LoRaWAN 1.0.4 §6.2): answers an OTAA device's Join-request with a Join-accept
// and keeps the session it creates. Per DevEUI it persists, in joins.json in the state folder:
// the last DevNonce accepted (§6.2.5: DevNonce is a counter, and a Join-request whose DevNonce is
// not above the last one is ignored — a replayed request cannot make a new session, even after a
// gateway restart), the JoinNonce counter (§6.2.6: never repeats for the device) and the current
// session (DevAddr from the NetID's block, NwkSKey/AppSKey derived as §6.2.6 says). The file is
// replaced atomically (temp + fsync + rename) before the Join-accept is handed to the radio, so
// an accept on air always has its state on disk. The registry then lists the device like an ABP
// one with that session, and the normal uplink path (counters from zero for a new session id)
// serves it.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Logger, Metrics } from './types.ts';
import { KerbError } from './types.ts';
import { writeFileAtomic } from '../host/state-file.ts';
import type { Registry, OtaaInfo, JoinedSession } from '../host/registry.ts';
import { asDevAddr, type NwkSKey, type AppSKey } from '../host/ids.ts';
import { randomDevAddr } from '../host/netid.ts';
import { encryptJoinAccept } from '../host/crypto.ts';
import type { AesFactory } from '../shared/lorawan/aes.ts';
import { decodeJoinRequest, joinRequestMicOk, buildJoinAccept, deriveSessionKey, KEY_NWK_S, KEY_APP_S } from '../shared/lorawan/join.ts';
import { errorName } from '../shared/lorawan/errors.ts';

/** RP002-1.0.3 EU863-870: JOIN_ACCEPT_DELAY1 5 s, JOIN_ACCEPT_DELAY2 6 s (§2.2.8 default settings). */
export const JOIN_ACCEPT_DELAY1_MS = 5000;
export const JOIN_ACCEPT_DELAY2_MS = 6000;

interface DeviceJoinState {
  id: string;
  lastDevNonce: number;
  joinNonce: number;
  devAddr: string;    // 8 hex digits
  nwkSKey: string;    // 32 hex digits
  appSKey: string;
  joinedAt: number;   // ms since epoch
}

export type JoinResult =
  | { ok: true; device: OtaaInfo; devAddr: number; phy: Uint8Array; devNonce: number }
  | { ok: false; reason: 'malformed' | 'unknown_device' | 'mic' | 'devnonce_replay' | 'joineui'; detail: string; devEui?: string };

export interface JoinServerOptions {
  stateDir: string;
  log: Logger;
  metrics: Metrics;
  registry: Registry;
  aes: AesFactory;
  /** NetID sent in the Join-accept and whose DevAddr block sessions get (host/netid.ts DEFAULT_NETID). */
  netId: number;
  /** DLSettings and RXDelay sent to joining devices (RP002 EU868 defaults: RX1DROffset 0, RX2 DR0, 1 s). */
  rx1DrOffset?: number;
  rx2DataRate?: number;
  rxDelayS?: number;
  now?: () => number;
}

function crcHex(text: string): string {
  return (zlib.crc32(Buffer.from(text, 'utf8')) >>> 0).toString(16).padStart(8, '0');
}

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex').toUpperCase();
}

export class JoinServer {
  private state: Record<string, DeviceJoinState> = {};
  private readonly file: string;
  private readonly o: JoinServerOptions;
  /** One join at a time: each reads and writes the whole state. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(o: JoinServerOptions) {
    this.o = o;
    this.file = path.join(o.stateDir, 'joins.json');
  }

  /** Loads joins.json. A damaged file stops the start: losing it would let old DevNonces be replayed. */
  async open(): Promise<void> {
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    let doc: { version?: unknown; check?: unknown; devices?: unknown };
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch (e) {
      throw new KerbError('state_corrupt', `${this.file}: not valid JSON (${(e as Error).message}); it holds the DevNonces OTAA devices used, so a replayed Join-request could be accepted without it. Restore it from a backup, or delete it to accept the risk`);
    }
    const devs = doc.devices;
    if (doc.version !== 1 || typeof devs !== 'object' || devs === null || doc.check !== crcHex(JSON.stringify(devs))) {
      throw new KerbError('state_corrupt', `${this.file}: fails its integrity check; it holds the DevNonces OTAA devices used, so a replayed Join-request could be accepted without it. Restore it from a backup, or delete it to accept the risk`);
    }
    this.state = devs as Record<string, DeviceJoinState>;
    this.o.log.info('OTAA join state loaded', { devices: Object.keys(this.state).length });
  }

  /** The session a device's last join made, for the registry (host/registry.ts setSessionSource). */
  session(id: string, devEui: string): JoinedSession | undefined {
    const s = this.state[devEui];
    if (!s || s.id !== id) return undefined;
    return {
      devAddr: asDevAddr(parseInt(s.devAddr, 16)),
      nwkSKey: Uint8Array.from(Buffer.from(s.nwkSKey, 'hex')) as NwkSKey,
      appSKey: Uint8Array.from(Buffer.from(s.appSKey, 'hex')) as AppSKey,
    };
  }

  /** Last DevNonce accepted for a DevEUI (-1 when it never joined); for tests and `kerb` tools. */
  lastDevNonce(devEui: string): number {
    return this.state[devEui]?.lastDevNonce ?? -1;
  }

  /**
   * Handles one Join-request: on success the new session is on disk and in the registry, and phy is
   * the encrypted Join-accept to transmit.
   */
  handle(raw: Uint8Array): Promise<JoinResult> {
    const p = this.chain.then(() => this.handleOne(raw));
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async handleOne(raw: Uint8Array): Promise<JoinResult> {
    const r = decodeJoinRequest(raw);
    if (typeof r === 'number') return { ok: false, reason: 'malformed', detail: errorName(r) };
    const devEui = hexOf(r.devEui);
    const dev = this.o.registry.otaaDevice(devEui);
    if (!dev) return { ok: false, reason: 'unknown_device', detail: `no OTAA device with DevEUI ${devEui} in the registry`, devEui };
    const appKey = this.o.aes(dev.appKey);
    // MIC first: a forged request must not be able to move the DevNonce.
    if (!joinRequestMicOk(appKey, raw)) return { ok: false, reason: 'mic', detail: `Join-request MIC does not verify under ${dev.id}'s AppKey`, devEui };
    if (hexOf(r.joinEui) !== dev.joinEui) {
      return { ok: false, reason: 'joineui', detail: `JoinEUI ${hexOf(r.joinEui)} is not ${dev.id}'s (${dev.joinEui})`, devEui };
    }
    const prev = this.state[devEui];
    const same = prev && prev.id === dev.id ? prev : undefined;
    if (same && r.devNonce <= same.lastDevNonce) {
      return { ok: false, reason: 'devnonce_replay', detail: `DevNonce ${r.devNonce} is not above the last one accepted (${same.lastDevNonce}); LoRaWAN 1.0.4 §6.2.5`, devEui };
    }
    const joinNonce = ((same?.joinNonce ?? -1) + 1) & 0xffffff;
    const taken = new Set<number>(this.o.registry.list().map((d) => d.devAddr as number));
    const devAddr = randomDevAddr(this.o.netId, taken);
    const nwkSKey = deriveSessionKey(appKey, KEY_NWK_S, joinNonce, this.o.netId, r.devNonce);
    const appSKey = deriveSessionKey(appKey, KEY_APP_S, joinNonce, this.o.netId, r.devNonce);
    const next: Record<string, DeviceJoinState> = { ...this.state };
    next[devEui] = {
      id: dev.id, lastDevNonce: r.devNonce, joinNonce, devAddr: devAddr.toString(16).toUpperCase().padStart(8, '0'),
      nwkSKey: hexOf(nwkSKey), appSKey: hexOf(appSKey), joinedAt: (this.o.now ?? Date.now)(),
    };
    const j = JSON.stringify(next);
    await writeFileAtomic(this.file, `{"version":1,"check":"${crcHex(j)}","devices":${j}}\n`);
    this.state = next;
    this.o.registry.refreshSessions();
    const plain = buildJoinAccept(appKey, {
      joinNonce, netId: this.o.netId, devAddr, rx1DrOffset: this.o.rx1DrOffset ?? 0, rx2DataRate: this.o.rx2DataRate ?? 0,
      rxDelay: this.o.rxDelayS ?? 1, cfList: null,
    });
    return { ok: true, device: dev, devAddr, phy: encryptJoinAccept(dev.appKey, plain), devNonce: r.devNonce };
  }
}
