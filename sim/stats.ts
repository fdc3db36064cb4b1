// Run accounting: per node, per SF, per gateway, and the energy model behind the battery estimate.
// Typed arrays so a 10,000-node fleet costs a few hundred kB.
export interface EnergyModel {
  capacityMah: number;
  sleepUa: number;
  txMa: number;
  rxMa: number;
  pmMa: number;
  pmWarmupS: number;
}

export class Stats {
  readonly sent: Uint32Array;
  readonly delivered: Uint32Array;
  readonly collided: Uint32Array;
  readonly outOfRange: Uint32Array;
  readonly gwBusy: Uint32Array;
  /** Frames no gateway decoded and at least one lost for want of a free demodulator. */
  readonly noDemod: Uint32Array;
  readonly airtimeMs: Float64Array;
  readonly rxMs: Float64Array;
  readonly downlinks: Uint32Array;
  /** OTAA: Join-requests sent, and virtual ms of the join (NaN until joined). */
  readonly joinRequests: Uint32Array;
  readonly joinedAtMs: Float64Array;
  readonly sf: Uint8Array;
  readonly gwDecoded: Uint32Array;
  readonly gwCollisions: Uint32Array;
  readonly gwBusyLost: Uint32Array;
  readonly gwNoDemod: Uint32Array;
  readonly gwDownlinks: Uint32Array;
  readonly gwAirtimeMs: Float64Array;
  /** Receptions per frame: how many gateways decoded each delivered frame (index = count, capped 8). */
  readonly multiGw = new Uint32Array(9);
  downlinksSent = 0;
  downlinksDelivered = 0;
  /** Fleet-wide uplinks per virtual hour: sent, delivered, lost to collisions (grown on demand). */
  readonly hourly: { sent: number[]; delivered: number[]; collided: number[] } = { sent: [], delivered: [], collided: [] };

  countHour(tMs: number, delivered: boolean, collided: boolean): void {
    const h = Math.max(0, Math.floor(tMs / 3600_000));
    const H = this.hourly;
    while (H.sent.length <= h) {
      H.sent.push(0);
      H.delivered.push(0);
      H.collided.push(0);
    }
    H.sent[h]!++;
    if (delivered) H.delivered[h]!++;
    else if (collided) H.collided[h]!++;
  }

  readonly nodes: number;
  readonly gateways: number;
  constructor(nodes: number, gateways: number) {
    this.nodes = nodes;
    this.gateways = gateways;
    this.sent = new Uint32Array(nodes);
    this.delivered = new Uint32Array(nodes);
    this.collided = new Uint32Array(nodes);
    this.outOfRange = new Uint32Array(nodes);
    this.gwBusy = new Uint32Array(nodes);
    this.noDemod = new Uint32Array(nodes);
    this.airtimeMs = new Float64Array(nodes);
    this.rxMs = new Float64Array(nodes);
    this.downlinks = new Uint32Array(nodes);
    this.joinRequests = new Uint32Array(nodes);
    this.joinedAtMs = new Float64Array(nodes).fill(NaN);
    this.sf = new Uint8Array(nodes);
    this.gwDecoded = new Uint32Array(gateways);
    this.gwCollisions = new Uint32Array(gateways);
    this.gwBusyLost = new Uint32Array(gateways);
    this.gwNoDemod = new Uint32Array(gateways);
    this.gwDownlinks = new Uint32Array(gateways);
    this.gwAirtimeMs = new Float64Array(gateways);
  }

  /** Charge drawn by node i up to virtual time tMs (mAh), under the energy model. */
  chargeMah(e: EnergyModel, i: number, tMs: number): number {
    const h = 1 / 3600_000;
    return (
      (e.sleepUa / 1000) * tMs * h +
      e.txMa * this.airtimeMs[i]! * h +
      e.rxMa * this.rxMs[i]! * h +
      e.pmMa * e.pmWarmupS * 1000 * this.sent[i]! * h
    );
  }

  /** Battery life (days) at this run's average current. */
  batteryLifeDays(e: EnergyModel, i: number, durationMs: number): number {
    if (durationMs <= 0) return Infinity;
    const avgMa = this.chargeMah(e, i, durationMs) / (durationMs / 3600_000);
    return e.capacityMah / avgMa / 24;
  }
}

/** Li-ion open-circuit voltage vs state of charge (typical 18650 curve), mV. */
const OCV: [number, number][] = [
  [0, 3000], [0.05, 3300], [0.1, 3450], [0.2, 3600], [0.4, 3700], [0.6, 3800], [0.8, 3950], [1, 4150],
];

export function batteryMv(soc: number): number {
  const s = Math.min(1, Math.max(0, soc));
  // Indexed, not destructured: array destructuring allocates an iterator, and this runs for every
  // sensor sample of every fast-mode node.
  for (let i = 1; i < OCV.length; i++) {
    const hi = OCV[i]!;
    const s1 = hi[0];
    if (s <= s1) {
      const lo = OCV[i - 1]!;
      const s0 = lo[0];
      const v0 = lo[1];
      return v0 + ((hi[1] - v0) * (s - s0)) / (s1 - s0);
    }
  }
  return 4150;
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
