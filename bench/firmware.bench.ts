// Firmware bundle sizes per board and entry against their budgets, the share of each board's
// Storage they take, and where the bytes of the tightest bundle (Puck.js sensor node) come from.
// Sizes are outputs, not timings: deterministic for a given tree.
import { fileURLToPath } from 'node:url';
import { buildOne } from '../firmware/build/build.ts';
import { BUDGETS } from '../firmware/build/budgets.ts';
import { BOARD_MODELS } from '../sim/espruino/context.ts';

export async function bench(_argv: string[]): Promise<void> {
  const root = fileURLToPath(new URL('..', import.meta.url));
  console.log('bundle            bytes   budget   use  of Storage  checker');
  let puckNode: Record<string, number> = {};
  let puckNodeRawTotal = 0;
  for (const board of Object.keys(BUDGETS)) {
    for (const entry of Object.keys(BUDGETS[board]!)) {
      const r = await buildOne(root, board, entry);
      const budget = BUDGETS[board]![entry]!;
      const storage = BOARD_MODELS[board]!.storageBytes;
      const ok = r.buildErrors.length === 0 && r.violations.length === 0 ? 'ok' : `${r.buildErrors.length + r.violations.length} problems`;
      console.log(`${`${board}-${entry}`.padEnd(16)} ${String(r.bytes).padStart(6)} ${String(budget).padStart(8)} ${`${Math.round((100 * r.bytes) / budget)}%`.padStart(5)}  ${`${((100 * r.bytes) / storage).toFixed(1)}%`.padStart(9)}  ${ok}`);
      if (board === 'puck' && entry === 'node') {
        puckNode = r.modules;
        puckNodeRawTotal = Object.values(r.modules).reduce((a, b) => a + b, 0);
      }
    }
  }
  console.log('\npuck-node by source file (share of the bundle, before identifier/whitespace minification):');
  for (const [f, b] of Object.entries(puckNode).sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${f.padEnd(40)} ${String(b).padStart(6)}  ${((100 * b) / puckNodeRawTotal).toFixed(1).padStart(5)}%`);
  }
}
