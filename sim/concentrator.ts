// How a gateway's receiver sees the air, beyond what the medium decides (path loss, sensitivity,
// same-SF capture, half-duplex): a limit on packets demodulated at once, and interference between
// spreading factors that are not perfectly orthogonal.
//
//  - Demodulators. An SX1301 scans its eight multi-SF channels (IF0..IF7) for preambles of every
//    SF at all times and "is able to demodulate simultaneously up to 8 packets" (SX1301 datasheet
//    V2.4, June 2017, description of the IF0 to IF7 LoRa channels; the key features list "10
//    programmable parallel demodulation paths": these 8, the single-SF IF8 and the FSK IF9).
//    SX1302/SX1303 HATs are modelled with the same 8 (`gateways.demodulators` changes it). A packet
//    takes a demodulator when it starts arriving and frees it at its end; a packet that finds all
//    of them busy is lost there ('no_demodulator'), whatever its power. kerb's single-channel
//    bridge (one SX127x) needs no count: on its one channel and SF the medium's capture rule lets
//    at most one of overlapping frames through. A transmitting gateway takes nothing (half-duplex).
//  - Imperfect orthogonality. Croce, Gucciardo, Mangione, Santaromita, Tinnirello, "Impact of LoRa
//    Imperfect Orthogonality: Analysis of Link-Level Performance", IEEE Communications Letters
//    22(4), 2018, Table I: the signal-to-interference ratio (dB) a packet of SF_i needs to be
//    decoded over an interferer of SF_j on the same 125 kHz channel. Same SF: 1 dB (co-channel
//    rejection); different SFs: −8 … −25 dB (an interferer of another SF kills only when it is much
//    stronger). The table is for a single interferer; with several, kerb sums the power of the
//    interferers of each SF that overlap the packet anywhere and applies the threshold per SF
//    (ns-3's lorawan module sums interference energy per SF, weighted by overlap time; not
//    weighting is pessimistic for short overlaps). The same-SF rule stays the medium's (threshold
//    and preamble lock), with the threshold taken from the diagonal.
import type { AirFrame, GatewayReceiver, LossReason } from './medium.ts';
import { sensitivityDbm } from './medium.ts';

export type Orthogonality = 'ideal' | 'croce2018';

/**
 * Croce et al. 2018, Table I (BW 125 kHz): row = SF of the wanted packet (7..12), column = SF of
 * the interferer (7..12); the wanted packet survives when P_wanted − P_interferer ≥ the entry.
 */
export const CROCE_2018_SIR_DB: readonly (readonly number[])[] = [
  [1, -8, -9, -9, -9, -9],
  [-11, 1, -11, -12, -13, -13],
  [-15, -13, 1, -13, -14, -15],
  [-19, -18, -17, 1, -17, -18],
  [-22, -22, -21, -20, 1, -20],
  [-25, -25, -25, -24, -23, 1],
];

/** The SIR (dB) a packet of sf needs over one interferer of isf under the given model. */
export function sirThresholdDb(model: Orthogonality, sf: number, isf: number): number {
  if (model === 'ideal') return sf === isf ? 6 : -Infinity;
  return CROCE_2018_SIR_DB[Math.min(12, Math.max(7, sf)) - 7]![Math.min(12, Math.max(7, isf)) - 7]!;
}

/** Same-SF co-channel threshold of a model: the medium's capture rule uses it. */
export function coSfThresholdDb(model: Orthogonality): number {
  return sirThresholdDb(model, 7, 7);
}

export interface ReceiverOptions {
  /** Demodulators per gateway (Infinity = no limit). */
  demodulators: number[];
  orthogonality: Orthogonality;
  /** Whether gateway g is transmitting at time t (half-duplex: it takes no packet then). */
  transmitting: (g: number, tMs: number) => boolean;
  /** Whether gateway g listens on the frame's channel and SF (else it takes no demodulator). */
  listens: (g: number, freqHz: number, sf: number) => boolean;
}

/** A frame's reception state at one gateway, kept while it is on the air. */
interface Track {
  f: AirFrame;
  /** Index into f.rxIdx / f.rxDbm for this gateway. */
  k: number;
  /** Other-SF frames overlapping f at this gateway. */
  cross: Track[] | null;
}

/** Implements the medium's GatewayReceiver hook for every gateway of a fleet. */
export class ConcentratorReceivers implements GatewayReceiver {
  private readonly o: ReceiverOptions;
  private readonly cross: boolean;
  /** Per gateway: end times of the frames holding a demodulator. */
  private readonly busy: number[][];
  /** Receptions that found no free demodulator, as f.id · 65536 + k (rare: no object per frame). */
  private readonly noDemod = new Set<number>();
  /** Per gateway: frames on the air there that can matter for inter-SF interference, by frequency. */
  private readonly onAir: Map<number, Track[]>[];
  /** Per frame id: its tracks (croce2018 only). */
  private readonly tracks = new Map<number, Track[]>();
  /** Packets lost for want of a demodulator, per gateway. */
  readonly lostNoDemod: Uint32Array;
  /** Packets lost to interference from other SFs, per gateway. */
  readonly lostCrossSf: Uint32Array;

  constructor(o: ReceiverOptions) {
    this.o = o;
    this.cross = o.orthogonality !== 'ideal';
    const n = o.demodulators.length;
    this.busy = Array.from({ length: n }, () => []);
    this.onAir = Array.from({ length: n }, () => new Map());
    this.lostNoDemod = new Uint32Array(n);
    this.lostCrossSf = new Uint32Array(n);
  }

  begin(f: AirFrame, sensDbm: number): void {
    const now = f.startMs;
    // Below this a frame is neither decodable nor a threat to one of another SF: a packet needs at
    // least the SF12 sensitivity, and Table I's mildest cross-SF entry is −8 dB.
    const floor = Math.min(sensDbm, sensitivityDbm(12, f.bwHz) + 8);
    let ts: Track[] | null = null;
    for (let k = 0; k < f.rxIdx.length; k++) {
      const g = f.rxIdx[k]!;
      const p = f.rxDbm[k]!;
      const limit = this.o.demodulators[g]!;
      // Only a packet the receiver can detect (above sensitivity) takes a demodulator.
      if (limit !== Infinity && p >= sensDbm && this.o.listens(g, f.freqHz, f.sf) && !this.o.transmitting(g, now)) {
        const b = this.busy[g]!;
        let w = 0;
        for (let i = 0; i < b.length; i++) if (b[i]! > now) b[w++] = b[i]!;
        b.length = w;
        if (w < limit) b.push(f.endMs);
        else this.noDemod.add(f.id * 65536 + k);
      }
      if (!this.cross || p < floor) continue;
      const t: Track = { f, k, cross: null };
      (ts ??= []).push(t);
      const m = this.onAir[g]!;
      let list = m.get(f.freqHz);
      if (!list) {
        list = [];
        m.set(f.freqHz, list);
      }
      for (const o of list) {
        if (o.f.sf === f.sf || o.f.endMs <= now) continue;
        (o.cross ??= []).push(t);
        (t.cross ??= []).push(o);
      }
      list.push(t);
    }
    if (ts) this.tracks.set(f.id, ts);
  }

  verdict(f: AirFrame, k: number, g: number, p: number): LossReason | null {
    if (this.noDemod.size && this.noDemod.delete(f.id * 65536 + k)) {
      this.lostNoDemod[g]!++;
      return 'no_demodulator';
    }
    if (!this.cross) return null;
    const ts = this.tracks.get(f.id);
    let t: Track | undefined;
    if (ts) for (const x of ts) if (x.k === k) t = x;
    if (!t?.cross) return null;
    // Interference power per interfering SF (mW), then Croce's threshold per SF.
    const sum = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (const o of t.cross) sum[o.f.sf]! += Math.pow(10, o.f.rxDbm[o.k]! / 10);
    for (let isf = 7; isf <= 12; isf++) {
      if (!sum[isf]) continue;
      if (p - 10 * Math.log10(sum[isf]!) < sirThresholdDb(this.o.orthogonality, f.sf, isf)) {
        this.lostCrossSf[g]!++;
        return 'collision';
      }
    }
    return null;
  }

  end(f: AirFrame): void {
    // Receptions the medium decided before asking (range, half-duplex) leave no trace behind.
    if (this.noDemod.size) for (let k = 0; k < f.rxIdx.length; k++) this.noDemod.delete(f.id * 65536 + k);
    const ts = this.tracks.get(f.id);
    if (!ts) return;
    this.tracks.delete(f.id);
    for (const t of ts) {
      const list = this.onAir[f.rxIdx[t.k]!]!.get(f.freqHz);
      if (!list) continue;
      const i = list.indexOf(t);
      if (i >= 0) {
        list[i] = list[list.length - 1]!;
        list.pop();
      }
    }
  }
}
