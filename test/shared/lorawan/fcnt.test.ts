import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { reconstructFcnt, MAX_FCNT_GAP } from '../../../shared/lorawan/fcnt.ts';

describe('reconstructFcnt', () => {
  it('fresh session (last32 = -1) takes the 16 bits as they are', () => {
    expect(reconstructFcnt(-1, 0)).toBe(0);
    expect(reconstructFcnt(-1, 1234)).toBe(1234);
    expect(reconstructFcnt(-1, 0xffff)).toBe(0xffff);
  });
  it('counts on within the same 65536 window', () => {
    expect(reconstructFcnt(0, 1)).toBe(1);
    expect(reconstructFcnt(10, 11)).toBe(11);
    expect(reconstructFcnt(10, 20)).toBe(20);
    expect(reconstructFcnt(0x12340005, 0x0006)).toBe(0x12340006);
  });
  it('rolls over at 65536', () => {
    expect(reconstructFcnt(65535, 0)).toBe(65536);
    expect(reconstructFcnt(65530, 3)).toBe(65539);
    expect(reconstructFcnt(131071, 0)).toBe(131072);
    expect(reconstructFcnt(70000, 70001 % 65536)).toBe(70001);
  });
  it('maps a repeat or an older counter to the next window (which the gap check then refuses)', () => {
    expect(reconstructFcnt(100, 100)).toBe(65636);
    expect(reconstructFcnt(100, 50)).toBe(65586);
    expect(reconstructFcnt(100, 100) - 100).toBeGreaterThan(MAX_FCNT_GAP);
  });
  it('works above 2^31 without sign trouble', () => {
    expect(reconstructFcnt(0x80000000, 1)).toBe(0x80000001);
    expect(reconstructFcnt(0xfffeffff, 0)).toBe(0xffff0000);
    expect(reconstructFcnt(0xfffffffe, 0xffff)).toBe(0xffffffff);
  });
  it('returns -1 when no 32-bit value is left above last32', () => {
    expect(reconstructFcnt(0xffffffff, 0)).toBe(-1);
    expect(reconstructFcnt(0xffffffff, 0xffff)).toBe(-1);
    expect(reconstructFcnt(0xffff0005, 3)).toBe(-1);
  });
  it('is the smallest value above last32 with those low bits (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 0xffffffff }), fc.nat({ max: 0xffff }), (last, lo) => {
        const r = reconstructFcnt(last, lo);
        if (r === -1) return last + 1 + ((lo - ((last + 1) % 65536) + 65536) % 65536) > 0xffffffff;
        return r > last && r - last <= 65536 && r % 65536 === lo && Number.isInteger(r) && r <= 0xffffffff;
      }),
      { numRuns: 5000 },
    );
  });
  it('recovers the sender counter whenever fewer than 65536 frames were lost', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1, max: 0xfffeffff }), fc.integer({ min: 1, max: 65536 }), (last, step) => {
        const sent = last + step;
        return reconstructFcnt(last, sent % 65536) === sent;
      }),
      { numRuns: 5000 },
    );
  });
});
