// BME280 driver against the virtual BME280 on a virtual I2C bus (fake at the bus, not by module
// mocking), plus the published worked example for the temperature/pressure compensation.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../../../sim/clock.ts';
import { VirtualI2cBus } from '../../../../sim/devices/i2c.ts';
import { VirtualBme280, TYPICAL_CALIBRATION } from '../../../../sim/devices/bme280.ts';
import type { Bme280Env } from '../../../../sim/devices/bme280.ts';
import {
  createBme280, bme280TFine, bme280PressurePa, bme280Sensor, BME280_ADDR_PRIMARY, BME280_STUCK_SAMPLES,
} from '../../../../firmware/src/drivers/bme280.ts';
import {
  SENSOR_OK, SENSOR_ERR_ABSENT, SENSOR_ERR_BUS, SENSOR_ERR_ID, SENSOR_ERR_STUCK, SLOT_TEMP, SLOT_RH,
  SLOT_PRESSURE, SLOT_COUNT,
} from '../../../../shared/hal/sensor.ts';

function rig(env: Bme280Env, seed = 7) {
  const clock = new VirtualClock(0);
  const bus = new VirtualI2cBus();
  const e = { ...env };
  const chip = new VirtualBme280(clock, () => e, TYPICAL_CALIBRATION, seed);
  bus.attach(BME280_ADDR_PRIMARY, chip);
  const drv = createBme280(bus, clock, BME280_ADDR_PRIMARY);
  const measure = (): number => {
    let st = -1;
    drv.measure((s) => { st = s; });
    clock.advance(50);
    return st;
  };
  return { clock, bus, chip, drv, measure, e };
}

describe('BME280 compensation (datasheet worked example)', () => {
  it('reproduces t_fine 128422 / 25.08 °C and ~100653 Pa for the published ADC values', () => {
    // Bosch BMP280 datasheet §3.12 Table "Compensation computation example": same trimming words,
    // adc_T 519888 → t_fine 128422, T = 25.08 °C; adc_P 415148 → p = 100653.27 Pa (double). The
    // BME280 uses identical T/P formulas (BME280 DS §4.2.3).
    const cal = new Int32Array(18);
    const c = TYPICAL_CALIBRATION;
    [c.T1, c.T2, c.T3, c.P1, c.P2, c.P3, c.P4, c.P5, c.P6, c.P7, c.P8, c.P9].forEach((v, i) => { cal[i] = v; });
    const tf = bme280TFine(cal, 519888);
    expect(tf).toBe(128422);
    expect((tf * 5 + 128) >> 8).toBe(2508);
    // The 32-bit variant (§8.2) has 1 Pa resolution and a few Pa of truncation error.
    expect(Math.abs(bme280PressurePa(cal, 415148, tf) - 100653)).toBeLessThanOrEqual(5);
  });
});

describe('BME280 driver on the virtual chip', () => {
  it('reads 21.3 °C / 45 %RH / 1013.2 hPa back within the payload resolution', () => {
    const r = rig({ tempC: 21.3, rhPct: 45, pressureHpa: 1013.2 });
    expect(r.measure()).toBe(SENSOR_OK);
    expect(Math.abs(r.drv.reading.tempCentiC - 2130)).toBeLessThanOrEqual(2);
    expect(Math.round(r.drv.reading.rhQ10 / 512)).toBe(90); // 45.0 %RH in half-percent
    expect(Math.abs(r.drv.reading.rhQ10 / 1024 - 45)).toBeLessThan(0.25);
    expect(Math.abs(r.drv.reading.pressurePa - 101320)).toBeLessThanOrEqual(6);
  });

  it.each([
    [-15.5, 85, 985.0],
    [0.0, 60, 1040.3],
    [38.7, 20, 950.6],
    [30.0, 95, 1001.0],
  ])('reads %s °C / %s %%RH / %s hPa', (t, h, p) => {
    const r = rig({ tempC: t, rhPct: h, pressureHpa: p }, 3);
    expect(r.measure()).toBe(SENSOR_OK);
    expect(Math.abs(r.drv.reading.tempCentiC - t * 100)).toBeLessThanOrEqual(2);
    expect(Math.abs(r.drv.reading.rhQ10 / 1024 - h)).toBeLessThan(0.25);
    expect(Math.abs(r.drv.reading.pressurePa - p * 100)).toBeLessThanOrEqual(6);
  });

  it('follows the environment between measurements (forced mode each time)', () => {
    const r = rig({ tempC: 10, rhPct: 50, pressureHpa: 1000 });
    expect(r.measure()).toBe(SENSOR_OK);
    r.e.tempC = 12.5;
    expect(r.measure()).toBe(SENSOR_OK);
    expect(Math.round(r.drv.reading.tempCentiC / 10)).toBe(125);
    expect(r.chip.measurements).toBe(2);
  });

  it('maps fault switches to status codes and recovers when cleared', () => {
    const r = rig({ tempC: 20, rhPct: 50, pressureHpa: 1013 });
    r.chip.faults.absent = true;
    expect(r.measure()).toBe(SENSOR_ERR_ABSENT);
    r.chip.faults.absent = false;
    r.chip.faults.nack = true;
    expect(r.measure()).toBe(SENSOR_ERR_BUS);
    r.chip.faults.nack = false;
    r.chip.faults.wrongId = true;
    expect(r.measure()).toBe(SENSOR_ERR_ID);
    r.chip.faults.wrongId = false;
    r.bus.stuck = true;
    expect(r.measure()).not.toBe(SENSOR_OK);
    r.bus.stuck = false;
    expect(r.measure()).toBe(SENSOR_OK);
  });

  it('flags frozen data registers as stuck', () => {
    const r = rig({ tempC: 20, rhPct: 50, pressureHpa: 1013 });
    expect(r.measure()).toBe(SENSOR_OK);
    r.chip.faults.stuck = true;
    const seen: number[] = [];
    for (let i = 0; i < BME280_STUCK_SAMPLES + 1; i++) seen.push(r.measure());
    expect(seen).toContain(SENSOR_ERR_STUCK);
    expect(seen[0]).toBe(SENSOR_OK); // the first repeat is not yet suspicious
    r.chip.faults.stuck = false;
    expect(r.measure()).toBe(SENSOR_OK);
  });

  it('sensor adapter writes payload units into its slots', () => {
    const r = rig({ tempC: -3.4, rhPct: 71.5, pressureHpa: 1022.4 });
    const s = bme280Sensor(r.drv, 2, 60000);
    const out = new Int32Array(SLOT_COUNT);
    let st = -1;
    s.sample(out, (x) => { st = x; });
    r.clock.advance(20);
    expect(st).toBe(SENSOR_OK);
    expect(out[SLOT_TEMP]).toBe(-34);
    expect(out[SLOT_RH]).toBe(143);
    expect(out[SLOT_PRESSURE]).toBe(10224);
  });
});
