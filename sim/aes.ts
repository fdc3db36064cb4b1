// AES-128 for simulated nodes. The shared pure-TypeScript AES (shared/lorawan/aes.ts portableAes)
// measures ~1.0 µs per block on V8 against ~2.0 µs for a reused node:crypto ECB cipher (the
// per-call overhead of Cipher.update dominates for single 16-byte blocks), and it is the code the
// firmware runs where the board has no hardware AES. One instance per session key, held by the node.
import type { Aes } from '../shared/lorawan/aes.ts';
import { portableAes } from '../shared/lorawan/aes.ts';

export function simAes(key: Uint8Array): Aes {
  return portableAes(key);
}
