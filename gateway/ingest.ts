// The gateway's ingest side: radios (serial or in-process) → link messages → dedup → verify →
// Uplink handed to the publishing side → frame counter committed; and the durable class A
// downlink queue. gateway/features/ingest.ts joins it to the publisher (docs/gateway.md "Internals: features").
//
// Order of durability for an uplink: verify (the FCnt is reserved in memory, so an in-flight
// replay is rejected) → onUplink handler (resolves once the uplink is in the outbox) → FCnt
// committed to disk. A crash between the outbox's fsync and the counter's fsync loses the commits
// then in flight (several frames of a device may be, as commits overlap and share fsyncs): if the
// radio then hears a replay of such a frame, it verifies again and is published a second time. The
// outbox does not de-duplicate by (device, FCnt); consumers do (docs/gateway.md). The reverse order
// could lose an accepted uplink.
import * as path from 'node:path';
import type { Downlink, DownlinkResult, LinkTransport, Logger, Metrics, RxMeta, Uplink } from './types.ts';
import { KerbError } from './types.ts';
import { Registry } from '../host/registry.ts';
import type { DeviceInfo } from '../host/registry.ts';
import { CounterStore } from './counters.ts';
import { verifyFrame, hex8 } from './verify.ts';
import { DownlinkQueue } from './downlinks.ts';
import { RadioLink, RadioManager } from './radios.ts';
import { RateLog } from './rate-log.ts';
import { nodeAes } from '../host/crypto.ts';
import { LINK_RX, LINK_TX_RESULT, LINK_STATUS } from '../shared/link/link.ts';
import type { LinkMessage, RxPacket } from '../shared/link/link.ts';
import { MTYPE_CONFIRMED_UP, MTYPE_JOIN_REQUEST } from '../shared/lorawan/constants.ts';
import { JoinServer, JOIN_ACCEPT_DELAY1_MS, JOIN_ACCEPT_DELAY2_MS } from './joins.ts';
import { NetworkMac } from './mac.ts';
import { DEFAULT_NETID } from '../host/netid.ts';
import type { DataFrame } from '../shared/lorawan/frame.ts';
import { EU868 } from '../shared/lorawan/region/eu868.ts';
import type { Region } from '../shared/lorawan/region/types.ts';

/** ACKs sent again for one retransmitted confirmed uplink (LoRaWAN 1.0.x nodes retry up to 8 times). */
const MAX_REACKS = 3;

export interface IngestOptions {
  gatewayId: string;
  stateDir: string;
  registryPath: string;
  radios: { path: string; baudRate?: number }[];
  log: Logger;
  metrics: Metrics;
  rx1DelayMs?: number;
  /** The LoRaWAN regional channel plan the radios and nodes use (RX1/RX2, payload limits). Default EU868. */
  region?: Region;
  downlinkExpiryMs?: number;
  /** Receptions of one frame by several radios within this window are merged (ChirpStack: 200 ms). Default 200. */
  dedupWindowMs?: number;
  /** Serial radio liveness: no valid link message for this long → reopen. Default 30000. */
  heartbeatTimeoutMs?: number;
  /** Serial reconnect backoff bounds. Defaults 500 ms and 30 s. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Registry stat-poll period (fs.watch is the fast path). Default 2000 ms. */
  registryPollMs?: number;
  /** Summary period of rate-limited reject logs. Default 60 s. */
  logSummaryMs?: number;
  /** Downlink queue bounds (downlinks.ts). */
  downlinkMaxPerDevice?: number;
  downlinkMaxQueued?: number;
  /** Start although the frame-counter files fail their integrity check (counters.ts). */
  acceptCounterLoss?: boolean;
  /** NetID of Join-accepts and of OTAA devices' DevAddrs (default host/netid.ts DEFAULT_NETID). */
  netId?: number;
  /** DevStatusReq period per device (gateway/mac.ts). Default 24 h; 0 = never. */
  devStatusIntervalMs?: number;
  /** ADR for devices that set the ADR bit (gateway/adr.ts). Default true. */
  adr?: boolean;
}

interface Pending {
  key: string;
  rx: { link: RadioLink; rx: RxPacket; receivedAt: number }[];
  /** Date.now() at which the de-duplication window closes. */
  closesAt: number;
  done: boolean;
}

/**
 * Why a reception's radio metadata cannot be real, or undefined. LoRa spreading factors 5..12 and
 * bandwidths 125/250/500 kHz (SX126x/SX127x datasheets); the frequency inside the region's band
 * (EU868 863..870 MHz, US915 902..928 MHz, AS923 915..928 MHz; RP002-1.0.3 §2.4.2, §2.5.2, §2.10.2);
 * RSSI between -174 dBm (the thermal noise density, below any LoRa reception) and +20 dBm, SNR
 * within what the SX127x reports (RegPktSnrValue, -32..+31.75 dB), coding rate 4/5..4/8 (1..4).
 */
export function rxMetaProblem(rx: { sf: number; bwHz: number; freqHz: number; rssiDbm: number; snrDb: number; cr: number }, region: Region = EU868): string | undefined {
  if (!Number.isInteger(rx.sf) || rx.sf < 5 || rx.sf > 12) return `spreading factor ${rx.sf} (want 5..12)`;
  if (rx.bwHz !== 125000 && rx.bwHz !== 250000 && rx.bwHz !== 500000) return `bandwidth ${rx.bwHz} Hz (want 125, 250 or 500 kHz)`;
  if (!(rx.freqHz >= region.bandLoHz && rx.freqHz <= region.bandHiHz)) return `frequency ${rx.freqHz} Hz (want ${region.bandLoHz / 1e6}..${region.bandHiHz / 1e6} MHz for ${region.name})`;
  if (!(rx.rssiDbm >= -174 && rx.rssiDbm <= 20)) return `RSSI ${rx.rssiDbm} dBm (want -174..20)`;
  if (!(rx.snrDb >= -32 && rx.snrDb <= 32)) return `SNR ${rx.snrDb} dB (want -32..32)`;
  if (!Number.isInteger(rx.cr) || rx.cr < 1 || rx.cr > 4) return `coding rate ${rx.cr} (want 1..4 for 4/5..4/8)`;
  return undefined;
}

export class Ingest {
  readonly registry: Registry;
  private readonly counters: CounterStore;
  private readonly downlinks: DownlinkQueue;
  readonly joins: JoinServer;
  readonly mac: NetworkMac;
  private readonly radios: RadioManager;
  private readonly rateLog: RateLog;
  private readonly links = new Map<string, RadioLink>();
  private uplinkHandler: ((u: Uplink) => Promise<void>) | undefined;
  private resultCbs: ((r: DownlinkResult) => void)[] = [];
  private readonly recent = new Map<string, Pending>();
  // Windows in opening order (all have the same length, so also in closing order), closed by one
  // timer rather than one setTimeout per frame.
  private windows: Pending[] = [];
  private windowsHead = 0;
  private windowTimer: NodeJS.Timeout | undefined;
  private readonly pendingCommits = new Set<Promise<void>>();
  private readonly reacks = new Map<string, { fcnt: number; n: number }>();
  private started = false;
  private stopping = false;

  private readonly opts: IngestOptions;
  constructor(opts: IngestOptions) {
    this.opts = opts;
    const { log, metrics } = opts;
    this.rateLog = new RateLog(log, opts.logSummaryMs ?? 60_000);
    this.registry = new Registry({ path: opts.registryPath, log, metrics, pollMs: opts.registryPollMs });
    this.counters = new CounterStore({
      dir: opts.stateDir, log, acceptLoss: opts.acceptCounterLoss,
      // Written only by a gateway that ran here: beside them a missing counter snapshot is a loss.
      evidence: [path.join(opts.stateDir, 'outbox', 'ack'), path.join(opts.stateDir, 'downlinks.json'), path.join(opts.stateDir, 'downlinks.log')],
    });
    this.downlinks = new DownlinkQueue({
      stateDir: opts.stateDir, log, metrics, counters: this.counters, aes: nodeAes,
      lookup: (id) => this.registry.get(id),
      send: (radioId, req) => this.links.get(radioId)?.send(req) ?? false,
      emit: (r) => {
        for (const cb of this.resultCbs) cb(r);
      },
      rx1DelayMs: opts.rx1DelayMs,
      region: opts.region,
      maxPerDevice: opts.downlinkMaxPerDevice,
      maxTotal: opts.downlinkMaxQueued,
    });
    const rxDelayS = Math.round((opts.rx1DelayMs ?? 1000) / 1000);
    this.joins = new JoinServer({
      stateDir: opts.stateDir, log, metrics, registry: this.registry, aes: nodeAes, netId: opts.netId ?? DEFAULT_NETID,
      rxDelayS: rxDelayS >= 1 && rxDelayS <= 15 ? rxDelayS : 1,
    });
    this.mac = new NetworkMac({ log, devStatusIntervalMs: opts.devStatusIntervalMs, adr: opts.adr });
    this.radios = new RadioManager({
      radios: opts.radios, log, metrics,
      attach: (t) => this.addLink(t),
      heartbeatTimeoutMs: opts.heartbeatTimeoutMs,
      backoffMinMs: opts.backoffMinMs,
      backoffMaxMs: opts.backoffMaxMs,
    });
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.registry.load();
    await this.joins.open();
    this.registry.setSessionSource((id, devEui) => this.joins.session(id, devEui));
    await this.counters.open();
    this.adoptLegacyCounters(this.registry.list());
    this.registry.onChange((devs) => this.adoptLegacyCounters(devs));
    await this.downlinks.open();
    this.registry.start();
    this.radios.start();
    this.started = true;
    this.opts.log.info('ingest started', {
      gatewayId: this.opts.gatewayId, devices: this.registry.list().length, radios: this.opts.radios.map((r) => r.path), stateDir: path.resolve(this.opts.stateDir),
    });
  }

  private adoptLegacyCounters(devs: DeviceInfo[]): void {
    const n = this.counters.adoptLegacy(devs);
    if (n) this.opts.log.info('frame counters carried over from the older session-id format', { sessions: n });
  }

  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    this.radios.stop();
    for (const l of [...this.links.values()]) l.close();
    if (this.windowTimer) clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    this.windows = [];
    this.windowsHead = 0;
    this.recent.clear();
    this.registry.stop();
    // Let accepted uplinks finish their delivery and counter commits.
    await Promise.allSettled([...this.pendingCommits]);
    await this.downlinks.close();
    await this.counters.close();
    this.rateLog.stop();
    this.started = false;
    this.stopping = false;
  }

  /** SIGHUP: re-read the device registry now. */
  reload(): boolean {
    return this.registry.reload();
  }

  /** An in-process radio (simulator): same message path as a serial radio, without the serial supervisor. */
  attachTransport(t: LinkTransport): void {
    this.opts.metrics.set('radio_up', 1, { radio: t.name });
    t.onClose(() => this.opts.metrics.set('radio_up', 0, { radio: t.name }));
    this.addLink(t);
  }

  /**
   * The publishing side. Called once per accepted uplink, in reception order, without waiting for
   * the previous call to resolve: the handler must take the uplink's place in the delivery order
   * synchronously (before its first await) and resolve once the uplink is durable; only then is the
   * frame counter committed.
   */
  onUplink(handler: (u: Uplink) => Promise<void>): void {
    this.uplinkHandler = handler;
  }

  /** Durably queues a downlink for the device's next class A receive window. */
  async queueDownlink(d: Downlink): Promise<void> {
    const expiresAt = d.expiresAt > 0 ? d.expiresAt : Date.now() + (this.opts.downlinkExpiryMs ?? 24 * 3600_000);
    await this.downlinks.add({ ...d, expiresAt });
  }

  onDownlinkResult(cb: (r: DownlinkResult) => void): void {
    this.resultCbs.push(cb);
  }

  /** Connected radio links (for health reporting). */
  radioStates(): { radio: string; state: string }[] {
    const serial = this.radios.states();
    const known = new Set(serial.map((s) => s.radio));
    for (const id of this.links.keys()) if (!known.has(id)) serial.push({ radio: id, state: 'up' });
    return serial;
  }

  private addLink(t: LinkTransport): RadioLink {
    const link = new RadioLink(t, { log: this.opts.log, metrics: this.opts.metrics, rateLog: this.rateLog }, {
      onMessage: (l, m) => this.onMessage(l, m),
      onClose: (l) => {
        if (this.links.get(l.id) === l) this.links.delete(l.id);
      },
    });
    const old = this.links.get(link.id);
    if (old && old !== link) old.close();
    this.links.set(link.id, link);
    return link;
  }

  private onMessage(link: RadioLink, m: LinkMessage): void {
    if (m.type === LINK_RX) this.onRx(link, m);
    else if (m.type === LINK_TX_RESULT) this.downlinks.onTxResult(m, link.transport.txResultDetail?.(m.id));
    else if (m.type === LINK_STATUS) {
      this.opts.metrics.set('radio_rx_bad', m.rxBad, { radio: link.id });
      this.opts.metrics.set('radio_uptime_seconds', m.uptimeS, { radio: link.id });
    }
    // A TxRequest from a radio is meaningless: ignore.
  }

  private onRx(link: RadioLink, rx: RxPacket): void {
    this.opts.metrics.inc('frames_received_total', { radio: link.id });
    if (!this.started || this.stopping) return;
    const bad = rxMetaProblem(rx, this.opts.region ?? EU868);
    if (bad) {
      // Published metadata and the RX1 downlink (same SF, BW and frequency) would carry it.
      this.opts.metrics.inc('frames_rejected_total', { reason: 'bad_meta' });
      this.rateLog.note(`reject:bad_meta:${link.id}`, 'warn', 'frame rejected: radio metadata outside physical ranges', { radio: link.id, problem: bad });
      return;
    }
    // De-duplicate receptions of the same PHYPayload by several radios (identical bytes, MIC
    // included): the first one opens a window, the others join it; the best RSSI wins.
    // latin1: one character per byte, the cheapest exact string form of the bytes.
    const key = Buffer.from(rx.payload.buffer, rx.payload.byteOffset, rx.payload.byteLength).toString('latin1');
    const now = Date.now();
    const p = this.recent.get(key);
    const windowMs = this.opts.dedupWindowMs ?? 200;
    if (p) {
      p.rx.push({ link, rx, receivedAt: now });
      this.opts.metrics.inc('frames_duplicate_total');
      return;
    }
    const entry: Pending = { key, rx: [{ link, rx, receivedAt: now }], closesAt: now + windowMs, done: false };
    this.recent.set(key, entry);
    this.windows.push(entry);
    // With one radio there is nothing to wait for: process at once (RX1 is only a second away)
    // and keep the key for the window so an echo of the same bytes is still dropped.
    if (this.links.size <= 1) this.fire(entry);
    if (!this.windowTimer) this.armWindowTimer(windowMs);
  }

  private fire(entry: Pending): void {
    if (!entry.done) {
      entry.done = true;
      this.process(entry);
    }
  }

  private armWindowTimer(ms: number): void {
    this.windowTimer = setTimeout(() => this.closeWindows(), Math.max(1, ms));
    this.windowTimer.unref?.();
  }

  /** Processes (if not yet) and forgets every reception whose window has closed. */
  private closeWindows(): void {
    this.windowTimer = undefined;
    const now = Date.now();
    while (this.windowsHead < this.windows.length && this.windows[this.windowsHead]!.closesAt <= now) {
      const e = this.windows[this.windowsHead++]!;
      this.fire(e);
      if (this.recent.get(e.key) === e) this.recent.delete(e.key);
    }
    if (this.windowsHead >= this.windows.length) {
      this.windows = [];
      this.windowsHead = 0;
    } else {
      if (this.windowsHead > 1024) {
        this.windows = this.windows.slice(this.windowsHead);
        this.windowsHead = 0;
      }
      this.armWindowTimer(this.windows[this.windowsHead]!.closesAt - now);
    }
  }

  private process(entry: Pending): void {
    let best = entry.rx[0];
    for (const r of entry.rx) if (r.rx.rssiDbm > best.rx.rssiDbm) best = r;
    const { link, rx, receivedAt } = best;
    if (rx.payload.length > 0 && rx.payload[0] >> 5 === MTYPE_JOIN_REQUEST) {
      void this.join(link, rx).catch((e) => this.opts.log.error('Join-request handling failed', { radio: link.id, error: String(e) }));
      return;
    }
    const res = verifyFrame(rx.payload, {
      candidates: (a) => this.registry.byDevAddr(a),
      lastUp: (sid) => this.counters.lastUp(sid),
    });
    if (!res.ok) {
      if (res.reason === 'replay' && this.retransmission(link, rx, res)) return;
      this.opts.metrics.inc('frames_rejected_total', { reason: res.reason });
      const level = res.reason === 'not_uplink' ? 'debug' : 'warn';
      this.rateLog.note(`reject:${res.reason}`, level, `frame rejected: ${res.reason}`, {
        radio: link.id, devAddr: res.devAddr !== undefined ? hex8(res.devAddr) : undefined, device: res.device?.id, detail: res.detail,
        rssiDbm: rx.rssiDbm,
      });
      return;
    }
    const v = res.v;
    const dev = v.device;
    this.counters.accept(dev.sessionId, dev.id, v.fcnt32);
    if (v.gap) this.opts.log.warn('frame counter jumped (frames lost, or the node was out of range for long)', { device: dev.id, fcnt: v.fcnt32, gap: v.gap });
    if (v.decodeError) this.rateLog.note(`decode:${dev.id}`, 'warn', 'payload not decodable for the device profile; published raw', { device: dev.id, profile: dev.profile, fport: v.frame.fport, error: v.decodeError });
    const meta = this.metaOf(link, rx);
    const u: Uplink = {
      deviceId: dev.id, devAddr: dev.devAddr, fcnt: v.fcnt32, fport: v.frame.fport, confirmed: v.confirmed,
      adr: v.frame.adr, payload: v.payload, readings: v.readings, receivedAt, meta,
    };
    let maxSnrDb = rx.snrDb;
    const radios = new Set<string>();
    for (const r of entry.rx) {
      radios.add(r.link.id);
      if (r.rx.snrDb > maxSnrDb) maxSnrDb = r.rx.snrDb;
    }
    const mac = this.mac.onUplink({
      dev, fopts: v.frame.fopts, fport: v.frame.fport, payload: v.payload, adrBit: v.frame.adr, fcnt32: v.fcnt32, meta,
      gwCount: radios.size, maxSnrDb, receivedAt,
    });
    if (mac.devStatus) u.devStatus = mac.devStatus;
    if (mac.adr) this.opts.log.debug('ADR: LinkADRReq', { device: dev.id, ...mac.adr });
    this.opts.metrics.inc('uplinks_accepted_total', { device: dev.id });
    const delivered = this.deliver(dev, u);
    void this.downlinks.onUplink(dev, { confirmed: v.confirmed, ack: v.frame.ack, meta, mac: mac.fopts, needDownlink: mac.needDownlink }, delivered)
      .catch((e) => this.opts.log.error('downlink scheduling failed', { device: dev.id, error: String(e) }));
  }

  /** An OTAA Join-request: the join server decides, the downlink queue transmits the Join-accept. */
  private async join(link: RadioLink, rx: RxPacket): Promise<void> {
    const r = await this.joins.handle(rx.payload);
    if (!r.ok) {
      this.opts.metrics.inc('joins_rejected_total', { reason: r.reason });
      this.rateLog.note(`join:${r.reason}`, 'warn', `Join-request rejected: ${r.reason}`, { radio: link.id, devEui: r.devEui, detail: r.detail, rssiDbm: rx.rssiDbm });
      return;
    }
    this.opts.metrics.inc('joins_accepted_total');
    const devAddr = hex8(r.devAddr);
    this.opts.log.info('device joined (OTAA); Join-accept scheduled', { device: r.device.id, devAddr, devNonce: r.devNonce, radio: link.id });
    if (!this.downlinks.sendJoinAccept(r.device.id, this.metaOf(link, rx), r.phy, JOIN_ACCEPT_DELAY1_MS, JOIN_ACCEPT_DELAY2_MS)) {
      this.opts.log.warn('Join-accept not transmitted: radio gone', { device: r.device.id, radio: link.id });
    }
  }

  private metaOf(link: RadioLink, rx: RxPacket): RxMeta {
    return {
      gatewayId: this.opts.gatewayId, radioId: link.id, rssiDbm: rx.rssiDbm, snrDb: rx.snrDb,
      freqHz: rx.freqHz, sf: rx.sf, bwHz: rx.bwHz, cr: rx.cr, tsUs: rx.tsUs,
    };
  }

  /**
   * LoRaWAN 1.0.4 §4.3.1.5/§19: a node that missed our ACK retransmits the confirmed uplink with
   * the same FCnt. It is not delivered again (it was), but it is acknowledged again — otherwise
   * the node retries until it gives up and may rejoin or back off. Limited to the last accepted
   * FCnt, after it is durably committed, and to MAX_REACKS per FCnt, so a replayed frame can cost
   * at most a few ACK transmissions and never a publication.
   */
  private retransmission(link: RadioLink, rx: RxPacket, res: { device?: DeviceInfo; fcnt32?: number; frame?: DataFrame }): boolean {
    const dev = res.device;
    const f = res.frame;
    if (!dev || !f || f.mtype !== MTYPE_CONFIRMED_UP || res.fcnt32 === undefined) return false;
    if (res.fcnt32 !== this.counters.committedUp(dev.sessionId)) return false;
    const prev = this.reacks.get(dev.sessionId);
    const n = prev && prev.fcnt === res.fcnt32 ? prev.n : 0;
    if (n >= MAX_REACKS) return false;
    this.reacks.set(dev.sessionId, { fcnt: res.fcnt32, n: n + 1 });
    this.opts.metrics.inc('frames_retransmitted_total');
    this.opts.log.debug('confirmed uplink retransmitted (our ACK was missed); acknowledging again, not republishing', { device: dev.id, fcnt: res.fcnt32 });
    const meta = this.metaOf(link, rx);
    void this.downlinks.onUplink(dev, { confirmed: true, ack: f.ack, meta, retransmission: true }, Promise.resolve())
      .catch((e) => this.opts.log.error('downlink scheduling failed', { device: dev.id, error: String(e) }));
    return true;
  }

  /**
   * Hands u to the publisher at once, in reception order, then commits its FCnt once the handler
   * has resolved (the uplink is durable in the outbox). The handler fixes the uplink's place in the
   * per-device order synchronously, before its first await (gateway/features/ingest.ts: outbox.append assigns the
   * sequence number and queues the record when called, and the outbox writes and fsyncs in that
   * order), so the next uplink of a device does not wait for this one's fsync: consecutive uplinks
   * of one device share a group commit instead of taking one fsync round each, which bounded a
   * device to one uplink per fsync. Commits of one device may overlap (they share fsyncs and only
   * ever move the counter forward); an uplink is never committed before its own record is on disk.
   */
  private deliver(dev: DeviceInfo, u: Uplink): Promise<void> {
    const handler = this.uplinkHandler;
    let handed: Promise<void>;
    try {
      handed = handler ? handler(u) : Promise.resolve();
    } catch (e) {
      handed = Promise.reject(e as Error);
    }
    const p = handed.then(() => this.counters.commitUp(dev.sessionId, dev.id, u.fcnt));
    this.pendingCommits.add(p);
    p.catch((e: unknown) => {
      if (e instanceof KerbError && e.code === 'outbox_unwritable') {
        // The outbox logs the state once when it starts and once when it ends; each refusal is counted.
        this.opts.metrics.inc('uplinks_refused_total', { reason: 'outbox_unwritable' });
        this.rateLog.note('refused', 'debug', 'uplink refused: the outbox cannot store it; frame counter not committed', { device: dev.id, fcnt: u.fcnt });
        return;
      }
      this.opts.metrics.inc('uplink_delivery_failures_total');
      this.rateLog.note('delivery', 'error', 'uplink not accepted by the publisher; frame counter not committed', { device: dev.id, fcnt: u.fcnt, error: String(e) });
    }).finally(() => this.pendingCommits.delete(p));
    return p;
  }
}
