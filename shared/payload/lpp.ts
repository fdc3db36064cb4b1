// Cayenne Low Power Payload decoder, so third-party LPP nodes can join a kerb network.
// Format (myDevices, "Cayenne Low Power Payload", developers.mydevices.com/cayenne/docs/lora/):
// a sequence of  channel(1) | type(1) | value(n, big-endian)  where type = IPSO object id − 3200.
// Types, sizes, signedness and resolutions from the myDevices table and its extended set as
// implemented by ElectronicCats/CayenneLPP src/CayenneLPP.h (voltage 116 … switch 142; concentration
// 125 and colour 135 in its 1.4 series) — also the set TTS's built-in LPP formatter knows.
// An unknown type stops decoding (its length is unknown, so nothing after it can be trusted).

import { LPP_ERR_TRUNCATED, LPP_ERR_TYPE } from './constants.ts';
import type { Readings } from './kerb.ts';

export const LPP_DIGITAL_INPUT = 0;
export const LPP_DIGITAL_OUTPUT = 1;
export const LPP_ANALOG_INPUT = 2;
export const LPP_ANALOG_OUTPUT = 3;
export const LPP_GENERIC_SENSOR = 100;
export const LPP_LUMINOSITY = 101;
export const LPP_PRESENCE = 102;
export const LPP_TEMPERATURE = 103;
export const LPP_RELATIVE_HUMIDITY = 104;
export const LPP_ACCELEROMETER = 113;
export const LPP_BAROMETRIC_PRESSURE = 115;
export const LPP_VOLTAGE = 116;
export const LPP_CURRENT = 117;
export const LPP_FREQUENCY = 118;
export const LPP_PERCENTAGE = 120;
export const LPP_ALTITUDE = 121;
export const LPP_CONCENTRATION = 125;
export const LPP_POWER = 128;
export const LPP_DISTANCE = 130;
export const LPP_ENERGY = 131;
export const LPP_DIRECTION = 132;
export const LPP_UNIXTIME = 133;
export const LPP_GYROMETER = 134;
export const LPP_COLOUR = 135;
export const LPP_GPS = 136;
export const LPP_SWITCH = 142;

/**
 * Per type: [type, bytes per component, components, divisor, signed, name]. GPS is special-cased
 * (lat/lon ÷10^4, alt ÷100, 3 bytes each).
 */
export const LPP_TYPES: (number | string)[][] = [
  [LPP_DIGITAL_INPUT, 1, 1, 1, 0, 'digital_in'],
  [LPP_DIGITAL_OUTPUT, 1, 1, 1, 0, 'digital_out'],
  [LPP_ANALOG_INPUT, 2, 1, 100, 1, 'analog_in'],
  [LPP_ANALOG_OUTPUT, 2, 1, 100, 1, 'analog_out'],
  [LPP_GENERIC_SENSOR, 4, 1, 1, 0, 'generic'],
  [LPP_LUMINOSITY, 2, 1, 1, 0, 'luminosity'],          // lux
  [LPP_PRESENCE, 1, 1, 1, 0, 'presence'],
  [LPP_TEMPERATURE, 2, 1, 10, 1, 'temperature'],       // °C
  [LPP_RELATIVE_HUMIDITY, 1, 1, 2, 0, 'relative_humidity'], // %RH
  [LPP_ACCELEROMETER, 2, 3, 1000, 1, 'accelerometer'], // G
  [LPP_BAROMETRIC_PRESSURE, 2, 1, 10, 0, 'barometric_pressure'], // hPa
  [LPP_VOLTAGE, 2, 1, 100, 0, 'voltage'],              // V
  [LPP_CURRENT, 2, 1, 1000, 0, 'current'],             // A
  [LPP_FREQUENCY, 4, 1, 1, 0, 'frequency'],            // Hz
  [LPP_PERCENTAGE, 1, 1, 1, 0, 'percentage'],          // %
  [LPP_ALTITUDE, 2, 1, 1, 1, 'altitude'],              // m
  [LPP_CONCENTRATION, 2, 1, 1, 0, 'concentration'],    // ppm
  [LPP_POWER, 2, 1, 1, 0, 'power'],                    // W
  [LPP_DISTANCE, 4, 1, 1000, 0, 'distance'],           // m
  [LPP_ENERGY, 4, 1, 1000, 0, 'energy'],               // kWh
  [LPP_DIRECTION, 2, 1, 1, 0, 'direction'],            // degrees
  [LPP_UNIXTIME, 4, 1, 1, 0, 'unixtime'],              // s
  [LPP_GYROMETER, 2, 3, 100, 1, 'gyrometer'],          // °/s
  [LPP_COLOUR, 1, 3, 1, 0, 'colour'],                  // r, g, b
  [LPP_GPS, 3, 3, 1, 1, 'gps'],                        // lat °, lon °, alt m
  [LPP_SWITCH, 1, 1, 1, 0, 'switch'],
];

export interface LppValue {
  channel: number;
  type: number;
  /** Value(s) in the type's unit (e.g. °C, not 0.1 °C): one, or three for accelerometer,
   *  gyrometer (x, y, z), colour (r, g, b) and GPS (latitude °, longitude °, altitude m). */
  values: number[];
  /** values[0], for the single-valued types. */
  value: number;
}

function typeRow(type: number): (number | string)[] | null {
  for (let i = 0; i < LPP_TYPES.length; i++) if (LPP_TYPES[i][0] === type) return LPP_TYPES[i];
  return null;
}

/** Human name of an LPP type ('temperature'), or '' if unknown. */
export function lppTypeName(type: number): string {
  const r = typeRow(type);
  return r ? (r[5] as string) : '';
}

function readInt(b: Uint8Array, off: number, n: number, signed: boolean): number {
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 256 + b[off + i];
  const lim = Math.pow(2, 8 * n);
  return signed && v >= lim / 2 ? v - lim : v;
}

/** Decodes an LPP payload into its fields in order. Never throws: LPP_ERR_* on bad input. */
export function decodeLpp(b: Uint8Array): LppValue[] | number {
  const out: LppValue[] = [];
  let i = 0;
  while (i < b.length) {
    if (i + 2 > b.length) return LPP_ERR_TRUNCATED;
    const channel = b[i];
    const type = b[i + 1];
    const row = typeRow(type);
    if (!row) return LPP_ERR_TYPE;
    const size = row[1] as number;
    const n = row[2] as number;
    const div = row[3] as number;
    i += 2;
    if (i + size * n > b.length) return LPP_ERR_TRUNCATED;
    const values: number[] = [];
    for (let k = 0; k < n; k++) {
      const raw = readInt(b, i, size, row[4] === 1);
      i += size;
      // GPS: lat/lon in 0.0001°, altitude in 0.01 m. Divide (not multiply by 0.01) so results are
      // the nearest doubles to the decimal values.
      values.push(type === LPP_GPS ? raw / (k < 2 ? 10000 : 100) : raw / div);
    }
    out.push({ channel: channel, type: type, values: values, value: values[0] });
  }
  return out;
}

/**
 * Maps LPP fields onto kerb Readings where the meaning is unambiguous: temperature, relative
 * humidity, barometric pressure, and voltage as battery. The first field of each type wins.
 * PM has no LPP type and concentration is ppm (a gas), so neither maps to PM.
 */
export function lppToReadings(values: LppValue[]): Readings {
  const r: Readings = {};
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v.type === LPP_TEMPERATURE && r.tempDeciC === undefined) r.tempDeciC = Math.round(v.value * 10);
    else if (v.type === LPP_RELATIVE_HUMIDITY && r.rhHalfPct === undefined) r.rhHalfPct = Math.round(v.value * 2);
    else if (v.type === LPP_BAROMETRIC_PRESSURE && r.pressureDeciHpa === undefined) r.pressureDeciHpa = Math.round(v.value * 10);
    else if (v.type === LPP_VOLTAGE && r.batteryMv === undefined) r.batteryMv = Math.round(v.value * 1000);
  }
  return r;
}
