// `kerb bench` / `npm run bench`: runs every bench/*.bench.ts (or the names given) in turn. Each
// bench prints its own figures; nothing here asserts on time (tests never do).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import os from 'node:os';

export async function run(argv: string[]): Promise<number> {
  const dir = fileURLToPath(new URL('../bench/', import.meta.url));
  const all = readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const names = all.map((f) => f.replace('.bench.ts', ''));
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: kerb bench [name ...]\n\nRuns the named benchmarks (all when none is named) and prints figures.\nbenchmarks: ${names.join(', ')}`);
    return 0;
  }
  // A word right after a flag is that flag's value (--frames 20000) unless it names a benchmark.
  const want = argv.filter((a, i) => !a.startsWith('-') && !(i > 0 && argv[i - 1]!.startsWith('--') && !all.some((f) => f.startsWith(a))));
  const unknown = want.filter((w) => !all.some((f) => f.startsWith(w)));
  if (unknown.length) {
    console.error(`kerb bench: no benchmark named '${unknown.join("', '")}'; choose from: ${names.join(', ')}`);
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
