// The device registry: which nodes the gateway accepts, with their ABP session keys (LoRaWAN 1.0.4
// §6.1.1 DevAddr, §6.1.3 NwkSKey, §6.1.4 AppSKey). File format: docs/registry.md. The file is
// re-read when it changes (fs.watch on its directory plus a stat poll, because editors and
// `kerb device add` replace it by rename, and fs.watch misses events on some filesystems) and on
// reload() (SIGHUP); an invalid new file is logged and the previous registry stays in force.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { Logger, Metrics } from './types.ts';
import { KerbError } from './errors.ts';
import {
  parseDevAddr, parseNwkSKey, parseAppSKey, parseEui64, parseAppKey, type DevAddr, type NwkSKey, type AppSKey, type Eui64, type AppKey,
} from './ids.ts';
import { READINGS, type ReadingKind } from '../shared/payload/readings.ts';

export interface DeviceLocation { lat: number; lon: number; alt?: number }

export interface DeviceInfo {
  id: string;          // stable id used in MQTT topics: [a-z0-9_-], 1..64 chars
  name: string;        // human name (defaults to id)
  devAddr: DevAddr;
  devAddrHex: string;  // 8 upper-case hex digits, big-endian as usually written
  nwkSKey: NwkSKey;
  appSKey: AppSKey;
  location?: DeviceLocation;
  profile: string;     // a key of PROFILES
  /**
   * Fingerprint of (devAddr, NwkSKey): the inputs of the uplink MIC (LoRaWAN 1.0.4 §4.4), so exactly
   * the set of frames that can verify under this entry. Frame counters belong to it: a new DevAddr or
   * NwkSKey starts a session at 0 (old frames cannot pass the MIC), while rotating only the AppSKey
   * keeps the counters, since every captured old frame would still pass the MIC.
   */
  sessionId: string;
  /**
   * The session id of gateway versions that also hashed the AppSKey, so counters persisted under it
   * are carried over (CounterStore.adoptLegacy).
   */
  legacySessionId: string;
}

/**
 * An over-the-air-activated device (LoRaWAN 1.0.4 §6.2): the registry holds its root key only. Its
 * session (DevAddr, NwkSKey, AppSKey) is made by a join and kept in the gateway's state folder
 * (gateway/joins.ts); once it has one, the device is also a DeviceInfo like an ABP one.
 */
export interface OtaaInfo {
  id: string;
  name: string;
  devEui: Eui64;
  joinEui: Eui64;
  appKey: AppKey;
  location?: DeviceLocation;
  profile: string;
}

/** A joined OTAA device's session, as the join server stored it. */
export interface JoinedSession { devAddr: DevAddr; nwkSKey: NwkSKey; appSKey: AppSKey }

export interface Profile {
  description: string;
  /** How FRMPayloads are decoded into Readings: kerb codec on FPort 1, Cayenne LPP on any port, or not at all. */
  decoder: 'kerb' | 'lpp' | 'none';
  /**
   * Readings fields the profile is expected to carry (for Home Assistant discovery and docs); each
   * must be a kind of the reading-kind table, which gives its units (checkProfile).
   */
  readings: string[];
}

/** The built-in profiles over a reading-kind table: the kerb profile carries every kind of it. */
export function makeProfiles(table: ReadingKind[] = READINGS): Record<string, Profile> {
  return {
    'kerb-street-v1': {
      description: `kerb street sensor: ${table.map((k) => k.label).join(', ')} (kerb codec, FPort 1)`,
      decoder: 'kerb',
      readings: table.map((k) => k.key),
    },
    'cayenne-lpp': {
      description: 'third-party node sending Cayenne LPP on any FPort (temperature, humidity, pressure, voltage as battery)',
      decoder: 'lpp',
      readings: ['tempDeciC', 'rhHalfPct', 'pressureDeciHpa', 'batteryMv'],
    },
    raw: {
      description: 'payload passed through undecoded',
      decoder: 'none',
      readings: [],
    },
  };
}

export const PROFILES: Record<string, Profile> = makeProfiles(READINGS);

/**
 * Readings a profile expects that the table does not define (so they would have no SenML unit, no
 * Home Assistant sensor, no human unit): one error text each, naming profile and field.
 */
export function checkProfile(name: string, p: Profile, table: ReadingKind[] = READINGS): string[] {
  const known = new Set(table.map((k) => k.key));
  return p.readings
    .filter((r) => !known.has(r))
    .map((r) => `profile ${JSON.stringify(name)} expects reading ${JSON.stringify(r)}, which the reading-kind table (shared/payload/readings.ts) does not define; add it there`);
}

export const DEFAULT_PROFILE = 'kerb-street-v1';

const KNOWN_KEYS = new Set(['id', 'name', 'devAddr', 'nwkSKey', 'appSKey', 'devEui', 'joinEui', 'appKey', 'location', 'profile', 'settings', 'consolePassword']);
const HEX16 = /^[0-9a-fA-F]{16}$/;
/** What Espruino's console accepts as a password (E.setPassword: at most 20 characters), kept to printable ASCII without quotes or backslashes. */
const CONSOLE_PASSWORD_RE = /^[!#-&(-[\]-~]{1,20}$/;
const ID_RE = /^[a-z0-9_-]{1,64}$/;
const HEX8 = /^[0-9a-fA-F]{8}$/;
const HEX32 = /^[0-9a-fA-F]{32}$/;

export interface RegistryParse {
  devices: DeviceInfo[];
  /** OTAA entries (root keys only). */
  otaa: OtaaInfo[];
  errors: string[];   // fatal: the file is rejected as a whole
  warnings: string[]; // accepted, but worth a log line (unknown keys, shared DevAddr)
}

/** Counter-session id: a fingerprint of what the uplink MIC depends on (DevAddr, NwkSKey), nothing else. */
export function sessionFingerprint(devAddr: DevAddr, nwkSKey: NwkSKey): string {
  const h = createHash('sha256');
  const a = Buffer.alloc(4);
  a.writeUInt32BE(devAddr >>> 0);
  // Domain tag: never equal to a legacy id, so the two kinds cannot be confused in fcnt.json.
  h.update('kerb-session-v2\0').update(a).update(nwkSKey);
  return h.digest('hex').slice(0, 16);
}

/** The older session id, which also covered the AppSKey; only for carrying persisted counters over. */
export function legacySessionFingerprint(devAddr: DevAddr, nwkSKey: NwkSKey, appSKey: AppSKey): string {
  const h = createHash('sha256');
  const a = Buffer.alloc(4);
  a.writeUInt32BE(devAddr >>> 0);
  h.update(a).update(nwkSKey).update(appSKey);
  return h.digest('hex').slice(0, 16);
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface RegistryTables {
  /** Reading-kind table the profiles' readings are checked against (default: the shared one). */
  readings?: ReadingKind[];
  /** Profiles devices may name (default: makeProfiles(readings)). */
  profiles?: Record<string, Profile>;
}

/** Validates a parsed registry document. Error texts name the device index/id, the key and the problem. */
export function validateRegistry(doc: unknown, tables: RegistryTables = {}): RegistryParse {
  const table = tables.readings ?? READINGS;
  const profiles = tables.profiles ?? (tables.readings ? makeProfiles(table) : PROFILES);
  const errors: string[] = [];
  const warnings: string[] = [];
  const devices: DeviceInfo[] = [];
  const otaa: OtaaInfo[] = [];
  if (!isObj(doc)) return { devices, otaa, errors: ['top level: must be an object {"devices": [...]}'], warnings };
  for (const k of Object.keys(doc)) if (k !== 'devices' && k !== 'bridges' && !k.startsWith('$')) warnings.push(`top level: unknown key '${k}' ignored`);
  // Console passwords of locked radio bridges (kerb flash; host/console-passwords.ts).
  if (doc.bridges !== undefined) {
    if (!isObj(doc.bridges)) errors.push('bridges: must be an object {"<name>": {"consolePassword": "…"}}');
    else for (const [name, b] of Object.entries(doc.bridges)) {
      if (!isObj(b) || (b.consolePassword !== undefined && (typeof b.consolePassword !== 'string' || !CONSOLE_PASSWORD_RE.test(b.consolePassword)))) {
        errors.push(`bridges.${name}: must be {"consolePassword": up to 20 printable characters}`);
      }
    }
  }
  if (!Array.isArray(doc.devices)) return { devices, otaa, errors: ['devices: must be an array'], warnings };
  const euis = new Map<string, string>();
  const ids = new Map<string, number>();
  const addrs = new Map<number, string[]>();
  const sessions = new Map<string, string>();
  doc.devices.forEach((d: unknown, i: number) => {
    const where = (key: string): string => {
      const id = isObj(d) && typeof d.id === 'string' ? ` (${d.id})` : '';
      return `devices[${i}]${id}.${key}`;
    };
    if (!isObj(d)) {
      errors.push(`devices[${i}]: must be an object`);
      return;
    }
    const n0 = errors.length;
    for (const k of Object.keys(d)) if (!KNOWN_KEYS.has(k)) warnings.push(`${where(k)}: unknown key ignored`);
    const id = d.id;
    if (typeof id !== 'string' || !ID_RE.test(id)) {
      errors.push(`${where('id')}: must be 1..64 characters of a-z 0-9 _ - (got ${JSON.stringify(id)})`);
    } else if (ids.has(id)) {
      errors.push(`${where('id')}: duplicate of devices[${ids.get(id)}]`);
    } else ids.set(id, i);
    if (d.name !== undefined && (typeof d.name !== 'string' || d.name.length > 200)) errors.push(`${where('name')}: must be a string of at most 200 characters`);
    // OTAA (root keys) or ABP (session keys), never both: a flashed session would bypass the join.
    const isOtaa = d.appKey !== undefined || d.devEui !== undefined || d.joinEui !== undefined;
    if (isOtaa) {
      for (const k of ['devAddr', 'nwkSKey', 'appSKey']) {
        if (d[k] !== undefined) errors.push(`${where(k)}: an OTAA device (devEui, joinEui, appKey) gets its session by joining; remove ${k}, or remove the OTAA keys for ABP`);
      }
      for (const k of ['devEui', 'joinEui']) {
        const v = d[k];
        if (typeof v !== 'string' || !HEX16.test(v)) errors.push(`${where(k)}: must be 16 hex digits (an EUI-64, e.g. "70B3D57ED0000001")`);
      }
      if (typeof d.appKey !== 'string' || !HEX32.test(d.appKey)) errors.push(`${where('appKey')}: must be 32 hex digits`);
      if (typeof d.devEui === 'string') {
        const e = d.devEui.toUpperCase();
        if (euis.has(e)) errors.push(`${where('devEui')}: ${e} is already used by ${euis.get(e)}; a DevEUI names one device`);
        else euis.set(e, `devices[${i}]`);
      }
    } else {
      if (typeof d.devAddr !== 'string' || !HEX8.test(d.devAddr)) errors.push(`${where('devAddr')}: must be 8 hex digits (e.g. "26011BDA")`);
      for (const k of ['nwkSKey', 'appSKey']) {
        const v = d[k];
        if (typeof v !== 'string' || !HEX32.test(v)) errors.push(`${where(k)}: must be 32 hex digits`);
      }
    }
    let location: DeviceLocation | undefined;
    if (d.location !== undefined) {
      const l = d.location;
      if (!isObj(l)) errors.push(`${where('location')}: must be an object {"lat": .., "lon": ..}`);
      else {
        const lat = l.lat, lon = l.lon, alt = l.alt;
        if (typeof lat !== 'number' || !(lat >= -90 && lat <= 90)) errors.push(`${where('location.lat')}: must be a number in -90..90`);
        if (typeof lon !== 'number' || !(lon >= -180 && lon <= 180)) errors.push(`${where('location.lon')}: must be a number in -180..180`);
        if (alt !== undefined && (typeof alt !== 'number' || !Number.isFinite(alt))) errors.push(`${where('location.alt')}: must be a number (metres)`);
        if (typeof lat === 'number' && typeof lon === 'number') location = alt === undefined ? { lat, lon } : { lat, lon, alt: alt as number };
      }
    }
    // Firmware settings that `kerb flash` writes into the node's kerb.cfg (firmware/build/flash.ts).
    if (d.settings !== undefined) {
      const st = d.settings;
      if (!isObj(st)) errors.push(`${where('settings')}: must be an object of numbers, e.g. {"intervalS": 300}`);
      else for (const [k, v] of Object.entries(st)) {
        if (typeof v !== 'number' || !Number.isFinite(v)) errors.push(`${where('settings.' + k)}: must be a number (got ${JSON.stringify(v)})`);
      }
    }
    if (d.consolePassword !== undefined && (typeof d.consolePassword !== 'string' || !CONSOLE_PASSWORD_RE.test(d.consolePassword))) {
      errors.push(`${where('consolePassword')}: must be up to 20 printable characters without quotes or backslashes (kerb flash writes it)`);
    }
    const profile = d.profile === undefined ? DEFAULT_PROFILE : d.profile;
    if (typeof profile !== 'string' || !Object.hasOwn(profiles, profile)) {
      errors.push(`${where('profile')}: unknown profile ${JSON.stringify(profile)} (known: ${Object.keys(profiles).join(', ')})`);
    } else {
      for (const e of checkProfile(profile, profiles[profile]!, table)) errors.push(`${where('profile')}: ${e}`);
    }
    if (errors.length > n0) return;
    if (isOtaa) {
      const o: OtaaInfo = {
        id: id as string,
        name: typeof d.name === 'string' && d.name ? d.name : (id as string),
        devEui: parseEui64(d.devEui, where('devEui')),
        joinEui: parseEui64(d.joinEui, where('joinEui')),
        appKey: parseAppKey(d.appKey, where('appKey')),
        profile: profile as string,
      };
      if (location) o.location = location;
      otaa.push(o);
      return;
    }
    const devAddr = parseDevAddr(d.devAddr, where('devAddr'));
    const nwkSKey = parseNwkSKey(d.nwkSKey, where('nwkSKey'));
    const appSKey = parseAppSKey(d.appSKey, where('appSKey'));
    const dev: DeviceInfo = {
      id: id as string,
      name: typeof d.name === 'string' && d.name ? d.name : (id as string),
      devAddr,
      devAddrHex: (d.devAddr as string).toUpperCase(),
      nwkSKey,
      appSKey,
      profile: profile as string,
      sessionId: sessionFingerprint(devAddr, nwkSKey),
      legacySessionId: legacySessionFingerprint(devAddr, nwkSKey, appSKey),
    };
    // Same DevAddr and NwkSKey: every frame of one passes the other's MIC, so the gateway could not
    // tell whose it is (and one device's frames could be credited to, or replayed as, the other).
    const twin = sessions.get(dev.sessionId);
    if (twin !== undefined) {
      errors.push(`${where('nwkSKey')}: same DevAddr ${dev.devAddrHex} and NwkSKey as ${twin}; frames of the two cannot be told apart (give each device its own NwkSKey)`);
      return;
    }
    sessions.set(dev.sessionId, `devices[${i}] (${dev.id})`);
    if (location) dev.location = location;
    devices.push(dev);
    const same = addrs.get(devAddr);
    if (same) {
      same.push(dev.id);
      warnings.push(`${where('devAddr')}: ${dev.devAddrHex} is shared with ${same.slice(0, -1).join(', ')} (each frame is checked against every candidate's MIC; their NwkSKeys differ)`);
    } else addrs.set(devAddr, [dev.id]);
  });
  return { devices, otaa, errors, warnings };
}

/** The DeviceInfo of a joined OTAA device: an ABP-shaped entry over the session the join made. */
export function joinedDevice(o: OtaaInfo, s: JoinedSession): DeviceInfo {
  const dev: DeviceInfo = {
    id: o.id, name: o.name, devAddr: s.devAddr, devAddrHex: (s.devAddr >>> 0).toString(16).toUpperCase().padStart(8, '0'),
    nwkSKey: s.nwkSKey, appSKey: s.appSKey, profile: o.profile,
    sessionId: sessionFingerprint(s.devAddr, s.nwkSKey),
    legacySessionId: legacySessionFingerprint(s.devAddr, s.nwkSKey, s.appSKey),
  };
  if (o.location) dev.location = o.location;
  return dev;
}

/** Parses registry text (JSON). JSON syntax errors become one error entry. */
export function parseRegistry(text: string): RegistryParse {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { devices: [], otaa: [], errors: [`JSON syntax: ${(e as Error).message}`], warnings: [] };
  }
  return validateRegistry(doc);
}

export interface RegistryOptions {
  path: string;
  log: Logger;
  metrics?: Metrics;
  /** Stat poll period for change detection (fs.watch is the fast path). Default 2000 ms; 0 disables. */
  pollMs?: number;
}

/** The loaded registry, with lookups by id and DevAddr, reloadable in place. */
export class Registry {
  private devices: DeviceInfo[] = [];
  private abp: DeviceInfo[] = [];
  private otaa: OtaaInfo[] = [];
  private otaaByEui = new Map<string, OtaaInfo>();
  private sessionOf: (id: string, devEui: string) => JoinedSession | undefined = () => undefined;
  private byId = new Map<string, DeviceInfo>();
  private byAddr = new Map<number, DeviceInfo[]>();
  private lastHash = '';
  private lastStat = '';
  private watcher: fs.FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private listeners: ((devices: DeviceInfo[]) => void)[] = [];

  private readonly opts: RegistryOptions;
  constructor(opts: RegistryOptions) {
    this.opts = opts;
  }

  list(): DeviceInfo[] { return this.devices; }
  /** OTAA entries, joined or not. */
  listOtaa(): OtaaInfo[] { return this.otaa; }
  /** The OTAA entry with this DevEUI (16 upper-case hex digits). */
  otaaDevice(devEui: string): OtaaInfo | undefined { return this.otaaByEui.get(devEui); }
  /**
   * Where joined OTAA devices get their sessions (the join server's store). Joined devices are
   * listed, looked up and verified like ABP ones; call refreshSessions() after a join.
   */
  setSessionSource(f: (id: string, devEui: string) => JoinedSession | undefined): void {
    this.sessionOf = f;
    this.refreshSessions();
  }
  refreshSessions(): void {
    this.apply(this.abp, this.otaa);
  }
  get(id: string): DeviceInfo | undefined { return this.byId.get(id); }
  /** All devices with this DevAddr (normally one; several may share one, each tried by MIC). */
  byDevAddr(devAddr: number): DeviceInfo[] { return this.byAddr.get(devAddr >>> 0) ?? []; }
  /** Called after every successful load that changed the registry. */
  onChange(cb: (devices: DeviceInfo[]) => void): void { this.listeners.push(cb); }

  /**
   * Initial load. A missing file is an empty registry (the gateway picks the file up when it
   * appears); an invalid file at start-up is an error (KerbError 'registry_invalid').
   */
  load(): void {
    const r = this.readAndParse();
    if (r === 'missing') {
      this.opts.log.warn('device registry file not found; no devices accepted until it exists (create it with kerb device add <id> --registry <path>, or point --registry / KERB_REGISTRY at the existing one)', { path: this.opts.path });
      this.apply([], []);
      return;
    }
    if (r === 'unchanged') return;
    if (r.errors.length) {
      throw new KerbError('registry_invalid', `${this.opts.path}: invalid device registry:\n  ${r.errors.join('\n  ')}`);
    }
    for (const w of r.warnings) this.opts.log.warn(`registry: ${w}`, { path: this.opts.path });
    this.apply(r.devices, r.otaa);
    this.opts.log.info('device registry loaded', { path: this.opts.path, devices: r.devices.length });
  }

  /**
   * Re-reads the file; keeps the current registry when the new one is invalid. Returns true when the
   * file is valid (changed or not), false when it was rejected (invalid, missing, unreadable).
   */
  reload(): boolean {
    let r: RegistryParse | 'missing' | 'unchanged';
    try {
      r = this.readAndParse();
    } catch (e) {
      this.opts.log.error('device registry reload failed; keeping the previous registry', { path: this.opts.path, error: String(e) });
      this.opts.metrics?.inc('registry_reloads_total', { result: 'error' });
      return false;
    }
    if (r === 'unchanged') return true;
    if (r === 'missing') {
      this.opts.log.error('device registry file disappeared; keeping the previous registry', { path: this.opts.path });
      this.opts.metrics?.inc('registry_reloads_total', { result: 'error' });
      return false;
    }
    if (r.errors.length) {
      this.opts.log.error('device registry invalid; keeping the previous registry', { path: this.opts.path, errors: r.errors });
      this.opts.metrics?.inc('registry_reloads_total', { result: 'error' });
      return false;
    }
    for (const w of r.warnings) this.opts.log.warn(`registry: ${w}`, { path: this.opts.path });
    const before = new Set(this.devices.map((d) => d.id));
    this.apply(r.devices, r.otaa);
    const after = new Set(this.devices.map((d) => d.id));
    const added = [...after].filter((x) => !before.has(x));
    const removed = [...before].filter((x) => !after.has(x));
    this.opts.log.info('device registry reloaded', { path: this.opts.path, devices: r.devices.length, added, removed });
    this.opts.metrics?.inc('registry_reloads_total', { result: 'ok' });
    for (const cb of this.listeners) {
      try { cb(this.devices); } catch (e) { this.opts.log.error('registry change listener failed', { error: String(e) }); }
    }
    return true;
  }

  /** Starts watching the file for changes. */
  start(): void {
    const dir = path.dirname(this.opts.path);
    const base = path.basename(this.opts.path);
    const kick = (): void => {
      if (this.debounce) clearTimeout(this.debounce);
      // Editors write in several steps; wait for the burst to settle.
      this.debounce = setTimeout(() => { this.debounce = undefined; this.reload(); }, 100);
      this.debounce.unref?.();
    };
    try {
      this.watcher = fs.watch(dir, { persistent: false }, (_ev, name) => {
        if (name === null || name === base) kick();
      });
      this.watcher.on('error', (e) => {
        this.opts.log.warn('registry fs.watch failed; relying on the stat poll', { error: String(e) });
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (e) {
      this.opts.log.warn('registry fs.watch unavailable; relying on the stat poll', { dir, error: String(e) });
    }
    const pollMs = this.opts.pollMs ?? 2000;
    if (pollMs > 0) {
      this.poll = setInterval(() => {
        if (this.statKey() !== this.lastStat) kick();
      }, pollMs);
      this.poll.unref?.();
    }
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = undefined;
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
    this.poll = this.debounce = undefined;
  }

  private statKey(): string {
    try {
      const st = fs.statSync(this.opts.path);
      return `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch {
      return 'missing';
    }
  }

  private readAndParse(): RegistryParse | 'missing' | 'unchanged' {
    this.lastStat = this.statKey();
    let text: string;
    try {
      text = fs.readFileSync(this.opts.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      throw e;
    }
    const hash = createHash('sha256').update(text).digest('hex');
    if (hash === this.lastHash) return 'unchanged';
    const r = parseRegistry(text);
    if (!r.errors.length) this.lastHash = hash;
    return r;
  }

  private apply(abp: DeviceInfo[], otaa: OtaaInfo[]): void {
    this.abp = abp;
    this.otaa = otaa;
    this.otaaByEui = new Map(otaa.map((o) => [o.devEui as string, o]));
    const devices = abp.slice();
    for (const o of otaa) {
      const s = this.sessionOf(o.id, o.devEui);
      if (s) devices.push(joinedDevice(o, s));
    }
    this.devices = devices;
    this.byId = new Map(devices.map((d) => [d.id, d]));
    this.byAddr = new Map();
    for (const d of devices) {
      const l = this.byAddr.get(d.devAddr);
      if (l) l.push(d); else this.byAddr.set(d.devAddr, [d]);
    }
  }
}
