// A test radio bridge speaking the kerb serial link (shared/link, docs/protocol.md §3) on a real
// serial device (one end of a socat pty pair): it reports received LoRa frames as RxPacket, sends
// the periodic Status heartbeat, records TxRequests and answers them with a TxResult. Its radio
// clock is microseconds since it started, wrapping at 2^32 like a real SX127x bridge timer.
import { SerialPort } from 'serialport';
import { performance } from 'node:perf_hooks';
import { encodeLinkMessage, createDeframer, LINK_RX, LINK_TX, LINK_TX_RESULT, LINK_STATUS, LINK_TX_OK } from '../../shared/link/link.ts';
import type { LinkMessage, TxRequest, RxPacket } from '../../shared/link/link.ts';

export interface TestRadioOptions {
  path: string;
  baudRate?: number;
  /** Status heartbeat period; 0 = none. Default 300 ms. */
  statusMs?: number;
  /** TxResult status to answer TxRequests with (undefined = do not answer). Default LINK_TX_OK. */
  txStatus?: number | undefined;
}

export interface RxOptions {
  rssiDbm?: number; snrDb?: number; freqHz?: number; sf?: number; bwHz?: number; cr?: number; tsUs?: number;
}

export class TestRadio {
  readonly txRequests: TxRequest[] = [];
  readonly received: LinkMessage[] = [];
  linkErrors = 0;
  private port: SerialPort | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private readonly t0 = performance.now();
  private txWaiters: ((t: TxRequest) => void)[] = [];
  private counters = { rxOk: 0, rxBad: 0, txOk: 0, txFail: 0 };
  txStatus: number | undefined;
  /** Per-request answer (overrides txStatus): TxResult status, or undefined for no answer. */
  answer: ((tx: TxRequest) => number | undefined) | undefined;

  private readonly o: TestRadioOptions;
  constructor(o: TestRadioOptions) {
    this.o = o;
    this.txStatus = 'txStatus' in o ? o.txStatus : LINK_TX_OK;
  }

  /** Radio clock now, µs (uint32, wraps). */
  clockUs(): number {
    return Math.floor((performance.now() - this.t0) * 1000) % 4294967296;
  }

  async open(): Promise<void> {
    const port = new SerialPort({ path: this.o.path, baudRate: this.o.baudRate ?? 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    port.on('error', () => { /* the pty pair went away: the test reopens */ });
    const deframer = createDeframer((m) => this.onMessage(m), () => { this.linkErrors++; });
    port.on('data', (b: Buffer) => deframer.push(new Uint8Array(b.buffer, b.byteOffset, b.length)));
    this.port = port;
    const ms = this.o.statusMs ?? 300;
    if (ms > 0) {
      this.sendStatus();
      this.statusTimer = setInterval(() => this.sendStatus(), ms);
    }
  }

  async close(): Promise<void> {
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusTimer = undefined;
    const p = this.port;
    this.port = undefined;
    if (p?.isOpen) await new Promise<void>((r) => p.close(() => r()));
  }

  /** Stops (or restarts) the heartbeat, to simulate a hung radio. */
  setHeartbeat(on: boolean): void {
    if (!on && this.statusTimer) {
      clearInterval(this.statusTimer);
      this.statusTimer = undefined;
    } else if (on && !this.statusTimer) this.statusTimer = setInterval(() => this.sendStatus(), this.o.statusMs ?? 300);
  }

  writeRaw(bytes: Uint8Array): void {
    this.port?.write(Buffer.from(bytes));
  }

  send(m: LinkMessage): void {
    m.seq = this.seq;
    this.seq = (this.seq + 1) & 255;
    this.writeRaw(encodeLinkMessage(m));
  }

  /** Reports a received LoRa frame; returns the RxPacket sent (tsUs = radio clock now unless given). */
  uplink(payload: Uint8Array, o: RxOptions = {}): RxPacket {
    const m: RxPacket = {
      type: LINK_RX, payload,
      rssiDbm: o.rssiDbm ?? -87, snrDb: o.snrDb ?? 7.25, freqHz: o.freqHz ?? 868100000,
      sf: o.sf ?? 7, bwHz: o.bwHz ?? 125000, cr: o.cr ?? 1, tsUs: o.tsUs ?? this.clockUs(),
    };
    this.counters.rxOk++;
    this.send(m);
    return m;
  }

  /** Resolves with the next TxRequest (or one already received and not yet taken). */
  nextTx(timeoutMs = 5000): Promise<TxRequest> {
    const have = this.txRequests.shift();
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.txWaiters = this.txWaiters.filter((w) => w !== cb);
        reject(new Error(`no TxRequest within ${timeoutMs} ms`));
      }, timeoutMs);
      const cb = (tx: TxRequest): void => {
        clearTimeout(t);
        resolve(tx);
      };
      this.txWaiters.push(cb);
    });
  }

  private sendStatus(): void {
    this.send({
      type: LINK_STATUS, uptimeS: Math.floor((performance.now() - this.t0) / 1000), fwVersion: (1 << 16) | (2 << 8) | 3,
      rxOk: this.counters.rxOk, rxBad: this.counters.rxBad, txOk: this.counters.txOk, txFail: this.counters.txFail,
    });
  }

  private onMessage(m: LinkMessage): void {
    this.received.push(m);
    if (m.type !== LINK_TX) return;
    const status = this.answer ? this.answer(m) : this.txStatus;
    if (status !== undefined) {
      if (status === LINK_TX_OK) this.counters.txOk++;
      else this.counters.txFail++;
      this.send({ type: LINK_TX_RESULT, id: m.id, status, tsUs: status === LINK_TX_OK ? m.atUs : 0 });
    }
    const w = this.txWaiters.shift();
    if (w) w(m);
    else this.txRequests.push(m);
  }
}
