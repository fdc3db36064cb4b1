// Readings in human units, driven by a reading-kind table (readings.ts), for the formatter, `kerb
// watch` and `kerb decode`. Every function takes the table as an argument so a test can pass a
// copy with an extra kind. Device-portable syntax (bundled into the ES5.1 formatter).

import type { ReadingKind, StatusFlag } from './readings.ts';

/**
 * raw × scale as the double nearest the decimal result: for scales below 1 that are 1/n with n an
 * integer (0.1, 0.5, 0.001, 1e-10) dividing by n is exact where multiplying is not
 * (123 × 0.1 = 12.300000000000001, 123 / 10 = 12.3).
 */
export function scaleValue(raw: number, scale: number): number {
  if (scale >= 1) return raw * scale;
  const d = Math.round(1 / scale);
  if (Math.abs(1 / scale - d) < 1e-9 * d) return raw / d;
  return raw * scale;
}

export function kindByKey(table: ReadingKind[], key: string): ReadingKind | undefined {
  for (let i = 0; i < table.length; i++) if (table[i].key === key) return table[i];
  return undefined;
}

export function kindBySlot(table: ReadingKind[], slot: number): ReadingKind | undefined {
  for (let i = 0; i < table.length; i++) if (table[i].slot === slot) return table[i];
  return undefined;
}

export function kindBySenmlName(table: ReadingKind[], n: string): ReadingKind | undefined {
  for (let i = 0; i < table.length; i++) if (table[i].senmlName === n) return table[i];
  return undefined;
}

/** A Readings integer in the kind's human unit (12.3 for 123 of pm25DeciUgm3). */
export function humanValue(k: ReadingKind, raw: number): number {
  return scaleValue(raw, k.scale);
}

/** A Readings integer as text in the human unit: `12.3 µg/m³`, `1013.2 hPa`, `3.71 V`. */
export function humanText(k: ReadingKind, raw: number): string {
  return humanValue(k, raw).toFixed(k.decimals) + ' ' + k.unit;
}

/**
 * A value published in the kind's SenML unit back in its human unit (1.23e-8 kg/m3 → 12.3 µg/m³):
 * via the Readings integer, which is what the node measured.
 */
export function humanTextFromSenml(k: ReadingKind, v: number): string {
  return humanText(k, Math.round(v / k.senmlScale));
}

/**
 * Names of the set status bits, lowest first; a bit the table does not name is `BIT_<n>`, so no
 * flag is ever silently dropped. Status fits 28 bits (STATUS_MAX).
 */
export function flagNames(status: number, flags: StatusFlag[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < 28; i++) {
    const m = Math.pow(2, i);
    if (Math.floor(status / m) % 2 !== 1) continue;
    let name = 'BIT_' + i;
    for (let j = 0; j < flags.length; j++) if (flags[j].mask === m) name = flags[j].name;
    out.push(name);
  }
  return out;
}

/** Readings as {name: value in human units} for the kinds of the table that are present. */
export function humanReadings(r: { [k: string]: number | undefined }, table: ReadingKind[]): { [k: string]: number } {
  const out: { [k: string]: number } = {};
  for (let i = 0; i < table.length; i++) {
    const v = r[table[i].key];
    if (typeof v === 'number') out[table[i].name] = humanValue(table[i], v);
  }
  return out;
}
