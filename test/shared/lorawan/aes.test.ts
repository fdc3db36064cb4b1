import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createCipheriv } from 'node:crypto';
import { portableAes } from '../../../shared/lorawan/aes.ts';
import { nodeAes } from '../../../host/crypto.ts';
import { hex, toHex, loadVectors } from '../../helpers/lorawan.ts';

interface AesVectors { vectors: { name: string; key: string; plaintext: string; ciphertext: string }[] }
const { vectors } = loadVectors<AesVectors>('lorawan-aes.json');

/** Reference straight from OpenSSL, no caching: the oracle for both implementations. */
function opensslBlock(key: Uint8Array, block: Uint8Array): string {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return toHex(Buffer.concat([c.update(block), c.final()]));
}

describe.each([
  ['portableAes', portableAes],
  ['nodeAes', nodeAes],
])('%s', (_name, factory) => {
  it.each(vectors.map((v) => [v.name, v] as const))('known answer %s', (_n, v) => {
    const out = new Uint8Array(16);
    factory(hex(v.key)).encryptBlock(hex(v.plaintext), 0, out, 0);
    expect(toHex(out)).toBe(v.ciphertext.toUpperCase());
  });

  it('encrypts in place and at offsets (src and dst may alias)', () => {
    const v = vectors[0];
    const aes = factory(hex(v.key));
    const buf = new Uint8Array(40);
    buf.set(hex(v.plaintext), 7);
    aes.encryptBlock(buf, 7, buf, 7);
    expect(toHex(buf.subarray(7, 23))).toBe(v.ciphertext.toUpperCase());
    expect(buf[6]).toBe(0);
    expect(buf[23]).toBe(0);
    // overlapping by 3 bytes: input must be read before output is written
    buf.fill(0);
    buf.set(hex(v.plaintext), 0);
    aes.encryptBlock(buf, 0, buf, 3);
    expect(toHex(buf.subarray(3, 19))).toBe(v.ciphertext.toUpperCase());
  });

  it('rejects keys that are not 16 bytes', () => {
    expect(() => factory(new Uint8Array(15))).toThrow();
    expect(() => factory(new Uint8Array(32))).toThrow();
  });

  it('matches OpenSSL on random keys and blocks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), (k, p) => {
        const out = new Uint8Array(16);
        factory(k).encryptBlock(p, 0, out, 0);
        return toHex(out) === opensslBlock(k, p);
      }),
      { numRuns: 500 },
    );
  });
});

describe('portableAes instances', () => {
  it('keep their own state: interleaved use of two keys gives the same results as separate use', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { minLength: 1, maxLength: 5 }),
        (k1, k2, blocks) => {
          const a = portableAes(k1), b = portableAes(k2);
          for (const blk of blocks) {
            const x = new Uint8Array(16), y = new Uint8Array(16);
            a.encryptBlock(blk, 0, x, 0);
            b.encryptBlock(blk, 0, y, 0);
            if (toHex(x) !== opensslBlock(k1, blk) || toHex(y) !== opensslBlock(k2, blk)) return false;
          }
          return true;
        },
      ),
      { numRuns: 100 },
    );
  });
  it('does not keep a reference to the caller key array', () => {
    const k = hex(vectors[0].key);
    const aes = portableAes(k);
    k.fill(0xff);
    const out = new Uint8Array(16);
    aes.encryptBlock(hex(vectors[0].plaintext), 0, out, 0);
    expect(toHex(out)).toBe(vectors[0].ciphertext.toUpperCase());
  });
});
