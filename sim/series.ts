// Environment time series of one node for the report (what its sensors saw, before faults), with
// labels and human units from the reading-kind table (shared/payload/readings.ts).
import type { Fleet } from './fleet.ts';
import type { Series } from './report.ts';
import { READINGS } from '../shared/payload/readings.ts';
import { humanValue, kindByKey } from '../shared/payload/human.ts';

/** The kinds the report charts, in chart order. */
const CHARTED = ['pm25DeciUgm3', 'tempDeciC', 'pressureDeciHpa', 'noiseDeciDb'];

export function envSeries(f: Fleet, node: number, points = 96): Series[] {
  if (node >= f.devices.length) return [];
  const kinds = CHARTED.map((key) => kindByKey(READINGS, key)!);
  const out: Series[] = kinds.map((k) => ({ label: k.label, unit: k.unit, decimals: k.decimals, points: [] }));
  for (let s = 0; s <= points; s++) {
    const t = (f.durationMs * s) / points;
    const r = f.sample(node, t) as Record<string, number | undefined>;
    const h = Math.round((t / 3600_000) * 100) / 100;
    kinds.forEach((k, i) => {
      const v = r[k.key];
      if (v !== undefined) out[i]!.points.push([h, humanValue(k, v)]);
    });
  }
  return out;
}
