import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, encodeFrame } from '../../../shared/lorawan/frame.ts';
import type { DataFrame } from '../../../shared/lorawan/frame.ts';
import { ERR_TOO_LONG, ERR_TOO_SHORT } from '../../../shared/lorawan/constants.ts';
import { errorName } from '../../../shared/lorawan/errors.ts';
import { openFrame } from '../../../shared/lorawan/session.ts';
import { portableAes } from '../../../shared/lorawan/aes.ts';
import { reconstructFcnt } from '../../../shared/lorawan/fcnt.ts';
import { hex, toHex, loadVectors, errCode, arbFrame } from '../../helpers/lorawan.ts';
import type { FrameVectors } from '../../helpers/lorawan.ts';

const { frames, rejects } = loadVectors<FrameVectors>('lorawan-frames.json');

function view(f: DataFrame) {
  return {
    mtype: f.mtype, devAddr: f.devAddr.toString(16).toUpperCase().padStart(8, '0'), adr: f.adr, adrAckReq: f.adrAckReq,
    ack: f.ack, fpending: f.fpending, fcnt: f.fcnt, fopts: toHex(f.fopts), fport: f.fport, payload: toHex(f.payload),
    mic: f.mic.toString(16).toUpperCase().padStart(8, '0'),
  };
}

describe('golden frames', () => {
  it.each(frames.map((v) => [v.name, v] as const))('%s: annotation, decode, encode, round trip', (_n, v) => {
    // the byte-by-byte annotation is the frame
    expect(v.fields.map((x) => x[0]).join('').toUpperCase()).toBe(v.hex.toUpperCase());
    const raw = hex(v.hex);
    const f = decodeFrame(raw);
    if (typeof f === 'number') throw new Error(`decode failed: ${errorName(f)}`);
    expect(view(f)).toEqual(v.expect);
    expect(toHex(encodeFrame(f))).toBe(v.hex.toUpperCase());
    // encode from the expected fields alone (not from a decoded object)
    const e = v.expect;
    const built: DataFrame = {
      mtype: e.mtype, devAddr: parseInt(e.devAddr, 16), adr: e.adr, adrAckReq: e.adrAckReq, ack: e.ack, fpending: e.fpending,
      fcnt: e.fcnt, fopts: hex(e.fopts), fport: e.fport, payload: hex(e.payload), mic: parseInt(e.mic, 16),
    };
    expect(toHex(encodeFrame(built))).toBe(v.hex.toUpperCase());
    expect(view(decodeFrame(encodeFrame(built)) as DataFrame)).toEqual(v.expect);
  });

  it.each(rejects.filter((r) => r.error).map((r) => [r.name, r] as const))('rejects %s', (_n, r) => {
    expect(decodeFrame(hex(r.hex))).toBe(errCode(r.error!));
  });

  it('rejects frames over 255 bytes and accepts 255', () => {
    const base = hex(frames[0].hex);
    const long = new Uint8Array(256);
    long.set(base.subarray(0, 9));
    expect(decodeFrame(long)).toBe(ERR_TOO_LONG);
    const f = decodeFrame(long.subarray(0, 255));
    expect(typeof f).toBe('object');
    expect((f as DataFrame).payload.length).toBe(255 - 13);
  });

  it('12 bytes is the shortest data frame (no FPort); 11 is too short', () => {
    const f = decodeFrame(hex('40F17DBE490003002A3518AF'));
    expect(typeof f).toBe('object');
    expect((f as DataFrame).fport).toBe(-1);
    expect((f as DataFrame).payload.length).toBe(0);
    expect(decodeFrame(hex('40F17DBE4900030A3518AF'))).toBe(ERR_TOO_SHORT);
  });

  it('decodes devAddr and MIC above 2^31 as unsigned', () => {
    const f = decodeFrame(hex('40FFFFFFFF00FFFF01AAFFFFFFFE')) as DataFrame;
    expect(f.devAddr).toBe(0xffffffff);
    expect(f.fcnt).toBe(0xffff);
    expect(f.mic).toBe(0xfffffffe);
  });
});

describe('properties', () => {
  it('decode(encode(x)) = x', () => {
    fc.assert(
      fc.property(arbFrame, (f) => {
        const d = decodeFrame(encodeFrame(f));
        expect(d).not.toBeTypeOf('number');
        expect(view(d as DataFrame)).toEqual(view(f));
      }),
      { numRuns: 2000 },
    );
  });

  it('encode(decode(b)) = b for every byte string decode accepts', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 64 }), (b) => {
        if (b[0] & 1) b[0] = (2 + ((b[0] >> 1) & 3)) << 5; // half of them get a valid data-frame MHDR
        const d = decodeFrame(b);
        if (typeof d === 'number') return true;
        return toHex(encodeFrame(d)) === toHex(b);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('fuzz: decodeFrame and openFrame never throw', () => {
  // A small deterministic PRNG (xorshift32) so a failure is reproducible from the seed.
  function rng(seed: number) {
    let s = seed >>> 0 || 1;
    return () => {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      return s;
    };
  }
  it('100k random and mutated byte strings', () => {
    const r = rng(0x6b657262);
    const seeds = frames.map((v) => hex(v.hex));
    const s = { nwkSKey: portableAes(hex(frames[0].nwkSKey!)), appSKey: portableAes(hex(frames[0].appSKey!)) };
    let accepted = 0, rejected = 0, opened = 0;
    for (let n = 0; n < 100_000; n++) {
      let b: Uint8Array;
      if (n & 1) {
        // random: lengths 0..300, biased to the interesting 0..40
        const len = (r() & 3) === 0 ? r() % 301 : r() % 41;
        b = new Uint8Array(len);
        for (let i = 0; i < len; i++) b[i] = r() & 0xff;
      } else {
        // mutate a golden frame: flip bits, truncate, extend, or rewrite FCtrl's FOptsLen
        const src = seeds[r() % seeds.length];
        b = src.slice();
        const kind = r() % 4;
        if (kind === 0) for (let k = 1 + (r() % 3); k > 0; k--) b[r() % b.length] ^= 1 << (r() & 7);
        else if (kind === 1) b = b.subarray(0, r() % (b.length + 1));
        else if (kind === 2) { const e = new Uint8Array(b.length + 1 + (r() % 20)); e.set(b); b = e; }
        else b[5] = (b[5] & 0xf0) | (r() & 15);
      }
      const d = decodeFrame(b);
      if (typeof d === 'number') {
        rejected++;
        expect(errorName(d)).not.toMatch(/^error /);
      } else {
        accepted++;
        expect(d.fopts.length + d.payload.length + (d.fport >= 0 ? 1 : 0) + 12).toBe(b.length);
        // what the gateway does next with wire data: must return a status, never throw
        const p = openFrame(s, b, d, reconstructFcnt(r() % 3 === 0 ? -1 : r(), d.fcnt));
        if (typeof p !== 'number') opened++;
      }
    }
    expect(accepted).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
    expect(opened).toBeGreaterThan(0); // unmutated golden frames under the right key pass
  });
});
