// The simulator's T-table AES-128 (sim/aes.ts) against FIPS-197 and the shared portable AES.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { simAes } from '../../sim/aes.ts';
import { portableAes } from '../../shared/lorawan/aes.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('simAes', () => {
  it('FIPS-197 Appendix C.1 (AES-128) and the Appendix B example', () => {
    const out = new Uint8Array(16);
    simAes(hex('000102030405060708090a0b0c0d0e0f')).encryptBlock(hex('00112233445566778899aabbccddeeff'), 0, out, 0);
    expect(toHex(out)).toBe('69c4e0d86a7b0430d8cdb78070b4c55a');
    simAes(hex('2b7e151628aed2a6abf7158809cf4f3c')).encryptBlock(hex('3243f6a8885a308d313198a2e0370734'), 0, out, 0);
    expect(toHex(out)).toBe('3925841d02dc09fbdc118597196a0b32');
  });

  it('matches portableAes on random keys and blocks, with offsets and in place', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 4 }), (key, buf, off) => {
        const a = buf.slice();
        const b = buf.slice();
        simAes(key).encryptBlock(a, off, a, 4 - off);
        portableAes(key).encryptBlock(b, off, b, 4 - off);
        expect(toHex(a)).toBe(toHex(b));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects keys that are not 16 bytes', () => {
    expect(() => simAes(new Uint8Array(15))).toThrow();
  });
});
