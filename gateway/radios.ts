// Radios: the kerb serial link (shared/link, docs/protocol.md §3) over any LinkTransport, and the
// supervisor that keeps serial radios open.
//
// Failure detection is active, because node-serialport emits no 'close' on some USB unplugs and a
// half-dead adapter can stay "open" forever: (1) the link heartbeat — the radio sends Status
// periodically, and no valid link message for heartbeatTimeoutMs means the radio is gone; (2) the
// port's close/error events; (3) the configured path still existing (a /dev/serial/by-id link
// vanishes on unplug). A dead port is closed and reopened with capped exponential backoff and
// jitter; each state change is logged once, never each retry.
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createDeframer, encodeLinkMessage, LINK_STATUS, LINK_ERR_OVERSIZE, LINK_ERR_COBS, LINK_ERR_SHORT, LINK_ERR_CRC, LINK_ERR_TYPE, LINK_ERR_LENGTH } from '../shared/link/link.ts';
import type { LinkMessage, Status, Deframer } from '../shared/link/link.ts';
import type { LinkTransport, Logger, Metrics } from './types.ts';
import { KerbError } from './types.ts';
import { SerialTransport, DEFAULT_BAUD } from './serial.ts';
import { RateLog } from './rate-log.ts';

export function linkErrorReason(code: number): string {
  switch (code) {
    case LINK_ERR_OVERSIZE: return 'oversize';
    case LINK_ERR_COBS: return 'cobs';
    case LINK_ERR_SHORT: return 'short';
    case LINK_ERR_CRC: return 'crc';
    case LINK_ERR_TYPE: return 'type';
    case LINK_ERR_LENGTH: return 'length';
    default: return `code_${code}`;
  }
}

export interface RadioLinkHandlers {
  onMessage(link: RadioLink, m: LinkMessage): void;
  onClose(link: RadioLink, err?: Error): void;
}

/** One transport speaking the kerb link: deframes, counts errors, sends messages. */
export class RadioLink {
  readonly id: string;
  /** performance.now() of the last valid link message (heartbeat). */
  lastMessageAt = performance.now();
  /** Deframer errors since the last valid message (tells garbage from silence). */
  errorsSinceMessage = 0;
  messages = 0;
  lastStatus: Status | undefined;
  private readonly deframer: Deframer;
  private closed = false;
  private firstMessageCbs: (() => void)[] = [];
  private lastSeq = -1;

  readonly transport: LinkTransport;
  constructor(transport: LinkTransport, deps: { log: Logger; metrics: Metrics; rateLog: RateLog }, handlers: RadioLinkHandlers) {
    this.transport = transport;
    this.id = transport.name;
    this.deframer = createDeframer(
      (m) => {
        this.lastMessageAt = performance.now();
        this.errorsSinceMessage = 0;
        this.messages++;
        if (this.messages === 1) for (const cb of this.firstMessageCbs.splice(0)) cb();
        if (typeof m.seq === 'number') {
          // seq is the radio's message counter (uint8): a gap means messages lost on the wire.
          if (this.lastSeq >= 0) {
            const lost = (m.seq - this.lastSeq - 1 + 256) % 256;
            if (lost > 0 && lost < 128) deps.metrics.inc('link_messages_lost_total', { radio: this.id }, lost);
          }
          this.lastSeq = m.seq;
        }
        if (m.type === LINK_STATUS) this.lastStatus = m;
        // Caught per message, inside the deframer's callback: a throwing handler must cost only its
        // own message, not the rest of the chunk being deframed (which would then fail its CRC).
        try {
          handlers.onMessage(this, m);
        } catch (e) {
          deps.log.error('radio message handler failed', { radio: this.id, error: String(e) });
        }
      },
      (code) => {
        this.errorsSinceMessage++;
        const reason = linkErrorReason(code);
        deps.metrics.inc('link_errors_total', { radio: this.id, reason });
        deps.rateLog.note(`link:${this.id}:${reason}`, 'warn', 'serial link error (garbage or corrupted bytes)', { radio: this.id, reason });
      },
    );
    transport.onData((chunk) => {
      try {
        this.deframer.push(chunk);
      } catch (e) {
        // The deframer never throws on wire data and handlers are caught above; belt and braces.
        deps.log.error('radio link failed to deframe', { radio: this.id, error: String(e) });
      }
    });
    transport.onClose((err) => {
      if (this.closed) return;
      this.closed = true;
      handlers.onClose(this, err);
    });
  }

  get isOpen(): boolean { return !this.closed; }

  /** cb runs once, on the first valid link message (the radio is really there and speaking). */
  onFirstMessage(cb: () => void): void {
    if (this.messages > 0) cb();
    else this.firstMessageCbs.push(cb);
  }

  send(m: LinkMessage): boolean {
    if (this.closed) return false;
    this.transport.write(encodeLinkMessage(m));
    return true;
  }

  close(): void {
    this.transport.close();
  }
}

export interface RadioConfig { path: string; baudRate?: number }

export interface RadioManagerOptions {
  radios: RadioConfig[];
  log: Logger;
  metrics: Metrics;
  /** Turns an opened transport into a link wired to the ingest. */
  attach(t: LinkTransport): RadioLink;
  /** No valid link message for this long → the radio is dead. Default 30 s (radios send Status every ≤ 10 s). */
  heartbeatTimeoutMs?: number;
  /** Reconnect backoff: first delay, cap. Defaults 500 ms, 30 s. */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** How often liveness (heartbeat, path) is checked. Default 1000 ms. */
  checkIntervalMs?: number;
}

type RadioState = 'connecting' | 'open' | 'up' | 'backoff' | 'stopped';

/** Keeps one serial radio open: open → (first valid message) up → dead → backoff → open … */
class SerialRadio {
  state: RadioState = 'connecting';
  private link: RadioLink | undefined;
  private timer: NodeJS.Timeout | undefined;
  private check: NodeJS.Timeout | undefined;
  private attempt = 0;
  private lastFailure = '';
  private upSince = 0;
  private downSince = performance.now();

  private readonly cfg: RadioConfig;
  private readonly o: RadioManagerOptions;
  constructor(cfg: RadioConfig, o: RadioManagerOptions) {
    this.cfg = cfg;
    this.o = o;
  }

  get id(): string { return this.cfg.path; }

  start(): void {
    this.o.metrics.set('radio_up', 0, { radio: this.id });
    void this.open();
  }

  stop(): void {
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    if (this.check) clearInterval(this.check);
    this.timer = this.check = undefined;
    const l = this.link;
    this.link = undefined;
    l?.close();
    this.o.metrics.set('radio_up', 0, { radio: this.id });
  }

  private async open(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'connecting';
    this.attempt++;
    let t: SerialTransport;
    try {
      t = await SerialTransport.open(this.cfg.path, this.cfg.baudRate ?? DEFAULT_BAUD);
    } catch (e) {
      const err = e instanceof KerbError ? e : new KerbError('serial_open', String(e));
      this.fail(err.code, err.message);
      return;
    }
    if ((this.state as RadioState) === 'stopped') {
      t.close();
      return;
    }
    this.state = 'open';
    this.o.log.debug('radio port opened; waiting for the link heartbeat', { radio: this.id, device: t.device });
    const link = this.o.attach(t);
    this.link = link;
    link.transport.onClose((err) => {
      if (this.link !== link) return;
      this.down('closed', err ? `port closed: ${err.message}` : 'port closed');
    });
    link.onFirstMessage(() => {
      if (this.link === link) this.markUp(link);
    });
    this.check = setInterval(() => this.liveness(), this.o.checkIntervalMs ?? 1000);
  }

  private markUp(link: RadioLink): void {
    if (this.state === 'open') {
      this.state = 'up';
      this.upSince = performance.now();
      this.o.metrics.set('radio_up', 1, { radio: this.id });
      const st = link.lastStatus;
      this.o.log.info('radio up', {
        radio: this.id, attempts: this.attempt, downForS: Math.round((performance.now() - this.downSince) / 100) / 10,
        fwVersion: st ? `${st.fwVersion >>> 16}.${(st.fwVersion >>> 8) & 255}.${st.fwVersion & 255}` : undefined,
      });
      this.lastFailure = '';
    }
  }

  private liveness(): void {
    const link = this.link;
    if (!link) return;
    if (this.state === 'up' && performance.now() - this.upSince > 10_000) this.attempt = 0; // stable: next failure starts the backoff afresh
    if (!fs.existsSync(this.cfg.path)) {
      this.down('path_gone', 'device path disappeared (unplugged?)');
      return;
    }
    const silentMs = performance.now() - link.lastMessageAt;
    if (silentMs > (this.o.heartbeatTimeoutMs ?? 30_000)) {
      if (link.errorsSinceMessage > 0) this.down('garbage', `only undecodable bytes for ${Math.round(silentMs / 1000)} s (wrong baud rate or a bad cable?)`);
      else this.down('heartbeat', `no link message for ${Math.round(silentMs / 1000)} s (radio hung or cable fault)`);
    }
  }

  /** The open port died: close it and schedule a reopen. */
  private down(reason: string, detail: string): void {
    if (this.state === 'stopped' || this.state === 'backoff') return;
    const wasUp = this.state === 'up';
    if (this.check) clearInterval(this.check);
    this.check = undefined;
    const l = this.link;
    this.link = undefined;
    l?.close();
    this.o.metrics.inc('link_errors_total', { radio: this.id, reason });
    this.o.metrics.set('radio_up', 0, { radio: this.id });
    if (wasUp) {
      this.downSince = performance.now();
      this.o.log.warn('radio down; reconnecting with backoff', { radio: this.id, reason, detail });
      this.lastFailure = reason;
    } else this.noteFailure(reason, detail);
    this.schedule();
  }

  private fail(code: string, message: string): void {
    if (this.state === 'stopped') return;
    this.noteFailure(code, message);
    this.schedule();
  }

  private noteFailure(code: string, message: string): void {
    // Once per distinct failure, not per retry: a radio left unplugged all night logs one line.
    if (code !== this.lastFailure) {
      this.lastFailure = code;
      this.o.log.warn('radio unavailable; retrying with backoff', { radio: this.id, reason: code, detail: message });
    }
  }

  private schedule(): void {
    this.state = 'backoff';
    const min = this.o.backoffMinMs ?? 500;
    const max = this.o.backoffMaxMs ?? 30_000;
    const base = Math.min(max, min * 2 ** Math.min(this.attempt, 16));
    // ±20 % jitter so several radios on one hub do not reopen in lockstep.
    const delay = Math.max(min, Math.min(max, base * (0.8 + 0.4 * Math.random())));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.open();
    }, delay);
  }
}

/** Opens and supervises the configured serial radios. */
export class RadioManager {
  private radios: SerialRadio[];

  constructor(opts: RadioManagerOptions) {
    this.radios = opts.radios.map((r) => new SerialRadio(r, opts));
  }

  start(): void {
    for (const r of this.radios) r.start();
  }

  stop(): void {
    for (const r of this.radios) r.stop();
  }

  states(): { radio: string; state: string }[] {
    return this.radios.map((r) => ({ radio: r.id, state: r.state }));
  }
}
