// Where the host build of the real Espruino interpreter is, and how to start it.
//
// A host build is Espruino's boards/LINUX.py compiled with the board's variable count (13-byte
// JsVars, as on the boards): `espruino-2630` stands for a Puck.js, `espruino-5100` for a Pico.
// KERB_ESPRUINO_DIR names the folder that holds them (README "Running the firmware on the real
// interpreter"). They are 32-bit x86 executables: a 64-bit kernel without 32-bit support refuses
// them (ENOEXEC), and then they run under `qemu-i386` (Debian package qemu-user) when it is on PATH.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ESPRUINO_DIR_ENV = 'KERB_ESPRUINO_DIR';

/** JsVar count of each board kerb targets (Espruino board files: variables). */
export const BOARD_VARS: Record<string, number> = { puck: 2630, pico: 5100 };

export interface Interpreter {
  /** Executable to spawn and the arguments before the interpreter's own. */
  command: string;
  prefix: string[];
  binary: string;
  vars: number;
}

export const HOW_TO_GET =
  'build Espruino\'s boards/LINUX.py with `variables` set to the board\'s count (2630 Puck.js, 5100 Pico), ' +
  'name the binaries espruino-2630 / espruino-5100, and point KERB_ESPRUINO_DIR at their folder ' +
  '(README: "Running the firmware on the real interpreter")';

const cache = new Map<string, Interpreter | string>();

function runs(command: string, args: string[]): boolean {
  // `--help` prints usage (exit status 1) without touching Storage.
  const r = spawnSync(command, [...args, '--help'], { timeout: 20000, stdio: ['ignore', 'pipe', 'pipe'] });
  return !r.error && /espruino: Usage:/.test(String(r.stdout) + String(r.stderr));
}

/** The interpreter for a board's variable count, or a sentence saying why there is none. */
export function findInterpreter(vars: number, env: NodeJS.ProcessEnv = process.env): Interpreter | string {
  const dir = env[ESPRUINO_DIR_ENV];
  if (!dir) return `${ESPRUINO_DIR_ENV} is not set: ${HOW_TO_GET}`;
  const key = `${dir}:${vars}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const binary = join(dir, `espruino-${vars}`);
  let found: Interpreter | string;
  if (!existsSync(binary)) found = `${binary} does not exist: ${HOW_TO_GET}`;
  else if (runs(binary, [])) found = { command: binary, prefix: [], binary, vars };
  else if (runs('qemu-i386', [binary])) found = { command: 'qemu-i386', prefix: [binary], binary, vars };
  else found = `${binary} does not start here (a 32-bit build on a kernel without 32-bit support needs qemu-i386 from the qemu-user package)`;
  cache.set(key, found);
  return found;
}
