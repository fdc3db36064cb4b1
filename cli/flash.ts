// `kerb flash --board <board> (--port <port> | --dry-run out.js) [--device <id>] [--registry FILE]
//   [--entry node|bridge|selftest] [--set key=value]... [--baud n]`
// Writes the firmware bundle to the board's Storage (.bootcde) and the device's kerb.cfg, through
// the espruino CLI, offline (firmware/build/flash.ts).
import { fileURLToPath } from 'node:url';
import { flash } from '../firmware/build/flash.ts';
import { commandPaths, describePaths } from '../host/paths.ts';
import { type CommandSpec, UsageError, list, num, parseOrExit, str, usageFailure } from './args.ts';

export const SPEC: CommandSpec = {
  name: 'kerb flash',
  usage: '--board puck|pico|esp32 (--port PORT | --dry-run out.js) [options]',
  summary: "Writes the firmware bundle to the board's Storage (.bootcde, runs at every boot) and the device's\nDevAddr and session keys to kerb.cfg, through the espruino CLI (docs/firmware.md).",
  options: {
    board: { type: 'string', value: 'puck|pico|esp32', help: 'the board (required)' },
    port: { type: 'string', short: 'p', value: 'PORT', help: 'serial port (/dev/ttyACM0, /dev/serial/by-id/...) or tcp://host:port' },
    'dry-run': { type: 'string', value: 'FILE', help: 'write what would be sent to FILE instead of a board' },
    device: { type: 'string', value: 'ID', help: "take the node's DevAddr and session keys from the registry" },
    registry: { type: 'string', value: 'FILE', help: 'device registry (relative: to the current directory)' },
    entry: { type: 'string', value: 'node|bridge|selftest', help: 'what to flash (default node)' },
    set: { type: 'string', multiple: true, value: 'KEY=NUMBER', help: 'a node setting in kerb.cfg, e.g. --set intervalS=300' },
    baud: { type: 'string', value: 'N', help: 'serial baud rate (default 115200)' },
  },
  examples: [
    'kerb flash --board pico --port /dev/ttyACM0 --device lamp-0001',
    'kerb flash --board pico --entry bridge --port /dev/ttyACM0',
    'kerb flash --board puck --device lamp-0002 --dry-run out.js',
  ],
};

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
    if (entry === 'node') {
      const paths = commandPaths({ registry: registryPath });
      for (const w of paths.warnings) console.error(`kerb flash: ${w}`);
      registryPath = paths.registry.path;
    }
    const r = await flash({ root, board, entry, port, deviceId, registryPath, dryRunOut, settings, baud });
    if (r.code !== 0) {
      console.error(`kerb flash: nothing was flashed: ${r.reason ?? `espruino CLI exited with ${r.code}`} (check the --port path, that no other program holds the port, and that the board is powered)`);
      return 1;
    }
    console.log(`kerb flash: ${board}-${entry}.js (${r.bundleBytes} bytes)${r.configJson ? ' + kerb.cfg' : ''} ${dryRunOut ? `written to ${dryRunOut}` : `sent to ${port}`}`);
    return 0;
  } catch (e) {
    console.error(`kerb flash: ${(e as Error).message}`);
    return 1;
  }
}
