// AES-CMAC (RFC 4493). LoRaWAN's MIC is its first four bytes (LoRaWAN 1.0.4 §4.4).
import type { Aes } from './aes.ts';

/**
 * RFC 4493 §2.4 AES-CMAC of msg[0..len). Returns the full 16-byte tag. Allocates two 16-byte
 * arrays; O(len/16) block encryptions plus one for the subkey.
 */
export function aesCmac(aes: Aes, msg: Uint8Array, len: number): Uint8Array {
  const k = new Uint8Array(16);
  aes.encryptBlock(k, 0, k, 0); // L = AES-128(K, 0^128)
  const complete = len > 0 && (len & 15) === 0;
  // K1 = dbl(L), K2 = dbl(K1) when the last block is padded with 10*. RFC 4493 §2.3 doubling in
  // GF(2^128): shift left one bit, xor Rb = 0x87 if the top bit fell out. (In place, not a helper
  // function: each function costs RAM on the device.)
  for (let d = complete ? 1 : 2; d > 0; d--) {
    const carry = k[0] >> 7;
    for (let i = 0; i < 15; i++) k[i] = ((k[i] << 1) | (k[i + 1] >> 7)) & 0xff;
    k[15] = ((k[15] << 1) & 0xff) ^ (carry * 0x87);
  }
  const n = len === 0 ? 1 : (len + 15) >> 4;
  const x = new Uint8Array(16);
  let off = 0;
  for (let b = 1; b < n; b++) {
    for (let i = 0; i < 16; i++) x[i] ^= msg[off + i];
    aes.encryptBlock(x, 0, x, 0);
    off += 16;
  }
  for (let i = 0; i < 16; i++) {
    const j = off + i;
    x[i] ^= k[i] ^ (j < len ? msg[j] : j === len ? 0x80 : 0);
  }
  aes.encryptBlock(x, 0, x, 0);
  return x;
}
