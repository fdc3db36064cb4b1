// host/fastcrypto.ts must agree bit for bit with shared/lorawan/session.ts (the device code,
// itself checked against RFC 4493 and lora-packet in test/shared/lorawan) on arbitrary inputs, including
// after many calls on the same key (the CBC chaining value is carried between calls).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { portableAes } from '../../shared/lorawan/aes.ts';
import { computeMic, cryptFrmPayload, openFrame, sealFrame } from '../../shared/lorawan/session.ts';
import { decodeFrame } from '../../shared/lorawan/frame.ts';
import type { DataFrame } from '../../shared/lorawan/frame.ts';
import { MTYPE_CONFIRMED_UP, MTYPE_UNCONFIRMED_UP } from '../../shared/lorawan/constants.ts';
import { fastCrypt, fastKey, fastMic, fastOpenFrame } from '../../host/fastcrypto.ts';

const key = fc.uint8Array({ minLength: 16, maxLength: 16 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('fastcrypto', () => {
  it('MIC equals shared computeMic for every length 0..255, both directions, repeated keys', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 0, max: 1 }), u32, u32, fc.uint8Array({ minLength: 0, maxLength: 255 }), fc.integer({ min: 1, max: 3 }), (k, dir, addr, fcnt, msg, reps) => {
        const fk = fastKey(k);
        for (let r = 0; r < reps; r++) {
          const f = (fcnt + r) >>> 0;
          expect(fastMic(fk, dir, addr, f, msg, msg.length)).toBe(computeMic(portableAes(k), dir, addr, f, msg, msg.length));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('MIC over a prefix (len < msg.length) ignores the rest', () => {
    fc.assert(
      fc.property(key, u32, fc.uint8Array({ minLength: 1, maxLength: 80 }), (k, fcnt, msg) => {
        const len = msg.length - 1;
        expect(fastMic(fastKey(k), 0, 0x26011bda, fcnt, msg, len)).toBe(computeMic(portableAes(k), 0, 0x26011bda, fcnt, msg, len));
      }),
      { numRuns: 100 },
    );
  });

  it('FRMPayload crypt equals shared cryptFrmPayload (lengths 0..242)', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 0, max: 1 }), u32, u32, fc.uint8Array({ minLength: 0, maxLength: 242 }), (k, dir, addr, fcnt, data) => {
        const got = fastCrypt(fastKey(k), dir, addr, fcnt, data);
        expect(Buffer.from(got).toString('hex')).toBe(Buffer.from(cryptFrmPayload(portableAes(k), dir, addr, fcnt, data)).toString('hex'));
      }),
      { numRuns: 200 },
    );
  });

  it('openFrame agrees with shared openFrame on sealed, tampered and wrong-counter frames', () => {
    fc.assert(
      fc.property(key, key, u32, u32, fc.uint8Array({ minLength: 0, maxLength: 51 }), fc.integer({ min: -1, max: 223 }), fc.boolean(), fc.nat(), (nk, ak, addr, fcnt, pl, fport, confirmed, flip) => {
        const s = { nwkSKey: portableAes(nk), appSKey: portableAes(ak) };
        const f: DataFrame = {
          mtype: confirmed ? MTYPE_CONFIRMED_UP : MTYPE_UNCONFIRMED_UP, devAddr: addr, adr: false, adrAckReq: false, ack: false, fpending: false,
          fcnt: fcnt & 0xffff, fopts: new Uint8Array(0), fport, payload: fport < 0 ? new Uint8Array(0) : pl, mic: 0,
        };
        const raw = sealFrame(s, f, fcnt);
        const variants = [raw, Uint8Array.from(raw)];
        variants[1]![flip % raw.length] ^= 1 << (flip % 8);
        for (const r of variants) {
          const d = decodeFrame(r);
          if (typeof d === 'number') continue;
          for (const c of [fcnt, (fcnt + 65536) % 2 ** 32]) {
            const want = openFrame(s, r, d, c);
            const got = fastOpenFrame(fastKey(nk), fastKey(ak), r, d, c);
            if (typeof want === 'number') expect(got).toBe(want);
            else expect(typeof got === 'number' ? got : Buffer.from(got).toString('hex')).toBe(Buffer.from(want).toString('hex'));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('looks keys up by content, not only by array identity', () => {
    const k = new Uint8Array(16).fill(7);
    const a = fastKey(k);
    k[0] = 8; // a caller that reuses its array for another key must not get the old ciphers
    const b = fastKey(k);
    expect(b).not.toBe(a);
    const msg = new Uint8Array([0x40, 1, 2, 3, 4, 0, 1, 0]);
    expect(fastMic(b, 0, 1, 1, msg, msg.length)).toBe(computeMic(portableAes(k), 0, 1, 1, msg, msg.length));
  });
});
