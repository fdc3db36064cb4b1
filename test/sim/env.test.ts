// The virtual street's signals have the shapes the scenario promises, and the model draws no
// randomness outside the seeded PRNG.
import { describe, it, expect } from 'vitest';
import { Environment } from '../../sim/env.ts';
import { Prng } from '../../sim/prng.ts';
import { Fleet } from '../../sim/fleet.ts';
import { parseScenario } from '../../sim/scenario.ts';

const H = 3600_000;
// 2026-06-01 is a Monday; local time = UTC + 1 h.
const env = new Environment({ startEpochMs: Date.UTC(2026, 5, 1), tzOffsetHours: 1, days: 8, frontsPerWeek: 2 }, new Prng(3));
const site = { ...env.site(new Prng(4)), traffic: 1.2 }; // a busy street (sites draw 0.1..1.5)
const at = (dayH: number) => env.sample(site, dayH * H - 1 * H); // local hour → virtual ms

describe('environment signals', () => {
  it('diurnal temperature peaks in the afternoon, humidity moves the other way', () => {
    const afternoon = at(15);
    const night = at(4);
    expect(afternoon.tempC - night.tempC).toBeGreaterThan(6);
    expect(afternoon.rhPct).toBeLessThan(night.rhPct);
  });

  it('PM and noise peak in the weekday rush hours, not at night; quieter at the weekend', () => {
    const rush = at(8);
    const night = at(3);
    expect(rush.pm25Ugm3).toBeGreaterThan(night.pm25Ugm3 * 1.3);
    expect(rush.noiseDbA).toBeGreaterThan(night.noiseDbA + 8);
    expect(at(17.5).noiseDbA).toBeGreaterThan(night.noiseDbA + 8);
    expect(env.traffic(5 * 24 * H + 7 * H)).toBeLessThan(env.traffic(7 * H) / 2); // Saturday 08:00 vs Monday 08:00
    expect(rush.pm10Ugm3).toBeGreaterThan(rush.pm25Ugm3);
  });

  it('weather fronts drop the pressure by several hPa within a week', () => {
    let lo = Infinity;
    let hi = -Infinity;
    for (let t = 0; t < 7 * 24 * H; t += H) {
      const p = env.pressureHpa(t);
      lo = Math.min(lo, p);
      hi = Math.max(hi, p);
    }
    expect(hi - lo).toBeGreaterThan(8);
    expect(lo).toBeGreaterThan(960);
  });

  it('batteries discharge as the fleet transmits; the model never calls Math.random', () => {
    const real = Math.random;
    Math.random = () => {
      throw new Error('Math.random used in the model');
    };
    try {
      const f = new Fleet(parseScenario({ name: 'b', seed: 2, duration: '6h', nodes: { count: 5, intervalS: 300, mode: 'fast' }, area: { layout: 'grid', spacingM: 30 } }));
      const before = f.streetEnv(0, 0).batteryMv;
      f.runSync();
      const after = f.streetEnv(0, f.durationMs).batteryMv;
      expect(after).toBeLessThan(before);
      expect(f.stats.sent[0]).toBeGreaterThan(60);
    } finally {
      Math.random = real;
    }
  });
});
