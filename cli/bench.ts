// `kerb bench` / `npm run bench`: runs every bench/*.bench.ts (or the names given) in turn. Each
// bench prints its own figures; nothing here asserts on time (tests never do).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';
import { type CommandSpec, parseOrExit, suggest } from './args.ts';

/** Every option some benchmark reads (each reads its own from the argv it is given). */
export const SPEC: CommandSpec = {
  name: 'kerb bench',
  usage: '[name ...] [options]',
  summary: 'Runs the named benchmarks (all when none is named) and prints figures; asserts nothing.',
  positionals: true,
  options: {
    frames: { type: 'string', value: 'N', help: 'gateway, ingest: frames in the burst' },
    devices: { type: 'string', value: 'N', help: 'gateway, ingest: number of devices' },
    rate: { type: 'string', value: 'N', help: 'gateway: steady rate, frames/s' },
    seconds: { type: 'string', value: 'S', help: 'gateway: length of the steady phase' },
    'soak-minutes': { type: 'string', value: 'M', help: 'gateway: steady phase in minutes (a soak)' },
    'no-fsync': { type: 'boolean', help: 'gateway: outbox without fsync' },
    set: { type: 'string', multiple: true, value: 'KEY=VALUE', help: 'gateway: config key for the gateway under test' },
    'heap-mb': { type: 'string', value: 'N', help: 'gateway: V8 heap limit of the gateway process' },
    profile: { type: 'string', value: 'DIR', help: 'gateway: write a CPU profile of the gateway to DIR' },
    'node-flag': { type: 'string', multiple: true, value: 'FLAG', help: 'gateway: extra Node flag for the gateway process' },
    'no-unit-flags': { type: 'boolean', help: 'gateway: without the Node flags of the systemd unit' },
    ms: { type: 'string', value: 'N', help: 'lorawan: milliseconds per measurement' },
    nodes: { type: 'string', value: 'N', help: 'node: nodes to run' },
    'medium-nodes': { type: 'string', value: 'N,N,...', help: 'medium: node counts to time (default 1000,2000,5000,10000)' },
    'medium-uplinks': { type: 'string', value: 'N', help: 'medium: uplinks per point (default 1,000,000)' },
    'sim-hours': { type: 'string', value: 'H', help: 'sim: simulated hours (default 24)' },
    'sim-mode': { type: 'string', value: 'simple,fast', help: 'sim: node models to run' },
    'sim-in-process': { type: 'boolean', help: 'sim: run in this process, as `kerb sim` does' },
  },
  examples: ['kerb bench lorawan', 'kerb bench gateway --frames 20000', 'npm run bench -- sim --sim-hours 6'],
};

export async function run(argv: string[]): Promise<number> {
  const dir = fileURLToPath(new URL('../bench/', import.meta.url));
  const all = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const names = all.map((f) => f.replace('.bench.ts', ''));
  const p = parseOrExit({ ...SPEC, notes: `benchmarks: ${names.join(', ')}` }, argv);
  if (typeof p === 'number') return p;
  const want = p.positionals;
  const unknown = want.filter((w) => !all.some((f) => f.startsWith(w)));
  if (unknown.length) {
    const near = unknown.length === 1 ? suggest(unknown[0]!, names) : undefined;
    console.error(`kerb bench: no benchmark named '${unknown.join("', '")}'${near ? `; did you mean '${near}'?` : ''}; choose from: ${names.join(', ')}`);
    return 2;
  }
  const chosen = want.length ? all.filter((f) => want.some((w) => f.startsWith(w))) : all;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`kerb bench — ${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
  for (const f of chosen) {
    console.log(`\n## ${f.replace('.bench.ts', '')}`);
    const mod = (await import(join(dir, f))) as { bench(argv: string[]): Promise<void> };
    await mod.bench(argv);
  }
  return 0;
}
