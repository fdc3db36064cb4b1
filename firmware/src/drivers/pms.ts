// Plantower PMS5003 / PMS7003 laser particulate sensor over UART (9600 8N1, 3.3 V logic).
// Source: Plantower "Digital universal particle concentration sensor PMS5003 series data manual"
// (V2.3, 2016) and the PMS7003 manual (V2.5), same protocol:
//   Appendix I  data frame: 0x42 0x4D | frame length (BE16) = 2·13 + 2 = 28 | data1..data13 (BE16) |
//               check code (BE16) = sum of every byte before it. data1..3 = PM1.0/2.5/10 "CF=1,
//               standard particle"; data4..6 = PM1.0/2.5/10 "under atmospheric environment" (µg/m³),
//               which is what a street sensor reports; data7..12 = particle counts per 0.1 L.
//   Appendix II commands: 0x42 0x4D | CMD | DATAH | DATAL | LRCH LRCL (sum of the five bytes before).
//               0xE2 read (passive mode), 0xE1 mode (0 passive, 1 active), 0xE4 sleep (0) / wakeup (1).
//               The part answers mode/sleep commands with a short frame (length 4), which we accept and
//               ignore.
//   §"Typical characteristics" / note 1: stable data only ≥ 30 s after wake-up, because of the fan:
//               PMS_WARMUP_MS, used by the node to power the part only for warm-up + sample.
// The deframer is stateful and resynchronises on the next 0x42 0x4D after garbage; it never throws.
import type { UartPort } from '../../../shared/hal/bus.ts';
import type { Clock, TimerHandle } from '../../../shared/hal/clock.ts';
import type { Sensor } from '../../../shared/hal/sensor.ts';
import {
  SENSOR_OK, SENSOR_ERR_ABSENT, SENSOR_ERR_CHECKSUM, SENSOR_ERR_STUCK, SENSOR_ERR_TIMEOUT,
  SLOT_PM25, SLOT_PM10,
} from '../../../shared/hal/sensor.ts';

export const PMS_START1 = 0x42;
export const PMS_START2 = 0x4d;
export const PMS_DATA_LEN = 28;       // length field of a data frame
export const PMS_FRAME_LEN = 32;
export const PMS_CMD_READ = 0xe2;
export const PMS_CMD_MODE = 0xe1;
export const PMS_CMD_SLEEP = 0xe4;
export const PMS_WARMUP_MS = 30000;
/** At 9600 baud a 32-byte frame takes 33 ms; the part answers a read within a few hundred ms. */
export const PMS_READ_TIMEOUT_MS = 1000;
export const PMS_STUCK_FRAMES = 5;

/** Builds a 7-byte command frame (Appendix II). */
export function pmsCommand(cmd: number, data: number): Uint8Array {
  const b = new Uint8Array([PMS_START1, PMS_START2, cmd, (data >> 8) & 255, data & 255, 0, 0]);
  const s = b[0] + b[1] + b[2] + b[3] + b[4];
  b[5] = (s >> 8) & 255;
  b[6] = s & 255;
  return b;
}

/** Sum of b[0..n), the Appendix I check code. */
export function pmsChecksum(b: Uint8Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += b[i];
  return s & 0xffff;
}

/** Reads data word k (1-based as in the datasheet) of a complete data frame. */
export function pmsWord(frame: Uint8Array, k: number): number {
  return (frame[2 + 2 * k] << 8) | frame[3 + 2 * k];
}

export class Pms {
  uart: UartPort;
  clock: Clock;
  buf: Uint8Array;
  n: number;
  /** Bytes seen since the pending read was issued (tells "absent" from "garbled"). */
  seen: number;
  pending: ((status: number) => void) | null;
  timer: TimerHandle;
  last: Uint8Array;
  same: number;
  pm1Ugm3: number;
  pm25Ugm3: number;
  pm10Ugm3: number;
  frames: number;
  badFrames: number;

  constructor(uart: UartPort, clock: Clock) {
    this.uart = uart;
    this.clock = clock;
    this.buf = new Uint8Array(PMS_FRAME_LEN);
    this.n = 0;
    this.seen = 0;
    this.pending = null;
    this.timer = 0;
    this.last = new Uint8Array(24);
    this.same = 0;
    this.pm1Ugm3 = 0;
    this.pm25Ugm3 = 0;
    this.pm10Ugm3 = 0;
    this.frames = 0;
    this.badFrames = 0;
    const self = this;
    uart.onData(function (chunk: Uint8Array) {
      self.push(chunk);
    });
  }

  /** Feeds received bytes through the deframer. Never throws. */
  push(chunk: Uint8Array): void {
    const b = this.buf;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      this.seen++;
      if (this.n === 0) {
        if (c === PMS_START1) b[this.n++] = c;
        continue;
      }
      if (this.n === 1) {
        if (c === PMS_START2) b[this.n++] = c;
        else this.n = c === PMS_START1 ? 1 : 0;
        continue;
      }
      b[this.n++] = c;
      if (this.n === 4) {
        const len = (b[2] << 8) | b[3];
        if (len !== PMS_DATA_LEN && len !== 4) this.n = c === PMS_START1 ? 1 : 0; // not a frame: resync
        continue;
      }
      if (this.n >= 4 && this.n === 4 + ((b[2] << 8) | b[3])) {
        const total = this.n;
        this.n = 0;
        this.frame(total);
      }
    }
  }

  frame(total: number): void {
    const b = this.buf;
    const ok = pmsChecksum(b, total - 2) === ((b[total - 2] << 8) | b[total - 1]);
    if (total !== PMS_FRAME_LEN) return; // command acknowledgement
    if (!ok) {
      this.badFrames++;
      this.finish(SENSOR_ERR_CHECKSUM);
      return;
    }
    this.frames++;
    let eq = true;
    for (let i = 0; i < 24; i++) {
      if (this.last[i] !== b[4 + i]) eq = false;
      this.last[i] = b[4 + i];
    }
    this.same = eq ? this.same + 1 : 0;
    this.pm1Ugm3 = pmsWord(b, 4);
    this.pm25Ugm3 = pmsWord(b, 5);
    this.pm10Ugm3 = pmsWord(b, 6);
    // Counts per 0.1 L fluctuate frame to frame in any real air, so identical frames mean a frozen part.
    this.finish(this.same >= PMS_STUCK_FRAMES - 1 ? SENSOR_ERR_STUCK : SENSOR_OK);
  }

  finish(status: number): void {
    const cb = this.pending;
    if (!cb) return;
    this.pending = null;
    this.clock.clearTimeout(this.timer);
    cb(status);
  }

  /** Wake (fan on) and select passive mode, or sleep (fan off). */
  setAwake(on: boolean): void {
    this.uart.write(pmsCommand(PMS_CMD_SLEEP, on ? 1 : 0));
    if (on) this.uart.write(pmsCommand(PMS_CMD_MODE, 0));
  }

  /** Passive-mode read; done(status) once, with pm*Ugm3 set on SENSOR_OK. */
  read(done: (status: number) => void): void {
    if (this.pending) this.finish(SENSOR_ERR_TIMEOUT);
    this.pending = done;
    this.seen = 0;
    const self = this;
    this.timer = this.clock.setTimeout(function () {
      self.n = 0;
      self.finish(self.seen === 0 ? SENSOR_ERR_ABSENT : SENSOR_ERR_TIMEOUT);
    }, PMS_READ_TIMEOUT_MS);
    this.uart.write(pmsCommand(PMS_CMD_READ, 0));
  }
}

/** Node adapter: PM2.5 and PM10 slots in µg/m³ × 10 (the part reports whole µg/m³). */
export function pmsSensor(dev: Pms, faultFlag: number, periodMs: number): Sensor {
  return {
    slots: (1 << SLOT_PM25) | (1 << SLOT_PM10),
    faultFlag: faultFlag,
    warmupMs: PMS_WARMUP_MS,
    periodMs: periodMs,
    power: function (on: boolean) {
      dev.setAwake(on);
    },
    sample: function (out: Int32Array, done: (status: number) => void) {
      dev.read(function (st: number) {
        if (st === SENSOR_OK) {
          out[SLOT_PM25] = dev.pm25Ugm3 * 10;
          out[SLOT_PM10] = dev.pm10Ugm3 * 10;
        }
        done(st);
      });
    },
  };
}
