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
import { readConsolePassword, type ConsoleOwner } from '../host/console-passwords.ts';
import { newSessionKeys, parseNetId, DEFAULT_NETID } from './keys.ts';

const HELP = `usage: kerb device <add|list|show|remove> ...

  kerb device add <id> [--name TEXT] [--lat DEG --lon DEG [--alt M]] [--profile NAME]
                       [--netid HEX] [--devaddr HEX --nwkskey HEX --appskey HEX]
                       [--registry FILE] [--out FILE]
      Generates a DevAddr and session keys (or takes existing ones), appends the device to the
      registry atomically and prints the provisioning data the node needs at flashing time as
      JSON (the "kerb.cfg" fields: id, devAddr, nwkSKey, appSKey). --out also writes it to FILE
      (mode 0600). The running gateway picks the new device up without a restart.
  kerb device list [--registry FILE] [--json]
      Lists the registered devices (no keys).
  kerb device show <id> [--registry FILE] [--console-password]
      One device (or a radio bridge kerb flash locked) without its keys; --console-password also
      prints the password of its locked console (kerb flash generated it).
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
  const netId = v.netid !== undefined ? parseNetId(v.netid) : DEFAULT_NETID;
  const file = registryPath(v.registry);

  let prov: { id: string; devAddr: string; nwkSKey: string; appSKey: string } | undefined;
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await withLockFile(file + '.lock', async () => {
    const doc = await readDoc(file);
    if (doc.devices.some((d) => d.id === id)) throw new KerbError('exists', `device '${id}' is already in ${file}`);
    const taken = new Set(doc.devices.map((d) => parseInt(String(d.devAddr), 16) >>> 0));
    const keys = given === 3
      ? { devAddr: v.devaddr!.toUpperCase(), nwkSKey: v.nwkskey!.toUpperCase(), appSKey: v.appskey!.toUpperCase() }
      : newSessionKeys(netId, taken);
    const dev: Record<string, unknown> = { id, name: v.name ?? id, devAddr: keys.devAddr, nwkSKey: keys.nwkSKey, appSKey: keys.appSKey };
    if (lat !== undefined && lon !== undefined) dev.location = alt === undefined ? { lat, lon } : { lat, lon, alt };
    dev.profile = v.profile ?? DEFAULT_PROFILE;
    doc.devices.push(dev);
    // Validation names the problem (bad id, key, profile, location) before anything is written.
    await writeDoc(file, doc);
    prov = { id, devAddr: keys.devAddr, nwkSKey: keys.nwkSKey, appSKey: keys.appSKey };
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
  const rows = doc.devices.map((d) => ({ id: d.id, name: d.name ?? d.id, devAddr: d.devAddr, profile: d.profile ?? DEFAULT_PROFILE, location: d.location }));
  if (v.json) console.log(JSON.stringify(rows, null, 2));
  else for (const r of rows) console.log(`${String(r.id).padEnd(24)} ${String(r.devAddr).padEnd(9)} ${String(r.profile).padEnd(16)} ${r.name}`);
  return 0;
}

async function show(argv: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv, allowPositionals: true, strict: true,
    options: { registry: { type: 'string' }, 'console-password': { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw usageError('device show: give exactly one device id');
  const id = positionals[0]!;
  const file = registryPath(v.registry);
  const doc = await readDoc(file);
  const d = doc.devices.find((x) => x.id === id);
  const bridges = (doc.bridges ?? {}) as Record<string, Record<string, unknown>>;
  const owner: ConsoleOwner = d ? { device: id } : { bridge: id };
  if (!d && !Object.hasOwn(bridges, id)) throw new KerbError('not_found', `no device or bridge '${id}' in ${file}`);
  const password = readConsolePassword(JSON.stringify(doc), owner);
  if (d) {
    const rows: [string, unknown][] = [['id', d.id], ['name', d.name ?? d.id], ['devAddr', d.devAddr], ['profile', d.profile ?? DEFAULT_PROFILE]];
    if (d.location) rows.push(['location', JSON.stringify(d.location)]);
    if (d.settings) rows.push(['settings', JSON.stringify(d.settings)]);
    for (const [k, val] of rows) console.log(`${k.padEnd(16)} ${String(val)}`);
  } else console.log(`${'bridge'.padEnd(16)} ${id}`);
  console.log(`${'console'.padEnd(16)} ${password ? 'locked (kerb flash)' : 'no password stored (unlocked image, or never flashed by kerb)'}`);
  if (v['console-password'] && password) console.log(`${'console password'.padEnd(16)} ${password}`);
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
      case 'show': return await show(argv.slice(1));
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
