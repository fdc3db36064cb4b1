// Simulator throughput: simulated uplinks per wall-clock second for the
// 10,000-node, 24-hour scenario (sim/scenarios/city-10000-day.yaml) with collisions and capture on,
// and peak RSS. Runs the scenario in both node modes: `fast` (the shared node application with its
// real drivers on virtual chips, sim/fast-node.ts) and `simple` (the simulator's built-in node model
// on the same shared LoRaWAN/payload code, sim/simple-node.ts).
//
// Each mode runs in its own child process (so peak RSS is that run's alone) from an esbuild bundle
// of the simulator compiled WITHOUT keepNames. tsx, which `kerb` uses to load TypeScript, always
// compiles with keepNames, wrapping every closure in a name-setting call: the node application
// creates closures per node and per event, and that costs about 2× CPU and memory in fast mode.
//   npm run bench -- sim                       both modes, full day
//   npm run bench -- sim --sim-hours 6         shorter (figures are per wall second either way)
//   npm run bench -- sim --sim-mode fast       one mode
//   npm run bench -- sim --sim-tsx             in this (tsx) process instead, for comparison
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { runFleetBench } from '../sim/bench-run.ts';
import type { FleetBenchResult } from '../sim/bench-run.ts';

const SCENARIO = fileURLToPath(new URL('../sim/scenarios/city-10000-day.yaml', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * Bundles sim/bench-run.ts into node_modules/.cache/kerb/ (inside the repository, so the bundle's
 * bare imports of yaml, acorn, esbuild resolve to the project's node_modules) and returns its path.
 */
export async function compileSimBench(): Promise<string> {
  const dir = join(ROOT, 'node_modules', '.cache', 'kerb');
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, 'sim-bench.mjs');
  await build({
    stdin: {
      contents:
        "import { runFleetBench } from './sim/bench-run.ts';\n" +
        'const a = process.argv;\n' +
        'process.stdout.write(JSON.stringify(runFleetBench(a[2], a[3], Number(a[4]))) + "\\n");\n',
      resolveDir: ROOT,
      sourcefile: 'sim-bench-entry.ts',
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node}`,
    packages: 'external',
    keepNames: false,
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

/**
 * V8 grows the old generation to a multiple of what survived the last full GC; the fleet keeps a
 * steady ~170 MB of node state while promoting short-lived event objects, so the default factor
 * lets the heap swell to ~4× that over a simulated day. Growing by 100 % per step keeps peak RSS
 * down by a quarter at no measurable CPU cost (interleaved 8 h runs: 30.9 vs 30.8 CPU-s, peak RSS
 * 603 vs 443 MB). It is a soft target, not a cap: a larger fleet still gets the heap it needs.
 */
export const SIM_CHILD_NODE_FLAGS = ['--heap-growing-percent=100'];

function runChild(file: string, mode: string, hours: number): FleetBenchResult {
  const r = spawnSync(process.execPath, [...SIM_CHILD_NODE_FLAGS, file, SCENARIO, mode, String(hours)], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`sim bench child (${mode}) exited with ${r.status ?? r.signal}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as FleetBenchResult;
}

export async function bench(argv: string[]): Promise<void> {
  const hours = Number(arg(argv, '--sim-hours') ?? 24);
  const modes = (arg(argv, '--sim-mode') ?? 'simple,fast').split(',') as ('simple' | 'fast')[];
  const inTsx = argv.includes('--sim-tsx');
  const file = inTsx ? '' : await compileSimBench();
  for (const mode of modes) {
    if (inTsx && global.gc) global.gc();
    const r = inTsx ? runFleetBench(SCENARIO, mode, hours) : runChild(file, mode, hours);
    const how = inTsx ? 'in-process under tsx' : `child process, esbuild bundle without keepNames, node ${SIM_CHILD_NODE_FLAGS.join(' ')}`;
    console.log(
      `sim ${mode.padEnd(6)} ${r.nodes} nodes × ${hours} h: ${r.sent} uplinks (${((100 * r.delivered) / r.sent).toFixed(1)} % delivered, ${r.collided} lost to collisions)` +
        ` in ${r.wallS.toFixed(1)} s wall (setup ${r.setupS.toFixed(1)} s), ${r.cpuS.toFixed(1)} s CPU → ${Math.round(r.sent / r.wallS)} uplinks/s wall, ${Math.round(r.sent / r.cpuS)} uplinks/s CPU;` +
        ` a day ≈ ${((r.wallS * 24) / hours).toFixed(0)} s wall, ${((r.cpuS * 24) / hours).toFixed(0)} s CPU; peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB (${how})`,
    );
  }
}
