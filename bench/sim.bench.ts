// Simulator throughput (issue 5 "Bench"): simulated uplinks per wall-clock second for the
// 10,000-node, 24-hour scenario (sim/scenarios/city-10000-day.yaml) with collisions and capture on,
// and peak RSS (sampled during the run). Runs the scenario twice: `fast` (the shared node
// application with its real drivers on virtual chips, sim/fast-node.ts) and `simple` (the
// simulator's built-in node model on the same shared LoRaWAN/payload code, sim/simple-node.ts).
//   npm run bench -- sim                       both modes, full day
//   npm run bench -- sim --sim-hours 6         shorter (figures are per wall second either way)
//   npm run bench -- sim --sim-mode simple     one mode
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../sim/scenario.ts';
import { Fleet } from '../sim/fleet.ts';

const SCENARIO = fileURLToPath(new URL('../sim/scenarios/city-10000-day.yaml', import.meta.url));

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

export async function bench(argv: string[]): Promise<void> {
  const hours = Number(arg(argv, '--sim-hours') ?? 24);
  const modes = (arg(argv, '--sim-mode') ?? 'simple,fast').split(',') as ('simple' | 'fast')[];
  for (const mode of modes) {
    const sc = loadScenario(SCENARIO);
    sc.durationH = hours;
    sc.nodes.mode = mode;
    if (global.gc) global.gc();
    const rss0 = process.memoryUsage().rss;
    let peak = rss0;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const fleet = new Fleet(sc);
    const tBuilt = performance.now();
    fleet.runSync(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    });
    const t1 = performance.now();
    const cpu = process.cpuUsage(cpu0);
    peak = Math.max(peak, process.memoryUsage().rss);
    const sent = fleet.stats.sent.reduce((a, b) => a + b, 0);
    const delivered = fleet.stats.delivered.reduce((a, b) => a + b, 0);
    const collided = fleet.stats.collided.reduce((a, b) => a + b, 0);
    const wall = (t1 - t0) / 1000;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    console.log(
      `sim ${mode.padEnd(6)} ${sc.nodes.count} nodes × ${hours} h: ${sent} uplinks (${((100 * delivered) / sent).toFixed(1)} % delivered, ${collided} lost to collisions)` +
        ` in ${wall.toFixed(1)} s wall (setup ${((tBuilt - t0) / 1000).toFixed(1)} s), ${cpuS.toFixed(1)} s CPU → ${Math.round(sent / wall)} uplinks/s wall, ${Math.round(sent / cpuS)} uplinks/s CPU;` +
        ` a day ≈ ${((wall * 24) / hours).toFixed(0)} s; peak RSS ${(peak / 2 ** 20).toFixed(0)} MB`,
    );
  }
}
