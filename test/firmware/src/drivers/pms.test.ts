// PMS5003/7003 driver: command bytes from the datasheet, the deframer, and the virtual sensor.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../../../sim/clock.ts';
import { VirtualUart } from '../../../../sim/devices/uart.ts';
import { VirtualPms, pmsDataFrame } from '../../../../sim/devices/pms.ts';
import { Pms, pmsCommand, pmsSensor, PMS_WARMUP_MS, PMS_STUCK_FRAMES } from '../../../../firmware/src/drivers/pms.ts';
import {
  SENSOR_OK, SENSOR_ERR_ABSENT, SENSOR_ERR_CHECKSUM, SENSOR_ERR_STUCK, SLOT_PM25, SLOT_PM10, SLOT_COUNT,
} from '../../../../shared/hal/sensor.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('PMS command frames (PMS5003 manual Appendix II)', () => {
  it('encodes read / mode / sleep / wake with the LRC the manual lists', () => {
    expect(hex(pmsCommand(0xe2, 0))).toBe('424de200000171'); // read in passive mode
    expect(hex(pmsCommand(0xe1, 0))).toBe('424de100000170'); // change to passive
    expect(hex(pmsCommand(0xe1, 1))).toBe('424de100010171'); // change to active
    expect(hex(pmsCommand(0xe4, 0))).toBe('424de400000173'); // sleep
    expect(hex(pmsCommand(0xe4, 1))).toBe('424de400010174'); // wake up
  });
});

function rig(pm25 = 17, pm10 = 29) {
  const clock = new VirtualClock(0);
  const uart = new VirtualUart(clock, 9600);
  const env = { pm25Ugm3: pm25, pm10Ugm3: pm10 };
  const chip = new VirtualPms(clock, uart, () => env, 11);
  const drv = new Pms(uart, clock);
  const read = (): number => {
    let st = -1;
    drv.read((s) => { st = s; });
    clock.advance(1500);
    return st;
  };
  return { clock, uart, chip, drv, read, env };
}

describe('PMS deframer', () => {
  it('parses a frame delivered in pieces after garbage, and rejects a bad check code', () => {
    const clock = new VirtualClock(0);
    const uart = new VirtualUart(clock, 9600);
    const drv = new Pms(uart, clock);
    const f = pmsDataFrame([5, 8, 11, 5, 9, 12, 900, 300, 50, 10, 2, 1, 0]);
    let st = -1;
    drv.pending = (s) => { st = s; };
    drv.push(Uint8Array.from([0x42, 0x00, 0x4d, 0x42, 0x42]));
    drv.push(f.subarray(0, 7));
    drv.push(f.subarray(7));
    expect(st).toBe(SENSOR_OK);
    expect([drv.pm1Ugm3, drv.pm25Ugm3, drv.pm10Ugm3]).toEqual([5, 9, 12]);
    const bad = f.slice();
    bad[10] ^= 1;
    drv.pending = (s) => { st = s; };
    drv.push(bad);
    expect(st).toBe(SENSOR_ERR_CHECKSUM);
    // A corrupted length field resynchronises instead of swallowing the next frame.
    const cut = f.slice();
    cut[3] = 200;
    drv.pending = (s) => { st = s; };
    st = -1;
    drv.push(cut);
    drv.push(f);
    expect(st).toBe(SENSOR_OK);
  });
});

describe('PMS driver on the virtual sensor', () => {
  it('reads PM2.5/PM10 after warm-up in passive mode', () => {
    const r = rig(17, 29);
    r.drv.setAwake(true);
    r.clock.advance(PMS_WARMUP_MS);
    expect(r.chip.active).toBe(false);
    expect(r.read()).toBe(SENSOR_OK);
    expect(r.drv.pm25Ugm3).toBe(17);
    expect(r.drv.pm10Ugm3).toBe(29);
  });

  it('under-reads during fan spin-up (why the node waits 30 s)', () => {
    const r = rig(40, 60);
    r.drv.setAwake(false);
    r.clock.advance(60_000);
    r.drv.setAwake(true);
    r.clock.advance(5_000);
    expect(r.read()).toBe(SENSOR_OK);
    expect(r.drv.pm25Ugm3).toBeLessThan(20);
  });

  it('asleep, absent, bad checksum and stuck are status codes', () => {
    const r = rig();
    r.drv.setAwake(true);
    r.clock.advance(PMS_WARMUP_MS);
    r.drv.setAwake(false);
    r.clock.advance(100);
    expect(r.read()).toBe(SENSOR_ERR_ABSENT); // a sleeping part does not answer
    r.drv.setAwake(true);
    r.clock.advance(PMS_WARMUP_MS);
    r.chip.faults.absent = true;
    expect(r.read()).toBe(SENSOR_ERR_ABSENT);
    r.chip.faults.absent = false;
    r.chip.faults.badChecksum = true;
    expect(r.read()).toBe(SENSOR_ERR_CHECKSUM);
    r.chip.faults.badChecksum = false;
    r.chip.faults.garbage = true;
    expect(r.read()).toBe(SENSOR_OK);
    r.chip.faults.garbage = false;
    r.chip.faults.stuck = true;
    const seen: number[] = [];
    for (let i = 0; i < PMS_STUCK_FRAMES + 1; i++) seen.push(r.read());
    expect(seen).toContain(SENSOR_ERR_STUCK);
    r.chip.faults.stuck = false;
    expect(r.read()).toBe(SENSOR_OK);
  });

  it('sensor adapter: deci-µg/m³ slots, power() sleeps the fan', () => {
    const r = rig(8, 13);
    const s = pmsSensor(r.drv, 1, 300000);
    s.power(true);
    r.clock.advance(s.warmupMs);
    const out = new Int32Array(SLOT_COUNT);
    let st = -1;
    s.sample(out, (x) => { st = x; });
    r.clock.advance(1000);
    expect(st).toBe(SENSOR_OK);
    expect(out[SLOT_PM25]).toBe(80);
    expect(out[SLOT_PM10]).toBe(130);
    s.power(false);
    r.clock.advance(10);
    expect(r.chip.awake).toBe(false);
  });
});
