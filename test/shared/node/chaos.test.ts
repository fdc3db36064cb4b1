// Property: whatever faults, power cuts and downlinks hit a node, it keeps reporting, every frame
// verifies and decodes, and frame counters never repeat (fast-check drives random schedules).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { VirtualClock } from '../../../sim/clock.ts';
import { createVirtualStreetNode, VirtualStore } from '../../../sim/devices/index.ts';
import type { VirtualStreetNode } from '../../../sim/devices/index.ts';
import { decodeReadings, decodeStatusFrame, decodeAlert } from '../../../shared/payload/kerb.ts';
import { Receiver, STREET, DEV_ADDR, NWK, APP, downlink } from '../../helpers/node.ts';

const MIN = 60_000;
type Switch = (vn: VirtualStreetNode, on: boolean) => void;
const SWITCHES: Switch[] = [
  (vn, on) => { vn.bme280.faults.absent = on; },
  (vn, on) => { vn.bme280.faults.nack = on; },
  (vn, on) => { vn.bme280.faults.stuck = on; },
  (vn, on) => { vn.i2c.stuck = on; },
  (vn, on) => { vn.pms.faults.absent = on; },
  (vn, on) => { vn.pms.faults.badChecksum = on; },
  (vn, on) => { vn.pms.faults.garbage = on; },
  (vn, on) => { vn.uart.disconnected = on; },
  (vn, on) => { vn.noiseAdc.absent = on; },
  (vn, on) => { vn.radio.txFail = on; },
];
const COMMANDS = ['014500', '02002c01', '03', '05b400', '7f', '0202dc05', '04b0'];

type Ev = { atMin: number; kind: 'fault'; sw: number; on: boolean } | { atMin: number; kind: 'cut' } | { atMin: number; kind: 'down'; cmd: number };

const evArb: fc.Arbitrary<Ev> = fc.oneof(
  fc.record({ atMin: fc.integer({ min: 1, max: 170 }), kind: fc.constant('fault' as const), sw: fc.integer({ min: 0, max: SWITCHES.length - 1 }), on: fc.boolean() }),
  fc.record({ atMin: fc.integer({ min: 1, max: 170 }), kind: fc.constant('cut' as const) }),
  fc.record({ atMin: fc.integer({ min: 1, max: 170 }), kind: fc.constant('down' as const), cmd: fc.integer({ min: 0, max: COMMANDS.length - 1 }) }),
);

describe('chaos', () => {
  it('keeps reporting with unique counters under random faults, power cuts and downlinks', () => {
    fc.assert(fc.property(fc.array(evArb, { maxLength: 25 }), (evs) => {
      const clock = new VirtualClock(0);
      const rx = new Receiver();
      let store = new VirtualStore();
      let down = 0;
      const mk = (): VirtualStreetNode => createVirtualStreetNode({
        clock, env: (t) => ({ ...STREET, pm25: 10 + ((t / MIN) | 0) % 9 }), devAddr: DEV_ADDR, nwkSKey: NWK, appSKey: APP,
        store, onUplink: (ev) => rx.push(ev), config: { intervalS: 60, counterBlock: 16 },
      });
      let vn = mk();
      vn.start();
      const sorted = [...evs].sort((a, b) => a.atMin - b.atMin);
      for (const e of sorted) {
        clock.runUntil(e.atMin * MIN + 7000);
        if (e.kind === 'fault') SWITCHES[e.sw](vn, e.on);
        else if (e.kind === 'down') vn.radio.queueDownlink(downlink(down++, 10, Uint8Array.from(Buffer.from(COMMANDS[e.cmd], 'hex'))), 869525000, 12);
        else {
          const snap = store.snapshot();
          vn.stop();
          store = VirtualStore.restore(snap);
          vn = mk();
          vn.start();
        }
      }
      // Heal everything: the node must be reporting normally again within a few intervals.
      for (const s of SWITCHES) s(vn, false);
      const healedAt = clock.now();
      clock.runUntil(healedAt + 15 * MIN);
      const f = rx.ups.map((u) => u.fcnt32);
      for (let i = 1; i < f.length; i++) expect(f[i]).toBeGreaterThan(f[i - 1]);
      for (const u of rx.ups) {
        const d = u.frame.fport === 1 ? decodeReadings(u.plain) : u.frame.fport === 2 ? decodeStatusFrame(u.plain) : decodeAlert(u.plain);
        expect(typeof d).toBe('object');
      }
      const late = rx.port(1).filter((u) => u.ev.startMs > healedAt + 8 * MIN);
      expect(late.length).toBeGreaterThanOrEqual(2);
      const last = decodeReadings(late[late.length - 1].plain) as Record<string, number>;
      expect(last.tempDeciC).toBe(213);
      expect(last.noiseDeciDb).toBe(620);
      expect(last.pm25DeciUgm3).toBeGreaterThan(0);
      expect(last.batteryMv).toBe(3900);
    }), { numRuns: 25, seed: 4242 });
  });
});
