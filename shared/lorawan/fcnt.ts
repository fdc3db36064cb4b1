// 32-bit frame counters from the 16 bits on air (LoRaWAN 1.0.4 §4.3.1.5). JS numbers are doubles:
// plain arithmetic (not | or <<) keeps values above 2^31 exact and positive.

/**
 * LoRaWAN 1.0.1 §4.3.1.5: a receiver drops a frame whose counter jumped more than this since the
 * last accepted one (later versions dropped the constant; kerb keeps it as a replay/desync bound).
 */
export const MAX_FCNT_GAP = 16384;

/**
 * The 32-bit frame counter nearest above last32 whose low 16 bits are fcnt16, i.e. the next value
 * the sender can have used. last32 = -1 for a fresh session (then the result is fcnt16 itself).
 * Returns -1 when that value would pass 2^32 - 1: the session is exhausted and must be re-keyed.
 * The caller compares result - last32 with MAX_FCNT_GAP; a replay of last32's own low bits maps to
 * last32 + 65536, which that check rejects.
 */
export function reconstructFcnt(last32: number, fcnt16: number): number {
  const lo = fcnt16 & 0xffff;
  // last32 % 65536 is -1 for last32 = -1, so the base is 0 there too.
  let c = last32 - (last32 % 65536) + lo;
  if (c <= last32) c += 65536;
  return c > 0xffffffff ? -1 : c;
}
