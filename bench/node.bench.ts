// Sensor-node application on virtual hardware (sim/devices createVirtualStreetNode): per-node heap
// and clock events, simulated node-days per wall-clock second. Uses node:crypto AES (sim/aes.ts)
// like the fleet's fast mode, and the fleet's sampling (every sensor once per report).
import { VirtualClock } from '../sim/clock.ts';
import { createVirtualStreetNode } from '../sim/devices/index.ts';
import type { StreetEnv, VirtualStreetNode } from '../sim/devices/index.ts';
import { simAes } from '../sim/aes.ts';

const ENV: StreetEnv = { tempC: 18, rh: 60, pressureHpa: 1012, pm25: 9, pm10: 15, noiseDb: 58, batteryMv: 3900 };

export async function bench(argv: string[]): Promise<void> {
  const eq = argv.find((a) => a.startsWith('--nodes='));
  const at = argv.indexOf('--nodes');
  const nArg = eq ? eq.slice(8) : at >= 0 ? argv[at + 1] : undefined;
  const n = nArg ? parseInt(nArg, 10) : 2000;
  const hours = 24;
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const clock = new VirtualClock(0);
  let uplinks = 0;
  const nodes: VirtualStreetNode[] = [];
  const key = new Uint8Array(16).fill(7);
  for (let i = 0; i < n; i++) {
    const vn = createVirtualStreetNode({
      clock, env: () => ENV, devAddr: 0x26000000 + i, nwkSKey: key, appSKey: key, aesFactory: simAes,
      periods: { envMs: 300_000, pmMs: 300_000, noiseMs: 300_000, batteryMs: 300_000 },
      config: { intervalS: 300, firstReportMs: 1000 + ((i * 7919) % 300_000) },
      onUplink: () => { uplinks++; },
    });
    vn.start();
    nodes.push(vn);
  }
  gc?.();
  const perNode = (process.memoryUsage().heapUsed - heap0) / n;
  let events = 0;
  const t0 = performance.now();
  const end = hours * 3600_000;
  while (clock.nextAt() <= end && clock.step()) events++;
  const wall = (performance.now() - t0) / 1000;
  console.log(`nodes ${n}, ${hours} h virtual, interval 300 s`);
  console.log(`heap per node            ${(perNode / 1024).toFixed(1)} KiB${gc ? '' : ' (run node with --expose-gc for a steadier figure)'}`);
  console.log(`uplinks                  ${uplinks} (${(uplinks / n).toFixed(0)} per node)`);
  console.log(`clock events per uplink  ${(events / uplinks).toFixed(1)}`);
  console.log(`wall time                ${wall.toFixed(2)} s → ${(uplinks / wall).toFixed(0)} uplinks/s, ${((n * hours) / 24 / wall).toFixed(0)} node-days/s`);
}
