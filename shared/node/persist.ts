// Flash records of the sensor node (docs/node.md "Persistence"): n little-endian u16 words and a
// check byte, so an erased (0xFF…) or torn record reads as absent instead of as a plausible value.
// One codec for every record keeps the device bundle small. Pure functions, no I/O.

function check(b: Uint8Array, n: number): number {
  let s = 0x5a;
  for (let i = 0; i < n; i++) s = (s + b[i] * (i + 1)) & 255;
  return s;
}

/** Encodes the first n words of w (each taken mod 2^16). 2n + 1 bytes. */
export function encodeWords(w: ArrayLike<number>, n: number): Uint8Array {
  const b = new Uint8Array(2 * n + 1);
  for (let i = 0; i < n; i++) {
    b[2 * i] = w[i] & 255;
    b[2 * i + 1] = (w[i] >> 8) & 255;
  }
  b[2 * n] = check(b, 2 * n);
  return b;
}

/** Decodes a record of n words, or null when it is absent, of another length or fails its check. */
export function decodeWords(b: Uint8Array | null, n: number): Uint16Array | null {
  if (!b || b.length !== 2 * n + 1 || b[2 * n] !== check(b, 2 * n)) return null;
  const w = new Uint16Array(n);
  for (let i = 0; i < n; i++) w[i] = b[2 * i] | (b[2 * i + 1] << 8);
  return w;
}

/** Settings a downlink can change, as NodeInfo shows them. Thresholds in Readings units; 0 = off. */
export interface NodeSettings {
  intervalS: number;
  pm25AlertDeciUgm3: number;
  pm10AlertDeciUgm3: number;
  noiseAlertDeciDb: number;
  alertHoldoffS: number;
}
