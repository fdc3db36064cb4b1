import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { portableAes } from '../../../shared/lorawan/aes.ts';
import { aesCmac } from '../../../shared/lorawan/cmac.ts';
import { nodeAes } from '../../../host/crypto.ts';
import { hex, toHex, loadVectors } from '../../helpers/lorawan.ts';

interface CmacVectors { key: string; message: string; vectors: { name: string; len: number; tag: string }[] }
const cv = loadVectors<CmacVectors>('lorawan-cmac.json');

describe.each([
  ['portableAes', portableAes],
  ['nodeAes', nodeAes],
])('aesCmac over %s', (_n, factory) => {
  it.each(cv.vectors.map((v) => [v.name, v] as const))('%s', (_x, v) => {
    const msg = hex(cv.message);
    expect(toHex(aesCmac(factory(hex(cv.key)), msg, v.len))).toBe(v.tag.toUpperCase());
  });
  it('only reads msg[0..len)', () => {
    const v = cv.vectors[2];
    const msg = hex(cv.message); // 64 bytes, tag asked for the first 40
    expect(toHex(aesCmac(factory(hex(cv.key)), msg, v.len))).toBe(v.tag.toUpperCase());
  });
});

describe('aesCmac', () => {
  it('portable and node AES give the same tags on random keys and messages', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ maxLength: 80 }), (k, m) => {
        return toHex(aesCmac(portableAes(k), m, m.length)) === toHex(aesCmac(nodeAes(k), m, m.length));
      }),
      { numRuns: 300 },
    );
  });
  it('a one-bit change anywhere changes the tag', () => {
    const k = nodeAes(hex(cv.key));
    const m = hex(cv.message);
    const t0 = toHex(aesCmac(k, m, 64));
    for (let i = 0; i < 64; i += 7) {
      const m2 = m.slice();
      m2[i] ^= 1;
      expect(toHex(aesCmac(k, m2, 64))).not.toBe(t0);
    }
  });
});
