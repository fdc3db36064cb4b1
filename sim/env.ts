// Virtual street environment (believable signals): smooth, deterministic functions of
// (node, virtual time) so a node can sample at any instant in O(1) without per-tick state.
//  - temperature: diurnal sinusoid, minimum near 05:00 and maximum near 15:00 local time (the usual
//    shape of the urban diurnal cycle), plus a per-node microclimate offset and a slow city-wide
//    weather term that follows the pressure fronts (a passing front cools the city).
//  - relative humidity: falls as temperature rises at constant absolute humidity (≈ −3.5 %RH/°C
//    around 15 °C from the Magnus formula), clamped to 15..100 %.
//  - pressure: 1013 hPa plus fronts: each front is a smooth tanh step of −8..−20 hPa lasting a few
//    hours that recovers over about a day (synoptic timescales), city-wide.
//  - PM2.5/PM10 and noise: background plus a traffic index with weekday rush-hour peaks (08:00 and
//    17:30 local); PM10 ≈ 1.7 × PM2.5 (typical urban roadside ratio); noise 42 dB(A) at night to
//    ~70 dB(A) at a busy kerb.
// Faults (dropouts, stuck values) are applied by the scenario runner on top of these values.
import { Prng } from './prng.ts';

export interface EnvSample {
  tempC: number;
  rhPct: number;
  pressureHpa: number;
  pm25Ugm3: number;
  pm10Ugm3: number;
  noiseDbA: number;
}

export interface EnvOptions {
  /** Wall-clock instant (ms since epoch) of virtual time 0. */
  startEpochMs: number;
  /** Local time = UTC + this (hours). */
  tzOffsetHours: number;
  /** Mean daily temperature (°C) and diurnal half-amplitude. */
  meanTempC: number;
  diurnalAmpC: number;
  /** Number of pressure fronts per simulated week. */
  frontsPerWeek: number;
  /** Days of virtual time to prepare fronts for. */
  days: number;
}

export const DEFAULT_ENV: EnvOptions = {
  startEpochMs: Date.UTC(2026, 5, 1),
  tzOffsetHours: 1,
  meanTempC: 16,
  diurnalAmpC: 5,
  frontsPerWeek: 2,
  days: 1,
};

interface Front {
  atMs: number;
  depthHpa: number;
}

/** Per-node constants drawn once (microclimate, traffic exposure). */
export interface SiteProfile {
  tempOffsetC: number;
  traffic: number; // 0 (park) .. 1.5 (arterial road)
  pmBackground: number;
  noiseBackground: number;
  phase: Float64Array; // small per-node noise phases
}

const HOUR = 3600_000;
const DAY = 24 * HOUR;

function gauss(x: number, mu: number, sigma: number): number {
  const z = (x - mu) / sigma;
  return Math.exp(-0.5 * z * z);
}

export class Environment {
  readonly opts: EnvOptions;
  private fronts: Front[] = [];

  constructor(opts: Partial<EnvOptions>, rng: Prng) {
    this.opts = { ...DEFAULT_ENV, ...opts };
    const r = rng.fork('fronts');
    const span = (this.opts.days + 2) * DAY;
    const mean = (7 * DAY) / Math.max(0.01, this.opts.frontsPerWeek);
    // A front may already be passing when the run starts.
    for (let t = -DAY + r.exp(mean); t < span; t += r.exp(mean)) {
      this.fronts.push({ atMs: t, depthHpa: r.range(8, 20) });
    }
  }

  site(rng: Prng): SiteProfile {
    const phase = new Float64Array(6);
    for (let i = 0; i < 6; i++) phase[i] = rng.range(0, 2 * Math.PI);
    return {
      tempOffsetC: rng.normal() * 0.8,
      traffic: Math.max(0, rng.range(0.1, 1.5)),
      pmBackground: rng.range(4, 10),
      noiseBackground: rng.range(38, 46),
      phase,
    };
  }

  /** Local hour of day (0..24) and weekday (0 = Sunday) at virtual time t. */
  localTime(tMs: number): { hour: number; weekday: number } {
    const local = this.opts.startEpochMs + tMs + this.opts.tzOffsetHours * HOUR;
    const d = Math.floor(local / DAY);
    return { hour: (local - d * DAY) / HOUR, weekday: (d + 4) % 7 }; // 1970-01-01 was a Thursday
  }

  /** Local hour of day (0..24) at virtual time t (localTime without the object: hot path). */
  private localHour(tMs: number): number {
    const local = this.opts.startEpochMs + tMs + this.opts.tzOffsetHours * HOUR;
    return (local - Math.floor(local / DAY) * DAY) / HOUR;
  }

  /** Traffic index 0..~1: rush-hour peaks on weekdays, a broad midday plateau, quiet nights. */
  traffic(tMs: number): number {
    const local = this.opts.startEpochMs + tMs + this.opts.tzOffsetHours * HOUR;
    const d = Math.floor(local / DAY);
    const hour = (local - d * DAY) / HOUR;
    const weekday = (d + 4) % 7;
    const weekend = weekday === 0 || weekday === 6;
    const day = 0.35 * gauss(hour, 13, 4) + 0.05;
    if (weekend) return day + 0.25 * gauss(hour, 14, 3);
    return day + 0.75 * gauss(hour, 8, 1.0) + 0.65 * gauss(hour, 17.5, 1.3);
  }

  pressureHpa(tMs: number): number {
    let p = 1013;
    for (const f of this.fronts) {
      const dt = tMs - f.atMs;
      if (dt < -6 * HOUR || dt > 3 * DAY) continue;
      // Drop over ~3 h around the front, recover with a ~20 h time constant.
      const drop = 0.5 * (1 + Math.tanh(dt / (1.5 * HOUR)));
      const recover = dt > 0 ? Math.exp(-dt / (20 * HOUR)) : 1;
      p -= f.depthHpa * drop * recover;
    }
    return p;
  }

  sample(site: SiteProfile, tMs: number): EnvSample {
    return this.sampleInto(site, tMs, { tempC: 0, rhPct: 0, pressureHpa: 0, pm25Ugm3: 0, pm10Ugm3: 0, noiseDbA: 0 });
  }

  /** sample() into a caller's object (the fleet's hot path: no allocation per sensor sample). */
  sampleInto(site: SiteProfile, tMs: number, out: EnvSample): EnvSample {
    const hour = this.localHour(tMs);
    const ph = site.phase;
    const hours = tMs / HOUR;
    // Diurnal: cos with its maximum at 15:00, minimum at 03:00.
    const diurnal = Math.cos(((hour - 15) / 24) * 2 * Math.PI);
    const pressure = this.pressureHpa(tMs);
    const frontCooling = (pressure - 1013) * 0.25;
    const wobble = 0.3 * Math.sin(hours * 1.7 + ph[0]!) + 0.15 * Math.sin(hours * 5.3 + ph[1]!);
    const tempC = this.opts.meanTempC + this.opts.diurnalAmpC * diurnal + site.tempOffsetC + frontCooling + wobble;
    const rhPct = Math.min(100, Math.max(15, 70 - 3.5 * (tempC - this.opts.meanTempC) + 4 * Math.sin(hours * 0.9 + ph[2]!)));
    const tr = this.traffic(tMs) * site.traffic;
    // Fine particles build up under the night-time inversion too (lower boundary layer).
    const inversion = 0.4 * gauss(hour, 6, 2.5);
    const pm25 = Math.max(0.5, site.pmBackground * (1 + inversion) + 22 * tr + 2 * Math.sin(hours * 3.1 + ph[3]!));
    const pm10 = pm25 * (1.7 + 0.2 * Math.sin(hours * 0.7 + ph[4]!));
    const noiseDbA = site.noiseBackground + 28 * Math.min(1, tr) + 2.5 * Math.sin(hours * 7.7 + ph[5]!);
    out.tempC = tempC;
    out.rhPct = rhPct;
    out.pressureHpa = pressure + 0.2 * Math.sin(hours * 2.3 + ph[0]!);
    out.pm25Ugm3 = pm25;
    out.pm10Ugm3 = pm10;
    out.noiseDbA = noiseDbA;
    return out;
  }
}
