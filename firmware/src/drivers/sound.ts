// Sound level from an analog microphone front end whose output is the envelope (rectified and
// low-pass filtered amplitude) of the A-weighted microphone signal, e.g. an electret capsule, an
// A-weighting RC network and a precision rectifier with ~125 ms ("fast", IEC 61672-1 §5.8) time
// constant. The envelope voltage is proportional to sound pressure, so
//     L = L_cal + 20·log10(V / V_cal)          (dB re 20 µPa, IEC 61672-1 definition of level)
// Calibration (documented in docs/node.md): place a class-1/2 acoustic calibrator (IEC 60942,
// 94.0 dB SPL at 1 kHz, where A-weighting is 0 dB) on the capsule and record the envelope reading
// as a fraction of the ADC reference: that is calFrac94. It is stored per device.
// Raw I/O (readRaw: mean of N ADC reads) is separate from conversion (soundDeciDb).
// Limits: an open or dead input reads ~0 (below SOUND_FLOOR_FRAC: SENSOR_ERR_ABSENT); a railed
// input (≥ SOUND_CLIP_FRAC) is out of range. The usable span is set by ADC resolution: with
// calFrac94 = 0.5 and 12-bit ADC averaged 16×, ~40 dB(A) .. 100 dB(A).
import type { AnalogIn } from '../../../shared/hal/bus.ts';
import type { Sensor } from '../../../shared/hal/sensor.ts';
import { SENSOR_OK, SENSOR_ERR_ABSENT, SENSOR_ERR_RANGE, SLOT_NOISE, noPower } from '../../../shared/hal/sensor.ts';

export const SOUND_CAL_DB = 94;
export const SOUND_FLOOR_FRAC = 1 / 2048;
export const SOUND_CLIP_FRAC = 0.995;
export const SOUND_READS = 16;
const LN10 = 2.302585092994046;

/** Level in dB × 10 from an envelope fraction and the 94 dB calibration fraction. */
export function soundDeciDb(envFrac: number, calFrac94: number): number {
  return Math.round(SOUND_CAL_DB * 10 + (200 * Math.log(envFrac / calFrac94)) / LN10);
}

export class SoundLevel {
  adc: AnalogIn;
  calFrac94: number;
  reads: number;
  levelDeciDb: number;

  constructor(adc: AnalogIn, calFrac94: number, reads: number) {
    this.adc = adc;
    this.calFrac94 = calFrac94;
    this.reads = reads;
    this.levelDeciDb = 0;
  }

  /** Mean envelope over `reads` conversions, as a fraction of the ADC reference. */
  readRaw(): number {
    let s = 0;
    for (let i = 0; i < this.reads; i++) s += this.adc.read();
    return s / this.reads;
  }

  measure(): number {
    const f = this.readRaw();
    if (!(f >= SOUND_FLOOR_FRAC)) return SENSOR_ERR_ABSENT;
    if (f >= SOUND_CLIP_FRAC) return SENSOR_ERR_RANGE;
    this.levelDeciDb = soundDeciDb(f, this.calFrac94);
    return SENSOR_OK;
  }
}

/** Node adapter: noise slot (dB(A) × 10); the node keeps the interval maximum. */
export function soundSensor(dev: SoundLevel, faultFlag: number, periodMs: number): Sensor {
  return {
    slots: 1 << SLOT_NOISE,
    faultFlag: faultFlag,
    warmupMs: 0,
    periodMs: periodMs,
    power: noPower,
    sample: function (out: Int32Array, done: (status: number) => void) {
      const st = dev.measure();
      if (st === SENSOR_OK) out[SLOT_NOISE] = dev.levelDeciDb;
      done(st);
    },
  };
}
