// VirtualClock contract: time order, ties in scheduling order, cancellation, runUntil/advance/step.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../../sim/clock.ts';

describe('VirtualClock', () => {
  it('runs timers in time order, ties in scheduling order, and skips cleared ones', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 300 }), (spec) => {
        const c = new VirtualClock(10);
        const ran: number[] = [];
        const hs = spec.map(([d], i) => c.setTimeout(() => ran.push(i), d));
        spec.forEach(([, cancel], i) => cancel && c.clearTimeout(hs[i]!));
        c.runUntil(1000);
        const want = spec.map((s, i) => ({ i, d: s[0], cancel: s[1] })).filter((x) => !x.cancel).sort((a, b) => a.d - b.d || a.i - b.i).map((x) => x.i);
        expect(ran).toEqual(want);
        expect(c.now()).toBe(1000);
        expect(c.pending).toBe(0);
      }),
    );
  });

  it('timers scheduled from callbacks run in the same runUntil when due; step/nextAt/advance', () => {
    const c = new VirtualClock();
    const log: string[] = [];
    c.setTimeout(() => {
      log.push(`a@${c.now()}`);
      c.setTimeout(() => log.push(`b@${c.now()}`), 5);
      c.setTimeout(() => log.push(`late@${c.now()}`), 500);
    }, 10);
    expect(c.nextAt()).toBe(10);
    c.advance(100);
    expect(log).toEqual(['a@10', 'b@15']);
    expect(c.now()).toBe(100);
    expect(c.nextAt()).toBe(510);
    expect(c.step()).toBe(true);
    expect(log.at(-1)).toBe('late@510');
    expect(c.step()).toBe(false);
    expect(c.nextAt()).toBe(Infinity);
  });

  it('clearing an already-run or unknown handle is harmless, also in bulk', () => {
    const c = new VirtualClock();
    let n = 0;
    const hs: number[] = [];
    for (let i = 0; i < 5000; i++) hs.push(c.setTimeout(() => n++, i % 97));
    c.runUntil(50);
    for (const h of hs) c.clearTimeout(h); // half ran already
    c.clearTimeout(999_999);
    c.runUntil(1000);
    expect(n).toBe(hs.filter((_, i) => i % 97 <= 50).length);
    expect(c.pending).toBe(0);
  });
});
