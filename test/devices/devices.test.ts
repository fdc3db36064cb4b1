// The virtual devices themselves: the simulator and every node test stand on them.
import { describe, it, expect } from 'vitest';
import { VirtualClock } from '../../sim/clock.ts';
import {
  VirtualI2cBus, VirtualUart, VirtualStore, VirtualRadio, VirtualPower, VirtualBme280, bme280RawFor,
  TYPICAL_CALIBRATION, loraToaMs,
} from '../../sim/devices/index.ts';
import { RADIO_OK, RADIO_ERR_TIMEOUT, RADIO_ERR_HW, RADIO_ERR_BUSY } from '../../shared/hal/radio.ts';
import type { RadioParams, RadioRx } from '../../shared/hal/radio.ts';
import { STORAGE_HEADER_BYTES } from '../../sim/devices/store.ts';
import { timeOnAirMs } from '../../shared/lorawan/airtime.ts';

const UP: RadioParams = { freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: false };

describe('VirtualStore', () => {
  it('reads back copies, snapshots survive, failWrites refuses', () => {
    const s = new VirtualStore();
    const d = Uint8Array.from([1, 2, 3]);
    expect(s.write('a', d)).toBe(0);
    d[0] = 9;
    expect(s.read('a')).toEqual(Uint8Array.from([1, 2, 3]));
    const snap = s.snapshot();
    s.write('a', Uint8Array.from([4]));
    const s2 = VirtualStore.restore(snap);
    expect(s2.read('a')).toEqual(Uint8Array.from([1, 2, 3]));
    s2.failWrites = true;
    expect(s2.write('b', d)).not.toBe(0);
    expect(s2.read('b')).toBeNull();
    s2.erase('a');
    expect(s2.read('a')).toBeNull();
  });

  it('models journal wear: one erase cycle per capacity of journaled bytes', () => {
    const s = new VirtualStore(4096);
    const rec = new Uint8Array(8);
    const per = STORAGE_HEADER_BYTES + 8;
    for (let i = 0; i < 1000; i++) s.write('kerb.fa', rec);
    expect(s.writes).toBe(1000);
    // (1000 · 40 B) / 4096 B ≈ 9.8 wraps: each compaction keeps ≤ 1 live record.
    expect(s.pageEraseCycles).toBeGreaterThanOrEqual(Math.floor((1000 * per) / 4096) - 1);
    expect(s.pageEraseCycles).toBeLessThanOrEqual(Math.ceil((1000 * per) / (4096 - per)));
  });
});

describe('VirtualRadio', () => {
  it('reports each transmission with its time on air and completes after it', () => {
    const clock = new VirtualClock(1000);
    const r = new VirtualRadio(clock);
    const evs: { startMs: number; endMs: number; toaMs: number }[] = [];
    r.onTransmit = (e) => evs.push(e);
    let doneAt = -1;
    r.transmit(UP, new Uint8Array(14), (st) => { expect(st).toBe(RADIO_OK); doneAt = clock.now(); });
    let busy = -1;
    r.transmit(UP, new Uint8Array(3), (st) => { busy = st; });
    expect(busy).toBe(RADIO_ERR_BUSY);
    clock.advance(1000);
    // Semtech AN1200.13 / SX1276 datasheet §4.1.1.6: SF7/125 kHz/14 bytes = 46.336 ms
    expect(evs[0].toaMs).toBeCloseTo(46.336, 3);
    expect(doneAt).toBeCloseTo(1046.336, 3);
    r.txFail = true;
    let st = -1;
    r.transmit(UP, new Uint8Array(3), (s) => { st = s; });
    expect(st).toBe(RADIO_ERR_HW);
  });

  it('windows time out, take a delivered packet after its time on air, or a queued one', () => {
    const clock = new VirtualClock(0);
    const r = new VirtualRadio(clock);
    const rx2: RadioParams = { freqHz: 869525000, sf: 12, bwHz: 125000, cr: 1, powerDbm: 0, invertIq: true };
    let res: [number, RadioRx | null] | null = null;
    r.receive(rx2, 400, (s, p) => { res = [s, p]; });
    expect(r.deliver(new Uint8Array(5))).toBe(true);
    expect(r.deliver(new Uint8Array(5))).toBe(false); // one packet per window
    clock.advance(100);
    expect(res).toBeNull(); // still demodulating: SF12 takes ~1 s
    clock.advance(2000);
    expect(res![0]).toBe(RADIO_OK);
    expect(res![1]!.payload.length).toBe(5);
    expect(loraToaMs(rx2, 5)).toBeCloseTo(timeOnAirMs(12, 125000, 1, 5, 8, true, false), 6);
    res = null;
    r.receive(rx2, 400, (s, p) => { res = [s, p]; });
    clock.advance(500);
    expect(res![0]).toBe(RADIO_ERR_TIMEOUT);
    r.queueDownlink(Uint8Array.from([7]), 868300000, 9);
    res = null;
    r.receive(rx2, 400, (s, p) => { res = [s, p]; }); // wrong channel: not delivered
    clock.advance(500);
    expect(res![0]).toBe(RADIO_ERR_TIMEOUT);
    r.receive({ ...rx2, freqHz: 868300000, sf: 9 }, 60, (s, p) => { res = [s, p]; });
    clock.advance(500);
    expect(res![0]).toBe(RADIO_OK);
    expect(Array.from(res![1]!.payload)).toEqual([7]);
  });
});

describe('VirtualUart / VirtualI2cBus / VirtualPower', () => {
  it('delivers device bytes after their wire time', () => {
    const clock = new VirtualClock(0);
    const u = new VirtualUart(clock, 9600);
    let at = -1;
    u.onData(() => { at = clock.now(); });
    u.deviceSend(new Uint8Array(32));
    clock.advance(100);
    expect(at).toBeCloseTo((32 * 10 * 1000) / 9600, 6);
    const got: number[] = [];
    u.onDeviceData((d) => got.push(...d));
    u.write(Uint8Array.from([1, 2]));
    expect(got).toEqual([1, 2]);
    u.disconnected = true;
    u.write(Uint8Array.from([3]));
    expect(got).toEqual([1, 2]);
  });

  it('I2C: NACK for an empty address, bus error when stuck', () => {
    const clock = new VirtualClock(0);
    const bus = new VirtualI2cBus();
    expect(bus.write(0x76, Uint8Array.from([0xd0]))).not.toBe(0);
    bus.attach(0x76, new VirtualBme280(clock, () => ({ tempC: 20, rhPct: 50, pressureHpa: 1000 })));
    expect(bus.write(0x76, Uint8Array.from([0xd0]))).toBe(0);
    expect(bus.read(0x76, 1)).toEqual(Uint8Array.from([0x60]));
    bus.stuck = true;
    expect(bus.read(0x76, 1)).toBeNull();
  });

  it('BME280 twin: raw counts invert the datasheet float formulas monotonically', () => {
    const a = bme280RawFor(TYPICAL_CALIBRATION, { tempC: 10, rhPct: 40, pressureHpa: 1000 });
    const b = bme280RawFor(TYPICAL_CALIBRATION, { tempC: 11, rhPct: 50, pressureHpa: 990 });
    expect(b.adcT).toBeGreaterThan(a.adcT);
    expect(b.adcH).toBeGreaterThan(a.adcH);
    expect(b.adcP).toBeGreaterThan(a.adcP); // pressure counts fall as pressure rises
  });

  it('power: kick gaps and deep-sleep time', () => {
    const clock = new VirtualClock(0);
    const p = new VirtualPower(clock, () => 3700);
    p.kickWatchdog();
    p.allowDeepSleep(true);
    clock.advance(5000);
    p.allowDeepSleep(false);
    p.kickWatchdog();
    expect(p.maxKickGapMs).toBe(5000);
    expect(p.sleepMs).toBe(5000);
    let rebooted = false;
    p.onReboot = () => { rebooted = true; };
    p.reboot();
    expect(rebooted).toBe(true);
  });
});
