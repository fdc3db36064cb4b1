// One measured fleet run for bench/sim.bench.ts: builds the scenario, runs it synchronously and
// returns the figures. The bench runs this in a child process from an esbuild bundle compiled
// without keepNames (see compileSimBench), so that peak RSS is that run's alone; `--sim-in-process`
// runs it in the bench process, from the sources as `kerb sim` loads them.
import { loadScenario } from './scenario.ts';
import { Fleet } from './fleet.ts';

export interface FleetBenchResult {
  mode: string;
  nodes: number;
  hours: number;
  sent: number;
  delivered: number;
  collided: number;
  wallS: number;
  setupS: number;
  cpuS: number;
  /** Peak resident set size of the process (getrusage ru_maxrss), bytes. */
  peakRssBytes: number;
  /** Heap in use after the run (before the fleet is dropped), bytes. */
  heapUsedBytes: number;
}

export function runFleetBench(scenarioFile: string, mode: 'fast' | 'simple', hours: number): FleetBenchResult {
  const sc = loadScenario(scenarioFile);
  sc.durationH = hours;
  sc.nodes.mode = mode;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const fleet = new Fleet(sc);
  const tBuilt = performance.now();
  fleet.runSync();
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const sum = (a: Uint32Array): number => a.reduce((x, y) => x + y, 0);
  return {
    mode,
    nodes: sc.nodes.count,
    hours,
    sent: sum(fleet.stats.sent),
    delivered: sum(fleet.stats.delivered),
    collided: sum(fleet.stats.collided),
    wallS: (t1 - t0) / 1000,
    setupS: (tBuilt - t0) / 1000,
    cpuS: (cpu.user + cpu.system) / 1e6,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: process.memoryUsage().heapUsed,
  };
}
