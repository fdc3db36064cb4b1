// AES-128, encrypt direction only (FIPS-197). LoRaWAN 1.0.x needs nothing else: CMAC and the A_i
// keystream only ever encrypt (join-accept "decryption" is also an encryption, §6.2.5).
//
// Byte-oriented, S-box only: 256 B of shared table + 176 B of round keys and 32 B of state per key
// (per instance: the simulator runs thousands of nodes in one process). Rounds fuse SubBytes,
// ShiftRows, MixColumns and AddRoundKey per column (1.6 M blocks/s on V8, 2.3 KB minified). A
// T-table AES would be faster on V8 but needs 4 KB of tables, too much for a Puck.js (2630 JsVars).
// The S-box is a literal (FIPS-197 Figure 7) rather than computed at start-up: nothing mutable at
// module level, no start-up work on a slow interpreter, checkable against the standard by eye. It
// costs 703 B of minified bundle over computing it (esbuild --minify: 2294 B vs 1591 B).

/** One keyed AES-128 block encryptor. src and dst may be the same array (and overlap). */
export interface Aes {
  encryptBlock(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void;
}
/** Makes a keyed encryptor from a 16-byte key. Platforms supply faster ones (node:crypto, board AES). */
export type AesFactory = (key: Uint8Array) => Aes;

// FIPS-197 Figure 7. Never written to.
const SBOX = new Uint8Array([
  0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
  0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
  0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
  0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
  0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
  0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
  0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
  0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
  0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
  0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
  0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
  0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
  0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
  0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
  0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
  0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
]);

// FIPS-197 §5.2: round constants x^(i-1) in GF(2^8), one per round-key word 4i.
const RCON = new Uint8Array([0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36]);

/** FIPS-197 §5.2 KeyExpansion: 11 round keys, 176 bytes. */
function expandKey(key: Uint8Array): Uint8Array {
  const w = new Uint8Array(176);
  for (let i = 0; i < 16; i++) w[i] = key[i];
  for (let i = 16; i < 176; i += 4) {
    let t0 = w[i - 4], t1 = w[i - 3], t2 = w[i - 2], t3 = w[i - 1];
    if ((i & 15) === 0) {
      // RotWord + SubWord + Rcon
      const r = t0;
      t0 = SBOX[t1] ^ RCON[(i >> 4) - 1];
      t1 = SBOX[t2];
      t2 = SBOX[t3];
      t3 = SBOX[r];
    }
    w[i] = w[i - 16] ^ t0;
    w[i + 1] = w[i - 15] ^ t1;
    w[i + 2] = w[i - 14] ^ t2;
    w[i + 3] = w[i - 13] ^ t3;
  }
  return w;
}

/** Multiplication by x in GF(2^8) modulo x^8+x^4+x^3+x+1 (FIPS-197 §4.2.1). */
function xtime(a: number): number {
  return ((a << 1) ^ ((a >> 7) * 0x1b)) & 0xff;
}

/** Portable AES-128 (pure TypeScript; runs on V8 and Espruino). State is per instance. */
export const portableAes: AesFactory = function (key: Uint8Array): Aes {
  if (!key || key.length !== 16) throw new Error('AES-128 key must be 16 bytes');
  const rk = expandKey(key);
  // Two state buffers swapped each round (FIPS-197 §3.4 column-major order: byte r + 4c).
  let s = new Uint8Array(16);
  let t = new Uint8Array(16);
  return {
    encryptBlock: function (src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
      for (let i = 0; i < 16; i++) s[i] = src[srcOff + i] ^ rk[i];
      for (let k = 16; k < 160; k += 16) {
        // SubBytes + ShiftRows (§5.1.1-2: row r rotates left by r, so column c takes row r from
        // byte c + 5r) + MixColumns (§5.1.3, b0 = 2a0^3a1^a2^a3 = a0^x^2(a0^a1), x = a0^a1^a2^a3)
        // + AddRoundKey, one column at a time.
        for (let c = 0; c < 16; c += 4) {
          const a0 = SBOX[s[c]], a1 = SBOX[s[(c + 5) & 15]], a2 = SBOX[s[(c + 10) & 15]], a3 = SBOX[s[(c + 15) & 15]];
          const x = a0 ^ a1 ^ a2 ^ a3;
          t[c] = a0 ^ x ^ xtime(a0 ^ a1) ^ rk[k + c];
          t[c + 1] = a1 ^ x ^ xtime(a1 ^ a2) ^ rk[k + c + 1];
          t[c + 2] = a2 ^ x ^ xtime(a2 ^ a3) ^ rk[k + c + 2];
          t[c + 3] = a3 ^ x ^ xtime(a3 ^ a0) ^ rk[k + c + 3];
        }
        const u = s;
        s = t;
        t = u;
      }
      // Final round: no MixColumns. src was fully read into s above, so dst may alias it.
      for (let i = 0; i < 16; i++) dst[dstOff + i] = SBOX[s[(i + ((i & 3) << 2)) & 15]] ^ rk[160 + i];
    },
  };
};
