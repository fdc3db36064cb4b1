// node:crypto AES for the gateway, behind the same seam as shared/lorawan's portableAes. One ECB
// cipher per key, reused for every block: with padding off, each update() of 16 bytes returns
// exactly that block's ciphertext and keeps no state between calls (ECB has no chaining).
import { createCipheriv, createDecipheriv } from 'node:crypto';
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

/**
 * The Join Server's encryption of a Join-accept (LoRaWAN 1.0.4 §6.2.6): aes128_decrypt(AppKey, …)
 * in ECB over everything after MHDR, so that the end device recovers it with AES encrypt. Takes the
 * plaintext from shared/lorawan/join.ts buildJoinAccept (MHDR | fields | MIC) and returns the frame
 * for the air.
 */
export function encryptJoinAccept(appKey: Uint8Array, plain: Uint8Array): Uint8Array {
  if (appKey.length !== 16) throw new Error('AES-128 key must be 16 bytes');
  if ((plain.length - 1) % 16 !== 0) throw new Error(`Join-accept of ${plain.length} bytes: want 17 or 33`);
  const d = createDecipheriv('aes-128-ecb', appKey, null);
  d.setAutoPadding(false);
  const body = Buffer.concat([d.update(plain.subarray(1)), d.final()]);
  const out = new Uint8Array(plain.length);
  out[0] = plain[0];
  out.set(body, 1);
  return out;
}
