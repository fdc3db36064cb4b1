// Puts a board's Storage in the state `kerb flash` leaves it in: the stand-ins go to ".boot0"
// (they are the board's hardware, present before any firmware), then the exact text `kerb flash`
// sends — the espruino CLI's own upload, captured with --dry-run — is typed into the console of
// the bare interpreter, as the CLI types it into a board's. The upload's last line, `load()`
// (which kerb flash sends once the read-back matched), would boot the board in place; the
// harness powers it off and on instead, so a boot is always a fresh interpreter process.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { flash } from '../../firmware/build/flash.ts';
import type { EspruinoDevice } from './device.ts';

const CHUNK = 1024;

/** Console commands that write `text` to Storage file `name`, 1 KB per line like the espruino CLI. */
export function storageWriteCommands(name: string, text: string): string {
  const lines: string[] = [];
  for (let i = 0; i < text.length; i += CHUNK) {
    const part = JSON.stringify(text.slice(i, i + CHUNK));
    lines.push(i === 0 ? `require("Storage").write(${JSON.stringify(name)},${part},0,${text.length});` : `require("Storage").write(${JSON.stringify(name)},${part},${i});`);
  }
  return `${lines.join('\n')}\n`;
}

export interface FlashImage {
  board: string;
  entry: string;
  /** What `kerb flash` sends to the board (espruino CLI output). */
  upload: string;
  bundleBytes: number;
  configJson: string | null;
  /** Console password of a locked image. */
  password?: string;
  /** Storage files as kerb flash wrote them: name -> [bytes, CRC32]. */
  files: Record<string, [number, number]>;
}

/** Runs `kerb flash --dry-run` (the real espruino CLI) and returns what it would send. */
export async function kerbFlashImage(o: { root: string; board: string; entry: string; deviceId?: string; registryText?: string; settings?: Record<string, number>; unlocked?: boolean }): Promise<FlashImage> {
  const dir = mkdtempSync(join(tmpdir(), 'kerb-image-'));
  try {
    let registryPath: string | undefined;
    if (o.registryText !== undefined) {
      registryPath = join(dir, 'devices.json');
      writeFileSync(registryPath, o.registryText);
    }
    const out = join(dir, 'upload.js');
    const lines: string[] = [];
    const r = await flash({ root: o.root, board: o.board, entry: o.entry, deviceId: o.deviceId, registryPath, dryRunOut: out, settings: o.settings, unlocked: o.unlocked, log: (l) => lines.push(l) });
    if (r.code !== 0) throw new Error(`kerb flash --dry-run failed (${r.code}):\n${lines.join('\n')}`);
    return { board: o.board, entry: o.entry, upload: readFileSync(out, 'latin1'), bundleBytes: r.bundleBytes, configJson: r.configJson, files: r.files, ...(r.password ? { password: r.password } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The upload without its final `load()` (see the header). */
export function withoutFinalLoad(upload: string): string {
  const t = upload.replace(/\s+$/, '');
  const last = t.lastIndexOf('\n');
  const tail = t.slice(last + 1);
  if (!/^load\(.*\)$/.test(tail)) throw new Error(`kerb flash output does not end with load(...): '${tail.slice(0, 60)}'`);
  return `${t.slice(0, last + 1)}`;
}

/**
 * Writes `prelude` to .boot0 and the flash upload into a bare interpreter's Storage, then powers
 * it off. The device's directory keeps the Storage (espruino.flash) for the next power-on.
 */
export async function provision(dev: EspruinoDevice, prelude: string, upload: string): Promise<Record<string, [number, number]>> {
  await dev.startBare();
  // No upload: a board with only its hardware (.boot0). One line at a time, each after the interpreter's prompt for the one before, as the espruino
  // CLI paces a real board: the host build's console input buffer is small, and everything typed
  // at once overflows it when the machine is busy (lines then arrive cut and fail to parse).
  const lines = `${storageWriteCommands('.boot0', prelude)}${upload ? withoutFinalLoad(upload) : ''}`.split('\n').filter((l) => l.length > 0);
  const prompts = (): number => dev.bootConsole.split('\n>').length;
  for (const line of lines) {
    const before = prompts();
    dev.consoleWrite(`${line}\n`);
    await dev.waitFor(() => prompts() > before, 60000, `the interpreter to take '${line.slice(0, 40)}…'`);
  }
  // Read back what landed: a JSON line of name -> [size, CRC32]. "KH_"+"FILES" is computed so that
  // an echo of the command itself cannot match.
  dev.consoleWrite('\x10var s=require("Storage"),o={};s.list().forEach(function(n){var d=s.read(n);o[n]=[d.length,E.CRC32(d)];});print("KH_"+"FILES "+JSON.stringify(o));delete s;delete o;\n');
  await dev.waitFor(() => /KH_FILES \{.*\}/.test(dev.bootConsole), 120000, 'the Storage upload to finish');
  if (/Uncaught/.test(dev.bootConsole)) throw new Error(`the upload failed on the interpreter:\n${dev.bootConsole.slice(-2000)}`);
  const files = JSON.parse(/KH_FILES (\{.*\})/.exec(dev.bootConsole)![1]!) as Record<string, [number, number]>;
  const got = files['.boot0'];
  if (!got || got[0] !== prelude.length || got[1] !== crc32(Buffer.from(prelude, 'latin1'))) throw new Error(`.boot0 did not arrive intact: ${JSON.stringify(got)}`);
  await dev.powerOff();
  return files;
}
