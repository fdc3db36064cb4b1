// Parsing of messages on the command topics (`<base>/device/<id>/down`, `<base>/gateway/<gw>/request`).
// Both accept JSON (first non-blank byte `{`) or CBOR (a map with text keys); replies are encoded the
// same way the command came in. A transaction id (`id`, or `transaction` as Zigbee2MQTT names it)
// is echoed in every result; the gateway makes one up when the command has none.
import { randomUUID } from 'node:crypto';
import { Decoder, Encoder } from 'cbor-x';
import type { Downlink } from './types.ts';
import {
  CMD_SET_INTERVAL, CMD_SET_THRESHOLD, CMD_REQUEST_STATUS, CMD_REBOOT, CMD_SET_HOLDOFF, CMD_REBOOT_GUARD, MIN_INTERVAL_S,
} from '../shared/node/constants.ts';
import { KIND_PM25, KIND_PM10, KIND_NOISE } from '../shared/payload/constants.ts';

export type WireFormat = 'json' | 'cbor';

const cborEnc = new Encoder({ useRecords: false, tagUint8Array: false });
const cborDec = new Decoder({ useRecords: false, mapsAsObjects: true });

export function decodeCommandPayload(buf: Uint8Array): { format: WireFormat; value: Record<string, unknown> } | { error: string } {
  let i = 0;
  while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x0a || buf[i] === 0x0d || buf[i] === 0x09)) i++;
  if (i >= buf.length) return { error: 'empty message' };
  if (buf[i] === 0x7b) {
    try {
      const v: unknown = JSON.parse(Buffer.from(buf).toString('utf8'));
      if (v && typeof v === 'object' && !Array.isArray(v)) return { format: 'json', value: v as Record<string, unknown> };
      return { error: 'JSON command must be an object' };
    } catch (e) {
      return { error: `invalid JSON: ${(e as Error).message}` };
    }
  }
  try {
    const v: unknown = cborDec.decode(buf);
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
      const o: Record<string, unknown> = {};
      const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
      for (const [k, x] of entries) o[String(k)] = x;
      return { format: 'cbor', value: o };
    }
    return { error: 'CBOR command must be a map' };
  } catch (e) {
    return { error: `neither JSON nor CBOR: ${(e as Error).message}` };
  }
}

export function encodeReply(format: WireFormat, value: Record<string, unknown>): Uint8Array | string {
  if (format === 'json') return JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));
  const out = cborEnc.encode(value);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

export const MAX_TRANSACTION_ID = 128;

export function transactionId(v: Record<string, unknown>): string | undefined {
  const t = v.id ?? v.transaction;
  if (typeof t === 'string' && t.length > 0 && t.length <= MAX_TRANSACTION_ID) return t;
  if (typeof t === 'number' && Number.isFinite(t)) return String(t);
  return undefined;
}

/** Why the command's transaction id is unusable, or undefined when it is fine or absent. */
export function badTransactionId(v: Record<string, unknown>): string | undefined {
  const key = v.id !== undefined ? 'id' : 'transaction';
  const t = v[key];
  if (t === undefined || t === null || transactionId(v) !== undefined) return undefined;
  if (typeof t === 'string') return `${key}: must be 1..${MAX_TRANSACTION_ID} characters, got ${t.length}`;
  return `${key}: must be a string of 1..${MAX_TRANSACTION_ID} characters or a number, got ${Array.isArray(t) ? 'a list' : typeof t}`;
}

/**
 * Named commands → FPort + FRMPayload. Filled from docs/protocol.md §4 (FPort 10 commands) by
 * `namedCommandEncoder`; until a command is known there, only raw {fport, payload} works.
 */
export type NamedEncoder = (name: string, args: Record<string, unknown>) => { fport: number; payload: Uint8Array } | { error: string };

function bytesFrom(v: unknown): Uint8Array | undefined {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') {
    const s = v.replace(/\s+/g, '');
    if (s.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(s)) return Uint8Array.from(Buffer.from(s, 'hex'));
  }
  if (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)) return Uint8Array.from(v as number[]);
  return undefined;
}

/** Validates a downlink command; `now` and `defaultExpiryS` give expiresAt. */
export function parseDownCommand(
  deviceId: string,
  v: Record<string, unknown>,
  now: number,
  defaultExpiryS: number,
  named?: NamedEncoder,
): { downlink: Downlink } | { error: string; id: string } {
  const bad = badTransactionId(v);
  // Refused rather than replaced by a made-up id the sender could never match to its command.
  if (bad) return { id: '', error: bad };
  const id = transactionId(v) ?? randomUUID();
  let fport: number;
  let payload: Uint8Array;
  const cmd = v.command ?? v.cmd ?? (Array.isArray(v.commands) ? 'batch' : undefined);
  if (cmd !== undefined) {
    if (typeof cmd !== 'string') return { id, error: 'command: must be a string' };
    if (!named) return { id, error: `command "${cmd}": named commands are not available; send {fport, payload} (hex)` };
    const r = named(cmd, v);
    if ('error' in r) return { id, error: r.error };
    fport = r.fport;
    payload = r.payload;
  } else {
    if (typeof v.fport !== 'number' || !Number.isInteger(v.fport) || v.fport < 1 || v.fport > 223)
      return { id, error: `fport: must be an integer 1..223, got ${JSON.stringify(v.fport)}` };
    const p = bytesFrom(v.payload ?? v.data);
    if (!p) return { id, error: 'payload: must be hex (or CBOR bytes)' };
    fport = v.fport;
    payload = p;
  }
  if (payload.length > 242) return { id, error: `payload: ${payload.length} bytes is over the 242-byte LoRaWAN maximum` };
  const confirmed = v.confirmed === true;
  let expiryS = defaultExpiryS;
  const e = v.expires_in ?? v.expiresIn;
  if (e !== undefined) {
    if (typeof e !== 'number' || !(e > 0)) return { id, error: 'expires_in: must be a positive number of seconds' };
    expiryS = e;
  }
  return { downlink: { id, deviceId, fport, payload, confirmed, expiresAt: now + expiryS * 1000 } };
}

// --- Named commands: docs/protocol.md §4.1 (FPort 10, opcode + little-endian arguments) ----------

export const FPORT_COMMANDS = 10;

const THRESHOLD_KINDS: Record<string, number> = { pm25: KIND_PM25, 'pm2.5': KIND_PM25, pm10: KIND_PM10, noise: KIND_NOISE };

function u16(name: string, v: unknown, min: number): number | string {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 65535) return `${name}: must be an integer ${min}..65535, got ${JSON.stringify(v)}`;
  return v;
}

/** One named command → its bytes, or an error naming the argument. */
function encodeOne(name: string, a: Record<string, unknown>): number[] | string {
  switch (name) {
    case 'set_interval': {
      const s = u16('seconds', a.seconds ?? a.interval_s ?? a.value, MIN_INTERVAL_S);
      return typeof s === 'string' ? s : [CMD_SET_INTERVAL, s & 255, s >> 8];
    }
    case 'set_alert_holdoff': {
      const s = u16('seconds', a.seconds ?? a.value, 0);
      return typeof s === 'string' ? s : [CMD_SET_HOLDOFF, s & 255, s >> 8];
    }
    case 'set_threshold': {
      const k = typeof a.kind === 'string' ? THRESHOLD_KINDS[a.kind.toLowerCase()] : undefined;
      if (k === undefined) return `kind: must be one of pm25, pm10, noise, got ${JSON.stringify(a.kind)}`;
      // value in display units (µg/m³ or dB(A)); 0 or null = off. On air: × 10 (§4.1).
      const raw = a.value === null || a.value === 'off' ? 0 : a.value;
      if (typeof raw !== 'number' || !(raw >= 0) || Math.round(raw * 10) > 65535) return `value: must be a number 0..6553.5 (0 = off), got ${JSON.stringify(a.value)}`;
      const v = Math.round(raw * 10);
      return [CMD_SET_THRESHOLD, k, v & 255, v >> 8];
    }
    case 'request_status':
      return [CMD_REQUEST_STATUS];
    case 'reboot':
      return [CMD_REBOOT, CMD_REBOOT_GUARD];
    default:
      return `unknown command "${name}"; known: set_interval, set_threshold, set_alert_holdoff, request_status, reboot`;
  }
}

/**
 * `{command: "set_interval", seconds: 600}`, or several applied together (all or nothing on the
 * node): `{commands: [{command: "set_interval", seconds: 600}, {command: "request_status"}]}`.
 */
export const encodeNamedCommand: NamedEncoder = (name, args) => {
  const list: Record<string, unknown>[] =
    name === 'batch' ? ((Array.isArray(args.commands) ? args.commands : []) as Record<string, unknown>[]) : [{ ...args, command: name }];
  if (!list.length) return { error: 'commands: must be a non-empty list' };
  const bytes: number[] = [];
  for (const [i, c] of list.entries()) {
    const n = c.command ?? c.cmd;
    if (typeof n !== 'string') return { error: `commands[${i}].command: must be a string` };
    const r = encodeOne(n, c);
    if (typeof r === 'string') return { error: list.length > 1 ? `commands[${i}]: ${r}` : r };
    bytes.push(...r);
  }
  return { fport: FPORT_COMMANDS, payload: Uint8Array.from(bytes) };
};
