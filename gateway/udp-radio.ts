// A Semtech UDP packet forwarder (lora_pkt_fwd on an SX1301/SX1302 concentrator) as a kerb radio.
// One dgram socket serves every forwarder; each gateway EUI becomes one radio named `udp:<eui>`
// that speaks the kerb link (shared/link) to ingest through a LinkTransport, so its receptions take
// the same path as serial frames: de-duplication across radios, verification, counters, outbox.
//
// PROTOCOL.TXT (Lora-net/packet_forwarder): PUSH_DATA is answered with PUSH_ACK (§3.3), PULL_DATA
// with PULL_ACK (§5.3) and remembered as the address for PULL_RESP (§5.2: the forwarder keeps the
// route open through NAT); rxpk with stat 1 (CRC ok, §4) become link RxPackets; a TxRequest becomes
// a txpk timed on the concentrator counter (§6, imme false), and the TX_ACK error (§5.5, §6) becomes
// the TxResult (and its name, txResultDetail, into the downlink result's reason). `stat` (§4) is the
// heartbeat: no stat for 3× the stat interval → the radio is reported down (kept, with its EUI and
// when it was last heard, until it is heard again).
import * as dgram from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { createDeframer, encodeLinkMessage, LINK_RX, LINK_TX, LINK_TX_RESULT, LINK_TX_OK, LINK_TX_TOO_LATE, LINK_TX_TOO_EARLY, LINK_TX_BUSY, LINK_TX_HW, LINK_TX_INVALID } from '../shared/link/link.ts';
import type { Deframer, TxRequest } from '../shared/link/link.ts';
import type { LinkTransport, Logger, Metrics } from './types.ts';
import type { UdpRadioConfig } from './udp-config.ts';
import { RateLog } from './rate-log.ts';
import { decodeDatagram, encodeAck, encodePullResp, MAX_DATAGRAM } from './semtech-udp.ts';
import type { Rxpk, Stat } from './semtech-udp.ts';

/** TX_ACK error (PROTOCOL.TXT §6) → link TxResult status; RX1 misses (late, collision) make the queue try RX2. */
export function txAckStatus(error: string): number {
  switch (error) {
    case 'NONE': return LINK_TX_OK;
    case 'TOO_LATE': return LINK_TX_TOO_LATE;
    case 'TOO_EARLY': return LINK_TX_TOO_EARLY;
    case 'COLLISION_PACKET':
    case 'COLLISION_BEACON': return LINK_TX_BUSY;
    case 'TX_FREQ':
    case 'TX_POWER':
    case 'GPS_UNLOCKED': return LINK_TX_INVALID;
    default: return LINK_TX_HW;
  }
}

/** A PULL_RESP not answered by TX_ACK within this is forgotten (the downlink queue has its own timeout). */
const TX_ACK_WAIT_MS = 10_000;

interface Deps { log: Logger; metrics: Metrics; rateLog: RateLog }

/** One forwarder (gateway EUI) seen through the shared socket, as a kerb link transport. */
class Forwarder implements LinkTransport {
  readonly name: string;
  readonly eui: string;
  pullAddr: { address: string; port: number } | undefined;
  lastStat: Stat | undefined;
  /** performance.now() of the last stat (or of the first datagram, before any stat). */
  lastStatAt = performance.now();
  /** Wall-clock time (ms) of the last datagram of any kind, for /health. */
  lastSeenMs = Date.now();
  /** No stat for 3× the stat interval. */
  down = false;
  /** TX_ACK error of the TxResult being emitted, for txResultDetail(). */
  private ackError: { txId: number; error: string } | undefined;
  private dataCbs: ((chunk: Uint8Array) => void)[] = [];
  private closeCbs: ((err?: Error) => void)[] = [];
  private closed = false;
  private seq = 0;
  private readonly deframer: Deframer;
  private readonly pending = new Map<number, { txId: number; timer: NodeJS.Timeout }>();
  private readonly send: (b: Uint8Array, to: { address: string; port: number }) => void;
  private readonly d: Deps;

  constructor(eui: string, d: Deps, send: (b: Uint8Array, to: { address: string; port: number }) => void) {
    this.eui = eui;
    this.name = `udp:${eui}`;
    this.d = d;
    this.send = send;
    // Ingest writes framed link messages; only TxRequest means something to a forwarder.
    this.deframer = createDeframer((m) => {
      if (m.type === LINK_TX) this.transmit(m);
    }, () => {});
  }

  write(bytes: Uint8Array): void {
    if (!this.closed) this.deframer.push(bytes);
  }

  onData(cb: (chunk: Uint8Array) => void): void { this.dataCbs.push(cb); }
  onClose(cb: (err?: Error) => void): void { this.closeCbs.push(cb); }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    for (const cb of this.closeCbs) cb();
  }

  get isClosed(): boolean { return this.closed; }

  private emit(m: Parameters<typeof encodeLinkMessage>[0]): void {
    m.seq = this.seq;
    this.seq = (this.seq + 1) & 255;
    const b = encodeLinkMessage(m);
    for (const cb of this.dataCbs) cb(b);
  }

  rx(p: Rxpk): void {
    this.emit({
      type: LINK_RX, payload: p.payload, rssiDbm: Math.max(-32768, Math.min(32767, p.rssiDbm)),
      // The link carries SNR as int8 quarter-dB (−32..+31.75); concentrators report within that.
      snrDb: Math.max(-32, Math.min(31.75, Math.round(p.snrDb * 4) / 4)),
      freqHz: p.freqHz, sf: p.sf, bwHz: p.bwHz, cr: p.cr, tsUs: p.tmst >>> 0,
    });
  }

  private result(txId: number, status: number): void {
    this.emit({ type: LINK_TX_RESULT, id: txId, status, tsUs: 0 });
  }

  private transmit(req: TxRequest): void {
    const to = this.pullAddr;
    if (!to) {
      this.d.log.warn('downlink not sent: the forwarder has not sent PULL_DATA yet (serv_port_down?)', { radio: this.name });
      queueMicrotask(() => this.result(req.id, LINK_TX_HW));
      return;
    }
    let token = Math.floor(Math.random() * 0x10000);
    while (this.pending.has(token)) token = (token + 1) & 0xffff;
    const timer = setTimeout(() => this.pending.delete(token), TX_ACK_WAIT_MS);
    timer.unref?.();
    this.pending.set(token, { txId: req.id, timer });
    this.send(encodePullResp(token, {
      tmst: req.atUs, freqHz: req.freqHz, powerDbm: req.powerDbm, sf: req.sf, bwHz: req.bwHz, cr: req.cr,
      invertIq: req.invertIq, payload: req.payload,
    }), to);
    this.d.metrics.inc('udp_pull_resp_total', { radio: this.name });
  }

  txAck(token: number, error: string): void {
    const p = this.pending.get(token);
    if (!p) return; // late or unknown: the downlink queue has already timed it out
    this.pending.delete(token);
    clearTimeout(p.timer);
    this.d.metrics.inc('udp_tx_ack_total', { radio: this.name, error });
    if (error !== 'NONE') this.d.log.warn('forwarder refused a downlink', { radio: this.name, error });
    // The TxResult reaches ingest synchronously (through the link deframer), which asks for the name then.
    this.ackError = { txId: p.txId, error };
    try {
      this.result(p.txId, txAckStatus(error));
    } finally {
      this.ackError = undefined;
    }
  }

  /** The forwarder's own name for the TxResult being delivered: `TX_ACK <error>` (PROTOCOL.TXT §6). */
  txResultDetail(txId: number): string | undefined {
    const a = this.ackError;
    return a && a.txId === txId && a.error !== 'NONE' ? `TX_ACK ${a.error}` : undefined;
  }
}

/** A forwarder as /health shows it. */
export interface ForwarderState {
  radio: string;
  gatewayEui: string;
  /** false once no stat came for 3× the stat interval, until the next one. */
  up: boolean;
  /** Last datagram of any kind, ISO 8601. */
  lastSeen: string;
  pullAddress: string | undefined;
  stat: Stat | undefined;
}

export interface UdpRadioOptions {
  config: UdpRadioConfig;
  log: Logger;
  metrics: Metrics;
  /** Hands a newly heard forwarder to ingest (Ingest.attachTransport). */
  attach(t: LinkTransport): void;
  /** How often liveness is checked. Default 1000 ms, or half the down limit when that is shorter. */
  checkIntervalMs?: number;
}

/** The UDP socket and the forwarders heard on it. */
export class UdpRadio {
  private socket: dgram.Socket | undefined;
  private readonly forwarders = new Map<string, Forwarder>();
  private readonly rateLog: RateLog;
  private check: NodeJS.Timeout | undefined;
  private readonly o: UdpRadioOptions;
  private readonly allowAny: boolean;
  private readonly allow: Set<string>;

  constructor(o: UdpRadioOptions) {
    this.o = o;
    this.rateLog = new RateLog(o.log, 60_000);
    this.allowAny = o.config.allow.includes('*');
    this.allow = new Set(o.config.allow);
  }

  /** Binds the socket; rejects (naming host and port) when it cannot. */
  async start(): Promise<void> {
    const { host, port } = this.o.config;
    const s = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      s.once('error', (e) => reject(new Error(`udp radio: cannot bind ${host}:${port}: ${e.message}`)));
      s.bind(port, host, () => resolve());
    });
    s.on('error', (e) => this.o.log.error('udp radio socket error', { error: String(e) }));
    s.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo));
    this.socket = s;
    this.check = setInterval(() => this.liveness(), this.o.checkIntervalMs ?? Math.min(1000, 1.5 * this.o.config.statIntervalS * 1000));
    this.check.unref?.();
    this.o.log.info('udp radio listening for packet forwarders', { host, port: this.port, allow: this.o.config.allow });
  }

  get port(): number { return this.socket?.address().port ?? 0; }

  async stop(): Promise<void> {
    if (this.check) clearInterval(this.check);
    this.check = undefined;
    for (const f of this.forwarders.values()) f.close();
    this.forwarders.clear();
    this.rateLog.stop();
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  private drop(reason: string, rinfo: dgram.RemoteInfo, detail?: string): void {
    this.o.metrics.inc('udp_datagrams_dropped_total', { reason });
    this.rateLog.note(`udp:${reason}`, 'warn', `udp datagram dropped: ${reason}`, { from: `${rinfo.address}:${rinfo.port}`, detail });
  }

  private sendTo(b: Uint8Array, to: { address: string; port: number }): void {
    this.socket?.send(b, to.port, to.address, (e) => {
      if (e) this.o.log.warn('udp send failed', { to: `${to.address}:${to.port}`, error: String(e) });
    });
  }

  private forwarder(eui: string): Forwarder {
    let f = this.forwarders.get(eui);
    if (f && !f.isClosed) return f;
    f = new Forwarder(eui, { log: this.o.log, metrics: this.o.metrics, rateLog: this.rateLog }, (b, to) => this.sendTo(b, to));
    this.forwarders.set(eui, f);
    this.o.log.info('packet forwarder up', { radio: f.name, gatewayEui: eui });
    this.o.attach(f);
    return f;
  }

  private onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      if (!this.allowAny && !this.allow.has(rinfo.address)) return this.drop('not_allowed', rinfo);
      if (msg.length > MAX_DATAGRAM) return this.drop('oversized', rinfo, `${msg.length} bytes`);
      const r = decodeDatagram(msg);
      if (!r.ok) return this.drop('malformed', rinfo, r.reason);
      const d = r.d;
      this.o.metrics.inc('udp_datagrams_total', { kind: d.kind });
      const from = { address: rinfo.address, port: rinfo.port };
      if (d.kind !== 'push_data' && d.kind !== 'pull_data' && d.kind !== 'tx_ack') {
        // Server → gateway messages: a forwarder never sends them.
        return this.drop('unexpected', rinfo, d.kind);
      }
      const known = this.forwarders.get(d.eui);
      if (known) known.lastSeenMs = Date.now();
      if (d.kind === 'push_data') {
        this.sendTo(encodeAck('push_ack', d.token), from);
        const f = this.forwarder(d.eui);
        if (d.stat) {
          f.lastStat = d.stat;
          f.lastStatAt = performance.now();
          if (f.down) {
            f.down = false;
            this.o.metrics.set('radio_up', 1, { radio: f.name });
            this.o.log.info('packet forwarder up again', { radio: f.name, gatewayEui: f.eui });
          }
          for (const [k, v] of Object.entries(d.stat)) if (typeof v === 'number') this.o.metrics.set(`udp_forwarder_${k}`, v, { radio: f.name });
        }
        for (const why of d.skipped) this.rateLog.note(`udp:rxpk:${f.name}`, 'warn', 'rxpk skipped', { radio: f.name, reason: why });
        for (const p of d.rxpk) {
          if (!p.crcOk) {
            this.o.metrics.inc('udp_rxpk_crc_bad_total', { radio: f.name });
            continue;
          }
          f.rx(p);
        }
      } else if (d.kind === 'pull_data') {
        this.sendTo(encodeAck('pull_ack', d.token), from);
        this.forwarder(d.eui).pullAddr = from;
      } else {
        known?.txAck(d.token, d.error);
      }
    } catch (e) {
      this.o.log.error('udp datagram handler failed', { from: `${rinfo.address}:${rinfo.port}`, error: String(e) });
    }
  }

  private liveness(): void {
    const limit = 3 * this.o.config.statIntervalS * 1000;
    for (const f of this.forwarders.values()) {
      const silent = performance.now() - f.lastStatAt;
      if (silent > limit && !f.down) {
        // Reported, not forgotten: /health keeps showing which forwarder went quiet and since when.
        f.down = true;
        this.o.metrics.set('radio_up', 0, { radio: f.name });
        this.o.log.warn('packet forwarder down: no stat', { radio: f.name, gatewayEui: f.eui, silentS: Math.round(silent / 1000), statIntervalS: this.o.config.statIntervalS });
      }
    }
  }

  /** Every forwarder heard since start, for health reporting. */
  states(): ForwarderState[] {
    return [...this.forwarders.values()].map((f) => ({
      radio: f.name, gatewayEui: f.eui, up: !f.down, lastSeen: new Date(f.lastSeenMs).toISOString(),
      pullAddress: f.pullAddr ? `${f.pullAddr.address}:${f.pullAddr.port}` : undefined, stat: f.lastStat,
    }));
  }
}
