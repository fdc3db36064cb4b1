// The fleet runner: builds a city from a Scenario (positions, gateways, environment, nodes on the
// medium) and runs it on one VirtualClock. Composition root of the simulator: the only place that
// chooses implementations.
import { readFileSync } from 'node:fs';
import { VirtualClock } from './clock.ts';
import { Prng } from './prng.ts';
import { Environment } from './env.ts';
import type { SiteProfile, EnvSample } from './env.ts';
import { Medium, sensitivityDbm } from './medium.ts';
import type { AirFrame, GatewayReception, Point } from './medium.ts';
import { SimpleNode } from './simple-node.ts';
import { FastNode } from './fast-node.ts';
import type { FleetNode, FastUplink } from './fast-node.ts';
import { FidelityNode } from './fidelity-node.ts';
import type { StreetEnv } from './devices/index.ts';
import { Stats, batteryMv } from './stats.ts';
import type { Scenario, FaultSpec } from './scenario.ts';
import { simAes } from './aes.ts';
import type { Readings } from '../shared/payload/kerb.ts';
import { STATUS_PM_FAULT, STATUS_THP_FAULT, STATUS_NOISE_FAULT } from '../shared/payload/constants.ts';
import { timeOnAirMs } from '../shared/lorawan/airtime.ts';
import { channelPlan } from './channel-plan.ts';
import type { ChannelPlan } from './channel-plan.ts';
import { ConcentratorReceivers, coSfThresholdDb } from './concentrator.ts';

export const HOUR_MS = 3600_000;

export interface SimDevice {
  index: number;
  id: string;
  devAddr: number;
  nwkSKey: Uint8Array;
  appSKey: Uint8Array;
  pos: Point;
  lat: number;
  lon: number;
  sf: number;
  /** OTAA root keys (scenario nodes.otaa): DevEUI, AppKey; JoinEUI is all zeros. */
  devEui?: Uint8Array;
  appKey?: Uint8Array;
}

export interface SimGateway {
  index: number;
  id: string;
  pos: Point;
  lat: number;
  lon: number;
}

/** Everything a trace or pcap writer can see. Times are virtual ms since scenario start. */
export type TraceEvent =
  | { ev: 'up'; t: number; end: number; frame: number; node: number; fcnt: number; freq: number; sf: number; phy: Uint8Array; rx: GatewayReception[] }
  | { ev: 'down'; t: number; end: number; gw: number; node: number; freq: number; sf: number; phy: Uint8Array; delivered: boolean }
  | { ev: 'dl_rx'; t: number; node: number; fport: number; window: number }
  | { ev: 'fault'; t: number; node: number; kind: string; on: boolean };

export interface TraceSink {
  event(e: TraceEvent): void;
}

/** A frame the medium delivered to at least one gateway (what the gateway must publish, once). */
export interface DeliveredFrame {
  node: number;
  fcnt: number;
  fport: number;
  /** Decoded readings for FPort 1 (null for status/alert frames). */
  readings: Readings | null;
  /** Decrypted FRMPayload. */
  plain: Uint8Array | null;
}

export interface FleetOptions {
  sinks?: TraceSink[];
  /** Keep the list of delivered frames (end-to-end checks). */
  recordDelivered?: boolean;
  /** The firmware bundle for `fidelity` nodes (sim/fidelity-node.ts buildFidelityBundle). */
  firmwareBundle?: string;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * A simple node's uplink channels: a list as given, else the region's default ('all') or
 * concentrator channels that carry the node's bandwidth (all of them when none does: a scenario
 * may study 250/500 kHz on channels the plan reserves for 125 kHz).
 */
export function nodeFreqs(plan: ChannelPlan, channels: 'all' | 'concentrator' | number[], bwHz: number): number[] {
  if (typeof channels !== 'string') return channels;
  const list = channels === 'all' ? plan.defaultUplink : plan.concentrator;
  const same = list.filter((c) => c.bwHz === bwHz);
  return (same.length ? same : list).map((c) => c.freqHz);
}

/** Equirectangular projection around the scenario origin (ample for a city: < 0.1 % error at 10 km). */
export function toLatLon(origin: { lat: number; lon: number }, p: Point): { lat: number; lon: number } {
  const mPerDegLat = 111_320;
  const mPerDegLon = 111_320 * Math.cos((origin.lat * Math.PI) / 180);
  return { lat: +(origin.lat + p.y / mPerDegLat).toFixed(6), lon: +(origin.lon + p.x / mPerDegLon).toFixed(6) };
}

function fromLatLon(origin: { lat: number; lon: number }, lat: number, lon: number): Point {
  const mPerDegLon = 111_320 * Math.cos((origin.lat * Math.PI) / 180);
  return { x: (lon - origin.lon) * mPerDegLon, y: (lat - origin.lat) * 111_320 };
}

interface Placement {
  nodes: Point[];
  gateways: Point[];
  width: number;
  height: number;
  origin: { lat: number; lon: number };
}

function place(s: Scenario, rng: Prng): Placement {
  const n = s.nodes.count;
  let nodes: Point[] = [];
  let gws: Point[] = [];
  let width: number;
  let height: number;
  let origin = s.origin;
  const a = s.area;
  if (a.layout === 'geojson') {
    const gj = JSON.parse(readFileSync(a.file, 'utf8')) as { features?: { geometry?: { type?: string; coordinates?: number[] }; properties?: Record<string, unknown> }[] };
    const pts: { lon: number; lat: number; gw: boolean }[] = [];
    for (const f of gj.features ?? []) {
      if (f.geometry?.type !== 'Point' || !f.geometry.coordinates) continue;
      const [lon, lat] = f.geometry.coordinates as [number, number];
      pts.push({ lon, lat, gw: f.properties?.kind === 'gateway' });
    }
    if (!pts.length) throw new Error(`${a.file}: no Point features`);
    const lat0 = pts.reduce((acc, p) => acc + p.lat, 0) / pts.length;
    const lon0 = pts.reduce((acc, p) => acc + p.lon, 0) / pts.length;
    origin = { lat: lat0, lon: lon0 };
    const all = pts.map((p) => ({ ...fromLatLon(origin, p.lat, p.lon), gw: p.gw }));
    const xs = all.map((p) => p.x);
    const ys = all.map((p) => p.y);
    const minX = Math.min(...xs);
    const minY = Math.min(...ys);
    const shifted = all.map((p) => ({ x: p.x - minX, y: p.y - minY, gw: p.gw }));
    origin = toLatLon(origin, { x: minX, y: minY });
    width = Math.max(...xs) - minX || 1;
    height = Math.max(...ys) - minY || 1;
    const lamps = shifted.filter((p) => !p.gw).map((p) => ({ x: p.x, y: p.y }));
    if (n > lamps.length) throw new Error(`${a.file}: ${lamps.length} lamp posts, scenario wants ${n} nodes`);
    nodes = lamps.slice(0, n);
    gws = shifted.filter((p) => p.gw).map((p) => ({ x: p.x, y: p.y }));
  } else if (a.layout === 'grid') {
    const cols = Math.ceil(Math.sqrt(n));
    for (let i = 0; i < n; i++) nodes.push({ x: (i % cols + 0.5) * a.spacingM, y: (Math.floor(i / cols) + 0.5) * a.spacingM });
    width = cols * a.spacingM;
    height = Math.ceil(n / cols) * a.spacingM;
  } else {
    width = a.widthM;
    height = a.heightM;
    const r = rng.fork('placement');
    for (let i = 0; i < n; i++) nodes.push({ x: r.range(0, width), y: r.range(0, height) });
  }
  const g = s.gateways;
  if (g.positions?.length) gws = g.positions.map((p) => ({ x: p.x, y: p.y }));
  else if (!gws.length) {
    if (g.placement === 'random') {
      const r = rng.fork('gateways');
      for (let i = 0; i < g.count; i++) gws.push({ x: r.range(0, width), y: r.range(0, height) });
    } else if (g.placement === 'center' && g.count === 1) gws.push({ x: width / 2, y: height / 2 });
    else {
      const cols = Math.ceil(Math.sqrt(g.count));
      const rows = Math.ceil(g.count / cols);
      for (let i = 0; i < g.count; i++) gws.push({ x: ((i % cols) + 0.5) * (width / cols), y: (Math.floor(i / cols) + 0.5) * (height / rows) });
    }
  }
  return { nodes, gateways: gws, width, height, origin };
}

export class Fleet {
  readonly clock = new VirtualClock(0);
  readonly rng: Prng;
  readonly env: Environment;
  readonly medium: Medium;
  readonly stats: Stats;
  readonly devices: SimDevice[] = [];
  readonly gateways: SimGateway[] = [];
  readonly nodes: FleetNode[] = [];
  readonly width: number;
  readonly height: number;
  readonly origin: { lat: number; lon: number };
  readonly durationMs: number;
  readonly startEpochMs: number;
  readonly delivered: DeliveredFrame[] = [];
  /** Extra listeners for frames a gateway decoded (the real-gateway attachment uses this). */
  readonly gatewayRxListeners: ((gw: number, f: AirFrame, rssiDbm: number, snrDb: number) => void)[] = [];
  /** Notes for the summary (mode fallbacks and the like). */
  readonly notes: string[] = [];
  /** The region's channels (sim/channel-plan.ts). */
  readonly plan: ChannelPlan;
  /** Demodulator limit and inter-SF interference, when the scenario switches either on. */
  readonly receivers: ConcentratorReceivers | null = null;
  /** What each gateway listens on and how many packets it demodulates at once (summary). */
  readonly gatewayRadio: { freqs: number[]; sfs: number[]; demodulators: number };
  private sites: SiteProfile[] = [];
  private soc0: Float64Array;
  private sinks: TraceSink[];
  private pending = new Map<number, DeliveredFrame>();
  private faults: { spec: FaultSpec; nodes: Set<number>; stuck: Map<number, EnvSample> }[] = [];
  private started = false;
  /** FCnt of each node's frame on the air (a node has at most one). */
  private lastFcnt: number[] = [];

  readonly scenario: Scenario;
  private readonly opts: FleetOptions;
  constructor(
    scenario: Scenario,
    opts: FleetOptions = {},
  ) {
    this.scenario = scenario;
    this.opts = opts;
    const s = scenario;
    this.rng = new Prng(s.seed);
    this.sinks = opts.sinks ?? [];
    this.durationMs = s.durationH * HOUR_MS;
    this.startEpochMs = Date.parse(s.start);
    this.env = new Environment(
      { startEpochMs: this.startEpochMs, tzOffsetHours: s.tzOffsetHours, days: Math.ceil(s.durationH / 24) },
      this.rng.fork('env'),
    );
    const pl = place(s, this.rng);
    this.width = pl.width;
    this.height = pl.height;
    this.origin = pl.origin;
    this.plan = channelPlan(s.region)!;
    this.medium = new Medium(
      this.clock,
      { capture: s.radio.capture, shadowing: s.radio.shadowing, pathLoss: s.radio.pathLoss, coSfThresholdDb: coSfThresholdDb(s.radio.orthogonality) },
      this.rng.fork('medium'),
    );
    const gm = s.gateways.model;
    const list = s.gateways.channels === 'all' ? null : s.gateways.channels;
    let channels: number[];
    let sfs = s.gateways.sfs;
    let demodulators = Infinity;
    if (gm === 'concentrator') {
      channels = list ?? this.plan.concentrator.map((c) => c.freqHz);
      demodulators = s.gateways.demodulators;
    } else if (gm === 'bridge') {
      // One SX127x: one channel, one SF, one packet at a time.
      channels = [list?.[0] ?? this.plan.defaultUplink[0]!.freqHz];
      sfs = [sfs[0]!];
      demodulators = 1;
    } else channels = list ?? this.plan.defaultUplink.map((c) => c.freqHz);
    this.gatewayRadio = { freqs: channels, sfs, demodulators };
    pl.gateways.forEach((pos, i) => {
      const id = `sim-gw-${String(i + 1).padStart(2, '0')}`;
      this.medium.addGateway({ id, pos, antennaGainDb: s.gateways.antennaGainDb, freqs: channels, sfs, txPowerDbm: s.gateways.txPowerDbm });
      this.gateways.push({ index: i, id, pos, ...toLatLon(pl.origin, pos) });
    });
    if (gm !== 'ideal' || s.radio.orthogonality !== 'ideal') {
      const m = this.medium;
      this.receivers = new ConcentratorReceivers({
        // A bridge's single SX127x needs no count: it hears one channel and one SF, where the
        // medium's capture rule already lets at most one of overlapping frames through.
        demodulators: pl.gateways.map(() => (gm === 'bridge' ? Infinity : demodulators)),
        orthogonality: s.radio.orthogonality,
        transmitting: (g, t) => m.gatewayTransmittingAt(g, t),
        listens: (g, f, sf) => m.gatewayListens(g, f, sf),
      });
      m.receiver = this.receivers;
    }
    this.stats = new Stats(pl.nodes.length, pl.gateways.length);
    this.soc0 = new Float64Array(pl.nodes.length);
    if (s.nodes.mode === 'fidelity' && !opts.firmwareBundle) {
      this.notes.push("nodes.mode 'fidelity' needs the firmware bundle (FleetOptions.firmwareBundle; kerb sim builds it); running 'fast' (the shared node application on virtual hardware)");
    }
    const nr = this.rng.fork('nodes');
    for (let i = 0; i < pl.nodes.length; i++) this.addNode(i, pl.nodes[i]!, nr.fork(i));
    this.medium.observer = {
      uplinkEnd: (f, rx) => this.onUplinkEnd(f, rx),
      gatewayRx: (g, f, rssi, snr) => {
        for (const l of this.gatewayRxListeners) l(g, f, rssi, snr);
      },
      downlinkEnd: (f, delivered) => {
        if (delivered) this.stats.downlinksDelivered++;
        for (const k of this.sinks)
          k.event({ ev: 'down', t: f.startMs, end: f.endMs, gw: f.src, node: f.target, freq: f.freqHz, sf: f.sf, phy: f.payload, delivered });
      },
    };
    const fr = this.rng.fork('faults');
    for (const spec of s.faults) {
      const set = new Set<number>(spec.nodes ?? []);
      if (spec.fraction) for (let i = 0; i < this.devices.length; i++) if (fr.next() < spec.fraction) set.add(i);
      this.faults.push({ spec, nodes: set, stuck: new Map() });
    }
  }

  /** The scenario's faults with the node indices each one hit (for the summary and report). */
  injectedFaults(): { spec: FaultSpec; nodes: number[] }[] {
    return this.faults.map((f) => ({ spec: f.spec, nodes: [...f.nodes].filter((i) => i < this.devices.length).sort((a, b) => a - b) }));
  }

  private addNode(i: number, pos: Point, r: Prng): void {
    const s = this.scenario;
    const devAddr = (0x26000000 | (i + 1)) >>> 0;
    const nwkSKey = r.fork('nwk').bytes(16);
    const appSKey = r.fork('app').bytes(16);
    const m = this.medium.addNode({ pos, antennaGainDb: s.nodes.antennaGainDb });
    const maxSf = this.plan.maxUplinkSf;
    let sf = typeof s.nodes.sf === 'number' ? s.nodes.sf : maxSf;
    if (s.nodes.sf === 'auto') {
      let best = Infinity;
      for (let g = 0; g < this.gateways.length; g++) best = Math.min(best, this.medium.meanLossDb(m, g));
      const rssi = s.nodes.txPowerDbm - best;
      for (let k = 7; k <= maxSf; k++) {
        if (rssi - sensitivityDbm(k, s.nodes.bwHz) >= s.nodes.sfMarginDb) {
          sf = k;
          break;
        }
      }
    }
    const ll = toLatLon(this.origin, pos);
    const dev: SimDevice = { index: i, id: `sim-${String(i + 1).padStart(5, '0')}`, devAddr, nwkSKey, appSKey, pos, lat: ll.lat, lon: ll.lon, sf };
    if (s.nodes.otaa) {
      // A locally administered EUI-64 (IEEE: U/L bit set) carrying the node index.
      dev.devEui = Uint8Array.from([0x02, 0x6b, 0x65, 0x72, 0x62, (i >> 16) & 255, (i >> 8) & 255, i & 255]);
      dev.appKey = r.fork('appkey').bytes(16);
    }
    this.devices.push(dev);
    this.stats.sf[i] = sf;
    this.sites.push(this.env.site(r.fork('site')));
    this.soc0[i] = r.range(0.55, 1);
    const intervalMs = s.nodes.intervalS * 1000;
    if (s.nodes.mode === 'simple') {
      const node = new SimpleNode(
        i,
        this.clock,
        this.medium.radio(m),
        {
          devAddr,
          session: { nwkSKey: simAes(nwkSKey), appSKey: simAes(appSKey) },
          sf,
          bwHz: s.nodes.bwHz,
          cr: s.nodes.cr,
          txPowerDbm: s.nodes.txPowerDbm,
          intervalMs,
          traffic: s.nodes.traffic,
          jitter: s.nodes.jitter,
          rxWindows: s.nodes.rxWindows,
          rx2Sf: s.region === 'EU868' ? s.nodes.rx2Sf : this.plan.rx2.sf,
          fcntStart: 0,
          dutyCycle: s.nodes.dutyCycle && this.plan.dutyCycle,
          freqs: nodeFreqs(this.plan, s.nodes.channels, s.nodes.bwHz),
          ...(s.nodes.payloadBytes === 'auto' ? {} : { payloadBytes: s.nodes.payloadBytes }),
          ...(s.region === 'EU868' ? {} : { rx1Of: this.plan.rx1, rx2: { freqHz: this.plan.rx2.freqHz, bwHz: this.plan.rx2.bwHz } }),
          adr: s.nodes.adr,
          otaa: dev.devEui && dev.appKey ? { devEui: dev.devEui, joinEui: new Uint8Array(8), appKey: dev.appKey, aes: simAes } : undefined,
        },
        r.fork('traffic'),
        (t) => this.sample(i, t),
        {
          onUplink: (n, u) => this.onUplink(n, u.fcnt, u.fport, u.sf, u.phy.length, u.fport === 1 ? u.readings : null, u.fport === 1 ? null : u.payload),
          onDownlink: (n, fport, p, window) => {
            this.stats.downlinks[n]!++;
            // FPort 10 command 0x01: set the reporting interval (u16 LE seconds), docs/protocol.md §4.
            if (fport === 10 && p.length >= 3 && p[0] === 1) (this.nodes[n] as SimpleNode).setInterval((p[1]! | (p[2]! << 8)) * 1000);
            for (const k of this.sinks) k.event({ ev: 'dl_rx', t: this.clock.now(), node: n, fport, window });
          },
          onRxTime: (n, ms) => {
            this.stats.rxMs[n]! += ms;
          },
          onJoinRequest: (n, toaMs) => {
            this.stats.joinRequests[n]!++;
            this.stats.airtimeMs[n]! += toaMs;
          },
          onJoined: (n, a) => {
            this.stats.joinedAtMs[n] = this.clock.now();
            this.devices[n]!.devAddr = a;
          },
        },
      );
      this.nodes.push(node);
    } else if (s.nodes.mode === 'fidelity' && this.opts.firmwareBundle) {
      this.nodes.push(
        new FidelityNode({
          index: i,
          clock: this.clock,
          medium: this.medium,
          mediumNode: m,
          id: `sim-${String(i + 1).padStart(5, '0')}`,
          devAddr,
          nwkSKey,
          appSKey,
          sf,
          intervalS: s.nodes.intervalS,
          firstReportMs: r.fork('first').range(1000, intervalMs),
          env: (t) => this.streetEnv(i, t),
          bundle: this.opts.firmwareBundle,
          onUplink: (n, u: FastUplink) => this.onUplink(n, u.fcnt, u.fport, u.params.sf, u.phy.length, u.readings, u.plain),
        }),
      );
    } else {
      // The node's virtual chips read one StreetEnv per instant (cached in sim/devices/index.ts
      // until the clock moves on), so one object per node, refilled, serves every sample.
      const envOut: StreetEnv = { tempC: 0, rh: 0, pressureHpa: 0, pm25: 0, pm10: 0, noiseDb: 0, batteryMv: 0 };
      const node = new FastNode({
        index: i,
        clock: this.clock,
        medium: this.medium,
        mediumNode: m,
        devAddr,
        nwkSKey,
        appSKey,
        sf,
        txPowerDbm: s.nodes.txPowerDbm,
        intervalS: s.nodes.intervalS,
        firstReportMs: r.fork('first').range(1000, intervalMs),
        seed: (s.seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0,
        env: (t) => this.streetEnvInto(i, t, envOut),
        decrypt: !!this.opts.recordDelivered,
        onUplink: (n, u: FastUplink) => {
          this.onUplink(n, u.fcnt, u.fport, u.params.sf, u.phy.length, u.readings, u.plain);
        },
        onRxTime: (n, ms) => {
          this.stats.rxMs[n]! += ms;
        },
      });
      this.nodes.push(node);
    }
  }

  /** What node i's virtual chips measure at t (fast mode): stuck faults freeze values; dropouts are chip fault switches. */
  streetEnv(i: number, t: number): StreetEnv {
    return this.streetEnvInto(i, t, { tempC: 0, rh: 0, pressureHpa: 0, pm25: 0, pm10: 0, noiseDb: 0, batteryMv: 0 });
  }

  /** streetEnv() into the caller's object (fast nodes keep one each: no allocation per sample). */
  streetEnvInto(i: number, t: number, out: StreetEnv): StreetEnv {
    const e = this.envWithFaults(i, t, this.envScratch);
    const b = this.scenario.nodes.battery;
    out.tempC = e.tempC;
    out.rh = e.rhPct;
    out.pressureHpa = e.pressureHpa;
    out.pm25 = e.pm25Ugm3;
    out.pm10 = e.pm10Ugm3;
    out.noiseDb = e.noiseDbA;
    out.batteryMv = batteryMv(this.soc0[i]! - this.stats.chargeMah(b, i, t) / b.capacityMah);
    return out;
  }

  private envScratch: EnvSample = { tempC: 0, rhPct: 0, pressureHpa: 0, pm25Ugm3: 0, pm10Ugm3: 0, noiseDbA: 0 };

  private envWithFaults(i: number, t: number, into?: EnvSample): EnvSample {
    const site = this.sites[i]!;
    let e = into ? this.env.sampleInto(site, t, into) : this.env.sample(site, t);
    for (const f of this.faults) {
      const sp = f.spec;
      if (sp.kind !== 'stuck' || !f.nodes.has(i) || t < sp.fromH * HOUR_MS || t >= sp.toH * HOUR_MS) continue;
      const hit = (x: string): boolean => sp.sensor === 'all' || sp.sensor === x;
      let frozen = f.stuck.get(i);
      if (!frozen) {
        frozen = this.env.sample(site, sp.fromH * HOUR_MS);
        f.stuck.set(i, frozen);
      }
      e = {
        pm25Ugm3: hit('pm') ? frozen.pm25Ugm3 : e.pm25Ugm3,
        pm10Ugm3: hit('pm') ? frozen.pm10Ugm3 : e.pm10Ugm3,
        tempC: hit('climate') ? frozen.tempC : e.tempC,
        rhPct: hit('climate') ? frozen.rhPct : e.rhPct,
        pressureHpa: hit('climate') ? frozen.pressureHpa : e.pressureHpa,
        noiseDbA: hit('noise') ? frozen.noiseDbA : e.noiseDbA,
      };
    }
    return e;
  }

  /** What node i's sensors read at virtual time t, with scenario faults applied. */
  sample(i: number, t: number): Readings {
    const e = this.envWithFaults(i, t);
    let status = 0;
    let pm = true;
    let climate = true;
    let noise = true;
    for (const f of this.faults) {
      const sp = f.spec;
      if (sp.kind !== 'dropout' || !f.nodes.has(i) || t < sp.fromH * HOUR_MS || t >= sp.toH * HOUR_MS) continue;
      const hit = (x: string): boolean => sp.sensor === 'all' || sp.sensor === x;
      if (hit('pm')) pm = false;
      if (hit('climate')) climate = false;
      if (hit('noise')) noise = false;
    }
    const r: Readings = {};
    if (pm) {
      r.pm25DeciUgm3 = Math.round(e.pm25Ugm3 * 10);
      r.pm10DeciUgm3 = Math.round(e.pm10Ugm3 * 10);
    } else status |= STATUS_PM_FAULT;
    if (climate) {
      r.tempDeciC = Math.round(e.tempC * 10);
      r.rhHalfPct = Math.round(e.rhPct * 2);
      r.pressureDeciHpa = Math.round(e.pressureHpa * 10);
    } else status |= STATUS_THP_FAULT;
    if (noise) r.noiseDeciDb = Math.round(e.noiseDbA * 10);
    else status |= STATUS_NOISE_FAULT;
    const b = this.scenario.nodes.battery;
    const soc = this.soc0[i]! - this.stats.chargeMah(b, i, t) / b.capacityMah;
    r.batteryMv = Math.round(batteryMv(soc) / 10) * 10;
    if (status) r.status = status;
    return r;
  }

  private onUplink(n: number, fcnt: number, fport: number, sf: number, len: number, readings: Readings | null, plain: Uint8Array | null): void {
    this.stats.sent[n]!++;
    // The SF in use: ADR moves it, and the summary reports each node at its latest one.
    this.stats.sf[n] = sf;
    this.devices[n]!.sf = sf;
    this.stats.airtimeMs[n]! += timeOnAirMs(sf, this.scenario.nodes.bwHz, this.scenario.nodes.cr, len, 8, true, true);
    if (this.opts.recordDelivered) this.pending.set(n * 4294967296 + fcnt, { node: n, fcnt, fport, readings, plain });
    this.lastFcnt[n] = fcnt;
  }

  private onUplinkEnd(f: AirFrame, rx: GatewayReception[]): void {
    const n = f.src;
    const st = this.stats;
    // A Join-request (MType 0) is not a reading: its airtime is counted at transmission, the rest
    // shows in the join figures.
    if (f.payload.length > 0 && f.payload[0]! >> 5 === 0) return;
    let ok = 0;
    let coll = false;
    let busy = false;
    let noDemod = false;
    for (const r of rx) {
      if (r.ok) {
        ok++;
        st.gwDecoded[r.gw]!++;
      } else if (r.reason === 'collision') {
        coll = true;
        st.gwCollisions[r.gw]!++;
      } else if (r.reason === 'gw_busy') {
        busy = true;
        st.gwBusyLost[r.gw]!++;
      } else if (r.reason === 'no_demodulator') {
        noDemod = true;
        st.gwNoDemod[r.gw]!++;
      }
    }
    st.multiGw[Math.min(8, ok)]!++;
    st.countHour(f.startMs, ok > 0, coll);
    if (ok) st.delivered[n]!++;
    else if (coll) st.collided[n]!++;
    else if (busy) st.gwBusy[n]!++;
    else if (noDemod) st.noDemod[n]!++;
    else st.outOfRange[n]!++;
    const fcnt = this.lastFcnt[n] ?? 0;
    if (this.opts.recordDelivered) {
      const key = n * 4294967296 + fcnt;
      const p = this.pending.get(key);
      this.pending.delete(key);
      if (ok && p) this.delivered.push(p);
    }
    for (const k of this.sinks) k.event({ ev: 'up', t: f.startMs, end: f.endMs, frame: f.id, node: n, fcnt, freq: f.freqHz, sf: f.sf, phy: f.payload, rx });
  }

  /** Schedules the nodes and the scenario's timed faults. Idempotent. */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const node of this.nodes) node.start();
    for (const f of this.faults) {
      if (f.spec.kind === 'dropout') {
        for (const i of [...f.nodes].sort((a, b) => a - b)) {
          const node = this.nodes[i];
          if (!(node instanceof FastNode) && !(node instanceof FidelityNode)) continue;
          const set = (on: boolean) => {
            const sp = f.spec;
            const hit = (x: string): boolean => sp.sensor === 'all' || sp.sensor === x;
            if (node instanceof FastNode) {
              if (hit('pm')) node.vn.pms.faults.absent = on;
              if (hit('climate')) node.vn.bme280.faults.absent = on;
              if (hit('noise')) node.vn.noiseAdc.absent = on;
            } else {
              if (hit('pm')) node.pms.faults.absent = on;
              if (hit('climate')) node.bme.faults.absent = on;
              if (hit('noise')) node.noiseAbsent = on;
            }
            for (const k of this.sinks) k.event({ ev: 'fault', t: this.clock.now(), node: i, kind: `dropout:${sp.sensor}`, on });
          };
          this.clock.setTimeout(() => set(true), f.spec.fromH * HOUR_MS);
          this.clock.setTimeout(() => set(false), f.spec.toH * HOUR_MS);
        }
      }
      if (f.spec.kind !== 'offline') continue;
      for (const i of [...f.nodes].sort((a, b) => a - b)) {
        this.clock.setTimeout(() => {
          this.nodes[i]!.stop();
          for (const k of this.sinks) k.event({ ev: 'fault', t: this.clock.now(), node: i, kind: 'offline', on: true });
        }, f.spec.fromH * HOUR_MS);
        this.clock.setTimeout(() => {
          this.nodes[i]!.start(0);
          for (const k of this.sinks) k.event({ ev: 'fault', t: this.clock.now(), node: i, kind: 'offline', on: false });
        }, f.spec.toH * HOUR_MS);
      }
    }
  }

  /** Runs the whole scenario synchronously (no real gateway attached). */
  runSync(onProgress?: (frac: number) => void): void {
    this.start();
    const steps = 200;
    for (let k = 1; k <= steps; k++) {
      this.clock.runUntil((this.durationMs * k) / steps);
      onProgress?.(k / steps);
    }
    this.stop();
  }

  stop(): void {
    for (const n of this.nodes) n.stop();
  }

  /** Airtime (ms) of a kerb uplink of len bytes at sf (for docs and reports). */
  static toaMs(sf: number, len: number): number {
    return timeOnAirMs(sf, 125000, 1, len, 8, true, true);
  }

  /** Airtime (ms) of an uplink of len bytes at sf, bandwidth and coding rate (1..4 = 4/5..4/8). */
  static toaMsWith(sf: number, bwHz: number, cr: number, len: number): number {
    return timeOnAirMs(sf, bwHz, cr, len, 8, true, true);
  }

  static devAddrHex(a: number): string {
    return hex8(a);
  }
}
