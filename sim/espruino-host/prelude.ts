// Builds the Storage ".boot0" text for one board: the chip stand-ins of standins.js (Espruino JS)
// preceded by their configuration — where the harness channel is, which pins the board's profile
// (firmware/src/boards/) wires to which chip, the BME280's trimming values, and the environment
// the chips start in. The host computes raw sensor values from an environment the way the chips'
// datasheets define them, so the firmware's own conversions are what the test checks.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { bme280RawFor, TYPICAL_CALIBRATION, VirtualBme280, type Bme280Calibration } from '../devices/bme280.ts';
import { batteryFrac, soundEnvelopeFrac } from '../devices/adc.ts';

/** The environment around a node, in physical units. */
export interface Environment {
  tempC: number;
  rhPct: number;
  pressureHpa: number;
  pm25Ugm3: number;
  pm10Ugm3: number;
  noiseDb: number;
  batteryMv: number;
}

export const DEFAULT_ENV: Environment = { tempC: 21.3, rhPct: 45, pressureHpa: 1013.2, pm25Ugm3: 12, pm10Ugm3: 20, noiseDb: 62, batteryMv: 3900 };

/** Microphone calibration and battery divider the Pico node is built with (firmware/src/main-node.ts, boards/pico.ts). */
const SOUND_CAL_FRAC_94 = 0.25;
const PICO_ADC_REF_MV = 3300;
const PICO_DIVIDER_MILLI = 2000;

interface BoardWiring {
  /** The board uses the Pico's A/B port names, which the Linux build lacks. */
  ab: boolean;
  nss: string;
  rst: string | null;
  dio0: string | null;
  /** Serial port the PMS5003 hangs on (node only). */
  pms: string | null;
  /** Serial port of the bridge's link to the gateway. */
  link: string;
  nrf: boolean;
  sound: string | null;
  battery: string | null;
}

/** Same pins as firmware/src/boards/puck.ts and pico.ts. */
export const WIRING: Record<string, BoardWiring> = {
  puck: { ab: false, nss: 'D30', rst: null, dio0: null, pms: null, link: 'Serial1', nrf: true, sound: null, battery: null },
  pico: { ab: true, nss: 'B10', rst: 'B1', dio0: 'A8', pms: 'Serial2', link: 'USB', nrf: false, sound: 'A0', battery: 'A1' },
};

/** The BME280 trimming registers 0x88..0xA1 (26 bytes) then 0xE1..0xE7 (7 bytes), §4.2.2. */
export function calibrationBytes(cal: Bme280Calibration = TYPICAL_CALIBRATION): number[] {
  const twin = new VirtualBme280({ now: () => 0, setTimeout: () => 0, clearTimeout: () => {} }, () => ({ tempC: 20, rhPct: 50, pressureHpa: 1000 }), cal);
  return [...twin.regs.subarray(0x88, 0xa2), ...twin.regs.subarray(0xe1, 0xe8)];
}

/** BME280 ADC counts [T, P, H] a perfect part with the typical calibration measures in env. */
export function thpCounts(env: Environment, cal: Bme280Calibration = TYPICAL_CALIBRATION): [number, number, number] {
  const r = bme280RawFor(cal, { tempC: env.tempC, rhPct: env.rhPct, pressureHpa: env.pressureHpa });
  return [r.adcT, r.adcP, r.adcH];
}

export function soundFrac(db: number): number {
  return soundEnvelopeFrac(db, SOUND_CAL_FRAC_94);
}

export function picoBatteryFrac(mv: number): number {
  return batteryFrac(mv, PICO_ADC_REF_MV, PICO_DIVIDER_MILLI);
}

/**
 * standins.js without its comments: they would cost Storage and parse time on every boot, and
 * they cite datasheet sections with characters the console upload keeps to ASCII.
 */
export function standinSource(): string {
  const src = readFileSync(fileURLToPath(new URL('./standins.js', import.meta.url)), 'utf8');
  const out: string[] = [];
  for (const line of src.split('\n')) {
    if (/^\s*\/\//.test(line)) continue;
    const at = line.indexOf(' // ');
    // A trailing comment only when no string is open before it (standins.js keeps '//' out of strings).
    const code = at >= 0 && (line.slice(0, at).split("'").length - 1) % 2 === 0 ? line.slice(0, at) : line;
    if (code.trim()) out.push(code.trimEnd());
  }
  return out.join('\n') + '\n';
}

/** The .boot0 text for `board` running `entry`, talking to the host over the pty at chanPath. */
export function buildPrelude(board: string, entry: string, chanPath: string, env: Environment = DEFAULT_ENV): string {
  const w = WIRING[board];
  if (!w) throw new Error(`no stand-in wiring for board '${board}' (known: ${Object.keys(WIRING).join(', ')})`);
  const adcIn: Record<string, number> = {};
  if (w.sound) adcIn[w.sound] = soundFrac(env.noiseDb);
  if (w.battery) adcIn[w.battery] = picoBatteryFrac(env.batteryMv);
  const cfg = {
    ch: chanPath,
    ab: w.ab ? 1 : 0,
    nss: w.nss,
    rst: w.rst,
    dio0: w.dio0,
    pms: entry === 'node' ? w.pms : null,
    pm: [Math.round(env.pm25Ugm3 * 0.7), Math.round(env.pm25Ugm3), Math.round(env.pm10Ugm3)],
    link: entry === 'bridge' ? w.link : null,
    nrf: w.nrf ? 1 : 0,
    batt: env.batteryMv / 1000,
    adcIn,
    cal: calibrationBytes(),
    adc: thpCounts(env),
  };
  const text = `var KH_CFG=${JSON.stringify(cfg)};\n${standinSource()}`;
  // Storage writes go through the console as string literals: keep it to printable ASCII.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 126 || (c < 32 && c !== 10)) throw new Error(`stand-in source has a non-ASCII character at ${i}`);
  }
  return text;
}
