// `kerb keys`: a fresh ABP session for one node — a random DevAddr inside a NetID's address block
// and random 128-bit NwkSKey/AppSKey from the OS CSPRNG (node:crypto randomBytes).
// DevAddr blocks per NetID: host/netid.ts.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseRegistry } from '../host/registry.ts';
import { commandPaths, describePaths } from '../host/paths.ts';
import { type CommandSpec, UsageError, flag, parseOrExit, str, usageFailure } from './args.ts';
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
  if (!/^[0-9a-fA-F]{1,6}$/.test(t)) throw new UsageError(`option '--netid' expects up to 6 hex digits (e.g. 000013), got '${s}'`);
  return parseInt(t, 16);
}

export const SPEC: CommandSpec = {
  name: 'kerb keys',
  usage: '[--netid HEX] [--registry FILE] [--json]',
  summary: 'Prints a fresh random ABP session for one node: DevAddr, NwkSKey, AppSKey. The DevAddr is one not\nyet used in the device registry (when the registry exists). To create the keys and register the\ndevice in one step, use `kerb device add`.',
  options: {
    netid: { type: 'string', value: 'HEX', help: 'NetID whose DevAddr block to use (default 000000, reserved with 000001 for experimental and non-roaming networks: DevAddr 00xxxxxx/01xxxxxx; 000001 gives 02xxxxxx/03xxxxxx; a NetID the LoRa Alliance assigned you gives its own block)' },
    registry: { type: 'string', value: 'FILE', help: 'registry whose DevAddrs to avoid (relative: to the current directory)' },
    json: { type: 'boolean', help: 'print JSON {"devAddr","nwkSKey","appSKey"} instead of text' },
  },
  examples: ['kerb keys', 'kerb keys --netid 000001 --json'],
};

export async function run(argv: string[]): Promise<number> {
  const p = parseOrExit(SPEC, argv, (q) => describePaths({ registry: str(q, 'registry') }));
  if (typeof p === 'number') return p;
  const v = { netid: str(p, 'netid'), registry: str(p, 'registry'), json: flag(p, 'json') };
  let netId = DEFAULT_NETID;
  const taken = new Set<number>();
  try {
    if (v.netid !== undefined) netId = parseNetId(v.netid);
    const p = commandPaths({ registry: v.registry });
    for (const w of p.warnings) console.error(`kerb keys: ${w}`);
    // A registry named by a flag, the environment or the config file must exist; the default need not.
    if (existsSync(p.registry.path) || !p.registry.from.startsWith('default')) {
      let text: string;
      try {
        text = readFileSync(p.registry.path, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        throw new Error(`cannot read registry ${p.registry.path} (${code === 'ENOENT' ? `it does not exist; it was named by ${p.registry.from}` : code === 'EACCES' ? 'permission denied' : (e as Error).message}); name an existing registry, or none (the new DevAddr is then not checked against registered ones)`);
      }
      const reg = parseRegistry(text);
      if (reg.errors.length) throw new Error(`invalid registry ${p.registry.path}:\n  ${reg.errors.join('\n  ')}`);
      for (const d of reg.devices) taken.add(d.devAddr);
    }
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(SPEC, e);
    console.error(`kerb keys: ${(e as Error).message}`);
    return 2;
  }
  const k = newSessionKeys(netId, taken);
  if (v.json) console.log(JSON.stringify(k));
  else console.log(`DevAddr  ${k.devAddr}\nNwkSKey  ${k.nwkSKey}\nAppSKey  ${k.appSKey}`);
  return 0;
}
