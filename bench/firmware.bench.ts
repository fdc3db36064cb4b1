// Firmware bundle sizes per board and entry against their budgets, the share of each board's
// Storage they take, and where the bytes of the tightest bundle (Puck.js sensor node) come from.
// Sizes are outputs, not timings: deterministic for a given tree.
import { fileURLToPath } from 'node:url';
import { buildOne } from '../firmware/build/build.ts';
import { BUDGETS } from '../firmware/build/budgets.ts';
import { BOARD_MODELS } from '../sim/espruino/context.ts';
import { findInterpreter, BOARD_VARS } from '../sim/espruino-host/interpreter.ts';
import { measureImage } from '../sim/espruino-host/measure.ts';

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

  // Heap on the real interpreter (host build with the board's JsVar count; KERB_ESPRUINO_DIR).
  const runS = Number(process.env.KERB_BENCH_RUN_S ?? 20);
  console.log(`\nheap on the real Espruino interpreter (JsVars of 13 bytes; ${runS} s run each, node: 5 s interval at SF7):`);
  const why = findInterpreter(BOARD_VARS.puck!);
  if (typeof why === 'string') {
    console.log(`  skipped: ${why}`);
    return;
  }
  console.log('image          bytes  vars  stand-ins  after boot  peak   uplinks');
  // One image at a time: the peak counts garbage not yet collected, and interpreters competing for
  // the CPU collect later, which raised the node's peak by up to ~90 JsVars when all four ran at once.
  const results = [];
  for (const b of Object.keys(BOARD_VARS)) for (const e of ['node', 'bridge']) results.push(await measureImage(root, b, e, runS));
  for (const m of results) {
    const v = (x: number | null): string => (x === null ? '?' : String(x));
    console.log(`${`${m.board}-${m.entry}`.padEnd(13)} ${String(m.bundleBytes).padStart(6)} ${String(m.total).padStart(5)} ${String(m.base).padStart(10)} ${v(m.afterBoot).padStart(11)} ${v(m.peak).padStart(5)} ${String(m.uplinks).padStart(9)}${m.outOfMemory ? '  OUT OF MEMORY (image + stand-ins)' : ''}`);
  }
  console.log('after boot / peak: usage minus the stand-ins\' own (measured after .boot0, before .bootcde).');

  // What the console lock of the field image costs (firmware/build/lock.ts): same image unlocked.
  console.log('\nconsole lock (locked field image vs --unlocked):');
  console.log('image          .bootcde locked/unlocked  after boot locked/unlocked  peak locked/unlocked');
  for (const [b, e] of [['pico', 'node'], ['puck', 'bridge']] as const) {
    const [l, u] = await Promise.all([measureImage(root, b, e, runS), measureImage(root, b, e, runS, true)]);
    const v = (x: number | null): string => (x === null ? '?' : String(x));
    console.log(`${`${b}-${e}`.padEnd(13)} ${`${l.bootBytes} / ${u.bootBytes} (+${l.bootBytes - u.bootBytes} B)`.padStart(26)} ${`${v(l.afterBoot)} / ${v(u.afterBoot)}`.padStart(27)} ${`${v(l.peak)} / ${v(u.peak)}`.padStart(21)}`);
  }
}
