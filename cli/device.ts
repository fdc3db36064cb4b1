// `kerb device add|list|remove`: edit the device registry (docs/registry.md) safely while the gateway
// runs. Every change is read-modify-write under a lock file, validated with the gateway's own
// validator, and replaced atomically (temp + fsync + rename), so the gateway's watcher only ever
// sees a complete, valid file and picks the change up without a restart.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { validateRegistry, PROFILES, DEFAULT_PROFILE } from '../host/registry.ts';
import { writeFileAtomic, withLockFile } from '../host/state-file.ts';
import { KerbError } from '../host/errors.ts';
import { commandPaths, describePaths, flagValue } from '../host/paths.ts';
import { randomBytes } from 'node:crypto';
import { newSessionKeys, parseNetId, DEFAULT_NETID } from './keys.ts';

const HELP = `usage: kerb device <add|list|remove> ...

  kerb device add <id> [--name TEXT] [--lat DEG --lon DEG [--alt M]] [--profile NAME]
                       [--netid HEX] [--devaddr HEX --nwkskey HEX --appskey HEX]
                       [--registry FILE] [--out FILE]
      ABP: generates a DevAddr and session keys (or takes existing ones), appends the device to the
      registry atomically and prints the provisioning data the node needs at flashing time as
      JSON (the "kerb.cfg" fields: id, devAddr, nwkSKey, appSKey). --out also writes it to FILE
      (mode 0600). The running gateway picks the new device up without a restart.
  kerb device add <id> --otaa [--deveui HEX] [--joineui HEX] [--appkey HEX] [other options as above]
      OTAA (LoRaWAN 1.0.4 §6.2): registers the device's root key only; the node joins over the air
      and the gateway derives and keeps its session. --deveui defaults to a random locally
      administered EUI-64 (use the one printed on the radio module when it has one), --joineui to
      0000000000000000, --appkey to 128 random bits. Prints {id, devEui, joinEui, appKey}.
  kerb device list [--registry FILE] [--json]
      Lists the registered devices (no keys).
  kerb device remove <id> [--registry FILE]

Profiles: ${Object.keys(PROFILES).join(', ')} (default ${DEFAULT_PROFILE}).`;

function usageError(msg: string): KerbError {
  return new KerbError('usage', msg);
}

/** The registry by the rule every command shares (host/paths.ts); deprecation warnings to stderr. */
function registryPath(flag: string | undefined): string {
  const p = commandPaths({ registry: flag });
  for (const w of p.warnings) console.error(`kerb device: ${w}`);
  return p.registry.path;
}

interface RegistryDoc { devices: Record<string, unknown>[]; [k: string]: unknown }

async function readDoc(file: string): Promise<RegistryDoc> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { devices: [] };
    throw e;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message}); fix it before adding devices`);
  }
  const r = validateRegistry(doc);
  if (r.errors.length) throw new Error(`${file}: invalid device registry; fix it before changing it:\n  ${r.errors.join('\n  ')}`);
  return doc as RegistryDoc;
}

async function writeDoc(file: string, doc: RegistryDoc): Promise<void> {
  const r = validateRegistry(doc);
  if (r.errors.length) throw new KerbError('invalid', r.errors.join('\n'));
  await fsp.mkdir(path.dirname(file), { recursive: true });
  // 0600: the file holds session keys.
  await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n', 0o600);
}

function num(name: string, s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isFinite(n)) throw usageError(`--${name}: not a number ('${s}')`);
  return n;
}

async function add(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: {
      name: { type: 'string' }, lat: { type: 'string' }, lon: { type: 'string' }, alt: { type: 'string' },
      profile: { type: 'string' }, netid: { type: 'string' }, devaddr: { type: 'string' },
      nwkskey: { type: 'string' }, appskey: { type: 'string' }, registry: { type: 'string' }, out: { type: 'string' },
      otaa: { type: 'boolean' }, deveui: { type: 'string' }, joineui: { type: 'string' }, appkey: { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw usageError('device add: give exactly one device id');
  const id = positionals[0];
  const lat = num('lat', v.lat);
  const lon = num('lon', v.lon);
  const alt = num('alt', v.alt);
  if ((lat === undefined) !== (lon === undefined)) throw usageError('--lat and --lon go together');
  const given = [v.devaddr, v.nwkskey, v.appskey].filter((x) => x !== undefined).length;
  if (given !== 0 && given !== 3) throw usageError('--devaddr, --nwkskey and --appskey go together (existing session) or not at all');
  if (v.otaa && (given || v.netid !== undefined)) throw usageError('--otaa devices get their DevAddr and session keys by joining: drop --devaddr/--nwkskey/--appskey/--netid');
  if (!v.otaa && (v.deveui || v.joineui || v.appkey)) throw usageError('--deveui, --joineui and --appkey are for OTAA devices: add --otaa');
  const netId = v.netid !== undefined ? parseNetId(v.netid) : DEFAULT_NETID;
  const file = registryPath(v.registry);

  let prov: Record<string, string> | undefined;
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await withLockFile(file + '.lock', async () => {
    const doc = await readDoc(file);
    if (doc.devices.some((d) => d.id === id)) throw new KerbError('exists', `device '${id}' is already in ${file}`);
    let dev: Record<string, unknown>;
    if (v.otaa) {
      // IEEE EUI-64: bit 1 of the first octet set = locally administered, bit 0 clear = unicast.
      const eui = randomBytes(8);
      eui[0] = (eui[0]! & 0xfc) | 0x02;
      const root = {
        devEui: (v.deveui ?? eui.toString('hex')).replace(/[-:]/g, '').toUpperCase(),
        joinEui: (v.joineui ?? '0000000000000000').replace(/[-:]/g, '').toUpperCase(),
        appKey: (v.appkey ?? randomBytes(16).toString('hex')).toUpperCase(),
      };
      dev = { id, name: v.name ?? id, ...root };
      prov = { id, ...root };
    } else {
      const taken = new Set(doc.devices.map((d) => parseInt(String(d.devAddr), 16) >>> 0));
      const keys = given === 3
        ? { devAddr: v.devaddr!.toUpperCase(), nwkSKey: v.nwkskey!.toUpperCase(), appSKey: v.appskey!.toUpperCase() }
        : newSessionKeys(netId, taken);
      dev = { id, name: v.name ?? id, devAddr: keys.devAddr, nwkSKey: keys.nwkSKey, appSKey: keys.appSKey };
      prov = { id, devAddr: keys.devAddr, nwkSKey: keys.nwkSKey, appSKey: keys.appSKey };
    }
    if (lat !== undefined && lon !== undefined) dev.location = alt === undefined ? { lat, lon } : { lat, lon, alt };
    dev.profile = v.profile ?? DEFAULT_PROFILE;
    doc.devices.push(dev);
    // Validation names the problem (bad id, key, profile, location) before anything is written.
    await writeDoc(file, doc);
  });
  const text = JSON.stringify(prov, null, 2) + '\n';
  if (v.out) await writeFileAtomic(path.resolve(v.out), text, 0o600);
  process.stdout.write(text);
  console.error(`kerb device: added '${id}' to ${file}` + (v.out ? `; provisioning written to ${v.out}` : ''));
  return 0;
}

async function list(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: { registry: { type: 'string' }, json: { type: 'boolean' } } });
  const file = registryPath(v.registry);
  if (!fs.existsSync(file)) {
    console.error(`kerb device: ${file} does not exist (no devices yet)`);
    return v.json ? (console.log('[]'), 0) : 0;
  }
  const doc = await readDoc(file);
  const rows = doc.devices.map((d) => ({ id: d.id, name: d.name ?? d.id, devAddr: d.devAddr ?? 'OTAA', profile: d.profile ?? DEFAULT_PROFILE, location: d.location }));
  if (v.json) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(`${String(r.id).padEnd(24)} ${String(r.devAddr).padEnd(9)} ${String(r.profile).padEnd(16)} ${r.name}`);
  return 0;
}

async function remove(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { registry: { type: 'string' } } });
  if (positionals.length !== 1) throw usageError('device remove: give exactly one device id');
  const id = positionals[0];
  const file = registryPath(v.registry);
  await withLockFile(file + '.lock', async () => {
    const doc = await readDoc(file);
    const n = doc.devices.length;
    doc.devices = doc.devices.filter((d) => d.id !== id);
    if (doc.devices.length === n) throw new KerbError('not_found', `no device '${id}' in ${file}`);
    await writeDoc(file, doc);
  });
  console.error(`kerb device: removed '${id}' from ${file}`);
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  const sub = argv[0];
  if (!sub || sub === 'help' || argv.includes('--help') || argv.includes('-h')) {
    console.log(`${HELP}\n\n${describePaths({ registry: flagValue(argv, '--registry') })}`);
    return sub ? 0 : 2;
  }
  try {
    switch (sub) {
      case 'add': return await add(argv.slice(1));
      case 'list': return await list(argv.slice(1));
      case 'remove': return await remove(argv.slice(1));
      default: throw usageError(`unknown subcommand '${sub}'`);
    }
  } catch (e) {
    const usage = (e instanceof KerbError && e.code === 'usage') || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`kerb device: ${(e as Error).message}`);
    if (usage) console.error(`\n${HELP}`);
    return usage ? 2 : 1;
  }
}
