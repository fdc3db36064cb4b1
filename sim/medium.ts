// The shared LoRa channel of a simulated city.
//
// Models and their sources (see docs/simulator.md for the discussion):
//  - Path loss: log-distance with log-normal shadowing, Bor et al., "Do LoRa Low-Power Wide-Area
//    Networks Scale?", MSWiM 2016, as used by FLoRa: PL(d) = 127.41 + 10·2.08·log10(d / 40 m) dB,
//    σ = 3.57 dB. Shadowing is drawn per transmission and receiver (FLoRa does the same).
//  - Sensitivity per SF at 125 kHz: Semtech SX1272/73 datasheet Table 10 (the values Bor et al. and
//    FLoRa use): SF7 −124 … SF12 −137 dBm; 250/500 kHz are 3/6 dB less sensitive (noise bandwidth).
//  - Noise floor for the reported SNR: −174 dBm/Hz + 10·log10(BW) + 6 dB noise figure.
//  - Time on air: shared/lorawan/airtime.ts (the same calculator the node uses).
//  - Collisions: frames on the same frequency and SF that overlap in time interfere; different SFs
//    are treated as orthogonal and uplinks (normal IQ) never interfere with downlinks (inverted IQ).
//    With capture on (default), frame A survives interferer I at a receiver when A is ≥ 6 dB
//    stronger (co-SF rejection; Bor et al. §3, Croce et al. 2018) and the receiver locked A's
//    preamble: A started first, or A arrived
//    while I was still in its preamble (Rahmadhani & Kuipers, "When LoRaWAN frames collide",
//    WiNTECH 2018: an SX127x re-locks onto a stronger preamble but not once it is demodulating a
//    payload). An interferer that overlaps only
//    A's first Npre−5 preamble symbols does not hurt A (the last 5 preamble symbols suffice to lock:
//    Bor et al. / LoRaSim timingCollision). With capture off every overlap destroys both frames:
//    pure ALOHA, whose delivery probability e^(−2G) the validation test checks.
//  - Interferers weaker than (sensitivity − 6 dB) at a receiver are ignored there (they cannot
//    prevent capture of any decodable frame).
//  - Gateways are half-duplex: an uplink that overlaps a gateway's own downlink is lost at that
//    gateway. A gateway listens on a configurable set of channels and SFs (an 8-channel concentrator
//    hears all EU868 channels and SFs; kerb's single-SX127x bridge hears one). A GatewayReceiver
//    (sim/concentrator.ts) can add a demodulator limit and interference between SFs.
//  - Class A receive windows: a node hears a downlink whose preamble starts while its window is
//    open, on the window's frequency and SF, with inverted IQ, above sensitivity.
import type { Radio, RadioParams, RadioRx } from '../shared/hal/radio.ts';
import { RADIO_OK, RADIO_ERR_BUSY, RADIO_ERR_TIMEOUT, RADIO_ERR_CRC } from '../shared/hal/radio.ts';
import { timeOnAirMs } from '../shared/lorawan/airtime.ts';
import type { VirtualClock } from './clock.ts';
import type { Prng } from './prng.ts';

export interface PathLossModel {
  d0M: number;
  pl0Db: number;
  gamma: number;
  sigmaDb: number;
}

/** Bor et al. 2016 (built-up area, Lancaster), the FLoRa default. */
export const BOR_2016: PathLossModel = { d0M: 40, pl0Db: 127.41, gamma: 2.08, sigmaDb: 3.57 };

/** SX1272/73 datasheet Table 10, 125 kHz, index = SF. */
const SENS_125K: readonly number[] = [0, 0, 0, 0, 0, 0, -118, -124, -127, -130, -133, -135, -137];

export const CAPTURE_THRESHOLD_DB = 6;
/** Preamble symbols a receiver needs to lock (Bor et al. 2016; LoRaSim). */
export const LOCK_SYMBOLS = 5;
export const PREAMBLE_SYMBOLS = 8;
export const NOISE_FIGURE_DB = 6;

export function sensitivityDbm(sf: number, bwHz: number): number {
  const base = SENS_125K[sf] ?? -124;
  // 125 kHz (nearly every frame) adds exactly 0: skip the logarithm on the per-frame path.
  return bwHz === 125000 ? base : base + 10 * Math.log10(bwHz / 125000);
}

const NOISE_125K = -174 + 10 * Math.log10(125000) + NOISE_FIGURE_DB;

export function noiseFloorDbm(bwHz: number): number {
  return bwHz === 125000 ? NOISE_125K : -174 + 10 * Math.log10(bwHz) + NOISE_FIGURE_DB;
}

export function meanPathLossDb(m: PathLossModel, dM: number): number {
  return m.pl0Db + 10 * m.gamma * Math.log10(Math.max(1, dM) / m.d0M);
}

/** Distance at which the mean received power equals the sensitivity (the "range" of an SF). */
export function rangeM(m: PathLossModel, sf: number, bwHz: number, txPowerDbm: number, gainsDb: number): number {
  const budget = txPowerDbm + gainsDb - sensitivityDbm(sf, bwHz);
  return m.d0M * Math.pow(10, (budget - m.pl0Db) / (10 * m.gamma));
}

export function symbolMs(sf: number, bwHz: number): number {
  return (Math.pow(2, sf) / bwHz) * 1000;
}

export interface Point {
  x: number;
  y: number;
}

export interface GatewaySite {
  id: string;
  pos: Point;
  antennaGainDb: number;
  /** Frequencies (Hz) and SFs it demodulates. */
  freqs: number[];
  sfs: number[];
  txPowerDbm: number;
}

export interface NodeSite {
  pos: Point;
  antennaGainDb: number;
}

export type LossReason = 'range' | 'collision' | 'gw_busy' | 'not_listening' | 'no_demodulator';

/** One transmission on the air. */
export interface AirFrame {
  id: number;
  uplink: boolean;
  /** Node index for uplinks, gateway index for downlinks. */
  src: number;
  freqHz: number;
  sf: number;
  bwHz: number;
  cr: number;
  powerDbm: number;
  startMs: number;
  endMs: number;
  /** Start of the last LOCK_SYMBOLS preamble symbols. */
  criticalMs: number;
  payload: Uint8Array;
  /** Receivers that could possibly hear it (gateway indices for uplinks) and the received power there. */
  rxIdx: Int32Array;
  rxDbm: Float64Array;
  interferers: AirFrame[] | null;
  /** For downlinks: the node the gateway addressed it to (-1 = unknown). */
  target: number;
}

export interface GatewayReception {
  gw: number;
  rssiDbm: number;
  snrDb: number;
  ok: boolean;
  reason?: LossReason;
}

export interface MediumObserver {
  /** Called at the end of every uplink with the outcome at each candidate gateway. */
  uplinkEnd?(f: AirFrame, rx: GatewayReception[]): void;
  /** A gateway decoded an uplink (called once per gateway, after uplinkEnd). */
  gatewayRx?(gw: number, f: AirFrame, rssiDbm: number, snrDb: number): void;
  downlinkEnd?(f: AirFrame, delivered: boolean, reason: LossReason | null): void;
}

export interface MediumOptions {
  pathLoss: PathLossModel;
  capture: boolean;
  /** Draw shadowing per transmission (true) or use the mean path loss only. */
  shadowing: boolean;
  /** SIR a frame needs over a same-SF interferer to be captured (6 dB; Croce et al. 2018: 1 dB). */
  coSfThresholdDb: number;
}

/**
 * A model of the gateways' receivers beyond the medium's own rules (sim/concentrator.ts): told of
 * every uplink when it starts (its rxIdx/rxDbm known) and when it ends, and asked, per gateway that
 * would otherwise decide by the medium's rules, whether it objects.
 */
export interface GatewayReceiver {
  begin(f: AirFrame, sensDbm: number): void;
  /** k: index of gateway g in f.rxIdx; p: received power there. null = no objection. */
  verdict(f: AirFrame, k: number, g: number, p: number): LossReason | null;
  end(f: AirFrame): void;
}

interface RxWindow {
  node: number;
  /** External radios (sim/devices VirtualRadio) take the packet when the preamble is locked. */
  onLock?: (payload: Uint8Array, rssiDbm: number, snrDb: number) => void;
  p: RadioParams;
  openMs: number;
  closeMs: number;
  timer: number;
  done: (status: number, rx: RadioRx | null) => void;
  frame: AirFrame | null;
  rssi: number;
  /** Position in its per-channel list (swap-remove in O(1)). */
  slot: number;
}

interface NodeState {
  site: NodeSite;
  txUntil: number;
  window: RxWindow | null;
  /** Candidate gateways (mean RSSI within 4σ of the best possible sensitivity − 6 dB). */
  gws: Int32Array;
  meanLossDb: Float64Array;
}

const SHADOW_SPAN = 4; // σ multiples considered possible

export class Medium {
  readonly opts: MediumOptions;
  readonly gateways: GatewaySite[] = [];
  private nodes: NodeState[] = [];
  private active = new Map<number, AirFrame[]>();
  private gwTxUntil: number[] = [];
  private gwTxFrom: number[] = [];
  private gwListen: { freqs: Set<number>; sfs: Set<number> }[] = [];
  private windows = new Map<number, RxWindow[]>();
  private txFrames = new Map<number, AirFrame>();
  /** Radios that decide for themselves whether they are listening (fidelity mode's SX127x twins). */
  private listeners: { node: number; hear: (payload: Uint8Array, freqHz: number, sf: number, bwHz: number, rssiDbm: number, snrDb: number) => boolean }[] = [];
  private nextId = 1;
  private rng: Prng;
  observer: MediumObserver = {};
  /** Optional receiver model of the gateways (demodulators, inter-SF interference). */
  receiver: GatewayReceiver | null = null;

  readonly clock: VirtualClock;
  constructor(
    clock: VirtualClock,
    opts: Partial<MediumOptions>,
    rng: Prng,
  ) {
    this.clock = clock;
    this.opts = { pathLoss: BOR_2016, capture: true, shadowing: true, coSfThresholdDb: CAPTURE_THRESHOLD_DB, ...opts };
    this.rng = rng.fork('shadowing');
  }

  addGateway(g: GatewaySite): number {
    if (this.nodes.length) throw new Error('add gateways before nodes');
    this.gateways.push(g);
    this.gwTxUntil.push(-Infinity);
    this.gwTxFrom.push(-Infinity);
    this.gwListen.push({ freqs: new Set(g.freqs), sfs: new Set(g.sfs) });
    return this.gateways.length - 1;
  }

  addNode(site: NodeSite): number {
    const pl = this.opts.pathLoss;
    const span = this.opts.shadowing ? SHADOW_SPAN * pl.sigmaDb : 0;
    const idx: number[] = [];
    const loss: number[] = [];
    for (let g = 0; g < this.gateways.length; g++) {
      const gw = this.gateways[g]!;
      const d = Math.hypot(site.pos.x - gw.pos.x, site.pos.y - gw.pos.y);
      const l = meanPathLossDb(pl, d) - gw.antennaGainDb - site.antennaGainDb;
      // The most sensitive case (SF12) minus the interferer margin bounds who can matter there.
      if (20 - l + span >= sensitivityDbm(12, 125000) - CAPTURE_THRESHOLD_DB) {
        idx.push(g);
        loss.push(l);
      }
    }
    // Nearest first, so a transmission can take the prefix that its SF and power can reach.
    const order = idx.map((_, k) => k).sort((a, b) => loss[a]! - loss[b]! || idx[a]! - idx[b]!);
    this.nodes.push({ site, txUntil: -Infinity, window: null, gws: Int32Array.from(order.map((k) => idx[k]!)), meanLossDb: Float64Array.from(order.map((k) => loss[k]!)) });
    return this.nodes.length - 1;
  }

  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Mean coupling loss (path loss − antenna gains) from node to gateway, Infinity when out of reach. */
  meanLossDb(node: number, gw: number): number {
    const n = this.nodes[node]!;
    for (let i = 0; i < n.gws.length; i++) if (n.gws[i] === gw) return n.meanLossDb[i]!;
    return Infinity;
  }

  /** The hal Radio of one node, attached to this medium. */
  radio(node: number): Radio {
    return {
      transmit: (p, payload, done) => this.transmit(node, p, payload, done),
      receive: (p, timeoutMs, done) => this.receive(node, p, timeoutMs, done),
      sleep: () => this.closeWindow(node),
    };
  }

  /** Uplink time on air, memoised per (SF, BW, CR, length): a fleet sends few distinct shapes. */
  private toaMemo = new Map<number, number>();
  private uplinkToaMs(p: RadioParams, len: number): number {
    const k = ((p.sf * 8 + p.cr) * 1024 + len) * 1024 + p.bwHz / 1000;
    let t = this.toaMemo.get(k);
    if (t === undefined) {
      t = timeOnAirMs(p.sf, p.bwHz, p.cr, len, PREAMBLE_SYMBOLS, true, true);
      this.toaMemo.set(k, t);
    }
    return t;
  }

  private key(freqHz: number, sf: number): number {
    return freqHz * 16 + sf;
  }

  private shadow(): number {
    return this.opts.shadowing ? this.rng.normal() * this.opts.pathLoss.sigmaDb : 0;
  }

  private begin(f: AirFrame): void {
    const k = this.key(f.freqHz, f.sf) * 2 + (f.uplink ? 0 : 1);
    let list = this.active.get(k);
    if (!list) {
      list = [];
      this.active.set(k, list);
    }
    for (const o of list) {
      (o.interferers ??= []).push(f);
      (f.interferers ??= []).push(o);
    }
    list.push(f);
  }

  private finish(f: AirFrame): void {
    const k = this.key(f.freqHz, f.sf) * 2 + (f.uplink ? 0 : 1);
    const list = this.active.get(k)!;
    const i = list.indexOf(f);
    list[i] = list[list.length - 1]!;
    list.pop();
  }

  /** Did frame f survive its interferers at a receiver where f arrives with power p and the interferers with powerOf(i)? */
  private survives(f: AirFrame, p: number, powerOf: (i: AirFrame) => number, sens: number): boolean {
    const ints = f.interferers;
    if (!ints) return true;
    for (const i of ints) {
      const pi = powerOf(i);
      if (pi < sens - CAPTURE_THRESHOLD_DB) continue;
      if (!this.opts.capture) return false;
      // Overlap only within f's first Npre−5 preamble symbols: f still locks.
      if (i.endMs <= f.criticalMs) continue;
      if (p - pi < this.opts.coSfThresholdDb) return false;
      // f is ≥ 6 dB stronger: it must also have won the preamble lock — it started first, or it
      // arrived while the receiver was still in i's preamble (before i's header), so the receiver
      // re-synchronised onto the stronger preamble.
      const fLocked = f.startMs <= i.startMs || f.startMs < i.startMs + (PREAMBLE_SYMBOLS + 4.25) * symbolMs(i.sf, i.bwHz);
      if (!fLocked) return false;
    }
    return true;
  }

  transmit(node: number, p: RadioParams, payload: Uint8Array, done: (status: number) => void): void {
    // A synthesiser programmed through FRF (61.035 Hz steps, SX1276 §4.1.4) lands a few Hz off the
    // channel; receivers tolerate far more (±25 % of BW), so frames are filed under the nearest kHz.
    if (p.freqHz % 1000 !== 0) p = { ...p, freqHz: snapFreq(p.freqHz) };
    const n = this.nodes[node]!;
    const now = this.clock.now();
    if (n.txUntil > now) {
      this.clock.setTimeout(() => done(RADIO_ERR_BUSY), 0);
      return;
    }
    this.closeWindow(node);
    const toa = this.uplinkToaMs(p, payload.length);
    // Gateways this frame can matter to: mean power within SHADOW_SPAN σ of (sensitivity − 6 dB)
    // for its SF (a deeper shadowing draw, p < 1e-4, is not modelled).
    const maxLoss = p.powerDbm - (sensitivityDbm(p.sf, p.bwHz) - CAPTURE_THRESHOLD_DB) + (this.opts.shadowing ? SHADOW_SPAN * this.opts.pathLoss.sigmaDb : 0);
    let k = 0;
    while (k < n.gws.length && n.meanLossDb[k]! <= maxLoss) k++;
    const rxDbm = new Float64Array(k);
    for (let i = 0; i < k; i++) rxDbm[i] = p.powerDbm - n.meanLossDb[i]! - this.shadow();
    const f: AirFrame = {
      id: this.nextId++,
      uplink: true,
      src: node,
      freqHz: p.freqHz,
      sf: p.sf,
      bwHz: p.bwHz,
      cr: p.cr,
      powerDbm: p.powerDbm,
      startMs: now,
      endMs: now + toa,
      criticalMs: now + (PREAMBLE_SYMBOLS - LOCK_SYMBOLS) * symbolMs(p.sf, p.bwHz),
      payload,
      rxIdx: k === n.gws.length ? n.gws : n.gws.subarray(0, k),
      rxDbm,
      interferers: null,
      target: -1,
    };
    n.txUntil = f.endMs;
    this.begin(f);
    this.receiver?.begin(f, sensitivityDbm(f.sf, f.bwHz));
    this.clock.setTimeout(() => {
      this.finish(f);
      this.resolveUplink(f);
      done(RADIO_OK);
    }, toa);
  }

  private resolveUplink(f: AirFrame): void {
    const sens = sensitivityDbm(f.sf, f.bwHz);
    const nf = noiseFloorDbm(f.bwHz);
    const out: GatewayReception[] = [];
    for (let i = 0; i < f.rxIdx.length; i++) {
      const g = f.rxIdx[i]!;
      const p = f.rxDbm[i]!;
      if (p < sens - CAPTURE_THRESHOLD_DB) continue;
      const snr = p - nf;
      const listen = this.gwListen[g]!;
      if (!listen.freqs.has(f.freqHz) || !listen.sfs.has(f.sf)) {
        if (p >= sens) out.push({ gw: g, rssiDbm: p, snrDb: snr, ok: false, reason: 'not_listening' });
        continue;
      }
      if (p < sens) {
        out.push({ gw: g, rssiDbm: p, snrDb: snr, ok: false, reason: 'range' });
        continue;
      }
      if (this.gwTxUntil[g]! > f.startMs && this.gwTxFrom[g]! < f.endMs) {
        out.push({ gw: g, rssiDbm: p, snrDb: snr, ok: false, reason: 'gw_busy' });
        continue;
      }
      const ok = this.survives(f, p, (o) => powerAt(o, g), sens);
      const why = this.receiver ? this.receiver.verdict(f, i, g, p) : null;
      if (why) out.push({ gw: g, rssiDbm: p, snrDb: snr, ok: false, reason: why });
      else out.push(ok ? { gw: g, rssiDbm: p, snrDb: snr, ok } : { gw: g, rssiDbm: p, snrDb: snr, ok, reason: 'collision' });
    }
    this.receiver?.end(f);
    f.interferers = null;
    this.observer.uplinkEnd?.(f, out);
    if (this.observer.gatewayRx) for (const r of out) if (r.ok) this.observer.gatewayRx(r.gw, f, r.rssiDbm, r.snrDb);
  }

  receive(node: number, p: RadioParams, timeoutMs: number, done: (status: number, rx: RadioRx | null) => void): void {
    this.openWindow(node, p, timeoutMs, done, undefined);
  }

  private openWindow(
    node: number,
    p: RadioParams,
    timeoutMs: number,
    done: (status: number, rx: RadioRx | null) => void,
    onLock: ((payload: Uint8Array, rssiDbm: number, snrDb: number) => void) | undefined,
  ): void {
    if (p.freqHz % 1000 !== 0) p = { ...p, freqHz: snapFreq(p.freqHz) };
    const n = this.nodes[node]!;
    this.closeWindow(node);
    const now = this.clock.now();
    const w: RxWindow = { node, p, openMs: now, closeMs: now + timeoutMs, timer: 0, done, frame: null, rssi: 0, slot: 0 };
    // External radios time their own windows out: no timer here, the window is simply ignored
    // (and dropped) once past closeMs.
    if (onLock) w.onLock = onLock;
    else w.timer = this.clock.setTimeout(() => this.windowTimeout(w), timeoutMs);
    n.window = w;
    const k = this.key(p.freqHz, p.sf);
    let list = this.windows.get(k);
    if (!list) {
      list = [];
      this.windows.set(k, list);
    }
    w.slot = list.length;
    list.push(w);
  }

  /**
   * A receive window of a radio that models its own demodulation timing (sim/devices VirtualRadio):
   * the medium hands it the packet as soon as the preamble is locked.
   */
  receiveExternal(node: number, p: RadioParams, timeoutMs: number, onLock: (payload: Uint8Array, rssiDbm: number, snrDb: number) => void): void {
    this.openWindow(node, p, timeoutMs, noop, onLock);
  }

  /**
   * A radio that is offered every downlink it could hear (above sensitivity) when the preamble can
   * be locked; `hear` returns true when the chip was in receive mode on that channel and took it.
   */
  addListener(node: number, hear: (payload: Uint8Array, freqHz: number, sf: number, bwHz: number, rssiDbm: number, snrDb: number) => boolean): void {
    this.listeners.push({ node, hear });
  }

  /**
   * An uplink from a radio that runs its own transmit timing (sim/devices VirtualRadio.onTransmit).
   * `done` runs at the end of the frame's air time, right after the receptions are resolved (a
   * VirtualRadio with airtimeByMedium set completes its transmission there).
   */
  injectUplink(node: number, p: RadioParams, payload: Uint8Array, done?: () => void): void {
    this.nodes[node]!.txUntil = -Infinity;
    this.transmit(node, p, payload, done ?? noop);
  }

  private unlistWindow(w: RxWindow): void {
    const list = this.windows.get(this.key(w.p.freqHz, w.p.sf));
    if (!list || list[w.slot] !== w) return;
    const last = list.pop()!;
    if (last !== w) {
      list[w.slot] = last;
      last.slot = w.slot;
    }
    w.slot = -1;
  }

  private closeWindow(node: number): void {
    const n = this.nodes[node]!;
    const w = n.window;
    if (!w) return;
    n.window = null;
    if (w.timer) this.clock.clearTimeout(w.timer);
    this.unlistWindow(w);
  }

  private windowTimeout(w: RxWindow): void {
    const n = this.nodes[w.node]!;
    if (n.window !== w) return;
    if (w.frame) return; // a downlink is being received: its end completes the window
    n.window = null;
    this.unlistWindow(w);
    w.done(RADIO_ERR_TIMEOUT, null);
  }

  /** Whether gateway g listens on that channel and SF. */
  gatewayListens(g: number, freqHz: number, sf: number): boolean {
    const l = this.gwListen[g]!;
    return l.freqs.has(freqHz) && l.sfs.has(sf);
  }

  /** Whether gateway g is on the air (transmitting a downlink) at virtual time t. */
  gatewayTransmittingAt(g: number, t: number): boolean {
    return this.gwTxFrom[g]! <= t && t < this.gwTxUntil[g]!;
  }

  /** Earliest virtual time at which gateway g can start a transmission. */
  gatewayFreeAt(g: number): number {
    return this.gwTxUntil[g]!;
  }

  /**
   * Gateway g transmits a downlink at virtual time atMs (≥ now). `target` is the node it is meant
   * for (used only for statistics; every listening node in range hears it). done(true) once it has
   * left the antenna, false when the gateway's radio was busy.
   */
  gatewayTransmit(g: number, p: RadioParams, payload: Uint8Array, atMs: number, target: number, done?: (ok: boolean) => void): void {
    const gw = this.gateways[g]!;
    const start = Math.max(atMs, this.clock.now());
    const toa = timeOnAirMs(p.sf, p.bwHz, p.cr, payload.length, PREAMBLE_SYMBOLS, true, false);
    if (this.gwTxUntil[g]! > start) {
      done?.(false);
      return;
    }
    this.gwTxFrom[g] = start;
    this.gwTxUntil[g] = start + toa;
    let delivered = false;
    this.clock.setTimeout(() => {
      const f: AirFrame = {
        id: this.nextId++,
        uplink: false,
        src: g,
        freqHz: p.freqHz,
        sf: p.sf,
        bwHz: p.bwHz,
        cr: p.cr,
        powerDbm: p.powerDbm,
        startMs: start,
        endMs: start + toa,
        criticalMs: start + (PREAMBLE_SYMBOLS - LOCK_SYMBOLS) * symbolMs(p.sf, p.bwHz),
        payload,
        rxIdx: new Int32Array(0),
        rxDbm: new Float64Array(0),
        interferers: null,
        target,
      };
      this.txFrames.set(g, f);
      this.begin(f);
    }, start - this.clock.now());
    // Who hears it is decided once the preamble can be locked (start + Npre − 5 symbols): a window
    // that opens during the first preamble symbols still catches the frame, as on a real SX127x.
    const lockAt = start + (PREAMBLE_SYMBOLS - LOCK_SYMBOLS) * symbolMs(p.sf, p.bwHz);
    this.clock.setTimeout(() => {
      const f = this.txFrames.get(g)!;
      const sens = sensitivityDbm(p.sf, p.bwHz);
      const list = this.windows.get(this.key(p.freqHz, p.sf)) ?? [];
      const hearers: RxWindow[] = [];
      for (const w of [...list]) {
        if (w.onLock && w.closeMs < this.clock.now()) {
          // An external window that timed out on its own radio.
          if (this.nodes[w.node]!.window === w) this.nodes[w.node]!.window = null;
          this.unlistWindow(w);
          continue;
        }
        if (w.frame || !w.p.invertIq) continue;
        const loss = this.meanLossDb(w.node, g);
        if (!Number.isFinite(loss)) continue;
        const rssi = (p.powerDbm ?? gw.txPowerDbm) - loss - this.shadow();
        if (rssi < sens) continue;
        if (w.onLock) {
          const n = this.nodes[w.node]!;
          n.window = null;
          this.unlistWindow(w);
          if (w.node === target) delivered = true;
          w.onLock(f.payload, Math.round(rssi), rssi - noiseFloorDbm(p.bwHz));
          continue;
        }
        w.frame = f;
        w.rssi = rssi;
        hearers.push(w);
      }
      for (const l of this.listeners) {
        const loss = this.meanLossDb(l.node, g);
        if (!Number.isFinite(loss)) continue;
        const rssi = p.powerDbm - loss - this.shadow();
        if (rssi < sens) continue;
        if (l.hear(f.payload, p.freqHz, p.sf, p.bwHz, Math.round(rssi), rssi - noiseFloorDbm(p.bwHz)) && l.node === target) delivered = true;
      }
      this.clock.setTimeout(() => {
        this.finish(f);
        this.txFrames.delete(g);
        for (const w of hearers) {
          const n = this.nodes[w.node]!;
          if (n.window !== w) continue;
          n.window = null;
          this.clock.clearTimeout(w.timer);
          this.unlistWindow(w);
          const ok = this.survives(f, w.rssi, (o) => o.powerDbm - this.meanLossDb(w.node, o.src), sens);
          if (ok && w.node === target) delivered = true;
          if (ok) w.done(RADIO_OK, { payload: f.payload, rssiDbm: Math.round(w.rssi), snrDb: w.rssi - noiseFloorDbm(p.bwHz) });
          else w.done(RADIO_ERR_CRC, null);
        }
        f.interferers = null;
        this.observer.downlinkEnd?.(f, delivered, delivered ? null : hearers.length ? 'collision' : 'range');
        done?.(true);
      }, start + toa - this.clock.now());
    }, lockAt - this.clock.now());
  }
}

function noop(): void {}

export function snapFreq(freqHz: number): number {
  return Math.round(freqHz / 1000) * 1000;
}

function powerAt(f: AirFrame, g: number): number {
  for (let i = 0; i < f.rxIdx.length; i++) if (f.rxIdx[i] === g) return f.rxDbm[i]!;
  return -Infinity;
}
