// `kerb device add|list|remove`: edit the device registry (docs/registry.md) safely while the gateway
// runs. Every change is read-modify-write under a lock file, validated with the gateway's own
// validator, and replaced atomically (temp + fsync + rename), so the gateway's watcher only ever
// sees a complete, valid file and picks the change up without a restart.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { validateRegistry, parseRegistry, PROFILES, DEFAULT_PROFILE } from '../host/registry.ts';
import { readCounters } from '../gateway/counters.ts';
import { readDownlinkFiles } from '../gateway/downlinks.ts';
import { writeFileAtomic, withLockFile } from '../host/state-file.ts';
import { KerbError } from '../host/errors.ts';
import { commandPaths, describePaths, flagValue } from '../host/paths.ts';
import { readConsolePassword, type ConsoleOwner } from '../host/console-passwords.ts';
import { randomBytes } from 'node:crypto';
import { newSessionKeys, parseNetId, DEFAULT_NETID } from './keys.ts';
import { type CommandSpec, type OptionSpec, type Parsed, UsageError, flag, num, parseOrExit, str, unknownSubcommand, usageFailure } from './args.ts';

const REGISTRY_OPT: OptionSpec = { type: 'string', value: 'FILE', help: 'device registry (relative: to the current directory)' };

export const ADD: CommandSpec = {
  name: 'kerb device add',
  usage: '<id> [options]',
  summary: 'ABP: generates a DevAddr and session keys (or takes existing ones), appends the device to the registry\natomically and prints the provisioning data the node needs at flashing time as JSON (the "kerb.cfg"\nfields: id, devAddr, nwkSKey, appSKey). OTAA (--otaa, LoRaWAN 1.0.4 §6.2): registers the root key only;\nthe node joins over the air and the gateway derives and keeps its session; prints {id, devEui, joinEui,\nappKey}. The running gateway picks the new device up without a restart.',
  positionals: true,
  options: {
    name: { type: 'string', value: 'TEXT', help: 'human name (default: the id)' },
    lat: { type: 'string', value: 'DEG', help: 'latitude, with --lon (WGS 84 degrees)' },
    lon: { type: 'string', value: 'DEG', help: 'longitude, with --lat' },
    alt: { type: 'string', value: 'M', help: 'altitude in metres' },
    profile: { type: 'string', value: 'NAME', help: `payload profile: ${Object.keys(PROFILES).join(', ')} (default ${DEFAULT_PROFILE})` },
    netid: { type: 'string', value: 'HEX', help: 'NetID whose DevAddr block to use (default 000000, an experimental NetID)' },
    devaddr: { type: 'string', value: 'HEX', help: 'existing session: DevAddr (with --nwkskey and --appskey)' },
    nwkskey: { type: 'string', value: 'HEX', help: 'existing session: NwkSKey, 32 hex digits' },
    appskey: { type: 'string', value: 'HEX', help: 'existing session: AppSKey, 32 hex digits' },
    registry: REGISTRY_OPT,
    otaa: { type: 'boolean', help: 'over-the-air activation: register DevEUI, JoinEUI and AppKey instead of a session' },
    deveui: { type: 'string', value: 'HEX', help: 'OTAA: DevEUI, 16 hex digits (default: a random locally administered EUI-64; use the one printed on the radio module when it has one)' },
    joineui: { type: 'string', value: 'HEX', help: 'OTAA: JoinEUI, 16 hex digits (default 0000000000000000)' },
    appkey: { type: 'string', value: 'HEX', help: 'OTAA: AppKey, 32 hex digits (default: 128 random bits)' },
    out: { type: 'string', value: 'FILE', help: 'also write the provisioning JSON to FILE (mode 0600)' },
  },
  examples: ['kerb device add lamp-0001 --name "Market St 12" --lat 51.05 --lon 3.72', 'kerb device add lamp-0002 --otaa --lat 51.05 --lon 3.72'],
};

export const SHOW: CommandSpec = {
  name: 'kerb device show',
  usage: '<id> [--registry FILE] [--console-password]',
  summary: 'One device (or a radio bridge kerb flash locked) without its keys, and whether its console is locked.',
  positionals: true,
  options: {
    registry: REGISTRY_OPT,
    'console-password': { type: 'boolean', help: 'also print the password of its locked console (kerb flash generated it)' },
  },
  examples: ['kerb device show lamp-0001', 'kerb device show lamp-0001 --console-password'],
};

export const LIST: CommandSpec = {
  name: 'kerb device list',
  usage: '[--registry FILE] [--state-dir DIR] [--json]',
  summary: "Lists the registered devices (no keys) with what the gateway's state folder knows of each: when it\nwas last heard, its last uplink and next downlink frame counters, and downlinks still queued for it.",
  options: {
    registry: REGISTRY_OPT,
    'state-dir': { type: 'string', value: 'DIR', help: "the gateway's state directory (frame counters, downlink queue)" },
    json: { type: 'boolean', help: 'print JSON instead of a table' },
  },
  examples: ['kerb device list', 'kerb device list --json --state-dir /var/lib/kerb'],
};

export const REMOVE: CommandSpec = {
  name: 'kerb device remove',
  usage: '<id> [--registry FILE]',
  summary: 'Removes the device from the registry atomically; the running gateway stops accepting its frames.',
  positionals: true,
  options: { registry: REGISTRY_OPT },
  examples: ['kerb device remove lamp-0001'],
};

const SUBCOMMANDS: Record<string, CommandSpec> = { add: ADD, list: LIST, show: SHOW, remove: REMOVE };

const HELP = `usage: kerb device <add|list|show|remove> [options]

Manages the device registry (docs/registry.md): every change is validated and written atomically,
and a running gateway picks it up without a restart.

subcommands:
  add <id>      register a device: new DevAddr and session keys (or --otaa: root keys), printed for flashing
  list          the registered devices and their state (last seen, frame counters, queued downlinks)
  show <id>     one device or locked radio bridge, without keys (--console-password adds its password)
  remove <id>   unregister a device

Run 'kerb device <subcommand> --help' for its options.

examples:
  $ kerb device add lamp-0001 --lat 51.05 --lon 3.72
  $ kerb device list`;

function usageError(msg: string): UsageError {
  return new UsageError(msg);
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

async function add(p: Parsed): Promise<number> {
  const positionals = p.positionals;
  const v = {
    name: str(p, 'name'), profile: str(p, 'profile'), netid: str(p, 'netid'), devaddr: str(p, 'devaddr'),
    nwkskey: str(p, 'nwkskey'), appskey: str(p, 'appskey'), registry: str(p, 'registry'), out: str(p, 'out'),
    otaa: flag(p, 'otaa'), deveui: str(p, 'deveui'), joineui: str(p, 'joineui'), appkey: str(p, 'appkey'),
  };
  if (positionals.length !== 1) throw usageError(`give exactly one device id (got ${positionals.length}), e.g. kerb device add lamp-0001`);
  const id = positionals[0]!;
  const lat = num(p, 'lat', { min: -90, max: 90 });
  const lon = num(p, 'lon', { min: -180, max: 180 });
  const alt = num(p, 'alt');
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

interface DeviceRow {
  id: string;
  name: string;
  devAddr: string;
  profile: string;
  location?: unknown;
  /** Time the gateway last committed an uplink of this device (ISO 8601), null if never. */
  lastSeen: string | null;
  /** Last accepted uplink frame counter (32 bits), null if none yet. */
  fcntUp: number | null;
  /** Next downlink frame counter the gateway will use. */
  fcntDownNext: number;
  /** Downlink commands waiting in the gateway's queue for this device. */
  queuedDownlinks: number;
}

/** "12 s ago", "3 min ago", "5 h ago", "2 d ago". */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

async function list(p: Parsed): Promise<number> {
  const json = flag(p, 'json');
  const paths = commandPaths({ registry: str(p, 'registry'), stateDir: str(p, 'state-dir') });
  for (const w of paths.warnings) console.error(`kerb device: ${w}`);
  const file = paths.registry.path;
  const stateDir = paths.stateDir.path;
  if (!fs.existsSync(file)) {
    console.error(`kerb device: ${file} does not exist (no devices yet); add one with kerb device add <id>`);
    if (json) console.log('[]');
    return 0;
  }
  if (fs.existsSync(stateDir) && !fs.statSync(stateDir).isDirectory()) {
    throw new KerbError('state', `state directory ${stateDir} is not a directory; give the gateway's state directory with --state-dir (or KERB_STATE_DIR)`);
  }
  const doc = await readDoc(file);
  const parsed = parseRegistry(JSON.stringify(doc));
  const counters = await readCounters(stateDir);
  for (const problem of counters.problems) console.error(`kerb device: ${problem} (the gateway will not start until it is resolved; see docs/troubleshooting.md)`);
  const queued = new Map<string, number>();
  for (const d of (await readDownlinkFiles(stateDir)).items) queued.set(d.deviceId, (queued.get(d.deviceId) ?? 0) + 1);
  if (!fs.existsSync(stateDir)) console.error(`kerb device: no gateway state in ${stateDir} yet (a gateway has not run with this state directory): no counters or last-seen times`);
  const rows: DeviceRow[] = doc.devices.map((d) => {
    const dev = parsed.devices.find((x) => x.id === d.id);
    const c = dev ? counters.sessions.get(dev.sessionId) ?? counters.sessions.get(dev.legacySessionId) : undefined;
    const row: DeviceRow = {
      id: String(d.id), name: String(d.name ?? d.id), devAddr: d.devAddr === undefined ? 'OTAA' : String(d.devAddr), profile: String(d.profile ?? DEFAULT_PROFILE),
      lastSeen: c?.t !== undefined ? new Date(c.t).toISOString() : null,
      fcntUp: c && c.up >= 0 ? c.up : null,
      fcntDownNext: c?.down ?? 0,
      queuedDownlinks: queued.get(String(d.id)) ?? 0,
    };
    if (d.location !== undefined) row.location = d.location;
    return row;
  });
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  const now = Date.now();
  const table = [['ID', 'DEVADDR', 'LAST SEEN', 'FCNT UP', 'FCNT DOWN', 'QUEUED', 'PROFILE', 'NAME']];
  for (const r of rows) {
    table.push([r.id, r.devAddr, r.lastSeen ? ago(now - Date.parse(r.lastSeen)) : 'never', r.fcntUp === null ? '-' : String(r.fcntUp), String(r.fcntDownNext), String(r.queuedDownlinks), r.profile, r.name]);
  }
  const widths = table[0]!.map((_, k) => Math.max(...table.map((row) => row[k]!.length)));
  for (const row of table) console.log(row.map((cell, k) => (k === row.length - 1 ? cell : cell.padEnd(widths[k]!))).join('  ').trimEnd());
  console.error(`(state from ${stateDir}; FCNT DOWN is the next downlink counter)`);
  return 0;
}

async function show(p: Parsed): Promise<number> {
  if (p.positionals.length !== 1) throw usageError(`give exactly one device id (got ${p.positionals.length}), e.g. kerb device show lamp-0001`);
  const id = p.positionals[0]!;
  const file = registryPath(str(p, 'registry'));
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
  if (flag(p, 'console-password') && password) console.log(`${'console password'.padEnd(16)} ${password}`);
  return 0;
}

async function remove(p: Parsed): Promise<number> {
  if (p.positionals.length !== 1) throw usageError(`give exactly one device id (got ${p.positionals.length}), e.g. kerb device remove lamp-0001`);
  const id = p.positionals[0]!;
  const file = registryPath(str(p, 'registry'));
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
  if (!sub || sub === 'help' || (sub.startsWith('-') && (argv.includes('--help') || argv.includes('-h')))) {
    console.log(`${HELP}\n\n${describePaths({ registry: flagValue(argv, '--registry') })}`);
    return sub ? 0 : 2;
  }
  const spec = SUBCOMMANDS[sub];
  if (!spec) {
    const e = sub.startsWith('-') ? new UsageError(`give a subcommand (add, list, show or remove) before options, got '${sub}'`) : unknownSubcommand('kerb device', sub, Object.keys(SUBCOMMANDS));
    console.error(`kerb device: ${e.message}\nRun 'kerb device --help' for its subcommands.`);
    return 2;
  }
  const p = parseOrExit(spec, argv.slice(1), (q) => describePaths({ registry: str(q, 'registry'), stateDir: str(q, 'state-dir') }));
  if (typeof p === 'number') return p;
  try {
    switch (sub) {
      case 'add': return await add(p);
      case 'list': return await list(p);
      case 'show': return await show(p);
      default: return await remove(p);
    }
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(spec, e);
    console.error(`${spec.name}: ${(e as Error).message}`);
    return 1;
  }
}
