// `kerb keys`: a fresh ABP session for one node — a random DevAddr inside a NetID's address block
// and random 128-bit NwkSKey/AppSKey from the OS CSPRNG (node:crypto randomBytes).
//
// DevAddr layout per NetID type (LoRaWAN Backend Interfaces TS002-1.0.0 §13, Table 3): a prefix of
// `type` one-bits and a zero, then NwkID (the NetID's low bits), then the node's NwkAddr.
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { parseRegistry } from '../host/registry.ts';
import { commandPaths, describePaths } from '../host/paths.ts';
import { type CommandSpec, UsageError, flag, parseOrExit, str, usageFailure } from './args.ts';

const NETID_TYPES: { nwkIdBits: number; addrBits: number }[] = [
  { nwkIdBits: 6, addrBits: 25 },  // type 0: prefix 0
  { nwkIdBits: 6, addrBits: 24 },  // type 1: prefix 10
  { nwkIdBits: 9, addrBits: 20 },  // type 2: prefix 110
  { nwkIdBits: 11, addrBits: 17 }, // type 3
  { nwkIdBits: 12, addrBits: 15 }, // type 4
  { nwkIdBits: 13, addrBits: 13 }, // type 5
  { nwkIdBits: 15, addrBits: 10 }, // type 6
  { nwkIdBits: 17, addrBits: 7 },  // type 7
];

/**
 * Default NetID 0x000013 (type 0, NwkID 0x13): DevAddrs 0x26000000–0x27FFFFFF, the range users of
 * community networks recognise. A private network may use an experimental NetID (0x000000 or
 * 0x000001, DevAddr 0x00…/0x02…) with --netid; kerb does not roam, so either works.
 */
export const DEFAULT_NETID = 0x000013;

export interface DevAddrBlock { base: number; addrBits: number; netId: number; type: number }

/** The DevAddr block of a 24-bit NetID. */
export function devAddrBlock(netId: number): DevAddrBlock {
  if (!Number.isInteger(netId) || netId < 0 || netId > 0xffffff) throw new Error('NetID must be 24 bits (6 hex digits)');
  const type = netId >>> 21;
  const t = NETID_TYPES[type];
  const nwkId = netId & ((1 << t.nwkIdBits) - 1);
  const prefix = (2 ** type - 1) * 2; // `type` ones then a zero, type+1 bits wide
  const base = (prefix * 2 ** (32 - (type + 1))) + nwkId * 2 ** t.addrBits;
  return { base: base >>> 0, addrBits: t.addrBits, netId, type };
}

/** A random DevAddr inside the NetID's block, avoiding `taken`. */
export function randomDevAddr(netId = DEFAULT_NETID, taken: Set<number> = new Set()): number {
  const b = devAddrBlock(netId);
  const span = 2 ** b.addrBits;
  for (let i = 0; i < 1000; i++) {
    // NwkAddr 0 is avoided: an all-zero address is a common "unset" value in node firmware.
    const a = (b.base + randomInt(1, span)) >>> 0;
    if (!taken.has(a)) return a;
  }
  throw new Error(`no free DevAddr found in NetID ${netId.toString(16).padStart(6, '0')}'s block`);
}

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
    netid: { type: 'string', value: 'HEX', help: 'NetID whose DevAddr block to use (default 000013: DevAddr 26xxxxxx/27xxxxxx; 000000 or 000001 are the experimental NetIDs for private networks)' },
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
