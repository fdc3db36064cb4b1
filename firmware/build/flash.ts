// `kerb flash`: builds the board's bundle, writes it to Storage `.bootcde` (so it runs from flash at
// every boot) together with the device's provisioning file `kerb.cfg`, through the real `espruino`
// CLI (EspruinoTools) — offline: the board description comes from firmware/boards/<BOARD>.json
// (`--board file.json` makes the CLI skip its network look-up, and the JSON's
// info.builtin_modules stops it from trying to download "Storage"/"crypto" as modules).
//
// `--storage kerb.cfg:<file>` and `--storage .bootcde:<file>` make the CLI prepend Storage.write
// lines for each file (stored byte for byte); the CLI's positional file is the read-back script,
// which runs in RAM after the writes and prints each file's length and CRC32. With a port, kerb
// opens it itself and lends it to the CLI (firmware/build/board-link.ts), unlocks a console it
// locked before, checks the read-back against what it wrote, and only then sends `load()` so the
// board boots the new image. Dry run: `-n -o out.js` writes exactly what the CLI would send, then
// kerb appends its own `load()`.
//
// Field builds are locked (firmware/build/lock.ts): `.bootcde` starts with E.setPassword/
// E.lockConsole (and, on Puck.js, the Bluetooth UART switched off) with a password generated here,
// kept in the registry (host/console-passwords.ts) and never written into dist/.
import { spawn } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseRegistry } from '../../host/registry.ts';
import { buildOne } from './build.ts';
import { BUDGETS } from './budgets.ts';
import { formatViolations } from './subset.ts';
import { lockPrefix, newConsolePassword } from './lock.ts';
import { openBoard, BoardPortError, type BoardLink } from './board-link.ts';
import { readConsolePassword, storeConsolePassword, type ConsoleOwner } from '../../host/console-passwords.ts';

/** Board → local board description for the espruino CLI (firmware/boards/). */
export const BOARD_JSON: Record<string, string> = {
  puck: 'firmware/boards/PUCKJS.json',
  pico: 'firmware/boards/PICO_R1_3.json',
  esp32: 'firmware/boards/ESP32.json',
};

export const CONFIG_FILE = 'kerb.cfg';

export interface FlashOptions {
  root: string;
  board: string;
  entry: string;          // 'node' | 'bridge' | 'selftest'
  port?: string;          // /dev/ttyACM0, tcp://host:port, a BLE address/name
  deviceId?: string;
  registryPath?: string;
  dryRunOut?: string;     // write what would be sent here; no port is opened
  settings?: Record<string, number>;
  baud?: number;
  /** Development image: no console lock, no password. */
  unlocked?: boolean;
  /** Registry name of a bridge (bridges are not LoRaWAN devices); default `<board>-bridge`. */
  bridgeName?: string;
  /** How long to wait for the board's answers (ms); default 8000. */
  answerMs?: number;
  log?: (line: string) => void;
}

export interface FlashResult {
  code: number;
  bundleBytes: number;
  configJson: string | null;
  cliArgs: string[];
  output: string;
  /** Why the flash failed, when it did (code != 0): the espruino CLI's own words where it gave any. */
  reason?: string;
  /** The console password of a locked build (also kept in the registry unless it was a dry run). */
  password?: string;
  /** The registry file the password was stored in. */
  passwordStoredIn?: string;
  /** Storage files as written: name -> [bytes, CRC32]. */
  files: Record<string, [number, number]>;
}

/**
 * Lines with which the espruino CLI reports that nothing reached the board while still exiting 0
 * (espruino-tools 0.1.x: a missing or busy port prints "Unable to connect!" and ends normally).
 */
const CLI_FAILURES = [/Unable to connect/i, /Port ".*" not found/i, /Connection (refused|failed)/i, /Error: /];

/** The first line of the CLI's output that says the upload failed, or undefined. */
export function cliFailure(output: string): string | undefined {
  for (const line of output.split('\n')) {
    const l = line.trim();
    if (l && CLI_FAILURES.some((re) => re.test(l))) return l;
  }
  return undefined;
}

/** The provisioning record the firmware reads at boot (firmware/src/config.ts). */
export function deviceConfigJson(registryText: string, deviceId: string, settings: Record<string, number> = {}): string {
  const reg = parseRegistry(registryText);
  if (reg.errors.length) throw new Error(`registry: ${reg.errors.join('; ')}`);
  const dev = reg.devices.find((d) => d.id === deviceId);
  const otaa = reg.otaa.find((d) => d.id === deviceId);
  if (!dev && !otaa) throw new Error(`device '${deviceId}' is not in the registry (${[...reg.devices, ...reg.otaa].map((d) => d.id).join(', ') || 'empty'})`);
  // Optional per-device firmware settings: registry entry "settings": {"intervalS": 300, ...}.
  const raw = (JSON.parse(registryText) as { devices?: Record<string, unknown>[] }).devices?.find((d) => d.id === deviceId);
  const fromRegistry = (raw && typeof raw.settings === 'object' && raw.settings) ? raw.settings as Record<string, unknown> : {};
  // Layout read by firmware/src/config.ts: numbers and byte arrays, no hex parsing on the device.
  // OTAA: the root key and EUIs only (LoRaWAN 1.0.4 §6.2); session keys come from the join, never from flashing.
  const cfg: Record<string, unknown> = otaa
    ? { id: otaa.id, devEui: Array.from(Buffer.from(otaa.devEui, 'hex')), joinEui: Array.from(Buffer.from(otaa.joinEui, 'hex')), appKey: Array.from(otaa.appKey) }
    : { id: dev!.id, devAddrHex: dev!.devAddrHex, devAddr: dev!.devAddr >>> 0, nwkSKey: Array.from(dev!.nwkSKey), appSKey: Array.from(dev!.appSKey) };
  for (const [k, v] of Object.entries({ ...fromRegistry, ...settings })) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`setting ${k} must be a number`);
    cfg[k] = v;
  }
  if (!otaa && ((cfg.nwkSKey as number[]).length !== 16 || (cfg.appSKey as number[]).length !== 16)) throw new Error('keys must be 16 bytes');
  return JSON.stringify(cfg);
}

export function espruinoCli(root: string): string {
  return join(root, 'node_modules', 'espruino', 'bin', 'espruino-cli.js');
}

function runCli(root: string, args: string[], log: (l: string) => void): Promise<{ code: number; output: string }> {
  return new Promise((resolveP) => {
    const child = spawn(process.execPath, [espruinoCli(root), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (d: Buffer): void => {
      const s = d.toString();
      output += s;
      for (const l of s.split('\n')) if (l.trim()) log(l);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('close', (code) => resolveP({ code: code ?? 1, output }));
  });
}

/** Marker of the read-back line; built by concatenation on the board so an echo cannot match. */
const RB = 'KERB_RB';
const RB_RE = /KERB_RB (\{[^\n\r]*\})/;
const HI_RE = /KERB_HI/;

/**
 * The script the CLI sends to RAM after the Storage writes: prints name -> [length, CRC32] (or null).
 * The leading ';' keeps it a statement of its own where the upload is run as one text.
 */
export function readBackScript(names: string[]): string {
  return `;(function(){var s=require("Storage"),o={};${JSON.stringify(names)}.forEach(function(n){var d=s.read(n);o[n]=d===undefined?null:[d.length,E.CRC32(d)];});print("${RB.slice(0, 5)}"+"${RB.slice(5)} "+JSON.stringify(o));})();\n`;
}

/** Parses the read-back line out of what the board sent; undefined when it is not there (yet). */
export function parseReadBack(received: string): Record<string, [number, number] | null> | undefined {
  const m = RB_RE.exec(received);
  if (!m) return undefined;
  try {
    return JSON.parse(m[1]!) as Record<string, [number, number] | null>;
  } catch {
    return undefined;
  }
}

/** The first file whose read-back differs from what was written, as a sentence; undefined when all match. */
export function readBackMismatch(wrote: Record<string, [number, number]>, got: Record<string, [number, number] | null>): string | undefined {
  for (const [name, [len, crc]] of Object.entries(wrote)) {
    const g = got[name];
    if (!g) return `read-back: ${name} is missing on the board (kerb wrote ${len} bytes)`;
    if (g[0] !== len || (g[1] >>> 0) !== crc) {
      return `read-back: ${name} on the board is ${g[0]} bytes, CRC32 ${(g[1] >>> 0).toString(16).padStart(8, '0')}; kerb wrote ${len} bytes, CRC32 ${crc.toString(16).padStart(8, '0')}`;
    }
  }
  return undefined;
}

function sizeCrc(text: string): [number, number] {
  const b = Buffer.from(text, 'latin1');
  return [b.length, crc32(b)];
}

const NO_ANSWER_HINT = 'check that an Espruino board is on that port and powered, that no other program (a terminal, the gateway) holds the port, the baud rate (--baud), and for a radio bridge that it was started without running its code (it moves its console off the link port; docs/firmware.md)';

/** Unlocks a console kerb locked before (when the registry has its password) and checks that the board answers. */
async function greet(link: BoardLink, oldPassword: string | undefined, ms: number): Promise<string | undefined> {
  // A locked console takes the line as a password attempt; an unlocked one evaluates it as an
  // undefined identifier (a harmless ReferenceError on the operator's own cable).
  if (oldPassword) link.write(`\r${oldPassword}\r`);
  link.write(`\r\x10print("KERB_"+"HI")\n`);
  try {
    await link.waitFor((r) => HI_RE.test(r), ms, 'answer');
    return undefined;
  } catch {
    if (/password>|Invalid password/.test(link.received)) {
      return `the console on ${link.port} is locked and ${oldPassword ? 'the password in the registry did not open it' : 'the registry holds no password for it'}: type its password in a terminal first, or start the board without running its code (docs/firmware.md "Locked console")`;
    }
    const heard = link.received.trim() ? ` (it sent ${JSON.stringify(link.received.slice(-80))})` : ' (nothing at all)';
    return `no answer from ${link.port} within ${ms / 1000} s${heard}: ${NO_ANSWER_HINT}`;
  }
}

export async function flash(o: FlashOptions): Promise<FlashResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const boardJson = BOARD_JSON[o.board];
  if (!boardJson) throw new Error(`unknown board '${o.board}' (known: ${Object.keys(BOARD_JSON).join(', ')})`);
  if (!o.dryRunOut && !o.port) throw new Error('give --port (or --dry-run out.js)');
  const built = await buildOne(o.root, o.board, o.entry);
  if (built.buildErrors.length || built.violations.length) {
    throw new Error(`bundle rejected:\n${built.buildErrors.join('\n')}${formatViolations(`${o.board}-${o.entry}.js`, built.violations)}`);
  }

  let configJson: string | null = null;
  let regPath: string | undefined;
  if (o.entry === 'node') {
    if (!o.deviceId) throw new Error('the sensor-node firmware needs --device <id> (keys from the registry)');
    // The caller resolves the path (cli/flash.ts applies host/paths.ts, the rule every command shares).
    if (!o.registryPath) throw new Error('the sensor-node firmware needs a device registry (registryPath)');
    regPath = resolve(o.registryPath);
    if (!existsSync(regPath)) throw new Error(`registry ${regPath} not found (give --registry FILE, or run \`kerb device add ${o.deviceId}\` first)`);
    configJson = deviceConfigJson(readFileSync(regPath, 'utf8'), o.deviceId, o.settings);
  } else if (o.registryPath) regPath = resolve(o.registryPath);
  const owner: ConsoleOwner | undefined = o.entry === 'node' ? { device: o.deviceId! } : { bridge: o.bridgeName ?? `${o.board}-${o.entry}` };

  const password = o.unlocked ? undefined : newConsolePassword();
  const bootcde = (password ? lockPrefix(o.board, password) : '') + built.code;
  const budget = BUDGETS[o.board]?.[o.entry] ?? Infinity;
  if (bootcde.length > budget) log(`warning: .bootcde (${o.board}-${o.entry}.js${password ? ' + console lock' : ''}) is ${bootcde.length} bytes, over its ${budget}-byte budget`);
  const files: Record<string, [number, number]> = {};
  if (configJson !== null) files[CONFIG_FILE] = sizeCrc(configJson);
  files['.bootcde'] = sizeCrc(bootcde);
  const base = { bundleBytes: built.bytes, configJson, files, ...(password ? { password } : {}) };

  const dir = mkdtempSync(join(tmpdir(), 'kerb-flash-'));
  let link: BoardLink | undefined;
  try {
    // Mode 0700 directory from mkdtemp: the key file and the password never sit world-readable.
    const bootFile = join(dir, 'bootcde.js');
    writeFileSync(bootFile, bootcde, { encoding: 'latin1', mode: 0o600 });
    const rbFile = join(dir, 'readback.js');
    writeFileSync(rbFile, readBackScript(Object.keys(files)));
    const args = ['--no-ble', '--board', resolve(o.root, boardJson)];
    if (configJson !== null) {
      const cfgFile = join(dir, CONFIG_FILE);
      writeFileSync(cfgFile, configJson, { mode: 0o600 });
      args.push('--storage', `${CONFIG_FILE}:${cfgFile}`);
    }
    args.push('--storage', `.bootcde:${bootFile}`);
    if (o.baud) args.push('-b', String(o.baud));

    if (o.dryRunOut) {
      args.push('-n', '-o', resolve(o.dryRunOut), rbFile);
      const r = await runCli(o.root, args, log);
      const failed = cliFailure(r.output);
      if (r.code !== 0 || failed) return { ...base, code: r.code || 1, cliArgs: args, output: r.output, reason: failed ?? `espruino CLI exited with ${r.code}` };
      // What kerb itself sends once the read-back matched.
      appendFileSync(resolve(o.dryRunOut), 'load()\n');
      if (password) chmodSync(resolve(o.dryRunOut), 0o600);
      return { ...base, code: 0, cliArgs: args, output: r.output };
    }

    const answerMs = o.answerMs ?? 8000;
    try {
      link = await openBoard(o.port!, o.baud ?? 9600);
    } catch (e) {
      if (e instanceof BoardPortError) return { ...base, code: 1, cliArgs: args, output: '', reason: `${e.message} (${NO_ANSWER_HINT})` };
      throw e;
    }
    const oldPassword = regPath && existsSync(regPath) ? readConsolePassword(readFileSync(regPath, 'utf8'), owner) : undefined;
    const silent = await greet(link, oldPassword, answerMs);
    if (silent) return { ...base, code: 1, cliArgs: args, output: link.received, reason: silent };

    const relay = await link.relay();
    args.push('-p', relay, rbFile);
    const r = await runCli(o.root, args, log);
    const failed = cliFailure(r.output);
    if (r.code !== 0 || failed) {
      return { ...base, code: r.code || 1, cliArgs: args, output: r.output, reason: r.code !== 0 ? `espruino CLI exited with ${r.code}${failed ? `: ${failed}` : ''}` : failed };
    }
    // From here the board may hold the new image: its password must not be lost, whatever follows.
    let passwordStoredIn: string | undefined;
    if (password && regPath) {
      await storeConsolePassword(regPath, owner, password);
      passwordStoredIn = regPath;
    }
    const stored = passwordStoredIn ? { passwordStoredIn } : {};
    try {
      await link.waitFor((t) => parseReadBack(t) !== undefined, answerMs * 4, 'read-back');
    } catch {
      return { ...base, ...stored, code: 1, cliArgs: args, output: r.output, reason: `read-back: ${link.port} did not report the files it stored within ${(answerMs * 4) / 1000} s (the upload may not have finished; flash again)` };
    }
    const mismatch = readBackMismatch(files, parseReadBack(link.received)!);
    if (mismatch) return { ...base, ...stored, code: 1, cliArgs: args, output: r.output, reason: `${mismatch}; the board was not restarted: flash again` };
    // Boot the new image (.boot0 … then .bootcde, as at power-on); it locks the console again.
    link.write('\x10load()\n');
    await new Promise((res) => setTimeout(res, 300));
    return { ...base, ...stored, code: 0, cliArgs: args, output: r.output };
  } finally {
    await link?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
