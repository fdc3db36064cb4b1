// node:crypto AES-128 for simulated nodes: one ECB cipher per session key, held by the node itself
// (no shared cache to thrash with 10,000 nodes). With padding off, each 16-byte update() returns
// exactly that block's ciphertext (ECB keeps no chaining state).
import { createCipheriv } from 'node:crypto';
import type { Aes } from '../shared/lorawan/aes.ts';

export function simAes(key: Uint8Array): Aes {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return {
    encryptBlock(src, srcOff, dst, dstOff) {
      dst.set(c.update(src.subarray(srcOff, srcOff + 16)), dstOff);
    },
  };
}
