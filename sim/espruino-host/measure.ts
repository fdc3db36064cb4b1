// Heap of a flashed image, measured on the real interpreter: provision, power on, run, and read
// process.memory(). Figures are in JsVars (13-byte blocks) and are reported relative to the
// stand-ins' own use, which the .boot0 file measures after a garbage collection just before
// .bootcde runs (K boot): what the firmware adds is what a board without stand-ins would hold.
// Peak: the stand-ins sample process.memory(false).usage at every bus access and every 50 ms.
import { findInterpreter, BOARD_VARS } from './interpreter.ts';
import { EspruinoDevice } from './device.ts';
import { buildPrelude } from './prelude.ts';
import { kerbFlashImage, provision } from './provision.ts';

export interface ImageMemory {
  board: string;
  entry: string;
  bundleBytes: number;
  /** Storage .bootcde: the bundle plus, in a locked image, the console lock in front of it. */
  bootBytes: number;
  total: number;
  /** Interpreter + stand-ins, after .boot0. */
  base: number;
  /** Firmware heap after boot and one report cycle, GC'd (usage − base). */
  afterBoot: number | null;
  /** Highest sampled usage − base over the run. */
  peak: number | null;
  uplinks: number;
  /** The interpreter reported LOW_MEMORY / MEMORY (the image plus stand-ins did not fit). */
  outOfMemory: boolean;
}

const REGISTRY = JSON.stringify({ devices: [{ id: 'bench-0001', devAddr: '26011BDA', nwkSKey: '2B7E151628AED2A6ABF7158809CF4F3C', appSKey: '000102030405060708090A0B0C0D0E0F' }] });

/** unlocked: the development image (no console lock); the default is the locked field image `kerb flash` writes. */
export async function measureImage(root: string, board: string, entry: string, runS: number, unlocked = false): Promise<ImageMemory> {
  const interp = findInterpreter(BOARD_VARS[board]!);
  if (typeof interp === 'string') throw new Error(interp);
  const dev = new EspruinoDevice(interp);
  try {
    const img = await kerbFlashImage({ root, board, entry, deviceId: entry === 'node' ? 'bench-0001' : undefined, registryText: entry === 'node' ? REGISTRY : undefined, settings: entry === 'node' ? { intervalS: 5, sf: 7, firstReportMs: 3000 } : undefined, unlocked });
    await provision(dev, buildPrelude(board, entry, dev.chanPath), img.upload);
    const boot = await dev.powerOn();
    await new Promise((r) => setTimeout(r, runS * 1000));
    const oom = /LOW_MEMORY|MEMORY/.test(dev.bootConsole);
    let afterBoot: number | null = null;
    let peak: number | null = null;
    try {
      const m = await dev.memory();
      afterBoot = m.usage - boot.baseUsage;
      peak = m.peak - boot.baseUsage;
    } catch {
      // an interpreter that ran out of memory may not answer
    }
    return { board, entry, bundleBytes: img.bundleBytes, bootBytes: img.files['.bootcde']![0], total: boot.total, base: boot.baseUsage, afterBoot, peak, uplinks: dev.txs.length, outOfMemory: oom };
  } finally {
    await dev.dispose();
  }
}
