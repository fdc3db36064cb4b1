// Nova Fitness SDS011 laser particulate sensor over UART (9600 8N1).
// Sources: "SDS011 Laser PM2.5 Sensor specification" V1.3 (§"Communication protocol": 10-byte data
// frame) and "Laser Dust Sensor Control Protocol" V1.3 (19-byte commands, 10-byte replies):
//   data frame   0xAA 0xC0 | PM2.5 lo hi | PM10 lo hi | ID lo hi | check | 0xAB
//                PM in units of 0.1 µg/m³ (= kerb's deci-µg/m³, no conversion), check = sum of the
//                six bytes PM2.5 lo .. ID hi, mod 256.
//   command      0xAA 0xB4 | function | 12 data bytes | device ID (0xFFFF = any) | check | 0xAB,
//                check = sum of bytes 2..16 mod 256. Functions used: 2 reporting mode (set, 1 = query
//                mode), 4 query data (answered with a data frame), 6 sleep/work (set, 0 sleep, 1 work).
//   reply        0xAA 0xC5 | function | … | check | 0xAB (acknowledgements: accepted and ignored).
//   Control protocol §"Sleep and work": after waking, measure after the fan has run ≥ 30 s.
// The deframer resynchronises on the next 0xAA after garbage and never throws.
import type { UartPort } from '../../../shared/hal/bus.ts';
import type { Clock, TimerHandle } from '../../../shared/hal/clock.ts';
import type { Sensor } from '../../../shared/hal/sensor.ts';
import {
  SENSOR_OK, SENSOR_ERR_ABSENT, SENSOR_ERR_CHECKSUM, SENSOR_ERR_TIMEOUT, SLOT_PM25, SLOT_PM10,
} from '../../../shared/hal/sensor.ts';

export const SDS_HEAD = 0xaa;
export const SDS_TAIL = 0xab;
export const SDS_CMD = 0xb4;
export const SDS_DATA = 0xc0;
export const SDS_REPLY = 0xc5;
export const SDS_FN_MODE = 2;
export const SDS_FN_QUERY = 4;
export const SDS_FN_SLEEP = 6;
export const SDS_WARMUP_MS = 30000;
export const SDS_READ_TIMEOUT_MS = 1000;

/** 19-byte command with data bytes d1..d3 (the rest zero), addressed to any device. */
export function sdsCommand(fn: number, d1: number, d2: number): Uint8Array {
  const b = new Uint8Array(19);
  b[0] = SDS_HEAD; b[1] = SDS_CMD; b[2] = fn; b[3] = d1; b[4] = d2;
  b[15] = 0xff; b[16] = 0xff;
  let s = 0;
  for (let i = 2; i < 17; i++) s += b[i];
  b[17] = s & 255;
  b[18] = SDS_TAIL;
  return b;
}

export class Sds011 {
  uart: UartPort;
  clock: Clock;
  buf: Uint8Array;
  n: number;
  seen: number;
  pending: ((status: number) => void) | null;
  timer: TimerHandle;
  pm25DeciUgm3: number;
  pm10DeciUgm3: number;

  constructor(uart: UartPort, clock: Clock) {
    this.uart = uart;
    this.clock = clock;
    this.buf = new Uint8Array(10);
    this.n = 0;
    this.seen = 0;
    this.pending = null;
    this.timer = 0;
    this.pm25DeciUgm3 = 0;
    this.pm10DeciUgm3 = 0;
    const self = this;
    uart.onData(function (c: Uint8Array) {
      self.push(c);
    });
  }

  push(chunk: Uint8Array): void {
    const b = this.buf;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      this.seen++;
      if (this.n === 0 && c !== SDS_HEAD) continue;
      if (this.n === 1 && c !== SDS_DATA && c !== SDS_REPLY) {
        this.n = c === SDS_HEAD ? 1 : 0;
        continue;
      }
      b[this.n++] = c;
      if (this.n < 10) continue;
      this.n = 0;
      if (b[9] !== SDS_TAIL) continue; // misaligned: resynchronise on the next head byte
      if (b[1] !== SDS_DATA) continue;  // command reply
      const s = (b[2] + b[3] + b[4] + b[5] + b[6] + b[7]) & 255;
      if (s !== b[8]) {
        this.finish(SENSOR_ERR_CHECKSUM);
        continue;
      }
      this.pm25DeciUgm3 = b[2] | (b[3] << 8);
      this.pm10DeciUgm3 = b[4] | (b[5] << 8);
      this.finish(SENSOR_OK);
    }
  }

  finish(status: number): void {
    const cb = this.pending;
    if (!cb) return;
    this.pending = null;
    this.clock.clearTimeout(this.timer);
    cb(status);
  }

  /** Work (fan on, query mode) or sleep (fan off). */
  setAwake(on: boolean): void {
    this.uart.write(sdsCommand(SDS_FN_SLEEP, 1, on ? 1 : 0));
    if (on) this.uart.write(sdsCommand(SDS_FN_MODE, 1, 1));
  }

  read(done: (status: number) => void): void {
    if (this.pending) this.finish(SENSOR_ERR_TIMEOUT);
    this.pending = done;
    this.seen = 0;
    const self = this;
    this.timer = this.clock.setTimeout(function () {
      self.n = 0;
      self.finish(self.seen === 0 ? SENSOR_ERR_ABSENT : SENSOR_ERR_TIMEOUT);
    }, SDS_READ_TIMEOUT_MS);
    this.uart.write(sdsCommand(SDS_FN_QUERY, 0, 0));
  }
}

/** Node adapter: PM2.5 and PM10 slots, already in µg/m³ × 10 on the wire. */
export function sds011Sensor(dev: Sds011, faultFlag: number, periodMs: number): Sensor {
  return {
    slots: (1 << SLOT_PM25) | (1 << SLOT_PM10),
    faultFlag: faultFlag,
    warmupMs: SDS_WARMUP_MS,
    periodMs: periodMs,
    power: function (on: boolean) {
      dev.setAwake(on);
    },
    sample: function (out: Int32Array, done: (status: number) => void) {
      dev.read(function (st: number) {
        if (st === SENSOR_OK) {
          out[SLOT_PM25] = dev.pm25DeciUgm3;
          out[SLOT_PM10] = dev.pm10DeciUgm3;
        }
        done(st);
      });
    },
  };
}
