// `kerb decode <hex>`: decode a LoRaWAN 1.0.x data-frame PHYPayload, check its MIC, decrypt it and
// decode the kerb payload, printing JSON (raw codec integers, and the same in human units). Exit status: 0 decoded (and verified when keys were given),
// 1 the frame was rejected (reason on stderr), 2 usage error or unreadable registry.
import { existsSync, readFileSync } from 'node:fs';
import { decodeFrame } from '../shared/lorawan/frame.ts';
import type { DataFrame } from '../shared/lorawan/frame.ts';
import { openFrame } from '../shared/lorawan/session.ts';
import type { Session } from '../shared/lorawan/session.ts';
import { reconstructFcnt } from '../shared/lorawan/fcnt.ts';
import { errorName } from '../shared/lorawan/errors.ts';
import {
  ERR_TOO_SHORT, ERR_NOT_DATA_FRAME, ERR_MIC, FRAME_MIN_LEN, DIR_UP,
} from '../shared/lorawan/constants.ts';
import { decodeReadings, decodeStatusFrame, decodeAlert, FPORT_READINGS, FPORT_STATUS, FPORT_ALERT } from '../shared/payload/kerb.ts';
import { decodeLpp, lppTypeName } from '../shared/payload/lpp.ts';
import * as payloadConstants from '../shared/payload/constants.ts';
import { errorText as payloadErrorText, RESET_NAMES } from '../shared/payload/formatter.ts';
import { READINGS, STATUS_FLAGS, type ReadingKind, type StatusFlag } from '../shared/payload/readings.ts';
import { flagNames, humanText, kindByKey, kindBySlot } from '../shared/payload/human.ts';
import { nodeAes } from '../host/crypto.ts';
import { parseRegistry, PROFILES } from '../host/registry.ts';
import { commandPaths, describePaths } from '../host/paths.ts';
import { type CommandSpec, type Parsed, UsageError, flag, parseOrExit, str, usageFailure } from './args.ts';

export const SPEC: CommandSpec = {
  name: 'kerb decode',
  usage: '<hex | -> [options]',
  summary: 'Decodes a LoRaWAN 1.0.x data frame (PHYPayload, hex; "-" reads it from stdin), verifies its MIC,\ndecrypts FRMPayload and decodes kerb readings (FPort 1), status (2) and alerts (3), or Cayenne LPP.\nDecoded payloads appear twice: raw codec integers (readings, status, alert) and the same in human\nunits with names and status flags by name (human).',
  positionals: true,
  options: {
    nwkskey: { type: 'string', value: 'HEX', help: 'network session key, 32 hex digits (with --appskey)' },
    appskey: { type: 'string', value: 'HEX', help: 'application session key, 32 hex digits (with --nwkskey)' },
    registry: { type: 'string', value: 'FILE', help: 'look the keys up by DevAddr in this device registry (relative: to the current directory). Without keys or --registry, the registry the rule below names is used when it exists.' },
    'last-fcnt': { type: 'string', value: 'N', help: 'last accepted 32-bit counter; the 16 bits on air are extended to the next value above it (default: fresh session)' },
    base64: { type: 'boolean', help: 'the frame is base64 (as The Things Stack and packet forwarders log it)' },
    lpp: { type: 'boolean', help: 'decode the payload as Cayenne LPP whatever the port' },
    json: { type: 'boolean', help: 'one line of JSON (default: indented)' },
  },
  notes: 'exit status: 0 decoded, 1 frame rejected (reason on stderr), 2 usage error',
  examples: [
    'kerb decode 40F17DBE4900020001954378762B11FF0D --nwkskey 44024241ed4ce9a68c6a8bc055233fd3 --appskey ec925802ae430ca77fd3dd73cb2cc588',
    'kerb decode 40F17DBE4900020001954378762B11FF0D --registry devices.json --last-fcnt 1',
  ],
};

const MTYPE_NAMES = ['join-request', 'join-accept', 'unconfirmed-data-up', 'unconfirmed-data-down', 'confirmed-data-up', 'confirmed-data-down', 'rejoin-request', 'proprietary'];

interface Opts {
  hex?: string;
  nwkSKey?: string;
  appSKey?: string;
  registry?: string;
  lastFcnt: number;
  lpp: boolean;
  json: boolean;
  base64: boolean;
}

function options(p: Parsed): Opts {
  const o: Opts = { lastFcnt: -1, lpp: flag(p, 'lpp'), json: flag(p, 'json'), base64: flag(p, 'base64') };
  o.nwkSKey = str(p, 'nwkskey');
  o.appSKey = str(p, 'appskey');
  o.registry = str(p, 'registry');
  const lf = str(p, 'last-fcnt');
  if (lf !== undefined) {
    if (!/^\d+$/.test(lf) || Number(lf) > 0xffffffff) throw new UsageError(`option '--last-fcnt' expects an integer 0..4294967295, got '${lf}'`);
    o.lastFcnt = Number(lf);
  }
  if (p.positionals.length > 1) throw new UsageError(`one frame at a time (got '${p.positionals[0]}' and '${p.positionals[1]}')`);
  o.hex = p.positionals[0];
  if (o.hex === undefined) throw new UsageError('no frame given: pass the PHYPayload as hex (or "-" to read it from stdin)');
  if ((o.nwkSKey === undefined) !== (o.appSKey === undefined)) throw new UsageError('--nwkskey and --appskey go together');
  if (o.registry !== undefined && o.nwkSKey !== undefined) throw new UsageError('give keys either with --nwkskey/--appskey or with --registry, not both');
  return o;
}

/** Hex with optional 0x prefix, spaces, colons or dashes between bytes; undefined if not hex. */
function parseHex(s: string): Uint8Array | undefined {
  const t = s.trim().replace(/^0x/i, '').replace(/[\s:-]/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(t)) return undefined;
  return Uint8Array.from(Buffer.from(t, 'hex'));
}

/** Standard or URL-safe base64, padding optional; undefined if not base64. */
function parseBase64(s: string): Uint8Array | undefined {
  const t = s.replace(/\s/g, '');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(t) || t.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Uint8Array.from(Buffer.from(t, 'base64'));
}

function parseKey(s: string, name: string): Uint8Array {
  const k = parseHex(s);
  if (!k || k.length !== 16) throw new UsageError(`${name} must be 32 hex digits (16 bytes), got '${s.length > 40 ? `${s.slice(0, 40)}…` : s}'`);
  return k;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex').toUpperCase();
const hex8 = (n: number): string => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

interface Candidate { id?: string; profile?: string; nwkSKey: Uint8Array; appSKey: Uint8Array }

/** Why a frame failed to decode, in words a field engineer can act on. */
function decodeFailure(code: number, bytes: Uint8Array): string {
  if (code === ERR_TOO_SHORT) return `frame too short: ${bytes.length} bytes, a data frame needs at least ${FRAME_MIN_LEN}`;
  if (code === ERR_NOT_DATA_FRAME) return `not a data frame: MType ${bytes[0] >> 5} (${MTYPE_NAMES[bytes[0] >> 5]}); kerb decodes data frames (MType 2..5)`;
  return errorName(code);
}

/** A payload codec status code in words, with the constant's name for grepping the source. */
function payloadErr(what: string, code: number): string {
  const name = Object.keys(payloadConstants).find((k) => /_ERR_/.test(k) && (payloadConstants as Record<string, unknown>)[k] === code);
  return `${what}: ${payloadErrorText(code)} (code ${code}${name ? `, ${name}` : ''})`;
}

/**
 * kerb / LPP payload decoding by port and registry profile: the decoded fields (`readings`,
 * `status`, `alert`: raw integers as the codec returns them) plus `human`, the same in human units
 * with names from the reading-kind table (`"pm25": "12.3 µg/m³"`, flags by name).
 */
export function decodePayload(fport: number, plain: Uint8Array, profile: string | undefined, forceLpp: boolean, table: ReadingKind[] = READINGS, flags: StatusFlag[] = STATUS_FLAGS): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fport <= 0) return out;
  const decoder = forceLpp ? 'lpp' : profile ? PROFILES[profile]?.decoder ?? 'kerb' : 'kerb';
  if (decoder === 'lpp') {
    const r = decodeLpp(plain);
    if (typeof r === 'number') out.lppError = payloadErr('Cayenne LPP', r);
    else out.lpp = r.map((v) => ({ channel: v.channel, type: v.type, name: lppTypeName(v.type), values: v.values }));
    return out;
  }
  if (decoder !== 'kerb') return out;
  if (fport === FPORT_READINGS) {
    const r = decodeReadings(plain);
    if (typeof r === 'number') out.readingsError = payloadErr('kerb readings', r);
    else {
      out.readings = r;
      const raw = r as Record<string, number | undefined>;
      const human: Record<string, unknown> = {};
      for (const k of table) {
        const v = raw[k.key];
        if (typeof v === 'number') human[k.name] = humanText(k, v);
      }
      human.flags = flagNames(r.status ?? 0, flags);
      out.human = human;
    }
  } else if (fport === FPORT_STATUS) {
    const r = decodeStatusFrame(plain);
    if (typeof r === 'number') out.statusError = payloadErr('kerb status', r);
    else {
      out.status = r;
      const pm25 = kindByKey(table, 'pm25DeciUgm3');
      out.human = {
        firmware: `${r.fwMajor}.${r.fwMinor}.${r.fwPatch}`,
        resetCause: RESET_NAMES[r.resetCause] ?? `code ${r.resetCause}`,
        flags: flagNames(r.status, flags),
        pm25AlertThreshold: r.pm25AlertDeciUgm3 === 0 ? 'off' : pm25 ? humanText(pm25, r.pm25AlertDeciUgm3) : r.pm25AlertDeciUgm3,
      };
    }
  } else if (fport === FPORT_ALERT) {
    const r = decodeAlert(plain);
    if (typeof r === 'number') out.alertError = payloadErr('kerb alert', r);
    else {
      out.alert = r;
      const k = kindBySlot(table, r.kind);
      out.human = k
        ? { reading: k.name, rising: r.rising, value: humanText(k, r.value), threshold: humanText(k, r.threshold) }
        : { reading: `kind ${r.kind} (unknown to this kerb)`, rising: r.rising };
    }
  }
  return out;
}

function frameJson(f: DataFrame): Record<string, unknown> {
  const up = (f.mtype & 1) === DIR_UP;
  const fctrl: Record<string, unknown> = { adr: f.adr };
  if (up) fctrl.adrAckReq = f.adrAckReq;
  else if (f.adrAckReq) fctrl.rfu = true; // bit 6 is RFU on downlinks: show it only when set
  fctrl.ack = f.ack;
  fctrl[up ? 'classB' : 'fpending'] = f.fpending;
  fctrl.foptsLen = f.fopts.length;
  return {
    mtype: MTYPE_NAMES[f.mtype],
    direction: up ? 'up' : 'down',
    devAddr: hex8(f.devAddr),
    fctrl,
    fcnt16: f.fcnt,
    fopts: hexOf(f.fopts),
    fport: f.fport < 0 ? null : f.fport,
    frmPayload: hexOf(f.payload),
    mic: hex8(f.mic),
  };
}

function printable(b: Uint8Array): string | undefined {
  if (!b.length) return undefined;
  for (const c of b) if (c < 0x20 || c > 0x7e) return undefined;
  return Buffer.from(b).toString('latin1');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function run(argv: string[]): Promise<number> {
  const p = parseOrExit(SPEC, argv, (q) => describePaths({ registry: str(q, 'registry') }));
  if (typeof p === 'number') return p;
  let o: Opts;
  let candidates: Candidate[] = [];
  try {
    o = options(p);
    if (o.nwkSKey !== undefined) candidates = [{ nwkSKey: parseKey(o.nwkSKey, '--nwkskey'), appSKey: parseKey(o.appSKey!, '--appskey') }];
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(SPEC, e);
    throw e;
  }

  const text = o.hex === '-' ? await readStdin() : o.hex!;
  const bytes = o.base64 ? parseBase64(text) : parseHex(text);
  if (!bytes) {
    console.error(`kerb decode: not ${o.base64 ? 'base64' : 'hex'}: '${text.trim().slice(0, 40)}${text.trim().length > 40 ? '…' : ''}'`);
    return 1;
  }
  const f = decodeFrame(bytes);
  if (typeof f === 'number') {
    console.error(`kerb decode: ${decodeFailure(f, bytes)}`);
    return 1;
  }
  const out = frameJson(f);
  const emit = (): void => console.log(o.json ? JSON.stringify(out) : JSON.stringify(out, null, 2));

  if (o.nwkSKey === undefined) {
    // The registry every command shares (host/paths.ts). One named by a flag, the environment or
    // the config file must exist; the default one is used only if it does.
    let p;
    try {
      p = commandPaths({ registry: o.registry });
    } catch (e) {
      console.error(`kerb decode: ${(e as Error).message}`);
      return 2;
    }
    for (const w of p.warnings) console.error(`kerb decode: ${w}`);
    o.registry = p.registry.from.startsWith('default') && !existsSync(p.registry.path) ? undefined : p.registry.path;
  }
  if (o.registry !== undefined) {
    let doc: string;
    try {
      doc = readFileSync(o.registry, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
      console.error(`kerb decode: cannot read registry ${o.registry} (${why}); pass the right file with --registry, or the keys with --nwkskey and --appskey (kerb device list shows the registry in use)`);
      return 2;
    }
    const reg = parseRegistry(doc);
    if (reg.errors.length) {
      console.error(`kerb decode: invalid registry ${o.registry}:\n  ${reg.errors.join('\n  ')}`);
      return 2;
    }
    candidates = reg.devices.filter((d) => d.devAddr === f.devAddr).map((d) => ({ id: d.id, profile: d.profile, nwkSKey: d.nwkSKey, appSKey: d.appSKey }));
    if (!candidates.length) {
      emit();
      console.error(`kerb decode: unknown device ${hex8(f.devAddr)} (not in registry ${o.registry}, which has ${reg.devices.length} device${reg.devices.length === 1 ? '' : 's'})`);
      return 1;
    }
  }

  const fcnt32 = reconstructFcnt(o.lastFcnt, f.fcnt);
  out.fcnt32 = fcnt32 < 0 ? null : fcnt32;
  if (!candidates.length) {
    // No keys: the structure alone. Say so rather than imply a verified frame.
    out.micOk = null;
    out.note = 'no keys given: MIC not checked, FRMPayload not decrypted';
    emit();
    return 0;
  }
  if (fcnt32 < 0) {
    emit();
    console.error(`kerb decode: frame counter exhausted: no 32-bit FCnt above --last-fcnt ${o.lastFcnt} ends in ${f.fcnt}; the session must be re-keyed`);
    return 1;
  }

  for (const c of candidates) {
    const s: Session = { nwkSKey: nodeAes(c.nwkSKey), appSKey: nodeAes(c.appSKey) };
    const plain = openFrame(s, bytes, f, fcnt32);
    if (typeof plain === 'number') continue;
    if (c.id !== undefined) {
      out.device = c.id;
      out.profile = c.profile;
    }
    out.micOk = true;
    if (f.fport >= 0) {
      out.payload = hexOf(plain);
      const txt = printable(plain);
      if (txt !== undefined) out.payloadText = txt;
      Object.assign(out, decodePayload(f.fport, plain, c.profile, o.lpp));
    }
    emit();
    return 0;
  }

  // Every candidate failed the MIC. Look for the likely cause among counters the frame could have
  // been sent with (the MIC covers all 32 bits): an old or replayed counter, or a session past 65535.
  out.micOk = false;
  emit();
  const s0: Session = { nwkSKey: nodeAes(candidates[0].nwkSKey), appSKey: nodeAes(candidates[0].appSKey) };
  const who = candidates.length > 1 ? ` (tried ${candidates.length} devices with DevAddr ${hex8(f.devAddr)})` : '';
  if (o.lastFcnt >= 0) {
    let stale = o.lastFcnt - (o.lastFcnt % 65536) + f.fcnt;
    if (stale > o.lastFcnt) stale -= 65536;
    if (stale >= 0 && typeof openFrame(s0, bytes, f, stale) !== 'number') {
      console.error(`kerb decode: replayed or old frame: its MIC verifies with FCnt32 ${stale}, which is not above --last-fcnt ${o.lastFcnt}`);
      return 1;
    }
  }
  let hint = '';
  if (o.lastFcnt < 0) {
    for (let hi = 1; hi < 256; hi++) {
      const n = hi * 65536 + f.fcnt;
      if (typeof openFrame(s0, bytes, f, n) !== 'number') {
        hint = `; it verifies with FCnt32 ${n}: pass --last-fcnt (e.g. ${n - 1}) for counters past 65535`;
        break;
      }
    }
  }
  console.error(`kerb decode: ${errorName(ERR_MIC)}${who} at FCnt32 ${fcnt32}${hint}`);
  return 1;
}
