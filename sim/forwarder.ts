// A simulated gateway site as Semtech's packet forwarder (lora_pkt_fwd) on a concentrator: it
// speaks the Semtech UDP protocol v2 (PROTOCOL.TXT in Lora-net/packet_forwarder) on a real UDP
// socket to the real kerb gateway, from the specification and independent of gateway/semtech-udp.ts:
//  - every frame the site decoded goes up as an `rxpk` in PUSH_DATA (§3, §4): tmst = the
//    concentrator's µs counter at "RX finished" = virtual µs (sim/radio-clock.ts), freq in MHz,
//    datr "SF7BW125", codr, rssi, lsnr; up to 8 per datagram (lora_pkt_fwd NB_PKT_MAX);
//  - PULL_DATA every keepalive interval (§5.2; lora_pkt_fwd default 5 s) keeps the downstream
//    route open; `stat` (§4) every stat interval (default 30 s), on virtual time and at least every
//    10 s of wall time (a paused simulation is still a live forwarder);
//  - PULL_RESP `txpk` (§5.4, §6) is checked as lora_pkt_fwd's just-in-time queue does
//    (jitqueue.c: too late under TX_START_DELAY + TX_JIT_DELAY = 31.5 ms before tmst, too early
//    beyond 512 s, a collision with a packet already programmed, a frequency the TX chain cannot
//    use) and answered at once with TX_ACK (§5.5) carrying the error or none; accepted packets are
//    transmitted by the medium at tmst in virtual time, into the nodes' receive windows.
import * as dgram from 'node:dgram';
import type { Fleet } from './fleet.ts';
import type { AirFrame } from './medium.ts';
import { tsUsOf, virtualAt } from './radio-clock.ts';

const PUSH_DATA = 0;
const PUSH_ACK = 1;
const PULL_DATA = 2;
const PULL_RESP = 3;
const PULL_ACK = 4;
const TX_ACK = 5;
/** lora_pkt_fwd.c NB_PKT_MAX: packets per fetch cycle, hence per PUSH_DATA. */
const NB_PKT_MAX = 8;
/** jitqueue.c: a packet must be queued TX_START_DELAY + TX_JIT_DELAY before its tmst. */
const JIT_LEAD_MS = 31.5;
/** jitqueue.h TX_MAX_ADVANCE_DELAY = (JIT_NUM_BEACON_IN_QUEUE + 1) × 128 s. */
const MAX_ADVANCE_MS = 512_000;

export interface ForwarderOptions {
  /** The kerb gateway's UDP port (on 127.0.0.1). */
  serverPort: number;
  /** Gateway EUI, 16 hex digits. */
  eui: string;
  keepaliveS?: number;
  statS?: number;
  /** Frequencies (Hz) the TX chain accepts (lora_pkt_fwd's tx_freq_min/max). */
  txRangeHz: [number, number];
}

/** Derives a site's gateway EUI from its index (locally administered, recognisable in logs). */
export function simGatewayEui(index: number): string {
  return `5ee1000000${(index + 1).toString(16).padStart(6, '0')}`;
}

function b64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** "SF9BW125" → {sf, bwHz}. */
function datr(s: unknown): { sf: number; bwHz: number } | null {
  const m = typeof s === 'string' ? /^SF(\d+)BW(\d+)$/.exec(s) : null;
  return m ? { sf: Number(m[1]), bwHz: Number(m[2]) * 1000 } : null;
}

export class SimForwarder {
  readonly counts = { rx: 0, tx: 0, txOk: 0, txRejected: 0 };
  /** TX_ACK errors sent, by error. */
  readonly txAckErrors: Record<string, number> = {};
  readonly pushAcks = { sent: 0, acked: 0 };
  pullAcked = false;
  /** Called with the target node of each PULL_RESP (lockstep releases its hold). */
  onTxRequest: ((node: number) => void) | null = null;
  readonly gw: number;
  /** Gateway EUI (16 hex digits), as the kerb gateway names the radio: `udp:<eui>`. */
  readonly euiHex: string;
  private readonly fleet: Fleet;
  private readonly o: ForwarderOptions;
  private readonly socket = dgram.createSocket('udp4');
  private readonly eui: Buffer;
  private token = Math.floor(Math.random() * 0x10000);
  private queue: Record<string, unknown>[] = [];
  private lastKeepalive = -Infinity;
  private lastStat = -Infinity;
  private wallStat = 0;
  private wallTimer: NodeJS.Timeout | undefined;
  private stat = { rxnb: 0, rxok: 0, rxfw: 0, dwnb: 0, txnb: 0 };
  private closed = false;

  constructor(fleet: Fleet, gw: number, o: ForwarderOptions) {
    this.fleet = fleet;
    this.gw = gw;
    this.o = o;
    this.eui = Buffer.from(o.eui, 'hex');
    this.euiHex = o.eui;
    this.socket.on('message', (m) => this.fromServer(m));
    this.socket.on('error', () => {});
  }

  /** Binds, sends PULL_DATA and waits for the PULL_ACK (the server knows where downlinks go). */
  async start(timeoutMs = 5000): Promise<void> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', () => r()));
    const until = Date.now() + timeoutMs;
    while (!this.pullAcked) {
      if (Date.now() > until) throw new Error(`simulated packet forwarder ${this.o.eui}: no PULL_ACK from 127.0.0.1:${this.o.serverPort}`);
      this.keepalive();
      await new Promise((r) => setTimeout(r, 5));
    }
    this.sendStat();
    this.wallTimer = setInterval(() => {
      if (Date.now() - this.wallStat >= 10_000) {
        this.keepalive();
        this.sendStat();
      }
    }, 2000);
    this.wallTimer.unref?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.wallTimer) clearInterval(this.wallTimer);
    await new Promise<void>((r) => this.socket.close(() => r()));
  }

  private send(b: Buffer): void {
    if (!this.closed) this.socket.send(b, this.o.serverPort, '127.0.0.1');
  }

  private header(id: number, withEui: boolean, token = this.nextToken()): Buffer {
    const h = Buffer.alloc(withEui ? 12 : 4);
    h[0] = 2;
    h.writeUInt16BE(token, 1);
    h[3] = id;
    if (withEui) this.eui.copy(h, 4);
    return h;
  }

  private nextToken(): number {
    this.token = (this.token + 1) & 0xffff;
    return this.token;
  }

  private keepalive(): void {
    this.lastKeepalive = this.fleet.clock.now();
    this.send(this.header(PULL_DATA, true));
  }

  private push(body: Record<string, unknown>): void {
    this.pushAcks.sent++;
    this.send(Buffer.concat([this.header(PUSH_DATA, true), Buffer.from(JSON.stringify(body))]));
  }

  private sendStat(): void {
    const now = this.fleet.clock.now();
    this.lastStat = now;
    this.wallStat = Date.now();
    const t = new Date(this.fleet.startEpochMs + now).toISOString();
    const g = this.fleet.gateways[this.gw]!;
    const ackr = this.pushAcks.sent ? Math.round((1000 * this.pushAcks.acked) / this.pushAcks.sent) / 10 : 100;
    this.push({ stat: { time: `${t.slice(0, 10)} ${t.slice(11, 19)} GMT`, lati: g.lat, long: g.lon, alti: 20, ...this.stat, ackr } });
  }

  /** A frame this site decoded (medium observer). Queued; flush() sends it. */
  deliver(f: AirFrame, rssiDbm: number, snrDb: number): void {
    this.counts.rx++;
    this.stat.rxnb++;
    this.stat.rxok++;
    this.stat.rxfw++;
    const freq = this.fleet.gatewayRadio.freqs.indexOf(f.freqHz);
    this.queue.push({
      time: new Date(this.fleet.startEpochMs + f.endMs).toISOString(),
      tmst: tsUsOf(f.endMs),
      chan: Math.max(0, freq),
      rfch: 0,
      freq: Number((f.freqHz / 1e6).toFixed(6)),
      stat: 1,
      modu: 'LORA',
      datr: `SF${f.sf}BW${f.bwHz / 1000}`,
      codr: `4/${4 + f.cr}`,
      rssi: Math.round(rssiDbm),
      lsnr: Math.round(snrDb * 10) / 10,
      size: f.payload.length,
      data: b64(f.payload),
    });
    if (this.queue.length >= NB_PKT_MAX) this.flush();
  }

  /** Sends what was queued (the forwarder's fetch cycle) and the periodic keepalive and stat. */
  flush(): void {
    while (this.queue.length) this.push({ rxpk: this.queue.splice(0, NB_PKT_MAX) });
    const now = this.fleet.clock.now();
    if (now - this.lastKeepalive >= (this.o.keepaliveS ?? 5) * 1000) this.keepalive();
    if (now - this.lastStat >= (this.o.statS ?? 30) * 1000) this.sendStat();
  }

  private fromServer(m: Buffer): void {
    if (m.length < 4 || m[0] !== 2) return;
    const id = m[3];
    if (id === PUSH_ACK) this.pushAcks.acked++;
    else if (id === PULL_ACK) this.pullAcked = true;
    else if (id === PULL_RESP) {
      this.stat.dwnb++;
      let error = 'NONE';
      try {
        const txpk = (JSON.parse(m.subarray(4).toString('utf8')) as { txpk?: Record<string, unknown> }).txpk;
        error = txpk ? this.transmit(txpk) : 'TX_FREQ';
      } catch {
        error = 'TX_FREQ';
      }
      this.txAckErrors[error] = (this.txAckErrors[error] ?? 0) + 1;
      // §5.5: TX_ACK carries the PULL_RESP's token; no JSON (or error NONE) means accepted.
      const body = error === 'NONE' ? Buffer.alloc(0) : Buffer.from(JSON.stringify({ txpk_ack: { error } }));
      this.send(Buffer.concat([this.header(TX_ACK, true, m.readUInt16BE(1)), body]));
    }
  }

  /** Programs a txpk like lora_pkt_fwd's JIT queue; returns the TX_ACK error. */
  private transmit(t: Record<string, unknown>): string {
    this.counts.tx++;
    const fleet = this.fleet;
    const now = fleet.clock.now();
    const data = typeof t.data === 'string' ? new Uint8Array(Buffer.from(t.data, 'base64')) : new Uint8Array(0);
    const target = this.targetOf(data);
    this.onTxRequest?.(target);
    const dr = datr(t.datr);
    const freqHz = typeof t.freq === 'number' ? Math.round(t.freq * 1e6) : 0;
    const reject = (e: string): string => {
      this.counts.txRejected++;
      return e;
    };
    if (!dr || freqHz < this.o.txRangeHz[0] || freqHz > this.o.txRangeHz[1]) return reject('TX_FREQ');
    const at = t.imme === true ? now : typeof t.tmst === 'number' ? virtualAt(t.tmst >>> 0, now) : -Infinity;
    if (at - now < (t.imme === true ? 0 : JIT_LEAD_MS)) return reject('TOO_LATE');
    if (at - now > MAX_ADVANCE_MS) return reject('TOO_EARLY');
    if (fleet.medium.gatewayFreeAt(this.gw) > at - 1) return reject('COLLISION_PACKET');
    const codr = typeof t.codr === 'string' ? /^4\/([5-8])$/.exec(t.codr) : null;
    this.counts.txOk++;
    this.stat.txnb++;
    fleet.stats.downlinksSent++;
    fleet.stats.gwDownlinks[this.gw]!++;
    fleet.medium.gatewayTransmit(
      this.gw,
      { freqHz, sf: dr.sf, bwHz: dr.bwHz, cr: codr ? Number(codr[1]) - 4 : 1, powerDbm: typeof t.powe === 'number' ? t.powe : 14, invertIq: t.ipol === true },
      data,
      at,
      target,
    );
    return 'NONE';
  }

  /** Node index from the DevAddr the simulator assigns (0x26000000 | index + 1); -1 if not ours. */
  private targetOf(phy: Uint8Array): number {
    if (phy.length < 5) return -1;
    const a = (phy[1]! | (phy[2]! << 8) | (phy[3]! << 16) | (phy[4]! << 24)) >>> 0;
    const i = (a & 0xffffff) - 1;
    return a >>> 24 === 0x26 && i >= 0 && i < this.fleet.devices.length ? i : -1;
  }
}
