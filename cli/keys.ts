// `kerb keys`: a fresh ABP session for one node — a random DevAddr inside a NetID's address block
// and random 128-bit NwkSKey/AppSKey from the OS CSPRNG (node:crypto randomBytes).
// DevAddr blocks per NetID: host/netid.ts.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseRegistry } from '../host/registry.ts';
import { commandPaths, describePaths } from '../host/paths.ts';
import { DEFAULT_NETID, randomDevAddr } from '../host/netid.ts';

export { DEFAULT_NETID, devAddrBlock, randomDevAddr } from '../host/netid.ts';
export type { DevAddrBlock } from '../host/netid.ts';

export interface SessionKeys { devAddr: string; nwkSKey: string; appSKey: string }

export function hex8(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export function newSessionKeys(netId = DEFAULT_NETID, taken?: Set<number>): SessionKeys {
  return {
    devAddr: hex8(randomDevAddr(netId, taken)),
    nwkSKey: randomBytes(16).toString('hex').toUpperCase(),
    appSKey: randomBytes(16).toString('hex').toUpperCase(),
  };
}

export function parseNetId(s: string): number {
  const t = s.replace(/^0x/i, '');
  if (!/^[0-9a-fA-F]{1,6}$/.test(t)) throw new Error(`--netid: must be up to 6 hex digits (got '${s}')`);
  return parseInt(t, 16);
}

const HELP = `usage: kerb keys [--netid HEX] [--registry FILE] [--json]

Prints a fresh random ABP session for one node: DevAddr, NwkSKey, AppSKey. The DevAddr is one not
yet used in the device registry (when the registry exists).

  --netid HEX   NetID whose DevAddr block to use (default 000000, reserved with 000001 for
                experimental and non-roaming networks: DevAddr 00xxxxxx/01xxxxxx; 000001 gives
                02xxxxxx/03xxxxxx; a NetID the LoRa Alliance assigned you gives its own block)
  --registry FILE  registry whose DevAddrs to avoid (relative: to the current directory)
  --json        print JSON {"devAddr","nwkSKey","appSKey"} instead of text

To create the keys and register the device in one step, use \`kerb device add\`.`;

export async function run(argv: string[]): Promise<number> {
  let v;
  try {
    v = parseArgs({ args: argv, options: { netid: { type: 'string' }, registry: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (e) {
    console.error(`kerb keys: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (v.help) {
    console.log(`${HELP}\n\n${describePaths({ registry: v.registry })}`);
    return 0;
  }
  let netId = DEFAULT_NETID;
  const taken = new Set<number>();
  try {
    if (v.netid !== undefined) netId = parseNetId(v.netid);
    const p = commandPaths({ registry: v.registry });
    for (const w of p.warnings) console.error(`kerb keys: ${w}`);
    // A registry named by a flag, the environment or the config file must exist; the default need not.
    if (existsSync(p.registry.path) || !p.registry.from.startsWith('default')) {
      const reg = parseRegistry(readFileSync(p.registry.path, 'utf8'));
      if (reg.errors.length) throw new Error(`invalid registry ${p.registry.path}:\n  ${reg.errors.join('\n  ')}`);
      for (const d of reg.devices) taken.add(d.devAddr);
    }
  } catch (e) {
    console.error(`kerb keys: ${(e as Error).message}`);
    return 2;
  }
  const k = newSessionKeys(netId, taken);
  if (v.json) console.log(JSON.stringify(k));
  else console.log(`DevAddr  ${k.devAddr}\nNwkSKey  ${k.nwkSKey}\nAppSKey  ${k.appSKey}`);
  return 0;
}
