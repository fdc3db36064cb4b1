// Connects a simulated fleet to the real, unmodified kerb gateway. Each simulated gateway site is
// one radio speaking the kerb serial link (shared/link): in-process through
// ingest.attachTransport(), or over a socat pseudo-terminal that the gateway opens like a USB
// radio; or, with the scenario's `gateways.connect: udp`, a simulated Semtech packet forwarder
// (sim/forwarder.ts) on a real UDP socket to the gateway's `type: udp` radio. The gateway de-duplicates frames heard by several sites, verifies, publishes to MQTT and
// answers with TxRequests, which the medium transmits into the nodes' class A receive windows.
//
// Virtual vs wall time: the gateway schedules RX1 on the radio's µs clock (TxRequest.atUs =
// RxPacket.tsUs + 1 s), and the sim's radio clock is virtual µs, so any pacing works as long as the
// TxRequest arrives before virtual time passes atUs. Modes:
//  - lockstep (default): virtual time runs as fast as the gateway keeps up, in slices shorter than
//    RX1; when an uplink comes from a node with a downlink queued (the sim queued it, or a
//    scenario/test called expectDownlink), virtual time holds before its RX1 until the gateway's
//    TxRequest arrives (or a wall-clock grace runs out); the outbox depth applies back-pressure.
//  - paced ×N: virtual time = N × wall time (demos, soaks, commands typed by a human); the same
//    RX1 hold applies to downlinks the sim knows about, so they land even at high pace.
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { encodeLinkMessage, createDeframer, LINK_RX, LINK_TX, LINK_TX_RESULT, LINK_STATUS, LINK_TX_OK, LINK_TX_TOO_LATE, LINK_TX_BUSY } from '../shared/link/link.ts';
import type { LinkMessage, TxRequest } from '../shared/link/link.ts';
import type { LinkTransport } from '../host/types.ts';
import type { Fleet } from './fleet.ts';
import type { AirFrame } from './medium.ts';
import type { GatewaySideCounts } from './summary.ts';
import { SimForwarder, simGatewayEui } from './forwarder.ts';

import { tsUsOf, virtualAt } from './radio-clock.ts';

export { tsUsOf, virtualAt };

/** What the attachment needs of a simulated gateway site, whichever way it reaches the gateway. */
export interface SiteRadio {
  readonly gw: number;
  readonly counts: { rx: number; tx: number; txOk: number; txRejected: number };
  onTxRequest: ((node: number) => void) | null;
  deliver(f: AirFrame, rssiDbm: number, snrDb: number): void;
}

/** One simulated gateway site as a kerb link radio (the simulator's side of the serial link). */
export class SimRadio {
  readonly counts = { rx: 0, tx: 0, txOk: 0, txRejected: 0 };
  private deframer;
  private out: ((bytes: Uint8Array) => void) | null = null;
  private seq = 0;
  private heartbeat = 0;
  /** Called with the target node of each TxRequest (lockstep releases its hold). */
  onTxRequest: ((node: number) => void) | null = null;
  private readonly byAddr = new Map<number, number>();
  private readonly byJoinEnd = new Map<number, number>();

  private readonly fleet: Fleet;
  readonly gw: number;
  constructor(
    fleet: Fleet,
    gw: number,
  ) {
    this.fleet = fleet;
    this.gw = gw;
    this.deframer = createDeframer(
      (m: LinkMessage) => this.fromGateway(m),
      () => {},
    );
  }

  /** Where bytes for the gateway go. */
  connect(write: (bytes: Uint8Array) => void): void {
    this.out = write;
    this.status();
  }

  disconnect(): void {
    this.out = null;
  }

  /** Bytes from the gateway. */
  push(chunk: Uint8Array): void {
    this.deframer.push(chunk);
  }

  private send(m: LinkMessage): void {
    if (!this.out) return;
    (m as { seq?: number }).seq = this.seq++ & 255;
    this.out(encodeLinkMessage(m));
  }

  status(): void {
    this.send({ type: LINK_STATUS, uptimeS: Math.floor(this.fleet.clock.now() / 1000), fwVersion: 0x000100, rxOk: this.counts.rx, rxBad: 0, txOk: this.counts.txOk, txFail: this.counts.txRejected });
  }

  /** A frame this site decoded (medium observer). */
  deliver(f: AirFrame, rssiDbm: number, snrDb: number): void {
    if (!this.out) return;
    this.counts.rx++;
    // Who a later downlink is for: data frames by DevAddr (OTAA nodes get theirs from the join),
    // Join-accepts by the time of the Join-request they answer.
    const b = f.payload;
    if (b.length >= 5 && b[0]! >> 5 !== 0) this.byAddr.set((b[1]! | (b[2]! << 8) | (b[3]! << 16) | (b[4]! << 24)) >>> 0, f.src);
    else if (b.length > 0 && b[0]! >> 5 === 0) {
      this.byJoinEnd.set(tsUsOf(f.endMs), f.src);
      if (this.byJoinEnd.size > 4096) this.byJoinEnd.delete(this.byJoinEnd.keys().next().value as number);
    }
    this.send({ type: LINK_RX, payload: f.payload, rssiDbm: Math.round(rssiDbm), snrDb: Math.round(snrDb * 4) / 4, freqHz: f.freqHz, sf: f.sf, bwHz: f.bwHz, cr: f.cr, tsUs: tsUsOf(f.endMs) });
    const now = this.fleet.clock.now();
    if (now - this.heartbeat > 60_000) {
      this.heartbeat = now;
      this.status();
    }
  }

  private fromGateway(m: LinkMessage): void {
    if (m.type !== LINK_TX) return;
    this.counts.tx++;
    const req = m as TxRequest;
    const fleet = this.fleet;
    const now = fleet.clock.now();
    const at = req.atUs === 0 ? now : virtualAt(req.atUs, now);
    const target = this.targetOf(req.payload, req.atUs);
    this.onTxRequest?.(target);
    const result = (status: number, startMs: number) => {
      if (status === LINK_TX_OK) this.counts.txOk++;
      else this.counts.txRejected++;
      this.send({ type: LINK_TX_RESULT, id: req.id, status, tsUs: status === LINK_TX_OK ? tsUsOf(startMs) : 0 });
    };
    if (at < now) {
      result(LINK_TX_TOO_LATE, 0);
      return;
    }
    fleet.stats.downlinksSent++;
    fleet.stats.gwDownlinks[this.gw]!++;
    fleet.medium.gatewayTransmit(
      this.gw,
      { freqHz: req.freqHz, sf: req.sf, bwHz: req.bwHz, cr: req.cr, powerDbm: req.powerDbm, invertIq: req.invertIq },
      req.payload,
      at,
      target,
      (ok) => result(ok ? LINK_TX_OK : LINK_TX_BUSY, at),
    );
  }

  /** Node index a downlink is for: by DevAddr, by Join-request time for a Join-accept; -1 if not ours. */
  private targetOf(phy: Uint8Array, atUs: number): number {
    if (phy.length > 0 && phy[0]! >> 5 === 1) {
      for (const d of [5_000_000, 6_000_000]) {
        const n = this.byJoinEnd.get((atUs - d + 4294967296) % 4294967296);
        if (n !== undefined) return n;
      }
      return -1;
    }
    if (phy.length < 5) return -1;
    const a = (phy[1]! | (phy[2]! << 8) | (phy[3]! << 16) | (phy[4]! << 24)) >>> 0;
    const known = this.byAddr.get(a);
    if (known !== undefined) return known;
    const i = (a & 0xffffff) - 1;
    return a >>> 24 === 0x26 && i >= 0 && i < this.fleet.devices.length ? i : -1;
  }
}

/** In-process LinkTransport over a SimRadio (host/types.ts contract). */
export class SimLinkTransport implements LinkTransport {
  private dataCb: ((chunk: Uint8Array) => void) | null = null;
  private closeCbs: ((err?: Error) => void)[] = [];
  private closed = false;
  readonly name: string;
  private readonly radio: SimRadio;
  constructor(
    name: string,
    radio: SimRadio,
  ) {
    this.name = name;
    this.radio = radio;
    radio.connect((bytes) => this.dataCb?.(bytes));
  }
  write(bytes: Uint8Array): void {
    if (!this.closed) this.radio.push(bytes);
  }
  onData(cb: (chunk: Uint8Array) => void): void {
    this.dataCb = cb;
  }
  onClose(cb: (err?: Error) => void): void {
    this.closeCbs.push(cb);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.radio.disconnect();
    for (const cb of this.closeCbs) cb();
  }
}

/** The devices.json the gateway needs for the fleet (docs/architecture.md registry format). */
export function registryFor(fleet: Fleet): { devices: unknown[] } {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex').toUpperCase();
  return {
    devices: fleet.devices.map((d) => ({
      id: d.id,
      name: `Simulated sensor ${d.index + 1}`,
      ...(d.devEui && d.appKey
        ? { devEui: hex(d.devEui), joinEui: '0000000000000000', appKey: hex(d.appKey) }
        : { devAddr: d.devAddr.toString(16).toUpperCase().padStart(8, '0'), nwkSKey: hex(d.nwkSKey), appSKey: hex(d.appSKey) }),
      location: { lat: d.lat, lon: d.lon },
      profile: 'kerb-street-v1',
    })),
  };
}

/**
 * What the simulator needs of a running gateway. The caller passes the gateway's own start function
 * (gateway/main.ts startGateway, from cli/ or a test), so sim/ does not import gateway/.
 */
export interface SimGateway {
  config: { mqtt: { baseTopic: string } };
  ingest: {
    attachTransport(t: LinkTransport): void;
    queueDownlink(d: { id: string; deviceId: string; fport: number; payload: Uint8Array; confirmed: boolean; expiresAt: number }): Promise<unknown> | unknown;
  };
  mqttUrl: string;
  /** Bound ports of the gateway's `type: udp` radios. */
  udpPorts?: number[];
  outbox: { readonly depth: number };
  metrics: { value(name: string): Promise<number> };
  mqttConnected(): boolean;
  stop(): Promise<void>;
}

/** Starts a gateway from a (nested, partial) configuration object; `never` admits any config type. */
export type StartGateway = (config: never) => Promise<SimGateway>;

export interface AttachOptions {
  /** The gateway to run the fleet against (gateway/main.ts startGateway). */
  startGateway: StartGateway;
  mqttUrl?: string;
  pty?: boolean;
  paced?: number;
  onProgress?: (frac: number) => void;
  /** Extra gateway configuration (merged over the simulator's defaults). */
  gatewayConfig?: Record<string, unknown>;
  /** State directory (default: a fresh temp dir, removed afterwards). */
  stateDir?: string;
  /** Called once the gateway runs, before virtual time starts (tests hook in here). */
  onStarted?: (ctx: AttachContext) => Promise<void> | void;
  /** Called between slices with the virtual time (tests pause here, e.g. to restart the broker). */
  onSlice?: (ctx: AttachContext, virtualMs: number) => Promise<void> | void;
  /** Wait (wall ms) for the gateway to publish everything after the last frame. */
  drainTimeoutMs?: number;
  /** Wall-clock grace for a TxRequest the sim expects. */
  downlinkGraceMs?: number;
  /** Outbox depth above which the sim waits for the gateway. */
  maxOutboxDepth?: number;
  log?: 'debug' | 'info' | 'warn' | 'error';
}

export interface AttachContext {
  fleet: Fleet;
  gateway: SimGateway;
  radios: SiteRadio[];
  mqttUrl: string;
  /** Queue a downlink at the gateway for node i, and hold virtual time for its RX1. */
  queueDownlink(node: number, fport: number, payload: Uint8Array, id?: string): Promise<void>;
  /** Hold RX1 of node i's next uplink until the gateway answers (a command queued elsewhere). */
  expectDownlink(node: number): void;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const tick = () => new Promise<void>((r) => setImmediate(r));

interface PtyLink {
  proc: ChildProcess;
  a: string;
  b: string;
}

async function openPty(dir: string, k: number): Promise<PtyLink> {
  const a = join(dir, `radio-${k}`);
  const b = join(dir, `sim-${k}`);
  const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 10_000;
  while (!(existsSync(a) && existsSync(b) && err.includes('starting data transfer loop'))) {
    if (proc.exitCode !== null) throw new Error(`socat exited: ${err}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`socat not ready: ${err}`);
    }
    await sleep(20);
  }
  return { proc, a, b };
}

export async function runWithGateway(fleet: Fleet, o: AttachOptions): Promise<GatewaySideCounts> {
  const own = !o.stateDir;
  const dir = o.stateDir ?? mkdtempSync(join(tmpdir(), 'kerb-sim-'));
  const registry = join(dir, 'devices.json');
  writeFileSync(registry, JSON.stringify(registryFor(fleet), null, 1));
  const ptys: PtyLink[] = [];
  const ports: { close(cb?: () => void): void }[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  // A pseudo-terminal carries the kerb serial link: --pty overrides a scenario's udp connection.
  const udp = !o.pty && fleet.scenario.gateways.connect === 'udp';
  if (o.pty) for (let g = 0; g < fleet.gateways.length; g++) ptys.push(await openPty(dir, g));
  const cfg: Record<string, unknown> = {
    gateway: { id: 'kerb-sim', stateDir: join(dir, 'state'), registry, region: fleet.plan.region },
    radios: udp ? [{ type: 'udp', host: '127.0.0.1', port: 0 }] : ptys.map((p) => ({ path: p.a, baudRate: 115200 })),
    mqtt: o.mqttUrl ? { url: o.mqttUrl } : {},
    broker: { embedded: o.mqttUrl ? 'never' : 'always', port: 0 },
    http: { enabled: false },
    homeassistant: { enabled: false },
    stats: { intervalS: 0 },
    log: { level: o.log ?? 'warn' },
    ...(o.gatewayConfig ?? {}),
  };
  const handle = await o.startGateway(cfg as never);
  const forwarders: SimForwarder[] = [];
  if (udp) {
    const port = handle.udpPorts?.[0];
    if (!port) {
      await handle.stop();
      throw new Error('gateways.connect: udp needs a gateway with a type: udp radio (handle.udpPorts)');
    }
    for (const g of fleet.gateways) forwarders.push(new SimForwarder(fleet, g.index, { serverPort: port, eui: simGatewayEui(g.index), txRangeHz: fleet.plan.txRangeHz }));
    cleanups.push(async () => {
      for (const f of forwarders) await f.close();
    });
  }
  const radios: SiteRadio[] = udp ? forwarders : fleet.gateways.map((g) => new SimRadio(fleet, g.index));
  const holds = new Map<number, number>(); // node → virtual ms before which its RX1 decision is due
  const expecting = new Map<number, number>(); // node → count of downlinks expected
  let waitingFor = -1;
  let released = false;
  for (const r of radios) {
    r.onTxRequest = (node) => {
      holds.delete(node);
      const n = expecting.get(node) ?? 0;
      if (n <= 1) expecting.delete(node);
      else expecting.set(node, n - 1);
      if (node === waitingFor) released = true;
    };
  }
  try {
    if (udp) {
      for (const f of forwarders) await f.start();
    } else if (o.pty) {
      const { SerialPort } = await import('serialport');
      for (const [g, p] of ptys.entries()) {
        const sp = new SerialPort({ path: p.b, baudRate: 115200 });
        await new Promise<void>((res, rej) => sp.once('open', () => res()).once('error', rej));
        sp.on('data', (d: Buffer) => (radios[g] as SimRadio).push(new Uint8Array(d.buffer, d.byteOffset, d.length)));
        (radios[g] as SimRadio).connect((bytes) => sp.write(Buffer.from(bytes)));
        ports.push(sp);
      }
    } else {
      for (const r of radios) handle.ingest.attachTransport(new SimLinkTransport(`sim:${fleet.gateways[r.gw]!.id}`, r as SimRadio));
    }
    fleet.gatewayRxListeners.push((g, f, rssi, snr) => {
      radios[g]!.deliver(f, rssi, snr);
      if (expecting.has(f.src)) {
        // RX1 opens at end + 1 s; decide 50 ms before (a packet forwarder wants a txpk 31.5 ms ahead).
        const until = f.endMs + 950;
        const prev = holds.get(f.src);
        if (prev === undefined || until < prev) holds.set(f.src, until);
      }
    });

    const written = (): number => radios.reduce((a, r) => a + r.counts.rx, 0);
    /** The gateway has taken every frame written so far: received, and accepted, rejected or merged as a duplicate. */
    const caughtUp = async (): Promise<boolean> => {
      const m = handle.metrics;
      const rec = await m.value('frames_received_total');
      if (rec < written()) return false;
      const done = (await m.value('uplinks_total')) + (await m.value('frames_rejected_total')) + (await m.value('frames_duplicate_total')) +
        (await m.value('joins_accepted_total')) + (await m.value('joins_rejected_total'));
      return done >= rec;
    };
    const macFleet = fleet.scenario.nodes.adr || fleet.scenario.nodes.otaa;
    /** Every accepted uplink has its downlink decision (gateway/downlinks.ts downlink_decisions_total). */
    const syncDecisions = async (timeoutMs: number): Promise<void> => {
      await syncGateway(timeoutMs);
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const m = handle.metrics;
        if ((await m.value('downlink_decisions_total')) >= (await m.value('uplinks_accepted_total'))) return;
        await sleep(1);
      }
    };
    const syncGateway = async (timeoutMs: number): Promise<void> => {
      const until = Date.now() + timeoutMs;
      while (!(await caughtUp()) && Date.now() < until) await sleep(2);
    };

    // Count what actually reached the broker (the gateway's own counter is "accepted into the outbox").
    let published = 0;
    const mqtt = await import('mqtt');
    const sub = mqtt.connect(handle.mqttUrl, { reconnectPeriod: 200, clientId: `kerb-sim-counter-${process.pid}` });
    let subscribed = false;
    sub.on('connect', () => sub.subscribe(`${handle.config.mqtt.baseTopic}/device/+/up`, { qos: 1 }, (err) => (subscribed = !err)));
    sub.on('message', () => published++);
    cleanups.push(() => new Promise<void>((r) => sub.end(true, {}, () => r())));
    for (const until = Date.now() + 10_000; !subscribed && Date.now() < until; ) await sleep(5);

    const ctx: AttachContext = {
      fleet,
      gateway: handle,
      radios,
      mqttUrl: handle.mqttUrl,
      async queueDownlink(node, fport, payload, id) {
        const d = fleet.devices[node]!;
        expecting.set(node, (expecting.get(node) ?? 0) + 1);
        await handle.ingest.queueDownlink({ id: id ?? `sim-${node}-${Math.round(fleet.clock.now())}`, deviceId: d.id, fport, payload, confirmed: false, expiresAt: Date.now() + 86400_000 });
      },
      expectDownlink(node) {
        expecting.set(node, (expecting.get(node) ?? 0) + 1);
      },
    };
    await o.onStarted?.(ctx);
    const scheduled = fleet.scenario.downlinks ?? [];
    const dueDownlinks: { node: number; fport: number; payload: Uint8Array; id: string }[] = [];
    for (const [k, d] of scheduled.entries()) {
      fleet.clock.setTimeout(() => {
        dueDownlinks.push({ node: d.node, fport: d.fport, payload: Uint8Array.from(Buffer.from(d.payload, 'hex')), id: `scenario-${k}` });
      }, d.atH * 3600_000);
    }
    /** Queue due commands once the gateway has seen every frame sent before them (over a pty it lags). */
    const queueDue = async (): Promise<void> => {
      if (!dueDownlinks.length) return;
      await syncGateway(10_000);
      for (const d of dueDownlinks.splice(0)) await ctx.queueDownlink(d.node, d.fport, d.payload, d.id);
    };

    let synced = 0;
    /** The forwarders' fetch cycle; and UDP has no flow control, so let the gateway catch up now and then. */
    const flushUdp = async (): Promise<void> => {
      if (!udp) return;
      for (const f of forwarders) f.flush();
      if (written() - synced > 256) {
        await syncGateway(10_000);
        synced = written();
      }
    };

    fleet.start();
    const grace = o.downlinkGraceMs ?? 3000;
    const maxDepth = o.maxOutboxDepth ?? 5000;
    const waitForTx = async (node: number): Promise<void> => {
      waitingFor = node;
      released = false;
      await syncGateway(grace);
      const until = Date.now() + grace;
      while (!released && Date.now() < until) await sleep(2);
      holds.delete(node);
      waitingFor = -1;
    };
    if (o.paced) {
      let t0 = performance.now();
      for (;;) {
        const v = Math.min(fleet.durationMs, (performance.now() - t0) * o.paced);
        // Sub-slices shorter than RX1, so a hold created by an uplink is always still ahead.
        while (fleet.clock.now() < v) {
          let target = Math.min(v, fleet.clock.now() + 500);
          let holdNode = -1;
          for (const [node, until] of holds) {
            if (until <= target) {
              target = Math.max(fleet.clock.now(), until);
              holdNode = node;
            }
          }
          fleet.clock.runUntil(target);
          await flushUdp();
          await queueDue();
          if (holdNode >= 0 && holds.get(holdNode) === target) {
            // Hold virtual time at the RX1 deadline until the gateway has answered, then resume the
            // pace from here (the wall time the hold took is not made up by rushing).
            const w0 = performance.now();
            await waitForTx(holdNode);
            t0 += performance.now() - w0;
          }
        }
        o.onProgress?.(v / fleet.durationMs);
        await o.onSlice?.(ctx, v);
        if (v >= fleet.durationMs) break;
        await sleep(10);
      }
    } else {
      const slice = 500; // < RX1 delay: a hold created in a slice is always in the future
      let sinceYield = 0;
      let idleSlices = 0;
      while (fleet.clock.now() < fleet.durationMs) {
        let target = Math.min(fleet.durationMs, fleet.clock.now() + slice);
        let holdNode = -1;
        for (const [node, until] of holds) {
          if (until <= target) {
            target = Math.max(fleet.clock.now(), until);
            holdNode = node;
          }
        }
        const before = radios.reduce((a, r) => a + r.counts.rx, 0);
        fleet.clock.runUntil(target);
        await flushUdp();
        await queueDue();
        const wrote = radios.reduce((a, r) => a + r.counts.rx, 0) - before;
        sinceYield += wrote;
        if (wrote > 0 && macFleet) {
          // Nodes that speak MAC commands (ADR) may get a downlink after any uplink: the slice is
          // shorter than RX1, so waiting here for the gateway's decision on every uplink of the
          // slice puts each TxRequest ahead of its receive window.
          await syncDecisions(grace);
          sinceYield = 0;
        } else if (holdNode >= 0 && holds.get(holdNode) === target) {
          // Let the gateway verify, persist and answer; it runs on this same event loop (or
          // behind the pty), so yield until its TxRequest arrives.
          await waitForTx(holdNode);
        } else if (sinceYield > 0 || ++idleSlices >= 64) {
          // Let the gateway (same event loop, or the pty's I/O callbacks) take what we wrote.
          await tick();
          sinceYield = 0;
          idleSlices = 0;
        }
        while (handle.outbox.depth > maxDepth) await sleep(5);
        o.onProgress?.(fleet.clock.now() / fleet.durationMs);
        await o.onSlice?.(ctx, fleet.clock.now());
      }
    }
    fleet.stop();
    // Let receive windows and downlinks in flight finish in virtual time.
    fleet.clock.runUntil(fleet.clock.now() + 5000);
    await flushUdp();
    const drainMs = o.drainTimeoutMs ?? 60_000;
    const drainUntil = Date.now() + drainMs;
    await syncGateway(drainMs);
    while (Date.now() < drainUntil && (handle.outbox.depth > 0 || !handle.mqttConnected())) await sleep(20);
    const metrics: Record<string, number> = {};
    for (const name of ['uplinks_total', 'frames_received_total', 'frames_duplicate_total', 'frames_rejected_total']) {
      try {
        metrics[name] = await handle.metrics.value(name);
      } catch {
        /* metric not registered */
      }
    }
    const c = radios.reduce((a, r) => ({ rx: a.rx + r.counts.rx, tx: a.tx + r.counts.tx, ok: a.ok + r.counts.txOk, rej: a.rej + r.counts.txRejected }), { rx: 0, tx: 0, ok: 0, rej: 0 });
    const until2 = Date.now() + 5000;
    while (Date.now() < until2 && published < (metrics.uplinks_total ?? 0)) await sleep(20);
    return { via: udp ? 'udp' : o.pty ? 'pty' : 'link', ...(udp ? { forwarders: forwarders.map((f) => f.euiHex) } : {}), rxPacketsToGateway: c.rx, txRequests: c.tx, txOk: c.ok, txRejected: c.rej, published, metrics, mqttUrl: handle.mqttUrl, baseTopic: handle.config.mqtt.baseTopic, embeddedBroker: !o.mqttUrl };
  } finally {
    for (const c of cleanups) await c().catch(() => {});
    await handle.stop();
    for (const p of ports) await new Promise<void>((r) => p.close(() => r()));
    for (const p of ptys) {
      p.proc.kill('SIGTERM');
      await new Promise((r) => (p.proc.exitCode !== null ? r(null) : p.proc.once('exit', r)));
    }
    if (own) rmSync(dir, { recursive: true, force: true });
  }
}

/** Paced run without a gateway (demos of the medium alone). */
export async function runPaced(fleet: Fleet, factor: number, onProgress?: (f: number) => void): Promise<void> {
  fleet.start();
  const t0 = performance.now();
  for (;;) {
    const v = Math.min(fleet.durationMs, (performance.now() - t0) * factor);
    fleet.clock.runUntil(v);
    onProgress?.(v / fleet.durationMs);
    if (v >= fleet.durationMs) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  fleet.stop();
}
