// The one table of kerb reading kinds: for each Readings field, its slot in the payload codec
// (kerb.ts), how the gateway publishes it (SenML, RFC 8428 names and SenML Units registry units),
// how Home Assistant shows it, and how humans read it (`kerb watch`, `kerb decode`, the TTS
// formatter). Consumers (gateway/senml.ts, gateway/discovery.ts, host/registry.ts,
// shared/payload/formatter.ts, cli/watch.ts, cli/decode.ts) read this table and take it as a
// parameter, so adding a sensor is one entry here plus one codec slot (README "Adding a sensor").
//
// Plain data in device-portable syntax (the formatter bundles it into an ES5.1 script), but the node
// firmware never imports it: its strings would cost Espruino RAM for nothing the node prints. The
// codec keeps its own compact per-slot arrays; test/payload/readings.test.ts checks the two agree.

import {
  KIND_PM25, KIND_PM10, KIND_TEMP, KIND_RH, KIND_PRESSURE, KIND_NOISE, KIND_BATTERY,
  STATUS_PM_FAULT, STATUS_THP_FAULT, STATUS_NOISE_FAULT, STATUS_BATTERY_LOW, STATUS_CLAMPED,
  STATUS_REBOOTED, STATUS_PM_WARMUP, STATUS_SETTINGS_DEFAULT, STATUS_RADIO_FAULT, STATUS_STORE_FAULT,
} from './constants.ts';

export interface ReadingKind {
  /** The Readings field (integer, unit in its name), e.g. `pm25DeciUgm3`. */
  key: string;
  /** KIND_* slot of the field in the kerb payload codec (kerb.ts KIND_FIELDS[slot] === key). */
  slot: number;
  /** Short JSON name in human-unit output: the formatter's `data`, `kerb decode`'s `human`. */
  name: string;
  /** Display label (Home Assistant entity name, docs). */
  label: string;
  /** SenML record name `n` (RFC 8428 §4.5.1), unit `u` from the SenML Units registry (RFC 8428
   * §12.1, RFC 8798), and the factor from the Readings integer to that unit. */
  senmlName: string;
  senmlUnit: string;
  senmlScale: number;
  /** Unit for humans, and the factor from the Readings integer to it. */
  unit: string;
  scale: number;
  /** Decimals worth showing in the human unit (the on-air resolution). */
  decimals: number;
  /** Home Assistant sensor: JSON key in the state message and object-id suffix, device class, state
   * class and unit_of_measurement (HA's spelling); the value is the human one (same scale). */
  haKey: string;
  haDeviceClass: string;
  haStateClass: string;
  haUnit: string;
  /** Shown under the device's diagnostic entities in Home Assistant. */
  haDiagnostic: boolean;
}

/**
 * Reading kinds in codec slot order (the order SenML records and formatter fields come in).
 * Noise is the A-weighted sound pressure level re 20 µPa in dB: the SenML registry has `dB` (no
 * A-weighted unit; its `Bspl` is deprecated), so the weighting is stated here and in
 * docs/gateway.md; Home Assistant spells the same unit `dBA`, humans read `dB(A)`.
 */
export const READINGS: ReadingKind[] = [
  {
    key: 'pm25DeciUgm3', slot: KIND_PM25, name: 'pm25', label: 'PM2.5',
    // µg/m³ × 10 → kg/m³ (RFC 8798 registers kg/m3 "e.g., for particulate matter")
    senmlName: 'pm2.5', senmlUnit: 'kg/m3', senmlScale: 1e-10,
    unit: 'µg/m³', scale: 0.1, decimals: 1,
    haKey: 'pm25', haDeviceClass: 'pm25', haStateClass: 'measurement', haUnit: 'µg/m³', haDiagnostic: false,
  },
  {
    key: 'pm10DeciUgm3', slot: KIND_PM10, name: 'pm10', label: 'PM10',
    senmlName: 'pm10', senmlUnit: 'kg/m3', senmlScale: 1e-10,
    unit: 'µg/m³', scale: 0.1, decimals: 1,
    haKey: 'pm10', haDeviceClass: 'pm10', haStateClass: 'measurement', haUnit: 'µg/m³', haDiagnostic: false,
  },
  {
    key: 'tempDeciC', slot: KIND_TEMP, name: 'temperature', label: 'Temperature',
    senmlName: 'temperature', senmlUnit: 'Cel', senmlScale: 0.1,
    unit: '°C', scale: 0.1, decimals: 1,
    haKey: 'temperature', haDeviceClass: 'temperature', haStateClass: 'measurement', haUnit: '°C', haDiagnostic: false,
  },
  {
    key: 'rhHalfPct', slot: KIND_RH, name: 'relativeHumidity', label: 'Humidity',
    senmlName: 'humidity', senmlUnit: '%RH', senmlScale: 0.5,
    unit: '%', scale: 0.5, decimals: 1,
    haKey: 'humidity', haDeviceClass: 'humidity', haStateClass: 'measurement', haUnit: '%', haDiagnostic: false,
  },
  {
    key: 'pressureDeciHpa', slot: KIND_PRESSURE, name: 'pressure', label: 'Pressure',
    // hPa × 10 → Pa (the registry has Pa, not hPa)
    senmlName: 'pressure', senmlUnit: 'Pa', senmlScale: 10,
    unit: 'hPa', scale: 0.1, decimals: 1,
    haKey: 'pressure', haDeviceClass: 'atmospheric_pressure', haStateClass: 'measurement', haUnit: 'hPa', haDiagnostic: false,
  },
  {
    key: 'noiseDeciDb', slot: KIND_NOISE, name: 'noise', label: 'Noise',
    senmlName: 'noise', senmlUnit: 'dB', senmlScale: 0.1,
    unit: 'dB(A)', scale: 0.1, decimals: 1,
    haKey: 'noise', haDeviceClass: 'sound_pressure', haStateClass: 'measurement', haUnit: 'dBA', haDiagnostic: false,
  },
  {
    key: 'batteryMv', slot: KIND_BATTERY, name: 'battery', label: 'Battery',
    senmlName: 'battery', senmlUnit: 'V', senmlScale: 0.001,
    unit: 'V', scale: 0.001, decimals: 2,
    haKey: 'battery', haDeviceClass: 'voltage', haStateClass: 'measurement', haUnit: 'V', haDiagnostic: true,
  },
];

export interface StatusFlag {
  /** STATUS_* bit (constants.ts). */
  mask: number;
  /** Name printed by the formatter, `kerb watch` and `kerb decode`: the constant without STATUS_. */
  name: string;
  /** What it means, for docs and help text. */
  text: string;
}

/** Node status flags (Readings.status, status frame), lowest bit first. */
export const STATUS_FLAGS: StatusFlag[] = [
  { mask: STATUS_PM_FAULT, name: 'PM_FAULT', text: 'particulate sensor absent, checksum error or timeout' },
  { mask: STATUS_THP_FAULT, name: 'THP_FAULT', text: 'temperature/humidity/pressure sensor fault' },
  { mask: STATUS_NOISE_FAULT, name: 'NOISE_FAULT', text: 'sound-level input fault' },
  { mask: STATUS_BATTERY_LOW, name: 'BATTERY_LOW', text: 'low-battery mode, interval stretched' },
  { mask: STATUS_CLAMPED, name: 'CLAMPED', text: 'a value was outside its field range and saturated' },
  { mask: STATUS_REBOOTED, name: 'REBOOTED', text: 'first frame since boot' },
  { mask: STATUS_PM_WARMUP, name: 'PM_WARMUP', text: 'PM reading taken before the fan warm-up completed' },
  { mask: STATUS_SETTINGS_DEFAULT, name: 'SETTINGS_DEFAULT', text: 'stored settings unreadable, defaults in use' },
  { mask: STATUS_RADIO_FAULT, name: 'RADIO_FAULT', text: 'radio reported a hardware error' },
  { mask: STATUS_STORE_FAULT, name: 'STORE_FAULT', text: 'flash write failed' },
];
