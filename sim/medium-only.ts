// Medium-only mode: the radio medium (sim/medium.ts) with no node application, no LoRaWAN framing
// and no crypto — N transmitters that send fixed-size packets with exponential gaps to one gateway.
// With the defaults it is LoRaSim's "experiment 4" (Bor, Roedig, Voigt, Alonso, "Do LoRa Low-Power
// Wide-Area Networks Scale?", MSWiM 2016; LoRaSim's loraDir.py): every node uses the LoRaWAN
// setting SF12, BW 125 kHz, CR 4/5, 14 dBm, one frequency, a 20-byte packet, waits an exponentially
// distributed time (mean 1,000 s) after each transmission before the next, and sits within the
// distance at which its mean received power equals the SF12 sensitivity (no shadowing), so every
// loss is a collision. With capture off (LoRaSim's simple check: any overlap on the same frequency
// and SF destroys both frames) the delivery ratio — the paper's data extraction rate, DER — is
// that of pure ALOHA: each of the N − 1 other nodes independently lets a frame through with
// probability M/(M + A)·e^(−A/M) (idle at its start, M = mean gap, A = time on air, and no start
// during it), so DER = (M/(M + A)·e^(−A/M))^(N−1) ≈ e^(−2G) with G = N·A/M.
//
// It is the medium's own code path: transmissions go through Medium.transmit, collisions through
// its resolution at the end of each frame, time through the VirtualClock. `npm run bench -- medium`
// times it; test/sim/medium-only.test.ts checks the statistics against the model above.
import { VirtualClock } from './clock.ts';
import { Prng } from './prng.ts';
import { BOR_2016, Medium, rangeM } from './medium.ts';
import type { AirFrame, GatewayReception } from './medium.ts';
import type { RadioParams } from '../shared/hal/radio.ts';
import { timeOnAirMs } from '../shared/lorawan/airtime.ts';

export interface MediumOnlyOptions {
  nodes: number;
  /** Simulated seconds. */
  durationS: number;
  /** Mean gap between the end of one transmission and the start of the next, seconds (LoRaSim: avgSendTime). */
  meanGapS?: number;
  sf?: number;
  bwHz?: number;
  /** 1..4 for 4/5..4/8. */
  cr?: number;
  payloadBytes?: number;
  txPowerDbm?: number;
  capture?: boolean;
  seed?: number;
}

export interface MediumOnlyResult {
  nodes: number;
  /** Frames whose transmission ended within the run. */
  sent: number;
  delivered: number;
  collided: number;
  outOfRange: number;
  /** Data extraction rate: delivered / sent. */
  der: number;
  /** The pure-ALOHA DER for these settings (module comment). */
  derModel: number;
  /** e^(−2G). */
  derAloha: number;
  /** Offered load G = N·A/(M + A). */
  load: number;
  toaMs: number;
}

export const EXPERIMENT_4 = { sf: 12, bwHz: 125_000, cr: 1, payloadBytes: 20, meanGapS: 1000, txPowerDbm: 14, freqHz: 868_100_000 } as const;

/** The pure-ALOHA delivery ratio of n renewal sources (exponential gap mean m, then a frame of a): module comment. */
export function alohaDer(n: number, mMs: number, aMs: number): number {
  return Math.pow((mMs / (mMs + aMs)) * Math.exp(-aMs / mMs), n - 1);
}

export function runMediumOnly(o: MediumOnlyOptions): MediumOnlyResult {
  const sf = o.sf ?? EXPERIMENT_4.sf;
  const bwHz = o.bwHz ?? EXPERIMENT_4.bwHz;
  const cr = o.cr ?? EXPERIMENT_4.cr;
  const len = o.payloadBytes ?? EXPERIMENT_4.payloadBytes;
  const power = o.txPowerDbm ?? EXPERIMENT_4.txPowerDbm;
  const meanMs = (o.meanGapS ?? EXPERIMENT_4.meanGapS) * 1000;
  const n = o.nodes;
  const endMs = o.durationS * 1000;
  const clock = new VirtualClock(0);
  const rng = new Prng(o.seed ?? 4);
  const medium = new Medium(clock, { pathLoss: BOR_2016, capture: o.capture ?? false, shadowing: false }, rng.fork('medium'));
  // LoRaSim puts the gateway in the middle of a disc whose radius is the SF12 range.
  const r = rangeM(BOR_2016, sf, bwHz, power, 0) * 0.999;
  medium.addGateway({ id: 'gw', pos: { x: 0, y: 0 }, antennaGainDb: 0, freqs: [EXPERIMENT_4.freqHz], sfs: [sf], txPowerDbm: 14 });
  const place = rng.fork('placement');
  for (let i = 0; i < n; i++) {
    const d = r * Math.sqrt(place.next());
    const a = 2 * Math.PI * place.next();
    medium.addNode({ pos: { x: d * Math.cos(a), y: d * Math.sin(a) }, antennaGainDb: 0 });
  }
  const params: RadioParams = { freqHz: EXPERIMENT_4.freqHz, sf, bwHz, cr, powerDbm: power, invertIq: false };
  const payload = new Uint8Array(len);
  const gaps = rng.fork('traffic');
  let sent = 0;
  let delivered = 0;
  let collided = 0;
  let outOfRange = 0;
  medium.observer = {
    uplinkEnd(_f: AirFrame, rx: GatewayReception[]): void {
      sent++;
      const g = rx[0];
      if (g?.ok) delivered++;
      else if (g?.reason === 'collision') collided++;
      else outOfRange++;
    },
  };
  // One send and one done callback per node, made once: no closure per frame here.
  const send: (() => void)[] = [];
  const done: (() => void)[] = [];
  for (let i = 0; i < n; i++) {
    const node = i;
    const again = (): void => {
      clock.setTimeout(send[node]!, gaps.exp(meanMs));
    };
    done.push(again);
    send.push(() => medium.transmit(node, params, payload, again));
  }
  for (let i = 0; i < n; i++) done[i]!();
  clock.runUntil(endMs);
  const toa = timeOnAirMs(sf, bwHz, cr, len, 8, true, true);
  return {
    nodes: n, sent, delivered, collided, outOfRange,
    der: sent ? delivered / sent : 0,
    derModel: alohaDer(n, meanMs, toa),
    derAloha: Math.exp((-2 * n * toa) / (meanMs + toa)),
    load: (n * toa) / (meanMs + toa),
    toaMs: toa,
  };
}
