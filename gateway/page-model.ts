// What the gateway page shows about each device, kept in memory: the last readings in human units
// (from the reading-kind table, shared/payload/readings.ts), the recent RSSI/SNR, frame-counter gaps
// (frames the gateway never heard) and a bounded 24-hour history of one point per minute per device.
// Nothing here touches the network or the disk: gateway/features/page.ts feeds it uplinks and
// serves what it returns.
import type { Uplink } from './types.ts';
import { READINGS, STATUS_FLAGS, type ReadingKind } from '../shared/payload/readings.ts';
import { humanValue, flagNames } from '../shared/payload/human.ts';

export const HISTORY_MS = 24 * 3600_000;
export const MINUTE_MS = 60_000;
/** One point per minute for 24 hours. */
export const HISTORY_POINTS = HISTORY_MS / MINUTE_MS;
/** RSSI/SNR values kept for the trend in the devices table. */
export const TREND_POINTS = 24;

/**
 * A ring of (time, values) points, one per minute: a second value in the same minute replaces the
 * first, and beyond `capacity` the oldest point goes. Storage grows by doubling up to `capacity`, so a
 * device that reports every 5 minutes costs 288 points, not 1440.
 */
export class MinuteRing {
  readonly width: number;
  readonly capacity: number;
  private t: Float64Array;
  private v: Float32Array;
  private start = 0;
  private len = 0;

  constructor(width: number, capacity = HISTORY_POINTS) {
    this.width = width;
    this.capacity = capacity;
    const initial = Math.min(capacity, 16);
    this.t = new Float64Array(initial);
    this.v = new Float32Array(initial * width);
  }

  get size(): number {
    return this.len;
  }

  /** Adds a point; `values` has `width` entries, NaN where the uplink did not carry that series. */
  add(tMs: number, values: readonly number[]): void {
    const minute = Math.floor(tMs / MINUTE_MS) * MINUTE_MS;
    if (this.len > 0) {
      const last = (this.start + this.len - 1) % this.t.length;
      if (this.t[last] === minute) {
        this.write(last, minute, values, true);
        return;
      }
      // A clock stepped back: history must stay in time order, so the point is dropped.
      if (this.t[last]! > minute) return;
    }
    if (this.len === this.t.length && this.len < this.capacity) this.grow();
    if (this.len < this.t.length) {
      this.write((this.start + this.len) % this.t.length, minute, values, false);
      this.len++;
    } else {
      this.write(this.start, minute, values, false);
      this.start = (this.start + 1) % this.t.length;
    }
  }

  /** Points at or after `sinceMs`, oldest first: times and one column per series (null = absent). */
  points(sinceMs: number): { t: number[]; v: (number | null)[][] } {
    const t: number[] = [];
    const v: (number | null)[][] = [];
    for (let j = 0; j < this.width; j++) v.push([]);
    for (let i = 0; i < this.len; i++) {
      const k = (this.start + i) % this.t.length;
      if (this.t[k]! < sinceMs) continue;
      t.push(this.t[k]!);
      for (let j = 0; j < this.width; j++) {
        const x = this.v[k * this.width + j]!;
        v[j]!.push(Number.isNaN(x) ? null : x);
      }
    }
    return { t, v };
  }

  private write(k: number, minute: number, values: readonly number[], merge: boolean): void {
    this.t[k] = minute;
    for (let j = 0; j < this.width; j++) {
      const x = values[j] ?? NaN;
      // Within one minute a series the later uplink lacks keeps the earlier value.
      if (!merge || !Number.isNaN(x)) this.v[k * this.width + j] = x;
    }
  }

  private grow(): void {
    const n = Math.min(this.capacity, this.t.length * 2);
    const t = new Float64Array(n);
    const v = new Float32Array(n * this.width);
    for (let i = 0; i < this.len; i++) {
      const k = (this.start + i) % this.t.length;
      t[i] = this.t[k]!;
      v.set(this.v.subarray(k * this.width, (k + 1) * this.width), i * this.width);
    }
    this.t = t;
    this.v = v;
    this.start = 0;
  }
}

/** What the page knows of one device from its uplinks. */
export interface DeviceTrack {
  lastSeen: number;
  /** Last value of each reading kind heard, in its human unit, by kind name (`pm25`, `temperature`, …). */
  readings: Record<string, number>;
  /** When each reading in `readings` was heard. */
  readingsAt: Record<string, number>;
  status: string[];
  fcnt: number;
  fport: number;
  /** Uplinks heard, and frames missing between them (frame-counter gaps). */
  received: number;
  lost: number;
  rssi: number[];
  snr: number[];
  sf: number;
  freqHz: number;
  radio: string;
  history: MinuteRing;
}

export interface DeviceSummary {
  id: string;
  name: string;
  devAddr: string;
  location: { lat: number; lon: number } | null;
  availability: string;
  lastSeen: string | null;
  readings: Record<string, number>;
  status: string[];
  fcnt: number | null;
  received: number;
  lost: number;
  /** received / (received + lost), null before two uplinks. */
  delivery: number | null;
  rssi: number[];
  snr: number[];
  sf: number | null;
  radio: string | null;
}

/** A device as the registry describes it (host/registry.ts DeviceInfo, the fields the page shows). */
export interface PageDevice {
  id: string;
  name: string;
  devAddrHex: string;
  location?: { lat: number; lon: number };
}

export class PageModel {
  readonly table: ReadingKind[];
  /** Series of the history: the reading kinds' names, then rssi and snr. */
  readonly series: string[];
  /** Decimals worth showing per series: the history is stored as 32-bit floats, served rounded to these. */
  private readonly decimals: number[];
  private readonly tracks = new Map<string, DeviceTrack>();

  constructor(table: ReadingKind[] = READINGS) {
    this.table = table;
    this.series = [...table.map((k) => k.name), 'rssi', 'snr'];
    // RSSI in whole dBm, SNR in the quarter dB the radios report.
    this.decimals = [...table.map((k) => k.decimals), 0, 2];
  }

  /** Takes one accepted uplink; returns the device's track. */
  uplink(u: Uplink): DeviceTrack {
    let tr = this.tracks.get(u.deviceId);
    if (!tr) {
      tr = {
        lastSeen: 0, readings: {}, readingsAt: {}, status: [], fcnt: -1, fport: -1, received: 0, lost: 0,
        rssi: [], snr: [], sf: 0, freqHz: 0, radio: '', history: new MinuteRing(this.series.length),
      };
      this.tracks.set(u.deviceId, tr);
    }
    // Frames between the last counter and this one never reached the gateway. A lower counter is a
    // new session (the registry entry changed): start counting from it.
    if (tr.fcnt >= 0 && u.fcnt > tr.fcnt + 1) tr.lost += u.fcnt - tr.fcnt - 1;
    tr.fcnt = u.fcnt;
    tr.fport = u.fport;
    tr.received++;
    tr.lastSeen = u.receivedAt;
    tr.sf = u.meta.sf;
    tr.freqHz = u.meta.freqHz;
    tr.radio = u.meta.radioId;
    push(tr.rssi, u.meta.rssiDbm);
    push(tr.snr, u.meta.snrDb);
    const row: number[] = [];
    const r = (u.readings ?? {}) as Record<string, number | undefined>;
    for (const k of this.table) {
      const raw = r[k.key];
      if (typeof raw === 'number') {
        const v = humanValue(k, raw);
        tr.readings[k.name] = v;
        tr.readingsAt[k.name] = u.receivedAt;
        row.push(v);
      } else row.push(NaN);
    }
    if (typeof r.status === 'number') tr.status = flagNames(r.status, STATUS_FLAGS);
    row.push(u.meta.rssiDbm, u.meta.snrDb);
    tr.history.add(u.receivedAt, row);
    return tr;
  }

  track(id: string): DeviceTrack | undefined {
    return this.tracks.get(id);
  }

  /** Forgets devices no longer in the registry. */
  retain(ids: Set<string>): void {
    for (const id of this.tracks.keys()) if (!ids.has(id)) this.tracks.delete(id);
  }

  summary(d: PageDevice, availability: string): DeviceSummary {
    const tr = this.tracks.get(d.id);
    const heard = tr ? tr.received + tr.lost : 0;
    return {
      id: d.id,
      name: d.name,
      devAddr: d.devAddrHex,
      location: d.location ? { lat: d.location.lat, lon: d.location.lon } : null,
      availability,
      lastSeen: tr ? new Date(tr.lastSeen).toISOString() : null,
      readings: tr ? { ...tr.readings } : {},
      status: tr ? tr.status : [],
      fcnt: tr ? tr.fcnt : null,
      received: tr?.received ?? 0,
      lost: tr?.lost ?? 0,
      delivery: tr && tr.received > 1 ? tr.received / heard : null,
      rssi: tr ? [...tr.rssi] : [],
      snr: tr ? [...tr.snr] : [],
      sf: tr ? tr.sf : null,
      radio: tr ? tr.radio : null,
    };
  }

  /** The last 24 hours of a device, one point per minute; null for a device never heard. */
  history(id: string, now: number): { series: string[]; t: number[]; v: (number | null)[][] } | null {
    const tr = this.tracks.get(id);
    if (!tr) return null;
    const p = tr.history.points(now - HISTORY_MS);
    const v = p.v.map((col, j) => {
      const f = Math.pow(10, this.decimals[j]!);
      return col.map((x) => (x === null ? null : Math.round(x * f) / f));
    });
    return { series: this.series, t: p.t, v };
  }
}

function push(a: number[], x: number): void {
  a.push(x);
  if (a.length > TREND_POINTS) a.shift();
}
