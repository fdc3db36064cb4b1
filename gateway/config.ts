// Gateway configuration: defaults < config file (YAML or JSON) < KERB_* environment variables <
// command-line flags. Every key is validated and an error names the key and the problem, e.g.
// `mqtt.port: must be an integer 1..65535, got "abc"`. docs/gateway.md documents each key.
import os from 'node:os';
import path from 'node:path';
import { KerbError } from './types.ts';
import { readConfigFile, type ConfigInput } from '../host/config-file.ts';
import { resolvePaths } from '../host/paths.ts';
import { validBaseTopic } from './topics.ts';
import { parseUdpRadio, type UdpRadioConfig } from './udp-config.ts';
import { regionByName, REGION_NAMES } from '../shared/lorawan/region/all.ts';

export type { UdpRadioConfig };

export interface RadioConfig {
  path: string;
  baudRate: number;
}

export interface GatewayConfig {
  /** region: a LoRaWAN regional channel plan name (shared/lorawan/region/all.ts), upper case. */
  gateway: { id: string; stateDir: string; registry: string; acceptCounterLoss: boolean; region: string };
  radios: RadioConfig[];
  /** `radios` entries with `type: udp` (Semtech UDP packet forwarders), gateway/udp-config.ts. */
  udpRadios: UdpRadioConfig[];
  mqtt: {
    url: string; // '' = none configured: use the embedded broker
    protocolVersion: 4 | 5;
    clientId: string;
    username: string;
    password: string;
    passwordFile: string;
    ca: string;
    cert: string;
    key: string;
    rejectUnauthorized: boolean;
    keepaliveS: number;
    connectTimeoutMs: number;
    reconnectMinMs: number;
    reconnectMaxMs: number;
    qos: 0 | 1 | 2;
    baseTopic: string;
    jsonMirror: boolean;
    inflight: number;
  };
  broker: { embedded: 'auto' | 'always' | 'never'; host: string; port: number; allowAnonymous: boolean; credentialsFile: string };
  homeassistant: { enabled: boolean; prefix: string; statusTopic: string };
  outbox: { maxBytes: number; maxMessages: number; fsync: boolean };
  availability: { offlineAfterS: number; checkIntervalS: number };
  downlinks: { expiryS: number; rx1DelayMs: number; maxPerDevice: number; maxQueued: number };
  lorawan: { netId: string; adr: boolean; devStatusIntervalS: number };
  http: { enabled: boolean; host: string; port: number };
  /** The gateway page (gateway/features/page.ts, docs/gateway.md "The page"). */
  page: { enabled: boolean; bind: string; token: string; tokenFile: string; mapTiles: string; mapAttribution: string };
  stats: { intervalS: number };
  log: { level: 'debug' | 'info' | 'warn' | 'error'; format: 'auto' | 'json' | 'text' };
}

type Leaf =
  | { type: 'string'; default: string; check?: (s: string) => string | undefined }
  | { type: 'int'; default: number; min: number; max: number }
  | { type: 'bool'; default: boolean }
  | { type: 'enum'; default: string | number; values: readonly (string | number)[] };

function defaultGatewayId(): string {
  return os.hostname().toLowerCase().replace(/[^a-z0-9_-]/g, '-').slice(0, 64) || 'kerb-gw';
}

const ID_RE = /^[a-z0-9_-]{1,64}$/;

/** Every scalar key, with its type, limits and default. `radios` is handled separately (a list). */
export const SCHEMA: Record<string, Leaf> = {
  'gateway.id': { type: 'string', default: '', check: (s) => (ID_RE.test(s) ? undefined : 'must be 1..64 of [a-z0-9_-]') },
  // '' = not given here: host/paths.ts resolves both (flag > environment > file > default).
  'gateway.stateDir': { type: 'string', default: '' },
  'gateway.registry': { type: 'string', default: '' },
  'gateway.acceptCounterLoss': { type: 'bool', default: false },
  'gateway.region': {
    type: 'string', default: 'EU868',
    check: (s) => (regionByName(s) ? undefined : `must be a LoRaWAN regional channel plan kerb knows (${REGION_NAMES}; RP002-1.0.3 common names)`),
  },
  'mqtt.url': {
    type: 'string',
    default: '',
    check: (s) => (s === '' ? undefined : checkMqttUrl(s)),
  },
  'mqtt.protocolVersion': { type: 'enum', default: 4, values: [4, 5] },
  'mqtt.clientId': { type: 'string', default: '' },
  'mqtt.username': { type: 'string', default: '' },
  'mqtt.password': { type: 'string', default: '' },
  'mqtt.passwordFile': { type: 'string', default: '' },
  'mqtt.ca': { type: 'string', default: '' },
  'mqtt.cert': { type: 'string', default: '' },
  'mqtt.key': { type: 'string', default: '' },
  'mqtt.rejectUnauthorized': { type: 'bool', default: true },
  'mqtt.keepaliveS': { type: 'int', default: 30, min: 5, max: 65535 },
  'mqtt.connectTimeoutMs': { type: 'int', default: 10000, min: 500, max: 600000 },
  'mqtt.reconnectMinMs': { type: 'int', default: 1000, min: 100, max: 600000 },
  'mqtt.reconnectMaxMs': { type: 'int', default: 30000, min: 100, max: 3600000 },
  'mqtt.qos': { type: 'enum', default: 1, values: [0, 1, 2] },
  'mqtt.baseTopic': { type: 'string', default: 'kerb', check: (s) => (validBaseTopic(s) ? undefined : 'must be a topic without wildcards or empty levels') },
  'mqtt.jsonMirror': { type: 'bool', default: false },
  'mqtt.inflight': { type: 'int', default: 64, min: 1, max: 1000 },
  'broker.embedded': { type: 'enum', default: 'auto', values: ['auto', 'always', 'never'] },
  'broker.host': { type: 'string', default: '127.0.0.1', check: nonEmpty },
  'broker.port': { type: 'int', default: 1883, min: 0, max: 65535 },
  'broker.allowAnonymous': { type: 'bool', default: true },
  'broker.credentialsFile': { type: 'string', default: 'broker-credentials', check: nonEmpty },
  'homeassistant.enabled': { type: 'bool', default: true },
  'homeassistant.prefix': { type: 'string', default: 'homeassistant', check: (s) => (validBaseTopic(s) ? undefined : 'must be a topic without wildcards') },
  'homeassistant.statusTopic': { type: 'string', default: 'homeassistant/status', check: (s) => (validBaseTopic(s) ? undefined : 'must be a topic without wildcards') },
  'outbox.maxBytes': { type: 'int', default: 256 * 1024 * 1024, min: 65536, max: Number.MAX_SAFE_INTEGER },
  'outbox.maxMessages': { type: 'int', default: 1_000_000, min: 16, max: Number.MAX_SAFE_INTEGER },
  'outbox.fsync': { type: 'bool', default: true },
  'availability.offlineAfterS': { type: 'int', default: 3600, min: 1, max: 30 * 86400 },
  'availability.checkIntervalS': { type: 'int', default: 30, min: 1, max: 3600 },
  'downlinks.expiryS': { type: 'int', default: 86400, min: 1, max: 30 * 86400 },
  'downlinks.rx1DelayMs': { type: 'int', default: 1000, min: 1000, max: 15000 },
  'downlinks.maxPerDevice': { type: 'int', default: 16, min: 1, max: 1000 },
  'downlinks.maxQueued': { type: 'int', default: 1000, min: 1, max: 100_000 },
  // NetID of OTAA joins: 000000 and 000001 are reserved for private networks (TS002-1.0.0 §13).
  'lorawan.netId': { type: 'string', default: '000000', check: (s) => (/^[0-9a-fA-F]{6}$/.test(s) ? undefined : 'must be 6 hex digits (a NetID, e.g. "000000")') },
  'lorawan.adr': { type: 'bool', default: true },
  'lorawan.devStatusIntervalS': { type: 'int', default: 86400, min: 0, max: 30 * 86400 },
  'http.enabled': { type: 'bool', default: true },
  'http.host': { type: 'string', default: '127.0.0.1', check: nonEmpty },
  'http.port': { type: 'int', default: 9110, min: 0, max: 65535 },
  'page.enabled': { type: 'bool', default: true },
  // '' = on the gateway's HTTP server (http.host:http.port); host:port = a listener of its own.
  'page.bind': { type: 'string', default: '', check: (s) => (s === '' || parseHostPort(s) ? undefined : 'must be host:port like 127.0.0.1:8080 or [::1]:8080, or empty for the gateway HTTP server') },
  'page.token': { type: 'string', default: '', check: (s) => (s === '' || s.length >= MIN_PAGE_TOKEN ? undefined : `must be at least ${MIN_PAGE_TOKEN} characters (e.g. openssl rand -hex 24)`) },
  'page.tokenFile': { type: 'string', default: '' },
  // Off by default: tiles are the one thing the page would fetch from elsewhere (the browser does).
  'page.mapTiles': { type: 'string', default: '', check: (s) => (s === '' || tileTemplate(s) ? undefined : 'must be an http(s) URL template with {z}, {x} and {y}, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png, or empty for no tiles') },
  'page.mapAttribution': { type: 'string', default: '' },
  'stats.intervalS': { type: 'int', default: 60, min: 0, max: 86400 },
  'log.level': { type: 'enum', default: 'info', values: ['debug', 'info', 'warn', 'error'] },
  // auto: readable lines when stderr is a terminal, JSON lines otherwise (journald, pipes).
  'log.format': { type: 'enum', default: 'auto', values: ['auto', 'json', 'text'] },
};

/** A page token shorter than this is refused: it is the only thing between the network and the downlinks. */
export const MIN_PAGE_TOKEN = 16;

/** `host:port` or `[v6]:port` (port 0..65535), or undefined when it is not that. */
export function parseHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  return port <= 65535 ? { host: m[1] ?? m[2]!, port } : undefined;
}

/** The origin of a map tile URL template (`https://host/{z}/{x}/{y}.png`), or undefined when it is not one. */
export function tileTemplate(s: string): string | undefined {
  if (!s.includes('{z}') || !s.includes('{x}') || !s.includes('{y}')) return undefined;
  try {
    const u = new URL(s.replace(/\{[xyz]\}/g, '0'));
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.origin : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Why `s` is not a broker URL a client can connect to, in words that say what to write instead;
 * undefined when it is one. Shared with the commands that take --mqtt-url.
 */
export function checkMqttUrl(s: string): string | undefined {
  const example = 'mqtt://host:1883 (plain) or mqtts://host:8883 (TLS)';
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return `${JSON.stringify(s)} is not a URL; write the broker as ${example}`;
  }
  if (!['mqtt:', 'mqtts:', 'tcp:', 'tls:', 'ssl:', 'ws:', 'wss:'].includes(u.protocol)) {
    return `${JSON.stringify(s)} is not an MQTT URL (${u.protocol.slice(0, -1)}:// is not a broker scheme); write the broker as ${example}, or ws:// / wss:// for MQTT over WebSocket`;
  }
  if (!u.hostname) return `${JSON.stringify(s)} names no host; write the broker as ${example}`;
  return undefined;
}

/** Addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

function nonEmpty(s: string): string | undefined {
  return s.length ? undefined : 'must not be empty';
}

/** KERB_MQTT_URL ↔ mqtt.url, KERB_OUTBOX_MAX_BYTES ↔ outbox.maxBytes (stateDir and registry: host/paths.ts). */
export function envName(key: string): string {
  return 'KERB_' + key.split('.').map((p) => p.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
}

/** Extra environment variables: KERB_RADIOS (comma-separated paths, optional @baud each). */
export const ENV_RADIOS = 'KERB_RADIOS';

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'nothing' : JSON.stringify(v) ?? String(v);
}

/** Coerces one value; strings from env/flags are parsed. Returns [value] or an error text. */
function coerce(leaf: Leaf, v: unknown): { ok: true; value: unknown } | { ok: false; error: string } {
  switch (leaf.type) {
    case 'string': {
      if (typeof v === 'number') v = String(v);
      if (typeof v !== 'string') return { ok: false, error: `must be a string, got ${show(v)}` };
      const e = leaf.check?.(v);
      // A check that quotes the value itself needs no ", got …" after it.
      return e ? { ok: false, error: e.includes(show(v)) ? e : `${e}, got ${show(v)}` } : { ok: true, value: v };
    }
    case 'int': {
      const n = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v.trim()) : v;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < leaf.min || n > leaf.max)
        return { ok: false, error: `must be an integer ${leaf.max === Number.MAX_SAFE_INTEGER ? `≥ ${leaf.min}` : `${leaf.min}..${leaf.max}`}, got ${show(v)}` };
      return { ok: true, value: n };
    }
    case 'bool': {
      if (typeof v === 'boolean') return { ok: true, value: v };
      if (typeof v === 'string' && ['true', '1', 'yes', 'on'].includes(v.toLowerCase())) return { ok: true, value: true };
      if (typeof v === 'string' && ['false', '0', 'no', 'off'].includes(v.toLowerCase())) return { ok: true, value: false };
      return { ok: false, error: `must be true or false, got ${show(v)}` };
    }
    case 'enum': {
      const hit = leaf.values.find((x) => x === v || String(x) === String(v) || (v === '3.1.1' && x === 4));
      if (hit === undefined) return { ok: false, error: `must be one of ${leaf.values.map((x) => JSON.stringify(x)).join(', ')}, got ${show(v)}` };
      return { ok: true, value: hit };
    }
  }
}

export { readConfigFile };
export type { ConfigInput };

/** Flattens nested {mqtt: {url}} into {'mqtt.url': …}, reporting unknown keys. */
function flatten(obj: unknown, prefix: string, out: Map<string, unknown>, errors: string[]): void {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    errors.push(`${prefix || '(top level)'}: must be a mapping, got ${show(obj)}`);
    return;
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (key === 'radios' || key === 'udpRadios') {
      out.set(key, v);
      continue;
    }
    if (SCHEMA[key]) {
      out.set(key, v);
      continue;
    }
    const isSection = Object.keys(SCHEMA).some((s) => s.startsWith(key + '.'));
    if (isSection && v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v, key, out, errors);
    else if (isSection) errors.push(`${key}: must be a mapping, got ${show(v)}`);
    else errors.push(`${key}: unknown key`);
  }
}

function parseRadios(v: unknown, where: string, errors: string[], udp: UdpRadioConfig[] = []): RadioConfig[] {
  if (typeof v === 'string') v = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (!Array.isArray(v)) {
    errors.push(`${where}: must be a list of radios, got ${show(v)}`);
    return [];
  }
  const out: RadioConfig[] = [];
  v.forEach((r: unknown, i: number) => {
    const key = `${where}[${i}]`;
    if (typeof r === 'string') {
      const at = r.lastIndexOf('@');
      const p = at > 0 ? r.slice(0, at) : r;
      const baud = at > 0 ? Number(r.slice(at + 1)) : 115200;
      if (!p) errors.push(`${key}: must be a device path, got ${show(r)}`);
      else if (!Number.isInteger(baud) || baud < 1200 || baud > 4_000_000) errors.push(`${key}: baud rate must be an integer 1200..4000000, got ${show(r.slice(at + 1))}`);
      else out.push({ path: p, baudRate: baud });
      return;
    }
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      errors.push(`${key}: must be a path or {path, baudRate}, got ${show(r)}`);
      return;
    }
    const o = r as Record<string, unknown>;
    if (o.type === 'udp') {
      const u = parseUdpRadio(o, key, errors);
      if (u) udp.push(u);
      return;
    }
    for (const k of Object.keys(o)) if (k !== 'path' && k !== 'baudRate') errors.push(`${key}.${k}: unknown key`);
    if (typeof o.path !== 'string' || !o.path) errors.push(`${key}.path: must be a device path like /dev/ttyUSB0, got ${show(o.path)}`);
    const baud = o.baudRate === undefined ? 115200 : typeof o.baudRate === 'string' ? Number(o.baudRate) : o.baudRate;
    if (typeof baud !== 'number' || !Number.isInteger(baud) || baud < 1200 || baud > 4_000_000)
      errors.push(`${key}.baudRate: must be an integer 1200..4000000, got ${show(o.baudRate)}`);
    if (typeof o.path === 'string' && o.path && typeof baud === 'number') out.push({ path: o.path, baudRate: baud });
  });
  return out;
}

export interface ConfigSources {
  file?: ConfigInput;         // parsed config file (nested)
  fileName?: string;          // for messages
  env?: NodeJS.ProcessEnv;    // KERB_* variables
  flags?: Record<string, string | string[]>; // dotted keys (from cli/gateway.ts) or 'radios'
}

/** Builds and validates the configuration; throws KerbError('config') listing every problem. */
export function resolveConfig(src: ConfigSources): GatewayConfig {
  const errors: string[] = [];
  const values = new Map<string, unknown>();
  const origin = new Map<string, string>();
  if (src.file !== undefined) {
    const flat = new Map<string, unknown>();
    flatten(src.file, '', flat, errors);
    for (const [k, v] of flat) {
      values.set(k, v);
      origin.set(k, k);
    }
  }
  const env = src.env ?? {};
  for (const key of Object.keys(SCHEMA)) {
    const name = envName(key);
    if (env[name] !== undefined && env[name] !== '') {
      values.set(key, env[name]);
      origin.set(key, `${key} (from ${name})`);
    }
  }
  if (env[ENV_RADIOS]) {
    values.set('radios', env[ENV_RADIOS]);
    origin.set('radios', `radios (from ${ENV_RADIOS})`);
  }
  for (const [k, v] of Object.entries(src.flags ?? {})) {
    if (k !== 'radios' && !SCHEMA[k]) {
      errors.push(`${k}: unknown key`);
      continue;
    }
    values.set(k, v);
    origin.set(k, `${k} (from command line)`);
  }
  const flat: Record<string, unknown> = {};
  for (const [key, leaf] of Object.entries(SCHEMA)) {
    if (!values.has(key)) {
      flat[key] = leaf.default;
      continue;
    }
    const r = coerce(leaf, values.get(key));
    if (r.ok) flat[key] = r.value;
    else errors.push(`${origin.get(key)}: ${r.error}`);
  }
  const udpRadios: UdpRadioConfig[] = [];
  const radios = values.has('radios') ? parseRadios(values.get('radios'), origin.get('radios') ?? 'radios', errors, udpRadios) : [];
  // A resolved config passed back in (startGateway(config)) carries its udp radios here.
  if (values.has('udpRadios')) parseRadios(values.get('udpRadios'), 'udpRadios', errors, udpRadios);
  if (typeof flat['mqtt.reconnectMaxMs'] === 'number' && typeof flat['mqtt.reconnectMinMs'] === 'number' && flat['mqtt.reconnectMaxMs'] < flat['mqtt.reconnectMinMs'])
    errors.push(`mqtt.reconnectMaxMs: must be ≥ mqtt.reconnectMinMs (${flat['mqtt.reconnectMinMs']}), got ${flat['mqtt.reconnectMaxMs']}`);
  if ((flat['mqtt.cert'] === '') !== (flat['mqtt.key'] === ''))
    errors.push(`${flat['mqtt.cert'] === '' ? 'mqtt.cert' : 'mqtt.key'}: a client certificate needs both mqtt.cert and mqtt.key`);
  if (flat['broker.embedded'] === 'never' && flat['mqtt.url'] === '') errors.push('mqtt.url: required when broker.embedded is "never"');
  if (flat['broker.embedded'] !== 'never' && typeof flat['broker.host'] === 'string' && !isLoopback(flat['broker.host']) && flat['broker.allowAnonymous'] !== false)
    errors.push(`broker.host: the embedded broker bound to ${JSON.stringify(flat['broker.host'])} is reachable from the network; set broker.allowAnonymous=false so every client must log in (the gateway generates the password in <stateDir>/broker-credentials), or bind it to 127.0.0.1`);
  if (flat['page.token'] !== '' && flat['page.tokenFile'] !== '') errors.push('page.tokenFile: give page.token or page.tokenFile, not both');
  // Off with the HTTP server unless asked for explicitly (the simulator and tests turn HTTP off).
  if (values.has('page.enabled') && flat['page.enabled'] === true && flat['http.enabled'] === false && flat['page.bind'] === '')
    errors.push('page.enabled: the page is served on the gateway HTTP server, which http.enabled=false turns off; set page.bind=127.0.0.1:PORT for a listener of its own, or page.enabled=false');
  if (errors.length) {
    const where = src.fileName ? ` (${src.fileName})` : '';
    throw new KerbError('config', `invalid configuration${where}:\n  ${errors.join('\n  ')}`);
  }
  const cfg: Record<string, Record<string, unknown>> = {};
  for (const [key, v] of Object.entries(flat)) {
    const [sec, k] = key.split('.') as [string, string];
    (cfg[sec] ??= {})[k] = v;
  }
  const out = { ...cfg, radios, udpRadios } as unknown as GatewayConfig;
  if (!out.gateway.id) out.gateway.id = defaultGatewayId();
  out.gateway.region = regionByName(out.gateway.region)!.name;
  if (!out.mqtt.clientId) out.mqtt.clientId = `kerb-${out.gateway.id}`;
  const fileGateway = (src.file?.gateway ?? {}) as Record<string, unknown>;
  const flag = (k: string): string | undefined => (typeof src.flags?.[k] === 'string' ? (src.flags[k] as string) : undefined);
  const paths = resolvePaths({
    flags: { stateDir: flag('gateway.stateDir'), registry: flag('gateway.registry') },
    env,
    config: { file: src.fileName, stateDir: fileGateway.stateDir, registry: fileGateway.registry },
    cwd: process.cwd(),
    home: os.homedir(),
  });
  out.gateway.stateDir = paths.stateDir.path;
  out.gateway.registry = paths.registry.path;
  out.broker.credentialsFile = path.resolve(out.gateway.stateDir, out.broker.credentialsFile);
  return out;
}

/** Accepts a full GatewayConfig or a nested partial (as the simulator passes) and validates it. */
export function configFromObject(input: ConfigInput): GatewayConfig {
  return resolveConfig({ file: input });
}
