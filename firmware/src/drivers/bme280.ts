// Bosch BME280 temperature / humidity / pressure sensor over I2C.
// Source: Bosch Sensortec BME280 datasheet BST-BME280-DS002 (rev 1.6+):
//   §3.3.3 forced mode (one measurement, then back to sleep: no power management needed here)
//   §4.2.2 trimming parameter readout (0x88..0xA1, 0xE1..0xE7, incl. the split 12-bit dig_H4/H5)
//   §4.2.3 compensation formulas: temperature and humidity as the datasheet's int32 code; pressure
//          in the 32-bit fixed-point variant of §8.2 (the §4.2.3 int64 version needs 64-bit integers,
//          which Espruino lacks and doubles cannot carry exactly above 2^53)
//   §5.3 register map; §5.4.1 chip id 0x60; §5.4.3 ctrl_hum; §5.4.5 ctrl_meas; §5.4.7..9 data
//   §9.1 (Appendix B) measurement time: 1.25 + 2.3·osrs_t + (2.3·osrs_p + 0.575) + (2.3·osrs_h + 0.575) ms
//        = 9.3 ms max at ×1 oversampling each
//   Register reset values 0x80000 (press/temp) and 0x8000 (hum) mean "no measurement ran" (§5.3).
// Raw I/O (readCalibration, startForced, readReg burst) is separate from conversion (bme280Convert), which
// is pure integer arithmetic. Large intermediates use sr() (floor division) rather than >> so that a
// product above 2^31 is not truncated to int32 the way C would silently overflow.
import type { I2cBus } from '../../../shared/hal/bus.ts';
import type { Clock } from '../../../shared/hal/clock.ts';
import type { Sensor } from '../../../shared/hal/sensor.ts';
import {
  SENSOR_OK, SENSOR_ERR_ABSENT, SENSOR_ERR_BUS, SENSOR_ERR_ID, SENSOR_ERR_STUCK, SENSOR_ERR_TIMEOUT,
  SENSOR_ERR_RANGE, READING_ABSENT, SLOT_TEMP, SLOT_RH, SLOT_PRESSURE, noPower,
} from '../../../shared/hal/sensor.ts';

export const BME280_ADDR_PRIMARY = 0x76;   // SDO to GND (§6.2)
export const BME280_ADDR_SECONDARY = 0x77; // SDO to VDDIO
export const BME280_CHIP_ID = 0x60;
export const BME280_REG_CALIB00 = 0x88;    // 26 bytes to 0xA1
export const BME280_REG_ID = 0xd0;
export const BME280_REG_CALIB26 = 0xe1;    // 7 bytes to 0xE7
export const BME280_REG_CTRL_HUM = 0xf2;
export const BME280_REG_STATUS = 0xf3;
export const BME280_REG_CTRL_MEAS = 0xf4;
export const BME280_REG_DATA = 0xf7;       // 8 bytes: press[3] temp[3] hum[2]
/** ctrl_meas: osrs_t ×1 (bits 7..5 = 001), osrs_p ×1 (bits 4..2 = 001), mode forced (01). */
export const BME280_CTRL_MEAS_FORCED = 0x25;
export const BME280_CTRL_HUM_X1 = 0x01;
/** §9.1 t_measure,max at ×1/×1/×1 is 9.3 ms; round up. */
export const BME280_MEASURE_MS = 10;
/**
 * Identical raw 8-byte results this many times in a row mean a frozen part or bus: at ×1
 * oversampling the 20-bit pressure ADC alone has several LSB of noise (§3.4 / Table 3).
 */
export const BME280_STUCK_SAMPLES = 5;

// Calibration word indices in the per-instance Int32Array.
const T1 = 0; const T2 = 1; const T3 = 2;
const P1 = 3; const P2 = 4; const P3 = 5; const P4 = 6; const P5 = 7; const P6 = 8; const P7 = 9; const P8 = 10; const P9 = 11;
const H1 = 12; const H2 = 13; const H3 = 14; const H4 = 15; const H5 = 16; const H6 = 17;
export const BME280_CAL_WORDS = 18;

/** Arithmetic shift right without int32 truncation (C's >> on a signed value floors). */
function sr(x: number, n: number): number {
  return Math.floor(x / (1 << n));
}
function u16le(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8);
}
function s16le(b: Uint8Array, i: number): number {
  const v = b[i] | (b[i + 1] << 8);
  return v > 32767 ? v - 65536 : v;
}

/** §4.2.2 Table 16: parses calib00..25 (a, 26 bytes from 0x88) and calib26..32 (b, 7 bytes from 0xE1). */
export function bme280ParseCalibration(a: Uint8Array, b: Uint8Array, cal: Int32Array): void {
  cal[T1] = u16le(a, 0); cal[T2] = s16le(a, 2); cal[T3] = s16le(a, 4);
  cal[P1] = u16le(a, 6);
  for (let i = 0; i < 8; i++) cal[P2 + i] = s16le(a, 8 + 2 * i);
  cal[H1] = a[25];
  cal[H2] = s16le(b, 0);
  cal[H3] = b[2];
  // dig_H4 = 0xE4[7:0] << 4 | 0xE5[3:0]; dig_H5 = 0xE6[7:0] << 4 | 0xE5[7:4]; both signed 12-bit
  // (the MSB bytes are signed char in Bosch's reference driver).
  const e4 = b[3] > 127 ? b[3] - 256 : b[3];
  const e6 = b[5] > 127 ? b[5] - 256 : b[5];
  cal[H4] = e4 * 16 + (b[4] & 0x0f);
  cal[H5] = e6 * 16 + (b[4] >> 4);
  cal[H6] = b[6] > 127 ? b[6] - 256 : b[6];
}

/** §4.2.3 BME280_compensate_T_int32: returns t_fine (temperature in °C·100 = (t_fine·5 + 128) >> 8). */
export function bme280TFine(cal: Int32Array, adcT: number): number {
  const var1 = sr((sr(adcT, 3) - cal[T1] * 2) * cal[T2], 11);
  const d = sr(adcT, 4) - cal[T1];
  const var2 = sr(sr(d * d, 12) * cal[T3], 14);
  return var1 + var2;
}

/** §8.2 BME280_compensate_P_int32: pressure in Pa (resolution 1 Pa), 0 if the calibration is bad. */
export function bme280PressurePa(cal: Int32Array, adcP: number, tFine: number): number {
  let var1 = sr(tFine, 1) - 64000;
  const q = sr(var1, 2);
  let var2 = sr(q * q, 11) * cal[P6];
  var2 = var2 + var1 * cal[P5] * 2;
  var2 = sr(var2, 2) + cal[P4] * 65536;
  var1 = sr(sr(cal[P3] * sr(q * q, 13), 3) + sr(cal[P2] * var1, 1), 18);
  var1 = sr((32768 + var1) * cal[P1], 15);
  if (var1 <= 0) return 0;
  let p = (1048576 - adcP - sr(var2, 12)) * 3125;
  if (p < 0) return 0;
  // The C code branches on p < 0x80000000 to keep p << 1 inside uint32; doubles need neither.
  p = p < 0x80000000 ? Math.floor((p * 2) / var1) : Math.floor(p / var1) * 2;
  const p3 = sr(p, 3);
  var1 = sr(cal[P9] * sr(p3 * p3, 13), 12);
  var2 = sr(sr(p, 2) * cal[P8], 13);
  return p + sr(var1 + var2 + cal[P7], 4);
}

/** §4.2.3 bme280_compensate_H_int32: relative humidity in %RH as Q22.10 (value / 1024). */
export function bme280HumidityQ10(cal: Int32Array, adcH: number, tFine: number): number {
  let v = tFine - 76800;
  const a = sr(adcH * 16384 - cal[H4] * 1048576 - cal[H5] * v + 16384, 15);
  const b = sr(sr(v * cal[H6], 10) * (sr(v * cal[H3], 11) + 32768), 10) + 2097152;
  v = a * sr(b * cal[H2] + 8192, 14);
  const w = sr(v, 15);
  v = v - sr(sr(w * w, 7) * cal[H1], 4);
  if (v < 0) v = 0;
  if (v > 419430400) v = 419430400;
  return sr(v, 12);
}

/** Result of one conversion; integers with units in the names. */
export interface Bme280Reading {
  tempCentiC: number;
  pressurePa: number;
  rhQ10: number;          // %RH × 1024; -1 when humidity was not measured
}

/**
 * Converts an 8-byte burst read of 0xF7..0xFE. Returns SENSOR_OK, or SENSOR_ERR_TIMEOUT when the
 * registers still hold their reset values (no measurement ran), SENSOR_ERR_RANGE outside the
 * part's operating range (§1: −40..85 °C, 300..1100 hPa).
 */
export function bme280Convert(cal: Int32Array, raw: Uint8Array, out: Bme280Reading): number {
  const adcP = (raw[0] << 12) | (raw[1] << 4) | (raw[2] >> 4);
  const adcT = (raw[3] << 12) | (raw[4] << 4) | (raw[5] >> 4);
  const adcH = (raw[6] << 8) | raw[7];
  if (adcT === 0x80000 || adcP === 0x80000) return SENSOR_ERR_TIMEOUT;
  const tFine = bme280TFine(cal, adcT);
  out.tempCentiC = sr(tFine * 5 + 128, 8);
  out.pressurePa = bme280PressurePa(cal, adcP, tFine);
  out.rhQ10 = adcH === 0x8000 ? -1 : bme280HumidityQ10(cal, adcH, tFine);
  return out.tempCentiC < -4000 || out.tempCentiC > 8500 || out.pressurePa < 30000 || out.pressurePa > 110000
    ? SENSOR_ERR_RANGE : SENSOR_OK;
}

/** The driver of one part: the last conversion's result and a forced measurement. */
export interface Bme280 {
  reading: Bme280Reading;
  /** One forced measurement; result in reading. done(status) is called once, later. */
  measure(done: (status: number) => void): void;
}

/**
 * A closure rather than a class: on Espruino every method and field of an instance costs RAM
 * while the node runs, and the steps below are each used once (docs/firmware.md "Heap").
 */
export function createBme280(bus: I2cBus, clock: Clock, addr: number): Bme280 {
  /** Calibration words; null until read (re-read after any fault, so a re-seated part recovers). */
  let cal: Int32Array | null = null;
  const last = new Uint8Array(8);
  // Reused write buffers: a sample's three writes allocate nothing (the bus consumes them at once).
  const w1 = new Uint8Array(1);
  const w2 = new Uint8Array(2);
  let same = 0;
  const reading: Bme280Reading = { tempCentiC: 0, pressurePa: 0, rhQ10: 0 };

  /** Write transaction: register address, then its value unless val < 0; 0 = ACK (§6.2.1). A
   * register read is wr(reg, -1) then bus.read (§6.2.2). */
  function wr(reg: number, val: number): number {
    const b = val < 0 ? w1 : w2;
    b[0] = reg;
    if (val >= 0) b[1] = val;
    return bus.write(addr, b);
  }

  return {
    reading: reading,
    measure: function (done: (status: number) => void): void {
      let st = SENSOR_OK;
      if (!cal) {
        // Chip id and trimming parameters. No ACK to the address: nothing there. ACK then a
        // failed read: a bus fault.
        if (wr(BME280_REG_ID, -1)) st = SENSOR_ERR_ABSENT;
        else {
          const id = bus.read(addr, 1);
          if (!id) st = SENSOR_ERR_BUS;
          else if (id[0] !== BME280_CHIP_ID) st = SENSOR_ERR_ID;
          else {
            const a = wr(BME280_REG_CALIB00, -1) ? null : bus.read(addr, 26);
            const b = wr(BME280_REG_CALIB26, -1) ? null : bus.read(addr, 7);
            st = SENSOR_ERR_BUS;
            if (a && b) {
              const c = new Int32Array(BME280_CAL_WORDS);
              bme280ParseCalibration(a, b, c);
              // An all-zero read is a bus held low.
              if (c[T1] !== 0 && c[P1] !== 0) {
                cal = c;
                st = SENSOR_OK;
              }
            }
          }
        }
      }
      // §3.3.3: ctrl_hum takes effect only with the following ctrl_meas write (§5.4.3).
      if (st === SENSOR_OK && (wr(BME280_REG_CTRL_HUM, BME280_CTRL_HUM_X1) || wr(BME280_REG_CTRL_MEAS, BME280_CTRL_MEAS_FORCED))) st = SENSOR_ERR_BUS;
      if (st !== SENSOR_OK) {
        cal = null;
        done(st);
        return;
      }
      clock.setTimeout(function () {
        // Burst read of all data registers, so T, P and H belong to one measurement (§4).
        const raw = wr(BME280_REG_DATA, -1) ? null : bus.read(addr, 8);
        let s = SENSOR_ERR_BUS;
        if (raw && cal) {
          // Frozen data (the same raw result again and again) is a stuck part or bus.
          let eq = true;
          for (let i = 0; i < 8; i++) {
            if (raw[i] !== last[i]) eq = false;
            last[i] = raw[i];
          }
          same = eq ? same + 1 : 0;
          s = same >= BME280_STUCK_SAMPLES - 1 ? SENSOR_ERR_STUCK : bme280Convert(cal, raw, reading);
        }
        if (s !== SENSOR_OK && s !== SENSOR_ERR_STUCK) cal = null;
        done(s);
      }, BME280_MEASURE_MS);
    },
  };
}

/** Node adapter: temperature, humidity and pressure slots; the part sleeps itself between forced measurements. */
export function bme280Sensor(dev: Bme280, faultFlag: number, periodMs: number): Sensor {
  return {
    slots: (1 << SLOT_TEMP) | (1 << SLOT_RH) | (1 << SLOT_PRESSURE),
    faultFlag: faultFlag,
    warmupMs: 0,
    periodMs: periodMs,
    power: noPower,
    sample: function (out: Int32Array, done: (status: number) => void) {
      dev.measure(function (st: number) {
        const r = dev.reading;
        if (st === SENSOR_OK) {
          out[SLOT_TEMP] = Math.round(r.tempCentiC / 10);
          out[SLOT_PRESSURE] = Math.round(r.pressurePa / 10);
          // A skipped humidity measurement (reset value 0x8000) leaves RH out. %RH·1024 → %RH·2.
          out[SLOT_RH] = r.rhQ10 < 0 ? READING_ABSENT : Math.round(r.rhQ10 / 512);
        }
        done(st);
      });
    },
  };
}
