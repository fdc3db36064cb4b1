// The node application on virtual hardware: what it sends, how it samples, how it copes.
import { US915 } from '../../../shared/lorawan/region/us915.ts';
import { eu868SubBand } from '../../../shared/lorawan/dutycycle.ts';
import { nodeInfo } from '../../../shared/node/info.ts';
import { describe, it, expect } from 'vitest';
import { makeNode, STREET, DEV_ADDR, NWK, APP, Receiver } from '../../helpers/node.ts';
import type { StreetEnv } from '../../../sim/devices/index.ts';
import { VirtualClock } from '../../../sim/clock.ts';
import { VirtualRadio, VirtualStore, VirtualPower } from '../../../sim/devices/index.ts';
import type { RxWindow } from '../../../sim/devices/index.ts';
import { decodeReadings } from '../../../shared/payload/kerb.ts';
import type { Readings } from '../../../shared/payload/kerb.ts';
import {
  STATUS_PM_FAULT, STATUS_THP_FAULT, STATUS_NOISE_FAULT, STATUS_REBOOTED, STATUS_BATTERY_LOW,
  STATUS_RADIO_FAULT, STATUS_STORE_FAULT,
} from '../../../shared/payload/constants.ts';
import { timeOnAirMs } from '../../../shared/lorawan/airtime.ts';
import { createNode } from '../../../shared/node/node.ts';
import type { Sensor } from '../../../shared/hal/sensor.ts';
import { SENSOR_OK, SLOT_NOISE } from '../../../shared/hal/sensor.ts';
import { portableAes } from '../../../shared/lorawan/aes.ts';

const MIN = 60_000;

function readings(rx: Receiver): Readings[] {
  return rx.port(1).map((u) => {
    const r = decodeReadings(u.plain);
    if (typeof r === 'number') throw new Error('payload error ' + r);
    return r;
  });
}

describe('uplinks', () => {
  it('decode with openFrame + decodeReadings to the environment values', () => {
    const { clock, vn, rx } = makeNode(() => STREET);
    vn.start();
    clock.runUntil(10 * MIN);
    const rs = readings(rx);
    expect(rs.length).toBe(10);
    const r = rs[rs.length - 1];
    expect(r.tempDeciC).toBe(213);
    expect(r.rhHalfPct).toBe(90);
    expect(r.pressureDeciHpa).toBe(10132);
    expect(r.pm25DeciUgm3).toBe(120);
    expect(r.pm10DeciUgm3).toBe(200);
    expect(r.noiseDeciDb).toBe(620);
    expect(r.batteryMv).toBe(3900);
    expect(r.status ?? 0).toBe(0);
    expect(rs[0].status! & STATUS_REBOOTED).not.toBe(0); // first frame after boot says so
    // Counters strictly increase from 0, unconfirmed uplinks from our DevAddr.
    expect(rx.ups.map((u) => u.fcnt32)).toEqual([...Array(10).keys()]);
    for (const u of rx.ups) {
      expect(u.frame.devAddr).toBe(DEV_ADDR);
      expect(u.frame.mtype).toBe(2);
    }
  });

  it('aggregates: mean over the interval, maximum for noise', () => {
    // Temperature ramps 1 °C per minute; noise has a 10-s spike to 81 dB each minute.
    const env = (t: number): StreetEnv => ({
      ...STREET,
      tempC: 20 + t / MIN,
      noiseDb: t % MIN >= 25_000 && t % MIN < 35_000 ? 81 : 55,
    });
    const { clock, vn, rx } = makeNode(env, { periods: { envMs: 20_000, noiseMs: 10_000 } });
    vn.start();
    clock.runUntil(5 * MIN + 5000);
    const rs = readings(rx);
    expect(rs.length).toBe(5);
    // Cycle k (k·60 s … (k+1)·60 s) samples at +18, +38, +58 s: mean 20 + k + 38/60 °C.
    for (let k = 1; k < 5; k++) expect(Math.abs(rs[k].tempDeciC! - Math.round(10 * (20 + k + 38 / 60)))).toBeLessThanOrEqual(1);
    for (const r of rs) expect(r.noiseDeciDb).toBe(810);
  });

  it('hops over the EU868 default channels of its region table and respects the 1 % duty cycle at SF12', () => {
    const { clock, vn, rx } = makeNode(() => STREET, { config: { intervalS: 10, sf: 12 } });
    vn.start();
    clock.runUntil(60 * MIN);
    const ups = rx.ups;
    expect(ups.length).toBeGreaterThan(10);
    for (let i = 1; i < ups.length; i++) {
      // The three default channels share the 868.0–868.6 MHz 1 % sub-band: off for 99·T after T.
      expect(eu868SubBand(ups[i].ev.params.freqHz)).toBe(2);
      expect(ups[i].ev.startMs - ups[i - 1].ev.startMs).toBeGreaterThanOrEqual(ups[i - 1].ev.toaMs * 100 - 1e-6);
      expect(ups[i].ev.params.sf).toBe(12);
    }
    expect(new Set(ups.map((u) => u.ev.params.freqHz))).toEqual(new Set([868100000, 868300000, 868500000]));
    const toa = timeOnAirMs(12, 125000, 1, ups[1].ev.payload.length, 8, true, true);
    expect(ups[1].ev.toaMs).toBeCloseTo(toa, 6);
    expect(nodeInfo(vn.node).dropped).toBeGreaterThan(0); // readings replaced while waiting, not queued forever
  });

  it('US915: hops over sub-band 2 (channels 8–15, 903.9–905.3 MHz) with no duty-cycle wait', () => {
    const { clock, vn, rx } = makeNode(() => STREET, { config: { intervalS: 60, sf: 9, region: US915 } });
    vn.start();
    clock.runUntil(120 * MIN);
    expect(rx.ups.length).toBeGreaterThan(100);
    const want = Array.from({ length: 8 }, (_, i) => 903900000 + 200000 * i);
    expect([...new Set(rx.ups.map((u) => u.ev.params.freqHz))].sort()).toEqual(want);
  });

  it('stays on one channel when provisioned for a single-channel bridge (channelHz)', () => {
    const { clock, vn, rx } = makeNode(() => STREET, { config: { intervalS: 60, sf: 9, channelHz: 868300000 } });
    vn.start();
    clock.runUntil(60 * MIN);
    expect(rx.ups.length).toBeGreaterThan(30);
    expect(new Set(rx.ups.map((u) => u.ev.params.freqHz))).toEqual(new Set([868300000]));
  });

  it('opens RX1 1 s after TX end on the uplink channel/SF and RX2 2 s after on 869.525 MHz SF12', () => {
    const wins: RxWindow[] = [];
    const { clock, vn, rx } = makeNode(() => STREET, { onRxWindow: (w) => wins.push(w) });
    vn.start();
    clock.runUntil(5 * MIN + 5000);
    expect(wins.length).toBe(2 * rx.ups.length);
    rx.ups.forEach((u, i) => {
      const w1 = wins[2 * i];
      const w2 = wins[2 * i + 1];
      expect(w1.openMs).toBeCloseTo(u.ev.endMs + 1000, 6);
      expect(w1.params.freqHz).toBe(u.ev.params.freqHz);
      expect(w1.params.sf).toBe(u.ev.params.sf);
      expect(w1.params.invertIq).toBe(true);
      expect(w2.openMs).toBeCloseTo(u.ev.endMs + 2000, 6);
      expect(w2.params.freqHz).toBe(869525000);
      expect(w2.params.sf).toBe(12);
    });
  });
});

describe('power', () => {
  it('powers the PMS fan only for warm-up + sample, and never samples it cold', () => {
    const { clock, vn, rx } = makeNode(() => STREET, { config: { intervalS: 300 } });
    vn.start();
    clock.runUntil(60 * MIN);
    const fan = vn.pms.fanMs + (vn.pms.awake ? clock.now() - vn.pms.wokeAt : 0);
    expect(fan).toBeGreaterThanOrEqual(12 * 30_000);
    expect(fan).toBeLessThan(12 * 35_000); // ~11 % of the hour instead of 100 %
    for (const r of readings(rx)) expect(r.pm25DeciUgm3).toBe(120); // a cold fan would under-read
  });

  it('a late sample (warm-up) does not cause a burst of catch-up samples', () => {
    const clock = new VirtualClock(0);
    const times: number[] = [];
    const fan: Sensor = {
      slots: 1 << SLOT_NOISE, faultFlag: STATUS_NOISE_FAULT, warmupMs: 30_000, periodMs: 10_000,
      power: () => {},
      sample: (out, done) => { times.push(clock.now()); out[SLOT_NOISE] = 500; done(SENSOR_OK); },
    };
    const node = createNode({ clock, radio: new VirtualRadio(clock), store: new VirtualStore(), power: new VirtualPower(clock, () => 3900), sensors: [fan], aesFactory: portableAes, log: () => {} },
      { devAddr: DEV_ADDR, nwkSKey: NWK, appSKey: APP, intervalS: 60 });
    node.start();
    clock.runUntil(3 * MIN);
    expect(times[0]).toBe(30_000); // first sample only once warm
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(8_000);
  });

  it('allows deep sleep most of the time and kicks the watchdog from the loop', () => {
    const { clock, vn } = makeNode(() => STREET, { config: { intervalS: 300 } });
    vn.start();
    clock.runUntil(60 * MIN);
    vn.power.allowDeepSleep(false);
    expect(vn.power.sleepMs / clock.now()).toBeGreaterThan(0.95);
    expect(vn.power.kicks).toBeGreaterThan(12);
    expect(vn.power.maxKickGapMs).toBeLessThanOrEqual(300_000);
  });

  it('maxSleepMs bounds the time between kicks (short hardware watchdogs)', () => {
    const { clock, vn } = makeNode(() => STREET, { config: { intervalS: 300, maxSleepMs: 20_000 } });
    vn.start();
    clock.runUntil(30 * MIN);
    expect(vn.power.maxKickGapMs).toBeLessThanOrEqual(20_000 + 2000);
  });

  it('stops kicking the watchdog when a driver hangs', () => {
    const clock = new VirtualClock(0);
    const power = new VirtualPower(clock, () => 3900);
    let hang = false;
    const sensor: Sensor = {
      slots: 1 << SLOT_NOISE, faultFlag: STATUS_NOISE_FAULT, warmupMs: 0, periodMs: 10_000,
      power: () => {},
      sample: (out, done) => {
        if (hang) return; // never calls back
        out[SLOT_NOISE] = 500;
        done(SENSOR_OK);
      },
    };
    const node = createNode({ clock, radio: new VirtualRadio(clock), store: new VirtualStore(), power, sensors: [sensor], aesFactory: portableAes, log: () => {} },
      { devAddr: DEV_ADDR, nwkSKey: NWK, appSKey: APP, intervalS: 60 });
    node.start();
    clock.runUntil(5 * MIN);
    const before = power.kicks;
    expect(before).toBeGreaterThan(5);
    hang = true;
    clock.runUntil(15 * MIN);
    expect(power.kicks - before).toBeLessThanOrEqual(1);
    expect(clock.now() - power.lastKickAt).toBeGreaterThan(9 * MIN);
  });

  it('low-battery mode stretches the interval and flags it; recovers with hysteresis', () => {
    let mv = 3200;
    const { clock, vn, rx } = makeNode(() => ({ ...STREET, batteryMv: mv }), { config: { intervalS: 60 } });
    vn.start();
    clock.runUntil(30 * MIN);
    const low = rx.port(1);
    expect(nodeInfo(vn.node).effectiveIntervalS).toBe(240);
    for (let i = 2; i < low.length; i++) expect(low[i].ev.startMs - low[i - 1].ev.startMs).toBeGreaterThan(200_000);
    expect(readings(rx).every((r) => (r.status! & STATUS_BATTERY_LOW) !== 0)).toBe(true);
    mv = 3350; // above the threshold but inside the hysteresis band
    clock.runUntil(40 * MIN);
    expect(nodeInfo(vn.node).lowBattery).toBe(true);
    mv = 3600;
    clock.runUntil(60 * MIN);
    expect(nodeInfo(vn.node).lowBattery).toBe(false);
    expect(nodeInfo(vn.node).effectiveIntervalS).toBe(60);
  });
});

describe('sensor faults are data', () => {
  type Rig = ReturnType<typeof makeNode>;
  const cases: [string, (r: Rig, on: boolean) => void, string[], number][] = [
    ['BME280 absent', (r, on) => { r.vn.bme280.faults.absent = on; }, ['tempDeciC', 'rhHalfPct', 'pressureDeciHpa'], STATUS_THP_FAULT],
    ['BME280 NACK', (r, on) => { r.vn.bme280.faults.nack = on; }, ['tempDeciC', 'rhHalfPct', 'pressureDeciHpa'], STATUS_THP_FAULT],
    ['BME280 stuck', (r, on) => { r.vn.bme280.faults.stuck = on; }, ['tempDeciC', 'rhHalfPct', 'pressureDeciHpa'], STATUS_THP_FAULT],
    ['I2C bus stuck low', (r, on) => { r.vn.i2c.stuck = on; }, ['tempDeciC', 'rhHalfPct', 'pressureDeciHpa'], STATUS_THP_FAULT],
    ['PMS absent', (r, on) => { r.vn.pms.faults.absent = on; }, ['pm25DeciUgm3', 'pm10DeciUgm3'], STATUS_PM_FAULT],
    ['PMS bad checksum', (r, on) => { r.vn.pms.faults.badChecksum = on; }, ['pm25DeciUgm3', 'pm10DeciUgm3'], STATUS_PM_FAULT],
    ['PMS stuck', (r, on) => { r.vn.pms.faults.stuck = on; }, ['pm25DeciUgm3', 'pm10DeciUgm3'], STATUS_PM_FAULT],
    ['UART cut', (r, on) => { r.vn.uart.disconnected = on; }, ['pm25DeciUgm3', 'pm10DeciUgm3'], STATUS_PM_FAULT],
    ['microphone open', (r, on) => { r.vn.noiseAdc.absent = on; }, ['noiseDeciDb'], STATUS_NOISE_FAULT],
  ];
  it.each(cases)('%s: reading left out, flag set, node keeps reporting, recovers', (_name, set, fields, flag) => {
    let t = 0;
    // Values that change every minute, as real air does (the stuck detectors need that).
    const rig = makeNode((now) => ({ ...STREET, pm25: 10 + ((now / MIN) | 0) % 7, pm10: 20 + ((now / MIN) | 0) % 5 }), {
      periods: { envMs: 20_000 },
    });
    rig.vn.start();
    rig.clock.runUntil((t += 5 * MIN));
    const n0 = rig.rx.ups.length;
    set(rig, true);
    rig.clock.runUntil((t += 10 * MIN));
    const during = readings(rig.rx).slice(-3);
    expect(rig.rx.ups.length - n0).toBeGreaterThanOrEqual(9); // still one frame per minute
    for (const r of during) {
      expect(r.status! & flag).not.toBe(0);
      for (const f of fields) expect((r as Record<string, unknown>)[f]).toBeUndefined();
      expect(r.batteryMv).toBe(3900); // the rest still reported
    }
    set(rig, false);
    rig.clock.runUntil((t += 10 * MIN));
    const after = readings(rig.rx).slice(-1)[0];
    expect(after.status ?? 0).toBe(0);
    for (const f of fields) expect((after as Record<string, unknown>)[f]).toBeDefined();
  });

  it('a sensor that throws is a fault, not a crash', () => {
    const clock = new VirtualClock(0);
    const rx = new Receiver();
    const radio = new VirtualRadio(clock);
    radio.onTransmit = (ev) => rx.push(ev);
    const bad: Sensor = {
      slots: 1 << SLOT_NOISE, faultFlag: STATUS_NOISE_FAULT, warmupMs: 0, periodMs: 10_000,
      power: () => { throw new Error('x'); },
      sample: () => { throw new Error('driver bug'); },
    };
    const node = createNode({ clock, radio, store: new VirtualStore(), power: new VirtualPower(clock, () => 3700), sensors: [bad], aesFactory: portableAes, log: () => {} },
      { devAddr: DEV_ADDR, nwkSKey: NWK, appSKey: APP, intervalS: 60 });
    node.start();
    clock.runUntil(5 * MIN);
    const rs = readings(rx);
    expect(rs.length).toBe(5);
    expect(rs[4].status! & STATUS_NOISE_FAULT).not.toBe(0);
    expect(rs[4].batteryMv).toBe(3700); // from Power when no battery sensor is fitted
  });

  it('radio hardware error: flagged on the next frame that gets out', () => {
    const { clock, vn, rx } = makeNode(() => STREET);
    vn.start();
    clock.runUntil(3 * MIN);
    vn.radio.txFail = true;
    clock.runUntil(6 * MIN);
    const sent = rx.ups.length;
    vn.radio.txFail = false;
    clock.runUntil(8 * MIN);
    expect(rx.ups.length).toBe(sent + 2);
    expect(readings(rx)[sent].status! & STATUS_RADIO_FAULT).not.toBe(0);
    // Frames sealed for the failed transmissions used their counters: never reused, just skipped.
    expect(rx.ups[sent].fcnt32 - rx.ups[sent - 1].fcnt32).toBe(4);
  });

  it('flash write failure: no uplink without a reserved counter; flagged once flash works', () => {
    const { clock, vn, rx } = makeNode(() => STREET);
    vn.store.failWrites = true;
    vn.start();
    clock.runUntil(5 * MIN);
    expect(rx.ups.length).toBe(0);
    vn.store.failWrites = false;
    clock.runUntil(7 * MIN);
    expect(rx.ups.length).toBe(2);
    expect(readings(rx)[0].status! & STATUS_STORE_FAULT).not.toBe(0);
  });
});

