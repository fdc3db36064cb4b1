// Virtual Nova Fitness SDS011 on a virtual UART (SDS011 specification V1.3, Laser Dust Sensor
// Control Protocol V1.3): 10-byte data frames 0xAA 0xC0 … 0xAB in 0.1 µg/m³, 19-byte commands with
// their checksum, 10-byte 0xC5 replies, active mode (a frame every second) or query mode, sleep/work.
// Readings within 30 s of waking under-read (fan spin-up), as with the PMS twin.
// Fault switches: absent, badChecksum, stuck (repeats the last frame), garbage (noise before frames).
import type { Clock, TimerHandle } from '../../shared/hal/clock.ts';
import type { VirtualUart } from './uart.ts';
import type { PmsEnv, PmsFaults } from './pms.ts';

/** Builds a data frame for PM values in µg/m³ (rounded to 0.1). */
export function sdsDataFrame(pm25Ugm3: number, pm10Ugm3: number, id = 0x1234): Uint8Array {
  const a = Math.max(0, Math.min(65535, Math.round(pm25Ugm3 * 10)));
  const b = Math.max(0, Math.min(65535, Math.round(pm10Ugm3 * 10)));
  const f = Uint8Array.from([0xaa, 0xc0, a & 255, a >> 8, b & 255, b >> 8, id & 255, id >> 8, 0, 0xab]);
  f[8] = (f[2] + f[3] + f[4] + f[5] + f[6] + f[7]) & 255;
  return f;
}

export class VirtualSds011 {
  readonly faults: PmsFaults = { absent: false, badChecksum: false, stuck: false, garbage: false };
  awake = true;
  queryMode = false;
  wokeAt: number;
  fanMs = 0;
  framesSent = 0;
  private last: Uint8Array | null = null;
  private rx = new Uint8Array(19);
  private rxn = 0;
  private timer: TimerHandle = 0;
  private readonly clock: Clock;
  private readonly uart: VirtualUart;
  private readonly env: () => PmsEnv;

  constructor(clock: Clock, uart: VirtualUart, env: () => PmsEnv) {
    this.clock = clock;
    this.uart = uart;
    this.env = env;
    this.wokeAt = clock.now();
    uart.onDeviceData((d) => this.receive(d));
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = 0;
    if (!this.awake || this.queryMode) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = 0;
      this.send(this.frame());
      this.schedule();
    }, 1000);
  }

  private frame(): Uint8Array {
    if (this.faults.stuck && this.last) return this.last;
    const e = this.env();
    const since = this.clock.now() - this.wokeAt;
    const fan = since >= 30000 ? 1 : since / 30000;
    this.last = sdsDataFrame(e.pm25Ugm3 * fan, e.pm10Ugm3 * fan);
    return this.last;
  }

  private send(f: Uint8Array): void {
    if (this.faults.absent) return;
    let out = f;
    if (this.faults.badChecksum) {
      out = f.slice();
      out[8] ^= 0x21;
    }
    if (this.faults.garbage) out = Uint8Array.from([0xaa, 0x17, 0xab, 0xaa, ...out]);
    this.framesSent++;
    this.uart.deviceSend(out);
  }

  private reply(fn: number, d1: number, d2: number): void {
    const f = Uint8Array.from([0xaa, 0xc5, fn, d1, d2, 0, 0x34, 0x12, 0, 0xab]);
    f[8] = (f[2] + f[3] + f[4] + f[5] + f[6] + f[7]) & 255;
    if (!this.faults.absent) this.uart.deviceSend(f);
  }

  private receive(d: Uint8Array): void {
    for (let j = 0; j < d.length; j++) {
      const c = d[j]!;
      if (this.rxn === 0 && c !== 0xaa) continue;
      if (this.rxn === 1 && c !== 0xb4) {
        this.rxn = c === 0xaa ? 1 : 0;
        continue;
      }
      this.rx[this.rxn++] = c;
      if (this.rxn < 19) continue;
      this.rxn = 0;
      const r = this.rx;
      let s = 0;
      for (let i = 2; i < 17; i++) s += r[i];
      if (r[18] !== 0xab || (s & 255) !== r[17]) continue;
      this.command(r[2], r[3], r[4]);
    }
  }

  private command(fn: number, set: number, v: number): void {
    const now = this.clock.now();
    if (fn === 6 && set === 1) {
      if (v === 1 && !this.awake) this.wokeAt = now;
      if (v === 0 && this.awake) this.fanMs += now - this.wokeAt;
      this.awake = v === 1;
      this.reply(fn, set, v);
    } else if (!this.awake) {
      return; // asleep: only the work command is heard
    } else if (fn === 2 && set === 1) {
      this.queryMode = v === 1;
      this.reply(fn, set, v);
    } else if (fn === 4) {
      this.send(this.frame());
    }
    this.schedule();
  }
}
