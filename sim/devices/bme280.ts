// Virtual Bosch BME280 on a virtual I2C bus: a register file (datasheet BST-BME280-DS002 §5.3) with
// real trimming parameters, the forced-mode state machine (§3.3.3, measurement published after
// t_measure of §9.1), and ADC values found by inverting the datasheet's floating-point compensation
// (§8.1) — an implementation independent of the driver's integer path (§4.2.3 / §8.2), so a test
// that sets 21.3 °C / 45 %RH / 1013.2 hPa and reads them back through the driver checks real math.
// Fault switches: absent (NACK on address), nack (address ACKed, data reads NACKed), stuck (data
// registers frozen: no new measurement), wrongId (a BMP280, chip id 0x58, at the address).
import type { Clock } from '../../shared/hal/clock.ts';
import type { I2cDevice } from './i2c.ts';

export interface Bme280Env {
  tempC: number;
  rhPct: number;
  pressureHpa: number;
}

/** Trimming parameters (names as in datasheet Table 16). */
export interface Bme280Calibration {
  T1: number; T2: number; T3: number;
  P1: number; P2: number; P3: number; P4: number; P5: number; P6: number; P7: number; P8: number; P9: number;
  H1: number; H2: number; H3: number; H4: number; H5: number; H6: number;
}

/**
 * Trimming values of a real part: T1..P9 are the example values in Bosch's BMP280/BME280 reference
 * material (dig_T1 = 27504, dig_P1 = 36477, …); H1..H6 are from a production BME280 readout.
 */
export const TYPICAL_CALIBRATION: Bme280Calibration = {
  T1: 27504, T2: 26435, T3: -1000,
  P1: 36477, P2: -10685, P3: 3024, P4: 2855, P5: 140, P6: -7, P7: 15500, P8: -14600, P9: 6000,
  H1: 75, H2: 362, H3: 0, H4: 313, H5: 50, H6: 30,
};

export interface Bme280Faults {
  absent: boolean;
  nack: boolean;
  stuck: boolean;
  wrongId: boolean;
}

/** §8.1 floating-point compensation, used here to invert environment → ADC counts. */
function tFineF(c: Bme280Calibration, adcT: number): number {
  const v1 = (adcT / 16384 - c.T1 / 1024) * c.T2;
  const d = adcT / 131072 - c.T1 / 8192;
  return v1 + d * d * c.T3;
}
function pressF(c: Bme280Calibration, adcP: number, tFine: number): number {
  let v1 = tFine / 2 - 64000;
  let v2 = (v1 * v1 * c.P6) / 32768;
  v2 = v2 + v1 * c.P5 * 2;
  v2 = v2 / 4 + c.P4 * 65536;
  v1 = ((c.P3 * v1 * v1) / 524288 + c.P2 * v1) / 524288;
  v1 = (1 + v1 / 32768) * c.P1;
  if (v1 === 0) return 0;
  let p = 1048576 - adcP;
  p = ((p - v2 / 4096) * 6250) / v1;
  v1 = (c.P9 * p * p) / 2147483648;
  v2 = (p * c.P8) / 32768;
  return p + (v1 + v2 + c.P7) / 16;
}
function humF(c: Bme280Calibration, adcH: number, tFine: number): number {
  let h = tFine - 76800;
  h = (adcH - (c.H4 * 64 + (c.H5 / 16384) * h)) *
    ((c.H2 / 65536) * (1 + (c.H6 / 67108864) * h * (1 + (c.H3 / 67108864) * h)));
  return h * (1 - (c.H1 * h) / 524288);
}

/** Smallest integer x in [lo, hi] with f(x) ≥ target for increasing f (or ≤ for decreasing). */
function invert(f: (x: number) => number, target: number, lo: number, hi: number, increasing: boolean): number {
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const v = f(mid);
    if (increasing ? v >= target : v <= target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Environment → (adcT, adcP, adcH) as a perfect BME280 with calibration c would measure. */
export function bme280RawFor(c: Bme280Calibration, env: Bme280Env): { adcT: number; adcP: number; adcH: number } {
  const adcT = invert((x) => tFineF(c, x) / 5120, env.tempC, 0, 0xfffff, true);
  const tf = tFineF(c, adcT);
  const adcP = invert((x) => pressF(c, x, tf), env.pressureHpa * 100, 0, 0xfffff, false);
  const adcH = invert((x) => humF(c, x, tf), env.rhPct, 0, 0xffff, true);
  return { adcT, adcP, adcH };
}

export class VirtualBme280 implements I2cDevice {
  readonly regs = new Uint8Array(256);
  readonly faults: Bme280Faults = { absent: false, nack: false, stuck: false, wrongId: false };
  measurements = 0;
  private ptr = 0;
  private pending: Uint8Array | null = null;
  private publishAt = 0;
  private lcg: number;
  private readonly clock: Clock;
  private readonly env: () => Bme280Env;
  readonly cal: Bme280Calibration;

  /** seed varies the ±1 LSB measurement noise (a real part is never bit-identical twice). */
  constructor(clock: Clock, env: () => Bme280Env, cal: Bme280Calibration = TYPICAL_CALIBRATION, seed = 1) {
    this.clock = clock;
    this.env = env;
    this.cal = cal;
    this.lcg = seed >>> 0 || 1;
    const r = this.regs;
    const s16 = (at: number, v: number): void => { r[at] = v & 255; r[at + 1] = (v >> 8) & 255; };
    s16(0x88, cal.T1); s16(0x8a, cal.T2); s16(0x8c, cal.T3);
    s16(0x8e, cal.P1); s16(0x90, cal.P2); s16(0x92, cal.P3); s16(0x94, cal.P4); s16(0x96, cal.P5);
    s16(0x98, cal.P6); s16(0x9a, cal.P7); s16(0x9c, cal.P8); s16(0x9e, cal.P9);
    r[0xa1] = cal.H1;
    s16(0xe1, cal.H2);
    r[0xe3] = cal.H3;
    r[0xe4] = (cal.H4 >> 4) & 255;
    r[0xe5] = (cal.H4 & 0x0f) | ((cal.H5 & 0x0f) << 4);
    r[0xe6] = (cal.H5 >> 4) & 255;
    r[0xe7] = cal.H6 & 255;
    r[0xd0] = 0x60;
    // §5.3 reset values of the data registers: "no measurement yet".
    r.set([0x80, 0, 0, 0x80, 0, 0, 0x80, 0], 0xf7);
  }

  private noise(): number {
    this.lcg = (Math.imul(this.lcg, 1664525) + 1013904223) >>> 0;
    return (this.lcg >>> 30) - 1; // -1, 0, 1, 2 → mostly ±1 LSB
  }

  private publish(): void {
    if (this.pending && this.clock.now() >= this.publishAt) {
      if (!this.faults.stuck) this.regs.set(this.pending, 0xf7);
      this.pending = null;
      this.regs[0xf3] = 0;
    }
  }

  private measure(): void {
    this.measurements++;
    const raw = bme280RawFor(this.cal, this.env());
    const t = Math.min(0xfffff, Math.max(0, raw.adcT + this.noise()));
    const p = Math.min(0xfffff, Math.max(0, raw.adcP + this.noise()));
    const h = Math.min(0xffff, Math.max(0, raw.adcH + this.noise()));
    this.pending = new Uint8Array([p >> 12, (p >> 4) & 255, (p & 15) << 4, t >> 12, (t >> 4) & 255, (t & 15) << 4, h >> 8, h & 255]);
    // §9.1 t_measure,typ at ×1/×1/×1 ≈ 8 ms; the driver waits the 9.3 ms maximum.
    this.publishAt = this.clock.now() + 8;
    this.regs[0xf3] = 0x08; // status.measuring
  }

  write(data: Uint8Array): boolean {
    if (this.faults.absent) return false;
    if (data.length === 0) return true;
    this.ptr = data[0];
    // §6.2.1: a multi-byte write is (register, value) pairs.
    for (let i = 0; i + 1 < data.length; i += 2) {
      const reg = data[i];
      const v = data[i + 1];
      if (reg === 0xe0 && v === 0xb6) continue; // soft reset: nothing volatile to clear here
      if (reg === 0xf2 || reg === 0xf4 || reg === 0xf5) this.regs[reg] = v;
      if (reg === 0xf4 && (v & 3) !== 0 && (v & 3) !== 3) this.measure();
    }
    return true;
  }

  read(len: number): Uint8Array | null {
    if (this.faults.absent || this.faults.nack) return null;
    this.publish();
    const out = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      const reg = (this.ptr + i) & 255;
      out[i] = reg === 0xd0 && this.faults.wrongId ? 0x58 : this.regs[reg];
    }
    this.ptr = (this.ptr + len) & 255;
    return out;
  }
}
