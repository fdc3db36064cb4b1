// `kerb flash --board <board> (--port <port> | --dry-run out.js) [--device <id>] [--registry FILE]
//   [--entry node|bridge|selftest] [--set key=value]... [--baud n]`
// Writes the firmware bundle to the board's Storage (.bootcde) and the device's kerb.cfg, through
// the espruino CLI, offline (firmware/build/flash.ts).
import { fileURLToPath } from 'node:url';
import { flash } from '../firmware/build/flash.ts';
import { commandPaths, describePaths, flagValue } from '../host/paths.ts';

const USAGE = `usage: kerb flash --board puck|pico|esp32 (--port /dev/ttyACM0|tcp://host:port | --dry-run out.js)
                  [--device <id>] [--registry FILE] [--entry node|bridge|selftest]
                  [--set intervalS=300]... [--baud 115200]

--device takes the node's DevAddr and session keys from the registry (relative --registry: to the
current directory).`;

export async function run(argv: string[]): Promise<number> {
  let board = '';
  let port: string | undefined;
  let deviceId: string | undefined;
  let registryPath: string | undefined;
  let dryRunOut: string | undefined;
  let entry = 'node';
  let baud: number | undefined;
  const settings: Record<string, number> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--board') board = next();
      else if (a === '--port' || a === '-p') port = next();
      else if (a === '--device') deviceId = next();
      else if (a === '--registry') registryPath = next();
      else if (a === '--dry-run') dryRunOut = next();
      else if (a === '--entry') entry = next();
      else if (a === '--baud') baud = Number(next());
      else if (a === '--set') {
        const [k, v] = next().split('=');
        if (!k || v === undefined || !Number.isFinite(Number(v))) throw new Error('--set takes key=number');
        settings[k] = Number(v);
      } else if (a === '--help' || a === '-h') {
        console.log(`${USAGE}\n\n${describePaths({ registry: flagValue(argv, '--registry') })}`);
        return 0;
      } else throw new Error(`unknown option '${a}'`);
    } catch (e) {
      console.error(`kerb flash: ${(e as Error).message}\n${USAGE}`);
      return 2;
    }
  }
  if (!board) {
    console.error(`kerb flash: --board is required\n${USAGE}`);
    return 2;
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
