// `kerb flash --board <board> (--port <port> | --dry-run out.js) [--device <id>] [--registry FILE]
//   [--entry node|bridge|selftest] [--set key=value]... [--baud n]`
// Writes the firmware bundle to the board's Storage (.bootcde) and the device's kerb.cfg, through
// the espruino CLI, offline (firmware/build/flash.ts).
import { fileURLToPath } from 'node:url';
import { flash } from '../firmware/build/flash.ts';
import { commandPaths, describePaths, flagValue } from '../host/paths.ts';

const USAGE = `usage: kerb flash --board puck|pico|esp32 (--port /dev/ttyACM0|tcp://host:port | --dry-run out.js)
                  [--device <id>] [--registry FILE] [--entry node|bridge|selftest]
                  [--set intervalS=300]... [--baud 115200] [--name <bridge>] [--unlocked]

--device takes the node's DevAddr and session keys from the registry (relative --registry: to the
current directory). The image is a locked field build: its console asks for a password that kerb
generates, prints once and keeps in the registry (\`kerb device show <id> --console-password\`;
a bridge's under --name, default <board>-bridge). --unlocked makes a development image with an
open console. After writing, kerb reads every file back from the board (length and CRC32) and
only then restarts it.`;

const UNLOCKED_BANNER = `kerb flash: *** --unlocked: DEVELOPMENT IMAGE, CONSOLE OPEN ***
kerb flash: anyone who reaches its console (USB, serial, Bluetooth on Puck.js) can read kerb.cfg and
kerb flash: its session keys. Never deploy it; flash without --unlocked before the board leaves the bench.`;

export async function run(argv: string[]): Promise<number> {
  let board = '';
  let port: string | undefined;
  let deviceId: string | undefined;
  let registryPath: string | undefined;
  let dryRunOut: string | undefined;
  let entry = 'node';
  let baud: number | undefined;
  let unlocked = false;
  let bridgeName: string | undefined;
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
      else if (a === '--unlocked') unlocked = true;
      else if (a === '--name') bridgeName = next();
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
