// node:crypto AES for the gateway, behind the same seam as shared/lorawan's portableAes. One ECB
// cipher per key, reused for every block: with padding off, each update() of 16 bytes returns
// exactly that block's ciphertext and keeps no state between calls (ECB has no chaining).
import { createCipheriv } from 'node:crypto';
import type { Cipheriv } from 'node:crypto';
import type { Aes, AesFactory } from '../shared/lorawan/aes.ts';

// Ciphers by key (hex), so per-frame nodeAes(key) calls do not redo the OpenSSL key schedule.
// Bounded: evicts the oldest entry beyond CACHE_MAX keys (a registry of thousands of devices).
const CACHE_MAX = 4096;
const cache = new Map<string, Aes>();

function make(key: Uint8Array): Aes {
  const c: Cipheriv = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return {
    encryptBlock(src, srcOff, dst, dstOff) {
      const out = c.update(src.subarray(srcOff, srcOff + 16));
      dst.set(out, dstOff);
    },
  };
}

export const nodeAes: AesFactory = (key: Uint8Array): Aes => {
  if (key.length !== 16) throw new Error('AES-128 key must be 16 bytes');
  const id = Buffer.from(key.buffer, key.byteOffset, 16).toString('hex');
  let aes = cache.get(id);
  if (!aes) {
    aes = make(key);
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(id, aes);
  }
  return aes;
};
