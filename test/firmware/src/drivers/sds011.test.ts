// SDS011 driver: command bytes from the control protocol, deframer, and the virtual sensor; and a
// node built with it.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../../../sim/clock.ts';
import { VirtualUart } from '../../../../sim/devices/uart.ts';
import { VirtualSds011, sdsDataFrame } from '../../../../sim/devices/sds011.ts';
import { Sds011, sdsCommand, SDS_WARMUP_MS } from '../../../../firmware/src/drivers/sds011.ts';
import { SENSOR_OK, SENSOR_ERR_ABSENT, SENSOR_ERR_CHECKSUM } from '../../../../shared/hal/sensor.ts';
import { makeNode, STREET } from '../../../helpers/node.ts';
import { decodeReadings } from '../../../../shared/payload/kerb.ts';
import { STATUS_PM_FAULT } from '../../../../shared/payload/constants.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('SDS011 commands (Laser Dust Sensor Control Protocol V1.3 examples)', () => {
  it('query, sleep, work and query-mode commands', () => {
    expect(hex(sdsCommand(4, 0, 0))).toBe('aab404000000000000000000000000ffff02ab');
    expect(hex(sdsCommand(6, 1, 0))).toBe('aab406010000000000000000000000ffff05ab');
    expect(hex(sdsCommand(6, 1, 1))).toBe('aab406010100000000000000000000ffff06ab');
    expect(hex(sdsCommand(2, 1, 1))).toBe('aab402010100000000000000000000ffff02ab');
  });

  it('data frame layout and checksum (spec example: PM2.5 = 0x00D4/10, PM10 = 0x013A/10)', () => {
    expect(hex(sdsDataFrame(21.2, 31.4, 0x7e9b))).toBe('aac0d4003a019b7e' + (((0xd4 + 0x3a + 0x01 + 0x9b + 0x7e) & 255).toString(16)) + 'ab');
  });
});

function rig() {
  const clock = new VirtualClock(0);
  const uart = new VirtualUart(clock, 9600);
  const env = { pm25Ugm3: 12.3, pm10Ugm3: 19.8 };
  const chip = new VirtualSds011(clock, uart, () => env);
  const drv = new Sds011(uart, clock);
  const read = (): number => {
    let st = -1;
    drv.read((s) => { st = s; });
    clock.advance(1500);
    return st;
  };
  return { clock, chip, drv, read };
}

describe('SDS011 driver on the virtual sensor', () => {
  it('reads 0.1 µg/m³ values after warm-up in query mode; faults are status codes', () => {
    const r = rig();
    r.drv.setAwake(true);
    r.clock.advance(SDS_WARMUP_MS);
    expect(r.chip.queryMode).toBe(true);
    expect(r.read()).toBe(SENSOR_OK);
    expect([r.drv.pm25DeciUgm3, r.drv.pm10DeciUgm3]).toEqual([123, 198]);
    r.chip.faults.garbage = true;
    expect(r.read()).toBe(SENSOR_OK);
    r.chip.faults.garbage = false;
    r.chip.faults.badChecksum = true;
    expect(r.read()).toBe(SENSOR_ERR_CHECKSUM);
    r.chip.faults.badChecksum = false;
    r.drv.setAwake(false);
    r.clock.advance(100);
    expect(r.chip.awake).toBe(false);
    expect(r.read()).toBe(SENSOR_ERR_ABSENT);
  });

  it('a node with an SDS011 reports exact deci-µg/m³ and duty-cycles the fan', () => {
    const { clock, vn, rx } = makeNode(() => ({ ...STREET, pm25: 12.3, pm10: 19.8 }), { pmModel: 'sds011', config: { intervalS: 300 } });
    vn.start();
    clock.runUntil(30 * 60_000 + 5000);
    const rs = rx.port(1).map((u) => decodeReadings(u.plain) as { pm25DeciUgm3: number; pm10DeciUgm3: number; status?: number });
    expect(rs.length).toBe(6);
    for (const r of rs) expect([r.pm25DeciUgm3, r.pm10DeciUgm3]).toEqual([123, 198]);
    const chip = vn.pms as VirtualSds011;
    expect(chip.fanMs).toBeLessThan(6 * 35_000);
    vn.pms.faults.absent = true;
    clock.runUntil(45 * 60_000 + 5000);
    const last = decodeReadings(rx.port(1).slice(-1)[0].plain) as { pm25DeciUgm3?: number; status: number };
    expect(last.pm25DeciUgm3).toBeUndefined();
    expect(last.status & STATUS_PM_FAULT).not.toBe(0);
  });
});
