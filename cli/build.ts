// `kerb build [--board b]... [--entry e]... [--region r] [--out dir] [--keep-identifiers]`: bundles firmware
// for Espruino boards (firmware/build), prints sizes against budgets, exits 1 on any subset
// violation, esbuild refusal or budget overrun.
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { buildAll } from '../firmware/build/build.ts';
import { buildRegion } from '../firmware/build/region.ts';

export async function run(argv: string[]): Promise<number> {
  const boards: string[] = [];
  const entries: string[] = [];
  let outDir: string | undefined;
  let minifyIdentifiers = true;
  let region: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--board') boards.push(argv[++i] ?? '');
    else if (a === '--entry') entries.push(argv[++i] ?? '');
    else if (a === '--out') outDir = argv[++i];
    else if (a === '--region') region = argv[++i] ?? '';
    else if (a === '--keep-identifiers') minifyIdentifiers = false;
    else if (a === '--help' || a === '-h') {
      console.log('usage: kerb build [--board puck|pico|esp32]... [--entry node|bridge|selftest]... [--region EU868|US915|AS923-1] [--out dir] [--keep-identifiers]');
      return 0;
    } else {
      console.error(`kerb build: unknown option '${a}'`);
      return 2;
    }
  }
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
