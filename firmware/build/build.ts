// Builds every (board, entry) bundle into dist/firmware/<board>-<entry>.js, checks each with the
// Espruino-subset checker and against its budget. Returns a report; cli/build.ts prints it.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleEntry, type BundleResult } from './bundle.ts';
import { formatViolations } from './subset.ts';
import { BOARD_DEFINES, BUDGETS, ENTRY_FILES, FW_VERSION, MINIFY_IDENTIFIERS } from './budgets.ts';

export interface BuildItem {
  board: string;
  entry: string;
  file: string;
  bytes: number;
  budget: number;
  result: BundleResult;
  problems: string[];
}

export interface BuildOptions {
  root: string;
  outDir?: string;
  boards?: string[];
  entries?: string[];
  minifyIdentifiers?: boolean;
  /** LoRaWAN region of the node bundles (firmware/build/region.ts). Default EU868. */
  region?: string;
}

/** KERB_FW_MAJOR/MINOR/PATCH as numbers, so the firmware carries no version-string parsing. */
function fwDefines(): Record<string, number> {
  const p = FW_VERSION.split('.').map((x) => parseInt(x, 10) || 0);
  return { KERB_FW_MAJOR: p[0] ?? 0, KERB_FW_MINOR: p[1] ?? 0, KERB_FW_PATCH: p[2] ?? 0 };
}

export function bundleName(board: string, entry: string): string {
  return `${board}-${entry}.js`;
}

export async function buildOne(root: string, board: string, entry: string, minifyIdentifiers = MINIFY_IDENTIFIERS, region = 'EU868'): Promise<BundleResult> {
  const file = ENTRY_FILES[entry];
  if (!file) throw new Error(`unknown entry '${entry}' (known: ${Object.keys(ENTRY_FILES).join(', ')})`);
  return bundleEntry(resolve(root, file), { defines: { ...BOARD_DEFINES[board], KERB_BRIDGE: entry === 'bridge', KERB_BOARD: board, KERB_FW_VERSION: FW_VERSION, ...fwDefines() }, minifyIdentifiers, region });
}

export async function buildAll(o: BuildOptions): Promise<BuildItem[]> {
  const outDir = o.outDir ?? join(o.root, 'dist', 'firmware');
  mkdirSync(outDir, { recursive: true });
  const boards = o.boards ?? Object.keys(BUDGETS);
  const items: BuildItem[] = [];
  for (const board of boards) {
    const budgets = BUDGETS[board];
    if (!budgets) throw new Error(`unknown board '${board}' (known: ${Object.keys(BUDGETS).join(', ')})`);
    for (const entry of o.entries ?? Object.keys(budgets)) {
      if (!existsSync(resolve(o.root, ENTRY_FILES[entry] ?? ''))) continue; // entry not written yet
      const result = await buildOne(o.root, board, entry, o.minifyIdentifiers, o.region);
      const name = bundleName(board, entry);
      const file = join(outDir, name);
      const problems: string[] = [];
      for (const e of result.buildErrors) problems.push(`esbuild: ${e}`);
      if (result.violations.length) problems.push(formatViolations(name, result.violations));
      const budget = budgets[entry] ?? 0;
      if (result.bytes > budget) problems.push(`${name}: ${result.bytes} bytes exceeds the ${budget}-byte budget`);
      if (result.buildErrors.length === 0) writeFileSync(file, result.code);
      items.push({ board, entry, file, bytes: result.bytes, budget, result, problems });
    }
  }
  return items;
}
