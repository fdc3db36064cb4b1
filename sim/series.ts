// Environment time series of one node for the report (what its sensors saw, before faults).
import type { Fleet } from './fleet.ts';
import type { Series } from './report.ts';

export function envSeries(f: Fleet, node: number, points = 96): Series[] {
  if (node >= f.devices.length) return [];
  const out: Series[] = [
    { label: 'PM2.5', unit: 'µg/m³', points: [] },
    { label: 'Temperature', unit: '°C', points: [] },
    { label: 'Pressure', unit: 'hPa', points: [] },
    { label: 'Noise', unit: 'dB(A)', points: [] },
  ];
  for (let k = 0; k <= points; k++) {
    const t = (f.durationMs * k) / points;
    const r = f.sample(node, t);
    const h = Math.round((t / 3600_000) * 100) / 100;
    if (r.pm25DeciUgm3 !== undefined) out[0]!.points.push([h, r.pm25DeciUgm3 / 10]);
    if (r.tempDeciC !== undefined) out[1]!.points.push([h, r.tempDeciC / 10]);
    if (r.pressureDeciHpa !== undefined) out[2]!.points.push([h, r.pressureDeciHpa / 10]);
    if (r.noiseDeciDb !== undefined) out[3]!.points.push([h, r.noiseDeciDb / 10]);
  }
  return out;
}
