// AES-128 for simulated nodes. The shared pure-TypeScript AES (shared/lorawan/aes.ts portableAes)
// is the byte-oriented code the firmware runs where the board has no hardware AES (small, slow);
// a reused node:crypto ECB cipher costs ~2 µs per 16-byte block in per-call overhead. The simulator
// is a platform like any other and supplies its own: the classic 32-bit T-table formulation of
// FIPS-197 (Daemen & Rijmen, "AES Proposal: Rijndael" §5.2.1; the layout of OpenSSL's
// aes_core.c), several times faster than portableAes on V8, with one 44-word key schedule per key
// (less memory per node than portableAes's three byte arrays). Checked against the FIPS-197
// Appendix C.1 vector and against portableAes on random keys and blocks (test/sim/aes.test.ts).
import type { Aes } from '../shared/lorawan/aes.ts';

const SBOX = new Uint8Array(256);
const TE0 = new Int32Array(256);
const TE1 = new Int32Array(256);
const TE2 = new Int32Array(256);
const TE3 = new Int32Array(256);
const RCON = [0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36];

function rotl8(x: number, n: number): number {
  return ((x << n) | (x >>> (8 - n))) & 0xff;
}

// S-box from its definition (FIPS-197 §5.1.1: multiplicative inverse in GF(2^8), then the affine
// map), walking the field with generator 3 so p and q = p⁻¹ stay paired.
(function buildTables(): void {
  let p = 1;
  let q = 1;
  SBOX[0] = 0x63;
  do {
    p = (p ^ (p << 1) ^ (p & 0x80 ? 0x1b : 0)) & 0xff;
    q ^= q << 1;
    q ^= q << 2;
    q ^= q << 4;
    q &= 0xff;
    if (q & 0x80) q ^= 0x09;
    SBOX[p] = q ^ rotl8(q, 1) ^ rotl8(q, 2) ^ rotl8(q, 3) ^ rotl8(q, 4) ^ 0x63;
  } while (p !== 1);
  for (let i = 0; i < 256; i++) {
    const s = SBOX[i]!;
    const s2 = ((s << 1) ^ (s & 0x80 ? 0x1b : 0)) & 0xff;
    const s3 = s2 ^ s;
    // MixColumns column (2·s, s, s, 3·s), big-endian word; TE1..3 are its byte rotations.
    const w = (s2 << 24) | (s << 16) | (s << 8) | s3;
    TE0[i] = w;
    TE1[i] = (w >>> 8) | (w << 24);
    TE2[i] = (w >>> 16) | (w << 16);
    TE3[i] = (w >>> 24) | (w << 8);
  }
})();

/** FIPS-197 §5.2 KeyExpansion as 44 big-endian words. */
function expandKey(key: Uint8Array): Int32Array {
  const w = new Int32Array(44);
  for (let i = 0; i < 4; i++) w[i] = (key[4 * i]! << 24) | (key[4 * i + 1]! << 16) | (key[4 * i + 2]! << 8) | key[4 * i + 3]!;
  for (let i = 4; i < 44; i++) {
    let t = w[i - 1]!;
    if ((i & 3) === 0) {
      t = ((SBOX[(t >>> 16) & 255]! << 24) | (SBOX[(t >>> 8) & 255]! << 16) | (SBOX[t & 255]! << 8) | SBOX[t >>> 24]!) ^ (RCON[(i >> 2) - 1]! << 24);
    }
    w[i] = w[i - 4]! ^ t;
  }
  return w;
}

export function simAes(key: Uint8Array): Aes {
  if (!key || key.length !== 16) throw new Error('AES-128 key must be 16 bytes');
  const rk = expandKey(key);
  return {
    encryptBlock(src: Uint8Array, so: number, dst: Uint8Array, d: number): void {
      let s0 = ((src[so]! << 24) | (src[so + 1]! << 16) | (src[so + 2]! << 8) | src[so + 3]!) ^ rk[0]!;
      let s1 = ((src[so + 4]! << 24) | (src[so + 5]! << 16) | (src[so + 6]! << 8) | src[so + 7]!) ^ rk[1]!;
      let s2 = ((src[so + 8]! << 24) | (src[so + 9]! << 16) | (src[so + 10]! << 8) | src[so + 11]!) ^ rk[2]!;
      let s3 = ((src[so + 12]! << 24) | (src[so + 13]! << 16) | (src[so + 14]! << 8) | src[so + 15]!) ^ rk[3]!;
      for (let k = 4; k < 40; k += 4) {
        const t0 = TE0[s0 >>> 24]! ^ TE1[(s1 >>> 16) & 255]! ^ TE2[(s2 >>> 8) & 255]! ^ TE3[s3 & 255]! ^ rk[k]!;
        const t1 = TE0[s1 >>> 24]! ^ TE1[(s2 >>> 16) & 255]! ^ TE2[(s3 >>> 8) & 255]! ^ TE3[s0 & 255]! ^ rk[k + 1]!;
        const t2 = TE0[s2 >>> 24]! ^ TE1[(s3 >>> 16) & 255]! ^ TE2[(s0 >>> 8) & 255]! ^ TE3[s1 & 255]! ^ rk[k + 2]!;
        const t3 = TE0[s3 >>> 24]! ^ TE1[(s0 >>> 16) & 255]! ^ TE2[(s1 >>> 8) & 255]! ^ TE3[s2 & 255]! ^ rk[k + 3]!;
        s0 = t0;
        s1 = t1;
        s2 = t2;
        s3 = t3;
      }
      // Last round: SubBytes + ShiftRows + AddRoundKey, no MixColumns. src may alias dst: all of
      // src was read above.
      const o0 = ((SBOX[s0 >>> 24]! << 24) | (SBOX[(s1 >>> 16) & 255]! << 16) | (SBOX[(s2 >>> 8) & 255]! << 8) | SBOX[s3 & 255]!) ^ rk[40]!;
      const o1 = ((SBOX[s1 >>> 24]! << 24) | (SBOX[(s2 >>> 16) & 255]! << 16) | (SBOX[(s3 >>> 8) & 255]! << 8) | SBOX[s0 & 255]!) ^ rk[41]!;
      const o2 = ((SBOX[s2 >>> 24]! << 24) | (SBOX[(s3 >>> 16) & 255]! << 16) | (SBOX[(s0 >>> 8) & 255]! << 8) | SBOX[s1 & 255]!) ^ rk[42]!;
      const o3 = ((SBOX[s3 >>> 24]! << 24) | (SBOX[(s0 >>> 16) & 255]! << 16) | (SBOX[(s1 >>> 8) & 255]! << 8) | SBOX[s2 & 255]!) ^ rk[43]!;
      dst[d] = o0 >>> 24; dst[d + 1] = o0 >>> 16; dst[d + 2] = o0 >>> 8; dst[d + 3] = o0;
      dst[d + 4] = o1 >>> 24; dst[d + 5] = o1 >>> 16; dst[d + 6] = o1 >>> 8; dst[d + 7] = o1;
      dst[d + 8] = o2 >>> 24; dst[d + 9] = o2 >>> 16; dst[d + 10] = o2 >>> 8; dst[d + 11] = o2;
      dst[d + 12] = o3 >>> 24; dst[d + 13] = o3 >>> 16; dst[d + 14] = o3 >>> 8; dst[d + 15] = o3;
    },
  };
}
