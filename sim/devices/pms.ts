// Virtual Plantower PMS5003/7003 on a virtual UART, speaking the datasheet protocol (PMS5003 manual
// V2.3 Appendix I/II): 32-byte data frames 0x42 0x4D … with the additive check code, 7-byte
// commands (0xE1 mode, 0xE2 passive read, 0xE4 sleep/wake), 8-byte command acknowledgements
// (PMS7003 behaviour), active mode emitting a frame every second while awake.
// The fan model: readings taken less than 30 s after wake-up are low (the manual's "stable data
// after at least 30 s"), so a node that skips the warm-up reports visibly wrong values.
// Fault switches: absent (never answers), badChecksum (corrupts the check code), stuck (repeats the
// last frame byte for byte), garbage (line noise before every frame: exercises resynchronisation).
import type { Clock, TimerHandle } from '../../shared/hal/clock.ts';
import type { VirtualUart } from './uart.ts';

export interface PmsEnv {
  pm25Ugm3: number;
  pm10Ugm3: number;
}

export interface PmsFaults {
  absent: boolean;
  badChecksum: boolean;
  stuck: boolean;
  garbage: boolean;
}

export const PMS_ACTIVE_PERIOD_MS = 1000;
export const PMS_FAN_SETTLE_MS = 30000;

/** Builds a data frame (Appendix I) from data words 1..13. */
export function pmsDataFrame(words: number[]): Uint8Array {
  const b = new Uint8Array(32);
  b[0] = 0x42; b[1] = 0x4d; b[2] = 0; b[3] = 28;
  for (let k = 0; k < 13; k++) {
    const v = Math.max(0, Math.min(65535, Math.round(words[k] ?? 0)));
    b[4 + 2 * k] = v >> 8;
    b[5 + 2 * k] = v & 255;
  }
  let s = 0;
  for (let i = 0; i < 30; i++) s += b[i];
  b[30] = (s >> 8) & 255;
  b[31] = s & 255;
  return b;
}

export class VirtualPms {
  readonly faults: PmsFaults = { absent: false, badChecksum: false, stuck: false, garbage: false };
  awake = true;          // the part powers up awake, in active mode
  active = true;
  wokeAt: number;
  framesSent = 0;
  commands = 0;
  /** Cumulative awake (fan running) time, for energy accounting. */
  fanMs = 0;
  private last: Uint8Array | null = null;
  private rx = new Uint8Array(7);
  private rxn = 0;
  private timer: TimerHandle = 0;
  private lcg: number;
  private readonly clock: Clock;
  private readonly uart: VirtualUart;
  private readonly env: () => PmsEnv;

  constructor(clock: Clock, uart: VirtualUart, env: () => PmsEnv, seed = 1) {
    this.clock = clock;
    this.uart = uart;
    this.env = env;
    this.lcg = seed >>> 0 || 1;
    this.wokeAt = clock.now();
    uart.onDeviceData((d) => this.receive(d));
    this.schedule();
  }

  private rand(): number {
    this.lcg = (Math.imul(this.lcg, 1664525) + 1013904223) >>> 0;
    return this.lcg / 4294967296;
  }

  private schedule(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = 0;
    if (!this.awake || !this.active) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = 0;
      this.send(this.frame());
      this.schedule();
    }, PMS_ACTIVE_PERIOD_MS);
  }

  private frame(): Uint8Array {
    if (this.faults.stuck && this.last) return this.last;
    const e = this.env();
    const since = this.clock.now() - this.wokeAt;
    const fan = since >= PMS_FAN_SETTLE_MS ? 1 : Math.max(0, since / PMS_FAN_SETTLE_MS);
    const pm25 = e.pm25Ugm3 * fan;
    const pm10 = e.pm10Ugm3 * fan;
    const pm1 = pm25 * 0.7;
    // Counts per 0.1 L (data 7..12) roughly proportional to mass, with counting noise.
    const n = (v: number): number => v * (1 + 0.05 * (this.rand() - 0.5)) + this.rand() * 3;
    const words = [pm1, pm25, pm10, pm1, pm25, pm10, n(pm25 * 60 + 200), n(pm25 * 18 + 60), n(pm25 * 3 + 8), n(pm10 * 0.4), n(pm10 * 0.1), n(pm10 * 0.02), 0];
    const f = pmsDataFrame(words);
    this.last = f;
    return f;
  }

  private send(f: Uint8Array): void {
    if (this.faults.absent) return;
    let out = f;
    if (this.faults.badChecksum) {
      out = f.slice();
      out[31] ^= 0x5a;
    }
    if (this.faults.garbage) {
      const g = new Uint8Array(out.length + 5);
      g.set([0x42, 0x13, 0x4d, 0x42, 0x00], 0);
      g.set(out, 5);
      out = g;
    }
    this.framesSent++;
    this.uart.deviceSend(out);
  }

  private ack(cmd: number, data: number): void {
    const b = new Uint8Array(8);
    b[0] = 0x42; b[1] = 0x4d; b[3] = 4; b[4] = cmd; b[5] = data;
    const s = b[0] + b[1] + b[2] + b[3] + b[4] + b[5];
    b[6] = s >> 8; b[7] = s & 255;
    if (!this.faults.absent) this.uart.deviceSend(b);
  }

  private setAwake(on: boolean): void {
    const now = this.clock.now();
    if (on && !this.awake) this.wokeAt = now;
    if (!on && this.awake) this.fanMs += now - this.wokeAt;
    this.awake = on;
  }

  private receive(d: Uint8Array): void {
    for (let i = 0; i < d.length; i++) {
      const c = d[i]!;
      if (this.rxn === 0 && c !== 0x42) continue;
      if (this.rxn === 1 && c !== 0x4d) {
        this.rxn = c === 0x42 ? 1 : 0;
        continue;
      }
      this.rx[this.rxn++] = c;
      if (this.rxn < 7) continue;
      this.rxn = 0;
      const r = this.rx;
      const sum = r[0] + r[1] + r[2] + r[3] + r[4];
      if (((r[5] << 8) | r[6]) !== sum) continue; // the part ignores a command with a bad LRC
      this.command(r[2], (r[3] << 8) | r[4]);
    }
  }

  private command(cmd: number, data: number): void {
    this.commands++;
    if (cmd === 0xe4) {
      this.setAwake(data !== 0);
      if (data === 0) this.ack(cmd, data);
    } else if (!this.awake) {
      return; // asleep: only the wake-up command is heard
    } else if (cmd === 0xe1) {
      this.active = data !== 0;
      this.ack(cmd, data);
    } else if (cmd === 0xe2 && !this.active) {
      this.send(this.frame());
    }
    this.schedule();
  }
}
