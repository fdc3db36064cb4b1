// Run summary: delivered/sent per node, per SF and overall, collisions, airtime and
// duty-cycle use, gateway-side counts, battery life. Plain JSON; report.ts renders it as HTML.
import type { Fleet } from './fleet.ts';
import { nodeFreqs } from './fleet.ts';
import { median } from './stats.ts';

export interface NodeSummary {
  id: string;
  devAddr: string;
  x: number;
  y: number;
  lat: number;
  lon: number;
  sf: number;
  sent: number;
  delivered: number;
  ratio: number;
  collided: number;
  outOfRange: number;
  airtimeMs: number;
  dutyCyclePct: number;
  downlinks: number;
  batteryLifeDays: number;
}

export interface GatewaySideCounts {
  /** How the sites reached the gateway: kerb serial link in-process, over a pty, or Semtech UDP packet forwarders. */
  via?: 'link' | 'pty' | 'udp';
  /** With udp: the simulated forwarders' gateway EUIs. */
  forwarders?: string[];
  /** RxPackets written to the real gateway over the link (with udp: rxpk sent). */
  rxPacketsToGateway: number;
  /** TxRequests the gateway sent, and how they ended. */
  txRequests: number;
  txOk: number;
  txRejected: number;
  /** Uplinks the gateway published to MQTT (counted by a subscriber), when known. */
  published?: number;
  metrics?: Record<string, number>;
  /** Where the gateway published (topic prefix `<baseTopic>/device/<id>/up`). */
  mqttUrl?: string;
  baseTopic?: string;
  embeddedBroker?: boolean;
}

/** Every model switch and parameter that shaped the run, so a summary alone says what produced it. */
export interface ModelsSummary {
  region: string;
  gateway: { model: string; channelsHz: number[]; sfs: number[]; demodulators: number | 'unlimited'; connect: string; halfDuplex: true };
  radio: { capture: boolean; coSfThresholdDb: number; orthogonality: string; shadowing: boolean; pathLoss: { d0M: number; pl0Db: number; gamma: number; sigmaDb: number } };
  nodes: { mode: string; bwHz: number; cr: string; payload: string; txPowerDbm: number; sf: string; channelsHz: number[] | string; dutyCycle: boolean; adr: boolean; otaa: boolean };
  /** jitter: ± fraction of the interval (simple nodes); null where the node application times its own reports. */
  traffic: { kind: string; intervalS: number; jitter: number | null };
  /** Time on air of the uplinks actually sent, per SF (ms; mean over the frames of that SF). */
  timeOnAirMs: Record<string, number>;
}

export interface Summary {
  scenario: {
    name: string; seed: number; durationH: number; nodes: number; gateways: number; mode: string; capture: boolean; intervalS: number;
    /** How uplinks are timed: a fixed interval (with jitter) or a Poisson process of that mean. */
    traffic?: 'periodic' | 'poisson';
    shadowing?: boolean;
    dutyCycle?: boolean;
    /** Log-distance path loss: PL(d) = pl0Db + 10·gamma·log10(d/d0M), shadowing σ = sigmaDb. */
    pathLoss?: { d0M: number; pl0Db: number; gamma: number; sigmaDb: number };
  };
  models: ModelsSummary;
  /** Faults the scenario injected, with the nodes they hit. */
  faults?: { kind: string; sensor: string; nodes: string[]; fromH: number; toH: number }[];
  overall: {
    sent: number;
    delivered: number;
    deliveryRatio: number;
    collided: number;
    outOfRange: number;
    gatewayBusy: number;
    /** Lost at every gateway that could hear them because no demodulator was free. */
    noDemodulator: number;
    airtimeS: number;
    dutyCycleMeanPct: number;
    dutyCycleMaxPct: number;
    receptions: number;
    heardByGateways: Record<string, number>;
    downlinksSent: number;
    downlinksDelivered: number;
  };
  /** Fleet-wide per virtual hour (by frame start). */
  hourly: { sent: number[]; delivered: number[]; collided: number[] };
  perSf: Record<string, { nodes: number; sent: number; delivered: number; deliveryRatio: number; collided: number; airtimeS: number }>;
  gateways: { id: string; x: number; y: number; lat: number; lon: number; decoded: number; collisions: number; lostWhileTransmitting: number; lostNoDemodulator: number; lostOtherSf: number; downlinks: number }[];
  battery: { capacityMah: number; medianLifeDays: number; minLifeDays: number };
  /** Charge drawn over the run (energy model), in all and by the radio transmitting, per delivered reading. */
  energy: { chargeMah: number; txChargeMah: number; perDeliveredMah: number; txPerDeliveredUah: number };
  /** OTAA runs: Join-requests sent, nodes joined, time from start to join (virtual s). */
  joins?: { requests: number; joined: number; nodes: number; medianS: number; p95S: number; maxS: number };
  gatewaySide?: GatewaySideCounts;
  area: { widthM: number; heightM: number; origin: { lat: number; lon: number } };
  notes: string[];
  nodes: NodeSummary[];
  /** Wall-clock figures; not part of the deterministic outputs. */
  run?: { wallS: number; uplinksPerWallS: number; peakRssMb: number };
}

const r = (x: number, d = 4): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

export function summarize(f: Fleet, elapsedMs = f.clock.now()): Summary {
  const s = f.stats;
  const sc = f.scenario;
  const dur = Math.max(1, Math.min(elapsedMs, f.durationMs));
  const nodes: NodeSummary[] = [];
  const perSf: Summary['perSf'] = {};
  let sent = 0, delivered = 0, collided = 0, oor = 0, busy = 0, noDemod = 0, air = 0, dutySum = 0, dutyMax = 0;
  const lives: number[] = [];
  for (const d of f.devices) {
    const i = d.index;
    const duty = (100 * s.airtimeMs[i]!) / dur;
    const life = s.batteryLifeDays(sc.nodes.battery, i, dur);
    lives.push(life);
    nodes.push({
      id: d.id,
      devAddr: d.devAddr.toString(16).toUpperCase().padStart(8, '0'),
      x: r(d.pos.x, 1),
      y: r(d.pos.y, 1),
      lat: d.lat,
      lon: d.lon,
      sf: d.sf,
      sent: s.sent[i]!,
      delivered: s.delivered[i]!,
      ratio: s.sent[i]! ? r(s.delivered[i]! / s.sent[i]!) : 0,
      collided: s.collided[i]!,
      outOfRange: s.outOfRange[i]!,
      airtimeMs: r(s.airtimeMs[i]!, 1),
      dutyCyclePct: r(duty),
      downlinks: s.downlinks[i]! || (f.nodes[i]?.downlinkCount?.() ?? 0),
      batteryLifeDays: r(life, 1),
    });
    sent += s.sent[i]!;
    delivered += s.delivered[i]!;
    collided += s.collided[i]!;
    oor += s.outOfRange[i]!;
    busy += s.gwBusy[i]!;
    noDemod += s.noDemod[i]!;
    air += s.airtimeMs[i]!;
    dutySum += duty;
    dutyMax = Math.max(dutyMax, duty);
    const k = String(d.sf);
    const p = (perSf[k] ??= { nodes: 0, sent: 0, delivered: 0, deliveryRatio: 0, collided: 0, airtimeS: 0 });
    p.nodes++;
    p.sent += s.sent[i]!;
    p.delivered += s.delivered[i]!;
    p.collided += s.collided[i]!;
    p.airtimeS += s.airtimeMs[i]! / 1000;
  }
  for (const p of Object.values(perSf)) {
    p.deliveryRatio = p.sent ? r(p.delivered / p.sent) : 0;
    p.airtimeS = r(p.airtimeS, 1);
  }
  const heard: Record<string, number> = {};
  let receptions = 0;
  s.multiGw.forEach((c, k) => {
    if (k > 0 && c) heard[k === 8 ? '8+' : String(k)] = c;
    receptions += k * c;
  });
  return {
    scenario: {
      name: sc.name, seed: sc.seed, durationH: r(dur / 3600_000, 3), nodes: f.devices.length, gateways: f.gateways.length, mode: sc.nodes.mode, capture: sc.radio.capture, intervalS: sc.nodes.intervalS,
      traffic: sc.nodes.traffic, shadowing: sc.radio.shadowing, dutyCycle: sc.nodes.dutyCycle, pathLoss: { ...sc.radio.pathLoss },
    },
    models: modelsOf(f, perSf),
    faults: f.injectedFaults().map((x) => ({ kind: x.spec.kind, sensor: x.spec.sensor, nodes: x.nodes.map((i) => f.devices[i]!.id), fromH: x.spec.fromH, toH: x.spec.toH })),
    overall: {
      sent,
      delivered,
      deliveryRatio: sent ? r(delivered / sent) : 0,
      collided,
      outOfRange: oor,
      gatewayBusy: busy,
      noDemodulator: noDemod,
      airtimeS: r(air / 1000, 1),
      dutyCycleMeanPct: f.devices.length ? r(dutySum / f.devices.length) : 0,
      dutyCycleMaxPct: r(dutyMax),
      receptions,
      heardByGateways: heard,
      downlinksSent: s.downlinksSent,
      downlinksDelivered: s.downlinksDelivered,
    },
    hourly: { sent: [...s.hourly.sent], delivered: [...s.hourly.delivered], collided: [...s.hourly.collided] },
    perSf,
    gateways: f.gateways.map((g) => ({
      id: g.id,
      x: r(g.pos.x, 1),
      y: r(g.pos.y, 1),
      lat: g.lat,
      lon: g.lon,
      decoded: s.gwDecoded[g.index]!,
      collisions: s.gwCollisions[g.index]!,
      lostWhileTransmitting: s.gwBusyLost[g.index]!,
      lostNoDemodulator: s.gwNoDemod[g.index]!,
      lostOtherSf: f.receivers ? f.receivers.lostCrossSf[g.index]! : 0,
      downlinks: s.gwDownlinks[g.index]!,
    })),
    battery: { capacityMah: sc.nodes.battery.capacityMah, medianLifeDays: r(median(lives), 1), minLifeDays: r(lives.length ? Math.min(...lives) : NaN, 1) },
    energy: energyOf(f, elapsedMs, delivered),
    ...(sc.nodes.otaa ? { joins: joinsOf(f) } : {}),
    area: { widthM: r(f.width, 1), heightM: r(f.height, 1), origin: f.origin },
    notes: [...f.notes],
    nodes,
  };
}

function modelsOf(f: Fleet, perSf: Summary['perSf']): ModelsSummary {
  const sc = f.scenario;
  const gr = f.gatewayRadio;
  const toa: Record<string, number> = {};
  for (const [k, v] of Object.entries(perSf)) if (v.sent) toa[k] = r((v.airtimeS * 1000) / v.sent, 1);
  const nc = sc.nodes.channels;
  return {
    region: sc.region,
    gateway: {
      model: sc.gateways.model, channelsHz: gr.freqs, sfs: gr.sfs,
      demodulators: Number.isFinite(gr.demodulators) ? gr.demodulators : 'unlimited', connect: sc.gateways.connect, halfDuplex: true,
    },
    radio: { capture: sc.radio.capture, coSfThresholdDb: f.medium.opts.coSfThresholdDb, orthogonality: sc.radio.orthogonality, shadowing: sc.radio.shadowing, pathLoss: { ...sc.radio.pathLoss } },
    nodes: {
      mode: sc.nodes.mode, bwHz: sc.nodes.bwHz, cr: `4/${4 + sc.nodes.cr}`,
      payload: sc.nodes.payloadBytes === 'auto' ? 'kerb readings (FPort 1)' : `${sc.nodes.payloadBytes} bytes (FPort 2)`,
      txPowerDbm: sc.nodes.txPowerDbm, sf: String(sc.nodes.sf),
      channelsHz: sc.nodes.mode === 'simple' ? nodeFreqs(f.plan, nc, sc.nodes.bwHz) : 'node application (EU868 default channels)',
      dutyCycle: sc.nodes.mode === 'simple' ? sc.nodes.dutyCycle && f.plan.dutyCycle : true,
      adr: !!sc.nodes.adr, otaa: !!sc.nodes.otaa,
    },
    traffic: sc.nodes.mode === 'simple'
      ? { kind: sc.nodes.traffic, intervalS: sc.nodes.intervalS, jitter: sc.nodes.traffic === 'periodic' ? sc.nodes.jitter : null }
      : { kind: 'periodic (node application)', intervalS: sc.nodes.intervalS, jitter: null },
    timeOnAirMs: toa,
  };
}

function energyOf(f: Fleet, elapsedMs: number, delivered: number): Summary['energy'] {
  const b = f.scenario.nodes.battery;
  let all = 0;
  let air = 0;
  for (let i = 0; i < f.devices.length; i++) {
    all += f.stats.chargeMah(b, i, elapsedMs);
    air += f.stats.airtimeMs[i]!;
  }
  const tx = (b.txMa * air) / 3600_000;
  return { chargeMah: r(all, 2), txChargeMah: r(tx, 3), perDeliveredMah: delivered ? r(all / delivered) : 0, txPerDeliveredUah: delivered ? r((1000 * tx) / delivered, 2) : 0 };
}

function joinsOf(f: Fleet): NonNullable<Summary['joins']> {
  const t: number[] = [];
  let req = 0;
  for (let i = 0; i < f.devices.length; i++) {
    req += f.stats.joinRequests[i]!;
    const at = f.stats.joinedAtMs[i]!;
    if (!Number.isNaN(at)) t.push(at / 1000);
  }
  t.sort((a, b) => a - b);
  const q = (p: number): number => (t.length ? t[Math.min(t.length - 1, Math.floor(p * t.length))]! : NaN);
  return { requests: req, joined: t.length, nodes: f.devices.length, medianS: r(q(0.5), 1), p95S: r(q(0.95), 1), maxS: r(t.length ? t[t.length - 1]! : NaN, 1) };
}

/** A few lines for a human on stdout. */
export function formatSummary(s: Summary): string {
  const o = s.overall;
  const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
  const lines = [
    `scenario ${s.scenario.name} (seed ${s.scenario.seed}): ${s.scenario.nodes} nodes, ${s.scenario.gateways} gateway(s), ${s.scenario.durationH} h virtual, ${s.scenario.mode} nodes, capture ${s.scenario.capture ? 'on' : 'off'}`,
    `models: ${s.models.region}, ${s.models.gateway.model} gateway (${s.models.gateway.channelsHz.length} ch, ${s.models.gateway.demodulators} demodulators), SF orthogonality ${s.models.radio.orthogonality}, co-SF capture ${s.models.radio.coSfThresholdDb} dB`,
    `uplinks: ${o.delivered} of ${o.sent} delivered (${pct(o.deliveryRatio)}); lost: ${o.collided} collisions, ${o.outOfRange} out of range, ${o.gatewayBusy} while gateway transmitting${o.noDemodulator ? `, ${o.noDemodulator} no free demodulator` : ''}`,
    `per SF: ${Object.entries(s.perSf).map(([k, v]) => `SF${k} ${v.nodes} nodes ${pct(v.deliveryRatio)}`).join(', ')}`,
    `airtime: ${o.airtimeS} s total, duty cycle mean ${o.dutyCycleMeanPct.toFixed(3)} % / max ${o.dutyCycleMaxPct.toFixed(3)} % (${s.models.region === 'EU868' ? 'EU868 limit 1 %' : `${s.models.region}: no duty-cycle limit`})`,
    `battery (${s.battery.capacityMah} mAh): median ${s.battery.medianLifeDays} days, worst ${s.battery.minLifeDays} days`,
  ];
  lines.push(`energy: ${s.energy.chargeMah} mAh in all, ${s.energy.perDeliveredMah} mAh per delivered reading (radio TX ${s.energy.txPerDeliveredUah} µAh)`);
  if (s.joins) lines.push(`joins: ${s.joins.joined} of ${s.joins.nodes} nodes joined with ${s.joins.requests} Join-requests; time to join median ${s.joins.medianS} s, 95 % ${s.joins.p95S} s, last ${s.joins.maxS} s`);
  if (o.downlinksSent) lines.push(`downlinks: ${o.downlinksDelivered} of ${o.downlinksSent} received by their node`);
  const g = s.gatewaySide;
  if (g) {
    const fw = g.forwarders ?? [];
    const via = g.via === 'udp' ? `as rxpk from ${fw.length} simulated packet forwarder${fw.length === 1 ? '' : 's'} (Semtech UDP, EUI ${fw.length > 2 ? `${fw[0]}…` : fw.join(', ')})` : g.via === 'pty' ? 'over the serial link (pty)' : 'over the link';
    lines.push(`gateway: ${g.rxPacketsToGateway} packets ${via}, ${g.published ?? '?'} uplinks published to MQTT, ${g.txRequests} tx requests (${g.txOk} sent, ${g.txRejected} rejected)`);
    if (g.mqttUrl) lines.push(`mqtt: ${g.mqttUrl}${g.embeddedBroker ? ' (embedded broker, stopped with the run)' : ''}, topics ${g.baseTopic ?? 'kerb'}/device/<id>/up (SenML-CBOR)`);
  }
  if (s.run) lines.push(`run: ${s.run.wallS.toFixed(1)} s wall, ${Math.round(s.run.uplinksPerWallS)} uplinks/s, peak RSS ${s.run.peakRssMb.toFixed(0)} MB`);
  for (const n of s.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}
