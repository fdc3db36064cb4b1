// `kerb flash`: builds the board's bundle, writes it to Storage `.bootcde` (so it runs from flash at
// every boot) together with the device's provisioning file `kerb.cfg`, through the real `espruino`
// CLI (EspruinoTools) — offline: the board description comes from firmware/boards/<BOARD>.json
// (`--board file.json` makes the CLI skip its network look-up, and the JSON's
// info.builtin_modules stops it from trying to download "Storage"/"crypto" as modules).
//
// `--storage .bootcde:-` puts the program into .bootcde (the CLI sets SAVE_ON_SEND=3 and
// LOAD_STORAGE_FILE) and `--storage kerb.cfg:<file>` prepends a Storage.write of the key file.
// Dry run: `-n -o out.js` writes exactly what would be sent instead of opening a port.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseRegistry } from '../../host/registry.ts';
import { buildOne } from './build.ts';
import { BUDGETS } from './budgets.ts';
import { formatViolations } from './subset.ts';

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

export async function flash(o: FlashOptions): Promise<FlashResult> {
  const log = o.log ?? ((l: string) => console.log(l));
  const boardJson = BOARD_JSON[o.board];
  if (!boardJson) throw new Error(`unknown board '${o.board}' (known: ${Object.keys(BOARD_JSON).join(', ')})`);
  if (!o.dryRunOut && !o.port) throw new Error('give --port (or --dry-run out.js)');
  const built = await buildOne(o.root, o.board, o.entry);
  if (built.buildErrors.length || built.violations.length) {
    throw new Error(`bundle rejected:\n${built.buildErrors.join('\n')}${formatViolations(`${o.board}-${o.entry}.js`, built.violations)}`);
  }
  const budget = BUDGETS[o.board]?.[o.entry] ?? Infinity;
  if (built.bytes > budget) log(`warning: ${o.board}-${o.entry}.js is ${built.bytes} bytes, over its ${budget}-byte budget`);

  let configJson: string | null = null;
  if (o.entry === 'node') {
    if (!o.deviceId) throw new Error('the sensor-node firmware needs --device <id> (keys from the registry)');
    // The caller resolves the path (cli/flash.ts applies host/paths.ts, the rule every command shares).
    if (!o.registryPath) throw new Error('the sensor-node firmware needs a device registry (registryPath)');
    const regPath = resolve(o.registryPath);
    if (!existsSync(regPath)) throw new Error(`registry ${regPath} not found (give --registry FILE, or run \`kerb device add ${o.deviceId}\` first)`);
    configJson = deviceConfigJson(readFileSync(regPath, 'utf8'), o.deviceId, o.settings);
  }

  const dir = mkdtempSync(join(tmpdir(), 'kerb-flash-'));
  try {
    const codeFile = join(dir, `${o.board}-${o.entry}.js`);
    writeFileSync(codeFile, built.code);
    const args = ['--no-ble', '--board', resolve(o.root, boardJson), '--storage', '.bootcde:-'];
    if (configJson !== null) {
      const cfgFile = join(dir, CONFIG_FILE);
      writeFileSync(cfgFile, configJson);
      args.push('--storage', `${CONFIG_FILE}:${cfgFile}`);
    }
    if (o.baud) args.push('-b', String(o.baud));
    if (o.dryRunOut) args.push('-n', '-o', resolve(o.dryRunOut));
    else args.push('-p', o.port!);
    args.push(codeFile);
    const r = await runCli(o.root, args, log);
    const failed = cliFailure(r.output);
    const code = r.code !== 0 ? r.code : failed ? 1 : 0;
    const reason = r.code !== 0 ? `espruino CLI exited with ${r.code}${failed ? `: ${failed}` : ''}` : failed;
    return { code, bundleBytes: built.bytes, configJson, cliArgs: args, output: r.output, ...(reason ? { reason } : {}) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
