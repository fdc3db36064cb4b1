// `kerb build [--board b]... [--entry e]... [--region r] [--out dir] [--keep-identifiers]`: bundles firmware
// for Espruino boards (firmware/build), prints sizes against budgets, exits 1 on any subset
// violation, esbuild refusal or budget overrun.
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { buildAll } from '../firmware/build/build.ts';
import { buildRegion } from '../firmware/build/region.ts';
import { type CommandSpec, flag, list, parseOrExit, str } from './args.ts';

export const SPEC: CommandSpec = {
  name: 'kerb build',
  usage: '[--board B]... [--entry E]... [--region R] [--out DIR] [--keep-identifiers]',
  summary: 'Bundles the firmware for Espruino boards (one file per board and entry), checks each bundle against\nthe Espruino subset and its size budget, and prints the sizes. Exits 1 on any violation.',
  options: {
    board: { type: 'string', multiple: true, value: 'puck|pico|esp32', help: 'board to build for; repeat for several (default: all)' },
    entry: { type: 'string', multiple: true, value: 'node|bridge|selftest', help: 'entry to build; repeat for several (default: all)' },
    region: { type: 'string', value: 'EU868|US915|AS923-1', help: 'LoRaWAN region whose tables the bundles carry (default EU868)' },
    out: { type: 'string', value: 'DIR', help: 'output directory (default dist/firmware)' },
    'keep-identifiers': { type: 'boolean', help: 'do not shorten identifiers (readable bundles, larger)' },
  },
  examples: ['kerb build', 'kerb build --board pico --entry node --out /tmp/fw', 'kerb build --board puck --entry node --region US915'],
};

export async function run(argv: string[]): Promise<number> {
  const p = parseOrExit(SPEC, argv);
  if (typeof p === 'number') return p;
  const boards = list(p, 'board');
  const entries = list(p, 'entry');
  const outDir = str(p, 'out');
  const minifyIdentifiers = !flag(p, 'keep-identifiers');
  const region = str(p, 'region');
  const root = fileURLToPath(new URL('..', import.meta.url));
  let items;
  try {
    items = await buildAll({ root, outDir, boards: boards.length ? boards : undefined, entries: entries.length ? entries : undefined, minifyIdentifiers, region: region === undefined ? undefined : buildRegion(region) });
  } catch (e) {
    console.error(`kerb build: ${(e as Error).message}`);
    return 2;
  }
  let failed = 0;
  console.log('bundle                          bytes   budget   use');
  for (const it of items) {
    const pct = it.budget ? ((100 * it.bytes) / it.budget).toFixed(0) : '-';
    const mark = it.problems.length ? 'FAIL' : 'ok';
    console.log(`${relative(process.cwd(), it.file).padEnd(30)} ${String(it.bytes).padStart(7)} ${String(it.budget).padStart(8)} ${pct.padStart(4)}%  ${mark}`);
  }
  for (const it of items) {
    if (!it.problems.length) continue;
    failed++;
    console.error(`\n${it.board}-${it.entry}:\n${it.problems.join('\n')}`);
  }
  return failed ? 1 : 0;
}
