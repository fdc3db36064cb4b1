// `kerb flash --board <board> (--port <port> | --dry-run out.js) [--device <id>] [--registry FILE]
//   [--entry node|bridge|selftest] [--set key=value]... [--baud n]`
// Writes the firmware bundle to the board's Storage (.bootcde) and the device's kerb.cfg, through
// the espruino CLI, offline (firmware/build/flash.ts).
import { fileURLToPath } from 'node:url';
import { flash } from '../firmware/build/flash.ts';
import { commandPaths, describePaths } from '../host/paths.ts';
import { type CommandSpec, UsageError, flag, list, num, parseOrExit, str, usageFailure } from './args.ts';

export const SPEC: CommandSpec = {
  name: 'kerb flash',
  usage: '--board puck|pico|esp32 (--port PORT | --dry-run out.js) [options]',
  summary: "Writes the firmware bundle to the board's Storage (.bootcde, runs at every boot) and the device's\nDevAddr and session keys to kerb.cfg, through the espruino CLI (docs/firmware.md), reads every file back\n(length and CRC32) and only then restarts the board. The image is a locked field build: its console asks\nfor a password that kerb generates, prints once and keeps in the registry (kerb device show <id>\n--console-password; a bridge's under --name, default <board>-bridge).",
  options: {
    board: { type: 'string', value: 'puck|pico|esp32', help: 'the board (required)' },
    port: { type: 'string', short: 'p', value: 'PORT', help: 'serial port (/dev/ttyACM0, /dev/serial/by-id/...) or tcp://host:port' },
    'dry-run': { type: 'string', value: 'FILE', help: 'write what would be sent to FILE instead of a board' },
    device: { type: 'string', value: 'ID', help: "take the node's DevAddr and session keys from the registry" },
    registry: { type: 'string', value: 'FILE', help: 'device registry (relative: to the current directory)' },
    entry: { type: 'string', value: 'node|bridge|selftest', help: 'what to flash (default node)' },
    set: { type: 'string', multiple: true, value: 'KEY=NUMBER', help: 'a node setting in kerb.cfg, e.g. --set intervalS=300' },
    baud: { type: 'string', value: 'N', help: 'serial baud rate (default 115200)' },
    name: { type: 'string', value: 'NAME', help: "bridge: the name its console password is kept under (default <board>-bridge)" },
    unlocked: { type: 'boolean', help: 'development image with an open console (never deploy it)' },
  },
  examples: [
    'kerb flash --board pico --port /dev/ttyACM0 --device lamp-0001',
    'kerb flash --board pico --entry bridge --port /dev/ttyACM0',
    'kerb flash --board puck --device lamp-0002 --dry-run out.js',
  ],
};

const UNLOCKED_BANNER = `kerb flash: *** --unlocked: DEVELOPMENT IMAGE, CONSOLE OPEN ***
kerb flash: anyone who reaches its console (USB, serial, Bluetooth on Puck.js) can read kerb.cfg and
kerb flash: its session keys. Never deploy it; flash without --unlocked before the board leaves the bench.`;

export async function run(argv: string[]): Promise<number> {
  const p = parseOrExit(SPEC, argv, (q) => describePaths({ registry: str(q, 'registry') }));
  if (typeof p === 'number') return p;
  const board = str(p, 'board') ?? '';
  const port = str(p, 'port');
  const deviceId = str(p, 'device');
  let registryPath = str(p, 'registry');
  const dryRunOut = str(p, 'dry-run');
  const entry = str(p, 'entry') ?? 'node';
  let baud: number | undefined;
  const unlocked = flag(p, 'unlocked');
  const bridgeName = str(p, 'name');
  const settings: Record<string, number> = {};
  try {
    baud = num(p, 'baud', { min: 1200, max: 4_000_000, integer: true });
    for (const kv of list(p, 'set')) {
      const [k, v] = kv.split('=');
      if (!k || v === undefined || v.trim() === '' || !Number.isFinite(Number(v))) throw new UsageError(`option '--set' expects KEY=NUMBER (e.g. --set intervalS=300), got '${kv}'`);
      settings[k] = Number(v);
    }
    if (!board) throw new UsageError("option '--board' is required (puck, pico or esp32)");
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(SPEC, e);
    throw e;
  }
  const root = fileURLToPath(new URL('..', import.meta.url));
  try {
    // The registry holds the node's keys and every locked board's console password.
    const paths = commandPaths({ registry: registryPath });
    for (const w of paths.warnings) console.error(`kerb flash: ${w}`);
    registryPath = paths.registry.path;
    if (unlocked) console.error(UNLOCKED_BANNER);
    const r = await flash({ root, board, entry, port, deviceId, registryPath, dryRunOut, settings, baud, unlocked, bridgeName });
    if (r.passwordStoredIn) console.log(`kerb flash: console password ${r.password} (shown once; kept in ${r.passwordStoredIn}: kerb device show ${deviceId ?? bridgeName ?? `${board}-${entry}`} --console-password)`);
    if (r.code !== 0) {
      const what = r.passwordStoredIn ? 'flash failed' : 'nothing was flashed';
      console.error(`kerb flash: ${what}: ${r.reason ?? `espruino CLI exited with ${r.code}`}`);
      return 1;
    }
    const files = Object.entries(r.files).map(([n, [len]]) => `${n} ${len} B`).join(', ');
    if (dryRunOut) {
      console.log(`kerb flash: ${board}-${entry}.js (${r.bundleBytes} bytes) written to ${dryRunOut}: ${files}`);
      if (r.password) console.error(`kerb flash: ${dryRunOut} holds a console password (not stored in the registry); keep it out of version control`);
    } else console.log(`kerb flash: ${board}-${entry} on ${port}: ${files}, read back and matching; ${unlocked ? 'console OPEN (development image)' : 'console locked'}; restarted`);
    return 0;
  } catch (e) {
    console.error(`kerb flash: ${(e as Error).message}`);
    return 1;
  }
}
