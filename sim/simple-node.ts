// The simulator's built-in node model ("simple" mode): a deliberately small stand-in for the shared
// node application (shared/node) that drives the real shared LoRaWAN and payload code —
// sealFrame (AES-CTR + CMAC MIC), encodeReadings, EU868 duty cycle, class A RX1/RX2 windows — on the
// medium's hal Radio. It exists (a) because it predates the node application and (b) because it is
// the cheapest model for 10,000-node validation runs. It does NOT model sensor warm-up, aggregation,
// alerts or persisted settings; `mode: fast` runs the real node application for that.
import type { Clock } from '../shared/hal/clock.ts';
import type { Radio, RadioParams } from '../shared/hal/radio.ts';
import { RADIO_OK } from '../shared/hal/radio.ts';
import type { Session } from '../shared/lorawan/session.ts';
import { sealFrame, openFrame } from '../shared/lorawan/session.ts';
import { decodeFrame } from '../shared/lorawan/frame.ts';
import type { DataFrame } from '../shared/lorawan/frame.ts';
import { MTYPE_UNCONFIRMED_UP } from '../shared/lorawan/constants.ts';
import { reconstructFcnt } from '../shared/lorawan/fcnt.ts';
import { createDutyCycle, EU868_RX2_FREQ } from '../shared/lorawan/dutycycle.ts';
import type { DutyCycle } from '../shared/lorawan/dutycycle.ts';
import { encodeReadings } from '../shared/payload/kerb.ts';
import type { Readings } from '../shared/payload/kerb.ts';
import type { Prng } from './prng.ts';
import { createMacDevice, onDownlinkMac, uplinkMac, nextJoinAtMs } from '../shared/lorawan/device-mac.ts';
import { encodeJoinRequest, openJoinAccept, deriveSessionKey, KEY_NWK_S, KEY_APP_S } from '../shared/lorawan/join.ts';
import type { AesFactory } from '../shared/lorawan/aes.ts';
import { timeOnAirMs } from '../shared/lorawan/airtime.ts';
import type { MacDevice } from '../shared/lorawan/device-mac.ts';

/** LoRaWAN 1.0.x Regional Parameters, EU868: RECEIVE_DELAY1 = 1 s, RECEIVE_DELAY2 = 2 s. */
export const RECEIVE_DELAY1_MS = 1000;
export const RECEIVE_DELAY2_MS = 2000;
/** RP002-1.0.3 EU868: JOIN_ACCEPT_DELAY1 = 5 s, JOIN_ACCEPT_DELAY2 = 6 s. */
export const JOIN_ACCEPT_DELAY1_MS = 5000;
export const JOIN_ACCEPT_DELAY2_MS = 6000;
/** Windows open this much early, as LoRaMac-node does to absorb timing error (RegionCommon window offset). */
export const RX_EARLY_MS = 1;
/** Receive window length: long enough to detect a preamble (8 symbols at the window's SF) plus margin. */
export function rxWindowMs(sf: number, bwHz: number): number {
  return (Math.pow(2, sf) / bwHz) * 1000 * 12;
}

export interface SimpleNodeConfig {
  devAddr: number;
  session: Session;
  sf: number;
  bwHz: number;
  cr: number;
  txPowerDbm: number;
  intervalMs: number;
  /** 'periodic' (interval ± jitter·interval) or 'poisson' (exponential gaps, mean interval). */
  traffic: 'periodic' | 'poisson';
  jitter: number;
  /** Open class A receive windows after each uplink. */
  rxWindows: boolean;
  rx2Sf: number;
  fcntStart: number;
  /** Respect the EU868 duty cycle (on by default; off for the pure ALOHA validation). */
  dutyCycle: boolean;
  /** Uplink channels (Hz); EU868 default channels unless the scenario narrows them. */
  freqs: number[];
  /** Opaque FPort 2 payload of this many bytes instead of the readings on FPort 1. */
  payloadBytes?: number;
  /** Class A RX1 for an uplink (region rule); default: the uplink's channel and data rate (EU868). */
  rx1Of?: (freqHz: number, sf: number, bwHz: number) => { freqHz: number; sf: number; bwHz: number };
  /** RX2 frequency and bandwidth (default EU868: 869.525 MHz, 125 kHz; SF from rx2Sf). */
  rx2?: { freqHz: number; bwHz: number };
  /**
   * ADR (LoRaWAN 1.0.4 §4.3.1.1, §5.3): set the ADR bit, follow LinkADRReq from the network (data
   * rate, TX power index = 2 dB below txPowerDbm per step), answer the MAC commands and fall back
   * per ADR_ACK_LIMIT/ADR_ACK_DELAY (shared/lorawan/device-mac.ts). NbTrans is not modelled: each
   * uplink is sent once.
   */
  adr?: boolean;
  /**
   * OTAA (LoRaWAN 1.0.4 §6.2): join before the first uplink — Join-request at cfg.sf with a DevNonce
   * counter, Join-accept in the join windows, session keys derived from it, retries after the §7
   * back-off (toa / aggregated duty cycle, plus up to 10 % random spread). devAddr and session are
   * replaced by the join's.
   */
  otaa?: { devEui: Uint8Array; joinEui: Uint8Array; appKey: Uint8Array; aes: AesFactory };
}

export interface UplinkInfo {
  fcnt: number;
  freqHz: number;
  sf: number;
  fport: number;
  phy: Uint8Array;
  readings: Readings;
  /** The FRMPayload in clear. */
  payload: Uint8Array;
}

export interface NodeHooks {
  /** Just before transmit: lets the runner record what was sent. */
  onUplink(node: number, u: UplinkInfo): void;
  onDownlink(node: number, fport: number, payload: Uint8Array, window: 1 | 2): void;
  /** Time spent with the receiver on (ms), for the energy model. */
  onRxTime(node: number, ms: number): void;
  /** OTAA: a Join-request about to be sent (its time on air), and a join completed. */
  onJoinRequest?(node: number, toaMs: number): void;
  onJoined?(node: number, devAddr: number): void;
}

export class SimpleNode {
  private fcnt: number;
  private fcntDown = -1;
  private dc: DutyCycle | null;
  private timer = 0;
  private running = false;
  private mac: MacDevice | null;
  private devNonce = 0;
  private firstJoinAt = -1;
  /** False until an OTAA node has joined. */
  joined: boolean;

  readonly index: number;
  private readonly clock: Clock;
  private readonly radio: Radio;
  readonly cfg: SimpleNodeConfig;
  private readonly rng: Prng;
  private readonly sample: (tMs: number) => Readings;
  private readonly hooks: NodeHooks;
  constructor(
    index: number,
    clock: Clock,
    radio: Radio,
    cfg: SimpleNodeConfig,
    rng: Prng,
    sample: (tMs: number) => Readings,
    hooks: NodeHooks,
  ) {
    this.index = index;
    this.clock = clock;
    this.radio = radio;
    this.cfg = cfg;
    this.rng = rng;
    this.sample = sample;
    this.hooks = hooks;
    this.fcnt = cfg.fcntStart;
    this.dc = cfg.dutyCycle ? createDutyCycle() : null;
    this.mac = cfg.adr ? createMacDevice(12 - cfg.sf) : null;
    this.joined = !cfg.otaa;
  }

  /** Current spreading factor (moves under ADR). */
  get sf(): number {
    return this.mac ? 12 - this.mac.dr : this.cfg.sf;
  }

  start(firstInMs?: number): void {
    this.running = true;
    if (!this.joined) {
      this.timer = this.clock.setTimeout(() => this.join(), firstInMs ?? this.rng.range(0, 10_000));
      return;
    }
    this.schedule(firstInMs ?? (this.cfg.traffic === 'poisson' ? this.rng.exp(this.cfg.intervalMs) : this.rng.range(0, this.cfg.intervalMs)));
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.timer);
  }

  setInterval(ms: number): void {
    this.cfg.intervalMs = ms;
  }

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => this.uplink(), ms);
  }

  private nextGap(): number {
    const c = this.cfg;
    if (c.traffic === 'poisson') return this.rng.exp(c.intervalMs);
    return c.intervalMs * (1 + c.jitter * (2 * this.rng.next() - 1));
  }

  private pickChannel(now: number, toaGuessMs: number): { freq: number; wait: number } {
    const freqs = this.cfg.freqs;
    const first = this.rng.int(freqs.length);
    if (!this.dc) return { freq: freqs[first]!, wait: 0 };
    let best = freqs[first]!;
    let bestAt = Infinity;
    for (let k = 0; k < freqs.length; k++) {
      const f = freqs[(first + k) % freqs.length]!;
      const at = this.dc.nextFreeMs(f, now);
      if (at <= now) return { freq: f, wait: 0 };
      if (at < bestAt) {
        bestAt = at;
        best = f;
      }
    }
    void toaGuessMs;
    return { freq: best, wait: bestAt - now };
  }

  private join(): void {
    if (!this.running) return;
    const o = this.cfg.otaa!;
    const now = this.clock.now();
    if (this.firstJoinAt < 0) this.firstJoinAt = now;
    const ch = this.pickChannel(now, 0);
    if (ch.wait > 0) {
      this.timer = this.clock.setTimeout(() => this.join(), ch.wait);
      return;
    }
    const c = this.cfg;
    const nonce = this.devNonce++;
    const phy = encodeJoinRequest(o.aes(o.appKey), o.joinEui, o.devEui, nonce);
    const p: RadioParams = { freqHz: ch.freq, sf: c.sf, bwHz: c.bwHz, cr: c.cr, powerDbm: c.txPowerDbm, invertIq: false };
    const toa = timeOnAirMs(c.sf, c.bwHz, c.cr, phy.length, 8, true, true);
    this.hooks.onJoinRequest?.(this.index, toa);
    this.radio.transmit(p, phy, (status) => {
      const end = this.clock.now();
      if (status === RADIO_OK && this.dc) this.dc.record(ch.freq, now, end - now);
      const retry = (): void => {
        if (this.joined || !this.running) return;
        const at = nextJoinAtMs(this.firstJoinAt, now, toa);
        const wait = Math.max(0, at - this.clock.now()) * (1 + 0.1 * this.rng.next());
        this.timer = this.clock.setTimeout(() => this.join(), wait);
      };
      this.openWindows(p, end, JOIN_ACCEPT_DELAY1_MS, JOIN_ACCEPT_DELAY2_MS, (raw) => this.handleJoinAccept(raw, nonce), retry);
    });
  }

  private handleJoinAccept(raw: Uint8Array, devNonce: number): boolean {
    const o = this.cfg.otaa!;
    const k = o.aes(o.appKey);
    const ja = openJoinAccept(k, raw);
    if (typeof ja === 'number') return false;
    this.cfg.devAddr = ja.devAddr;
    this.cfg.session = {
      nwkSKey: o.aes(deriveSessionKey(k, KEY_NWK_S, ja.joinNonce, ja.netId, devNonce)),
      appSKey: o.aes(deriveSessionKey(k, KEY_APP_S, ja.joinNonce, ja.netId, devNonce)),
    };
    this.fcnt = 0;
    this.fcntDown = -1;
    if (this.cfg.adr) this.mac = createMacDevice(12 - this.cfg.sf);
    this.joined = true;
    this.hooks.onJoined?.(this.index, ja.devAddr);
    // The first reading soon after the join (spread so a join storm does not become an uplink storm).
    this.schedule(this.rng.range(0, Math.min(this.cfg.intervalMs, 60_000)));
    return true;
  }

  private uplink(): void {
    if (!this.running) return;
    const now = this.clock.now();
    const readings = this.sample(now);
    const enc = encodeReadings(readings);
    let payload = enc;
    const fport = this.cfg.payloadBytes ? 2 : 1;
    if (this.cfg.payloadBytes) {
      payload = new Uint8Array(this.cfg.payloadBytes);
      payload.set(enc.subarray(0, payload.length));
    }
    const ch = this.pickChannel(now, 0);
    if (ch.wait > 0) {
      // EU868 duty cycle: the band is still silent; try again when it frees up (ETSI EN 300 220).
      this.timer = this.clock.setTimeout(() => this.uplink(), ch.wait);
      return;
    }
    const c = this.cfg;
    let sf = c.sf;
    let powerDbm = c.txPowerDbm;
    let fopts: Uint8Array = new Uint8Array(0);
    let adrAckReq = false;
    if (this.mac) {
      const m = uplinkMac(this.mac, 0, true);
      fopts = m.fopts;
      adrAckReq = m.adrAckReq;
      sf = 12 - this.mac.dr;
      powerDbm = c.txPowerDbm - 2 * this.mac.txPower;
    }
    const f: DataFrame = {
      mtype: MTYPE_UNCONFIRMED_UP,
      devAddr: c.devAddr,
      adr: this.mac !== null,
      adrAckReq,
      ack: false,
      fpending: false,
      fcnt: this.fcnt & 0xffff,
      fopts,
      fport,
      payload,
      mic: 0,
    };
    const phy = sealFrame(c.session, f, this.fcnt);
    const p: RadioParams = { freqHz: ch.freq, sf, bwHz: c.bwHz, cr: c.cr, powerDbm, invertIq: false };
    this.hooks.onUplink(this.index, { fcnt: this.fcnt, freqHz: ch.freq, sf, fport, phy, readings, payload });
    this.fcnt++;
    this.radio.transmit(p, phy, (status) => {
      const end = this.clock.now();
      if (status === RADIO_OK && this.dc) this.dc.record(ch.freq, now, end - now);
      if (c.rxWindows) this.openWindows(p, end, RECEIVE_DELAY1_MS, RECEIVE_DELAY2_MS, (raw, w) => this.handleDownlink(raw, w), () => {});
      this.schedule(Math.max(0, this.nextGap() - (end - now)));
    });
  }

  /** Class A receive windows after an uplink ending at txEnd; onFrame says whether a frame was for us. */
  private openWindows(up: RadioParams, txEnd: number, delay1: number, delay2: number, onFrame: (raw: Uint8Array, window: 1 | 2) => boolean, onNone: () => void): void {
    const c = this.cfg;
    const d1 = c.rx1Of ? c.rx1Of(up.freqHz, up.sf, up.bwHz) : up;
    const rx1: RadioParams = { freqHz: d1.freqHz, sf: d1.sf, bwHz: d1.bwHz, cr: up.cr, powerDbm: 0, invertIq: true };
    const rx2: RadioParams = { freqHz: c.rx2?.freqHz ?? EU868_RX2_FREQ, sf: c.rx2Sf, bwHz: c.rx2?.bwHz ?? 125000, cr: 1, powerDbm: 0, invertIq: true };
    this.clock.setTimeout(() => {
      const opened = this.clock.now();
      this.radio.receive(rx1, rxWindowMs(rx1.sf, rx1.bwHz), (st, rx) => {
        this.hooks.onRxTime(this.index, this.clock.now() - opened);
        if (st === RADIO_OK && rx && onFrame(rx.payload, 1)) return;
        const wait = txEnd + delay2 - this.clock.now();
        this.clock.setTimeout(() => {
          const opened2 = this.clock.now();
          this.radio.receive(rx2, rxWindowMs(rx2.sf, rx2.bwHz), (st2, rx2got) => {
            this.hooks.onRxTime(this.index, this.clock.now() - opened2);
            if (!(st2 === RADIO_OK && rx2got && onFrame(rx2got.payload, 2))) onNone();
          });
        }, Math.max(0, wait - RX_EARLY_MS));
      });
    }, Math.max(0, txEnd + delay1 - RX_EARLY_MS - this.clock.now()));
  }

  /** Verifies a downlink addressed to this node; true when accepted. */
  private handleDownlink(raw: Uint8Array, window: 1 | 2): boolean {
    const f = decodeFrame(raw);
    if (typeof f === 'number' || f.devAddr !== this.cfg.devAddr) return false;
    const fc = reconstructFcnt(this.fcntDown, f.fcnt);
    const plain = openFrame(this.cfg.session, raw, f, fc);
    if (typeof plain === 'number') return false;
    this.fcntDown = fc;
    if (this.mac) onDownlinkMac(this.mac, f.fport === 0 ? plain : f.fopts, 255, 0);
    this.hooks.onDownlink(this.index, f.fport, plain, window);
    return true;
  }
}
