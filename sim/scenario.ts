// Scenario files: JSON or YAML, one seed, everything else defaulted. The format is
// documented in docs/simulator.md; `loadScenario` validates and names the offending key on error.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import type { PathLossModel } from './medium.ts';
import { BOR_2016 } from './medium.ts';
import { channelPlan, REGION_NAMES } from './channel-plan.ts';
import type { Orthogonality } from './concentrator.ts';

/**
 * What a simulated gateway's receiver is: `ideal` hears every configured channel and SF and
 * demodulates any number of packets at once (the model before the concentrator existed);
 * `concentrator` is an SX1301/SX1302-class 8-channel gateway with a demodulator limit; `bridge` is
 * kerb's single-channel SX127x radio bridge (one channel, one SF, one packet at a time).
 */
export type GatewayModel = 'ideal' | 'concentrator' | 'bridge';

export type Layout =
  | { layout: 'random'; widthM: number; heightM: number }
  | { layout: 'grid'; spacingM: number }
  | { layout: 'geojson'; file: string };

export interface FaultSpec {
  kind: 'dropout' | 'stuck' | 'offline';
  /** For dropout/stuck: which sensor. */
  sensor: 'pm' | 'climate' | 'noise' | 'all';
  /** Explicit node indices, or a fraction of the fleet chosen by the seed. */
  nodes?: number[];
  fraction?: number;
  fromH: number;
  toH: number;
}

export interface Scenario {
  name: string;
  description: string;
  seed: number;
  durationH: number;
  /** ISO time of virtual t = 0 (drives the diurnal cycle and gateway timestamps). */
  start: string;
  tzOffsetHours: number;
  origin: { lat: number; lon: number };
  area: Layout;
  /** RP002 regional channel plan (shared/lorawan/region via sim/channel-plan.ts): EU868, US915, AS923-1. */
  region: string;
  gateways: {
    model: GatewayModel;
    /** Packets a gateway demodulates at once (concentrator: 8; bridge: always 1). */
    demodulators: number;
    /** With --gateway: each site feeds the real gateway over the kerb serial link or as a Semtech UDP packet forwarder. */
    connect: 'serial' | 'udp';
    count: number;
    placement: 'center' | 'grid' | 'random';
    positions?: { x: number; y: number }[];
    antennaGainDb: number;
    txPowerDbm: number;
    /** 'all' = the EU868 default channels (ideal model) or the region's 8-channel plan (concentrator), or a list of Hz. */
    channels: 'all' | number[];
    sfs: number[];
  };
  nodes: {
    count: number;
    /** simple: built-in model; fast: shared node application on virtual hardware; fidelity: firmware bundle. */
    mode: 'simple' | 'fast' | 'fidelity';
    intervalS: number;
    traffic: 'periodic' | 'poisson';
    jitter: number;
    sf: 'auto' | number;
    /** 'auto' picks the lowest SF whose mean link budget to the best gateway clears this margin. */
    sfMarginDb: number;
    txPowerDbm: number;
    antennaGainDb: number;
    rxWindows: boolean;
    /** ADR: nodes set the ADR bit and follow LinkADRReq (simple mode, with the real gateway). */
    adr: boolean;
    /** OTAA: nodes join through the real gateway before their first uplink (simple mode). */
    otaa: boolean;
    dutyCycle: boolean;
    rx2Sf: number;
    /** Uplink channels: 'all' = the region's default channels, 'concentrator' = its 8-channel plan, or a list of Hz. */
    channels: 'all' | 'concentrator' | number[];
    /** Coding rate 1..4 = 4/5..4/8 (simple mode). */
    cr: number;
    /** Bandwidth in Hz: 125000, 250000 or 500000 (simple mode). */
    bwHz: number;
    /** 'auto' = the 12-byte kerb readings on FPort 1; a number = that many bytes on FPort 2 (simple mode). */
    payloadBytes: 'auto' | number;
    /** Energy model (mA, mAh, s); see docs/simulator.md. */
    battery: { capacityMah: number; sleepUa: number; txMa: number; rxMa: number; pmMa: number; pmWarmupS: number };
  };
  radio: { capture: boolean; shadowing: boolean; pathLoss: PathLossModel; orthogonality: Orthogonality };
  faults: FaultSpec[];
  /** Commands queued at the real gateway (with --gateway) at virtual time atH for node index `node`. */
  downlinks: { atH: number; node: number; fport: number; payload: string }[];
}

export const DEFAULT_SCENARIO: Scenario = {
  name: 'unnamed',
  description: '',
  seed: 1,
  durationH: 24,
  start: '2026-06-01T00:00:00Z',
  tzOffsetHours: 1,
  origin: { lat: 51.0543, lon: 3.7174 },
  area: { layout: 'random', widthM: 1000, heightM: 1000 },
  region: 'EU868',
  gateways: { model: 'ideal', demodulators: 8, connect: 'serial', count: 1, placement: 'center', antennaGainDb: 6, txPowerDbm: 14, channels: 'all', sfs: [7, 8, 9, 10, 11, 12] },
  nodes: {
    count: 10,
    mode: 'simple',
    intervalS: 600,
    traffic: 'periodic',
    jitter: 0.05,
    sf: 'auto',
    sfMarginDb: 6,
    txPowerDbm: 14,
    antennaGainDb: 0,
    rxWindows: true,
    adr: false,
    otaa: false,
    dutyCycle: true,
    rx2Sf: 12,
    channels: 'all',
    cr: 1,
    bwHz: 125000,
    payloadBytes: 'auto',
    battery: { capacityMah: 2600, sleepUa: 20, txMa: 44, rxMa: 11.5, pmMa: 70, pmWarmupS: 30 },
  },
  radio: { capture: true, shadowing: true, pathLoss: BOR_2016, orthogonality: 'ideal' },
  faults: [],
  downlinks: [],
};

export class ScenarioError extends Error {
  readonly key: string;
  constructor(key: string, msg: string) {
    super(`scenario: ${key}: ${msg}`);
    this.key = key;
    this.name = 'ScenarioError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merges `over` onto `base`, rejecting keys the base does not know (typos fail loudly). */
function merge(base: unknown, over: unknown, path: string, open: Set<string>): unknown {
  if (over === undefined) return base;
  if (isObj(base) && isObj(over) && !open.has(path)) {
    const out: Obj = { ...base };
    for (const [k, v] of Object.entries(over)) {
      const p = path ? `${path}.${k}` : k;
      if (!(k in base) && !open.has(p)) throw new ScenarioError(p, 'unknown key');
      out[k] = merge(base[k], v, p, open);
    }
    return out;
  }
  return over;
}

const OPEN = new Set(['area', 'gateways.positions', 'radio.pathLoss', 'faults', 'downlinks', 'gateways.channels', 'nodes.channels']);

function num(key: string, v: unknown, lo: number, hi: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw new ScenarioError(key, `must be a number in ${lo}..${hi}, got ${JSON.stringify(v)}`);
}

/** Parses "24h", "90m", "3600s", "2d" or a number of hours. */
function hours(v: unknown, key: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const m = /^\s*([\d.]+)\s*(d|h|m|s)\s*$/.exec(v);
    if (m) return Number(m[1]) * { d: 24, h: 1, m: 1 / 60, s: 1 / 3600 }[m[2] as 'd']!;
  }
  throw new ScenarioError(key, `expected hours or a duration like "24h", got ${JSON.stringify(v)}`);
}

export function parseScenario(raw: unknown, baseDir = process.cwd()): Scenario {
  if (!isObj(raw)) throw new ScenarioError('(root)', 'expected a mapping');
  const r: Obj = { ...raw };
  if ('duration' in r) {
    r.durationH = hours(r.duration, 'duration');
    delete r.duration;
  }
  const s = merge(DEFAULT_SCENARIO, r, '', OPEN) as Scenario;
  num('seed', s.seed, 0, 2 ** 32 - 1);
  num('durationH', s.durationH, 0, 24 * 366);
  if (Number.isNaN(Date.parse(s.start))) throw new ScenarioError('start', 'expected an ISO date-time');
  num('nodes.count', s.nodes.count, 0, 1_000_000);
  num('nodes.intervalS', s.nodes.intervalS, 1, 86400 * 7);
  num('nodes.jitter', s.nodes.jitter, 0, 1);
  num('gateways.count', s.gateways.count, 0, 10000);
  if (!['simple', 'fast', 'fidelity'].includes(s.nodes.mode)) throw new ScenarioError('nodes.mode', 'expected simple, fast or fidelity');
  if (!['periodic', 'poisson'].includes(s.nodes.traffic)) throw new ScenarioError('nodes.traffic', 'expected periodic or poisson');
  if (s.nodes.sf !== 'auto') num('nodes.sf', s.nodes.sf, 7, 12);
  const plan = typeof s.region === 'string' ? channelPlan(s.region) : null;
  if (!plan) throw new ScenarioError('region', `expected a LoRaWAN regional channel plan (${REGION_NAMES}), got ${JSON.stringify(s.region)}`);
  s.region = plan.region;
  if (!['ideal', 'concentrator', 'bridge'].includes(s.gateways.model)) throw new ScenarioError('gateways.model', 'expected ideal, concentrator or bridge');
  num('gateways.demodulators', s.gateways.demodulators, 1, 64);
  if (!['serial', 'udp'].includes(s.gateways.connect)) throw new ScenarioError('gateways.connect', 'expected serial (the kerb serial link) or udp (a Semtech UDP packet forwarder)');
  if (!['ideal', 'croce2018'].includes(s.radio.orthogonality)) throw new ScenarioError('radio.orthogonality', 'expected ideal or croce2018');
  if (![1, 2, 3, 4].includes(s.nodes.cr)) throw new ScenarioError('nodes.cr', `expected 1..4 (coding rate 4/5..4/8), got ${JSON.stringify(s.nodes.cr)}`);
  if (![125000, 250000, 500000].includes(s.nodes.bwHz)) throw new ScenarioError('nodes.bwHz', `expected 125000, 250000 or 500000, got ${JSON.stringify(s.nodes.bwHz)}`);
  if (s.nodes.payloadBytes !== 'auto') num('nodes.payloadBytes', s.nodes.payloadBytes, 1, 222);
  if (s.gateways.model === 'bridge' && s.gateways.sfs.length !== 1) throw new ScenarioError('gateways.sfs', 'a bridge (one SX127x) hears one SF: give one, e.g. [9], and pin the nodes to it (nodes.sf)');
  if (typeof s.nodes.sf === 'number' && s.nodes.sf > plan.maxUplinkSf) throw new ScenarioError('nodes.sf', `${plan.region} uplinks at 125 kHz go up to SF${plan.maxUplinkSf} (RP002 data rates on its default channels)`);
  if (typeof s.nodes.channels === 'string' && !['all', 'concentrator'].includes(s.nodes.channels)) throw new ScenarioError('nodes.channels', 'expected all, concentrator or a list of Hz');
  // The node application (fast, fidelity) fixes these itself (shared/node: EU868 default
  // channels, 125 kHz, CR 4/5, the 12-byte readings): only the simulator's own node takes them.
  if (s.nodes.mode !== 'simple') {
    const fixed: [string, boolean][] = [['nodes.cr', s.nodes.cr !== 1], ['nodes.bwHz', s.nodes.bwHz !== 125000], ['nodes.payloadBytes', s.nodes.payloadBytes !== 'auto'], ['region', s.region !== 'EU868']];
    for (const [k, bad] of fixed) if (bad) throw new ScenarioError(k, `only nodes.mode simple takes this; ${s.nodes.mode} nodes run the node application, which uses EU868, 125 kHz, CR 4/5 and its 12-byte readings`);
  }
  const a = s.area as Obj;
  if (a.layout === 'random') {
    num('area.widthM', a.widthM, 1, 1e6);
    num('area.heightM', a.heightM, 1, 1e6);
    s.area = { layout: 'random', widthM: a.widthM as number, heightM: a.heightM as number };
  } else if (a.layout === 'grid') {
    num('area.spacingM', a.spacingM, 1, 1e5);
    s.area = { layout: 'grid', spacingM: a.spacingM as number };
  } else if (a.layout === 'geojson') {
    if (typeof a.file !== 'string') throw new ScenarioError('area.file', 'expected a path to a GeoJSON file');
    s.area = { layout: 'geojson', file: resolve(baseDir, a.file) };
  } else throw new ScenarioError('area.layout', 'expected random, grid or geojson');
  for (const [i, f] of s.faults.entries()) {
    if (!['dropout', 'stuck', 'offline'].includes(f.kind)) throw new ScenarioError(`faults[${i}].kind`, 'expected dropout, stuck or offline');
    f.sensor ??= 'all';
    if (!['pm', 'climate', 'noise', 'all'].includes(f.sensor)) throw new ScenarioError(`faults[${i}].sensor`, 'expected pm, climate, noise or all');
    num(`faults[${i}].fromH`, f.fromH, 0, 1e6);
    num(`faults[${i}].toH`, f.toH, f.fromH, 1e6);
  }
  for (const [i, d] of s.downlinks.entries()) {
    num(`downlinks[${i}].atH`, d.atH, 0, 1e6);
    num(`downlinks[${i}].node`, d.node, 0, s.nodes.count - 1);
    num(`downlinks[${i}].fport`, d.fport, 1, 223);
    if (typeof d.payload !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(d.payload)) throw new ScenarioError(`downlinks[${i}].payload`, 'expected hex bytes');
  }
  return s;
}

export function loadScenario(file: string): Scenario {
  const text = readFileSync(file, 'utf8');
  const raw: unknown = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text);
  return parseScenario(raw, dirname(resolve(file)));
}
