// Flash records of the sensor node (docs/node.md "Persistence"). Each record ends in a check byte
// so an erased (0xFF…) or torn record reads as absent instead of as a plausible value.
// Pure functions on Uint8Array: no I/O here.

function check(b: Uint8Array, n: number): number {
  let s = 0x5a;
  for (let i = 0; i < n; i++) s = (s + b[i] * (i + 1)) & 255;
  return s;
}
function ok(b: Uint8Array | null, len: number): boolean {
  return !!b && b.length === len && b[len - 1] === check(b, len - 1);
}
function put32(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 255; b[i + 1] = (v >>> 8) & 255; b[i + 2] = (v >>> 16) & 255; b[i + 3] = (v >>> 24) & 255;
}
function get32(b: Uint8Array, i: number): number {
  return (b[i] | (b[i + 1] << 8) | (b[i + 2] << 16)) + b[i + 3] * 16777216;
}
function put16(b: Uint8Array, i: number, v: number): void {
  b[i] = v & 255; b[i + 1] = (v >> 8) & 255;
}
function get16(b: Uint8Array, i: number): number {
  return b[i] | (b[i + 1] << 8);
}

/** Counter record: every frame counter below `reserved` may have been used. 7 bytes. */
export interface CounterRecord {
  reserved: number;  // uint32
  bootCount: number; // uint16
}
export function encodeCounter(c: CounterRecord): Uint8Array {
  const b = new Uint8Array(7);
  put32(b, 0, c.reserved);
  put16(b, 4, c.bootCount & 0xffff);
  b[6] = check(b, 6);
  return b;
}
export function decodeCounter(b: Uint8Array | null): CounterRecord | null {
  if (!b || !ok(b, 7)) return null;
  return { reserved: get32(b, 0), bootCount: get16(b, 4) };
}

/** Settings a downlink can change. Thresholds in Readings units; 0 = alert off. */
export interface NodeSettings {
  intervalS: number;
  pm25AlertDeciUgm3: number;
  pm10AlertDeciUgm3: number;
  noiseAlertDeciDb: number;
  alertHoldoffS: number;
}
export const SETTINGS_VERSION = 1;
export function encodeSettings(s: NodeSettings): Uint8Array {
  const b = new Uint8Array(12);
  b[0] = SETTINGS_VERSION;
  put16(b, 1, s.intervalS);
  put16(b, 3, s.pm25AlertDeciUgm3);
  put16(b, 5, s.pm10AlertDeciUgm3);
  put16(b, 7, s.noiseAlertDeciDb);
  put16(b, 9, s.alertHoldoffS);
  b[11] = check(b, 11);
  return b;
}
export function decodeSettings(b: Uint8Array | null): NodeSettings | null {
  if (!b || !ok(b, 12) || b[0] !== SETTINGS_VERSION) return null;
  return {
    intervalS: get16(b, 1),
    pm25AlertDeciUgm3: get16(b, 3),
    pm10AlertDeciUgm3: get16(b, 5),
    noiseAlertDeciDb: get16(b, 7),
    alertHoldoffS: get16(b, 9),
  };
}

/** Last accepted downlink counter (32-bit), -1 for none. 5 bytes. */
export function encodeDownCounter(last32: number): Uint8Array {
  const b = new Uint8Array(5);
  put32(b, 0, last32 < 0 ? 0xffffffff : last32);
  b[4] = check(b, 4);
  return b;
}
export function decodeDownCounter(b: Uint8Array | null): number {
  if (!b || !ok(b, 5)) return -1;
  const v = get32(b, 0);
  return v === 0xffffffff ? -1 : v;
}
