// One received PHYPayload → a verified, decrypted, counter-checked frame, or a reason to reject it.
// Pure apart from the lookups passed in (registry by DevAddr, last accepted FCnt per session).
// LoRaWAN 1.0.4 §4.3.1.5 (FCnt), §4.4 (MIC), §4.3.3 (FRMPayload encryption).
import { decodeFrame } from '../shared/lorawan/frame.ts';
import type { DataFrame } from '../shared/lorawan/frame.ts';
import { openFrame } from '../shared/lorawan/session.ts';
import type { Session } from '../shared/lorawan/session.ts';
import { reconstructFcnt, MAX_FCNT_GAP } from '../shared/lorawan/fcnt.ts';
import { MTYPE_UNCONFIRMED_UP, MTYPE_CONFIRMED_UP } from '../shared/lorawan/constants.ts';
import { errorName } from '../shared/lorawan/errors.ts';
import type { AesFactory } from '../shared/lorawan/aes.ts';
import { decodeReadings } from '../shared/payload/kerb.ts';
import type { Readings } from '../shared/payload/kerb.ts';
import { FPORT_READINGS } from '../shared/payload/constants.ts';
import type { DeviceInfo } from '../host/registry.ts';
import { PROFILES } from '../host/registry.ts';
import { decodeLpp, lppToReadings } from '../shared/payload/lpp.ts';
import { fastKey, fastOpenFrame } from '../host/fastcrypto.ts';

/** frames_rejected_total{reason} label values. */
export type RejectReason =
  | 'malformed'       // not a LoRaWAN R1 data frame (decodeFrame error)
  | 'not_uplink'      // a downlink or join frame heard on the uplink path
  | 'unknown_device'  // no registry entry for the DevAddr
  | 'mic'             // MIC fails under every candidate's keys: forged, corrupted or wrong keys
  | 'replay'          // MIC valid, but FCnt is at or below the last accepted one (replay / stale)
  | 'fcnt_exhausted'; // the session has used all 2^32 counters

export interface Verified {
  device: DeviceInfo;
  frame: DataFrame;
  fcnt32: number;
  confirmed: boolean;
  payload: Uint8Array;     // decrypted FRMPayload (copy, not a view into the radio buffer)
  readings: Readings | null;
  /** Why readings is null although the profile decodes this port (payload codec error). */
  decodeError?: string;
  /** FCnt advanced by more than MAX_FCNT_GAP since the last accepted frame (lost frames or a long outage). */
  gap?: number;
}

export type VerifyResult =
  | { ok: true; v: Verified }
  | { ok: false; reason: RejectReason; detail: string; device?: DeviceInfo; devAddr?: number; fcnt32?: number; frame?: DataFrame };

export interface VerifyDeps {
  candidates(devAddr: number): DeviceInfo[];
  lastUp(sessionId: string): number;
  /**
   * Block cipher for shared/lorawan's openFrame. Omitted: host/fastcrypto.ts (the same
   * results with one node:crypto call per MIC and per decryption; what ingest uses).
   */
  aes?: AesFactory;
}

/** Decodes a decrypted FRMPayload into Readings according to the device profile. */
export function decodePayload(profile: string, fport: number, payload: Uint8Array): { readings: Readings | null; error?: string } {
  const p = PROFILES[profile];
  if (!p || p.decoder === 'none' || fport <= 0) return { readings: null };
  if (p.decoder === 'kerb') {
    if (fport !== FPORT_READINGS) return { readings: null };
    const r = decodeReadings(payload);
    return typeof r === 'number' ? { readings: null, error: `kerb readings codec error ${r}` } : { readings: r };
  }
  const v = decodeLpp(payload);
  return typeof v === 'number' ? { readings: null, error: `Cayenne LPP codec error ${v}` } : { readings: lppToReadings(v) };
}

type Attempt =
  | { kind: 'ok'; fcnt32: number; plain: Uint8Array }
  | { kind: 'replay' | 'fcnt_exhausted' | 'mic'; fcnt32?: number };

type Opener = (fcnt32: number) => Uint8Array | number;

function opener(dev: DeviceInfo, raw: Uint8Array, f: DataFrame, aes: AesFactory | undefined): Opener {
  if (aes) {
    const s: Session = { nwkSKey: aes(dev.nwkSKey), appSKey: aes(dev.appSKey) };
    return (fcnt32) => openFrame(s, raw, f, fcnt32);
  }
  const nwk = fastKey(dev.nwkSKey);
  const app = fastKey(dev.appSKey);
  return (fcnt32) => fastOpenFrame(nwk, app, raw, f, fcnt32);
}

function attempt(dev: DeviceInfo, raw: Uint8Array, f: DataFrame, last: number, aes: AesFactory | undefined): Attempt {
  const open = opener(dev, raw, f, aes);
  const next = reconstructFcnt(last, f.fcnt);
  if (next >= 0) {
    const plain = open(next);
    // The MIC covers all 32 bits, so a frame that verifies under `next` (> last) was never accepted
    // before, however far ahead it is: a jump beyond MAX_FCNT_GAP (LoRaWAN 1.0.1; dropped in later
    // versions) is accepted and flagged for the log rather than locking the node out for good.
    if (typeof plain !== 'number') return { kind: 'ok', fcnt32: next, plain };
  }
  // The same low 16 bits at or below `last`: a MIC that verifies there is a replayed or stale
  // frame (told apart from a forgery so that operators see replays as such).
  let stale = last - (last % 65536) + (f.fcnt & 0xffff);
  if (stale > last) stale -= 65536;
  if (stale >= 0 && typeof open(stale) !== 'number') return { kind: 'replay', fcnt32: stale };
  if (next < 0) return { kind: 'fcnt_exhausted' };
  return { kind: 'mic' };
}

export function verifyFrame(raw: Uint8Array, deps: VerifyDeps): VerifyResult {
  const f = decodeFrame(raw);
  if (typeof f === 'number') return { ok: false, reason: 'malformed', detail: errorName(f) };
  if (f.mtype !== MTYPE_UNCONFIRMED_UP && f.mtype !== MTYPE_CONFIRMED_UP) {
    return { ok: false, reason: 'not_uplink', detail: `MType ${f.mtype} is not an uplink data frame`, devAddr: f.devAddr };
  }
  const cands = deps.candidates(f.devAddr);
  if (!cands.length) return { ok: false, reason: 'unknown_device', detail: `no device with DevAddr ${hex8(f.devAddr)}`, devAddr: f.devAddr };
  // Several devices may share a DevAddr (LoRaWAN 1.0.4 §6.1.1 does not forbid it): the MIC tells them apart.
  let worst: { a: Attempt; dev: DeviceInfo } | undefined;
  const rank = { mic: 0, fcnt_exhausted: 1, replay: 2, ok: 3 };
  for (const dev of cands) {
    const a = attempt(dev, raw, f, deps.lastUp(dev.sessionId), deps.aes);
    if (a.kind === 'ok') {
      const p = PROFILES[dev.profile];
      const payload = a.plain.slice();
      const d = p ? decodePayload(dev.profile, f.fport, payload) : { readings: null };
      const v: Verified = {
        device: dev, frame: f, fcnt32: a.fcnt32, confirmed: f.mtype === MTYPE_CONFIRMED_UP, payload, readings: d.readings,
      };
      if (d.error) v.decodeError = d.error;
      const last = deps.lastUp(dev.sessionId);
      if (last >= 0 && a.fcnt32 - last > MAX_FCNT_GAP) v.gap = a.fcnt32 - last;
      return { ok: true, v };
    }
    if (!worst || rank[a.kind] > rank[worst.a.kind]) worst = { a, dev };
  }
  const w = worst!;
  const last = deps.lastUp(w.dev.sessionId);
  const base = { devAddr: f.devAddr, device: w.a.kind === 'mic' ? undefined : w.dev, fcnt32: w.a.fcnt32, frame: f };
  switch (w.a.kind) {
    case 'replay':
      return { ok: false, reason: 'replay', detail: `FCnt ${w.a.fcnt32} <= last accepted ${last}`, ...base };
    case 'fcnt_exhausted':
      return { ok: false, reason: 'fcnt_exhausted', detail: 'frame counter exhausted: re-key the device', ...base };
    default:
      return { ok: false, reason: 'mic', detail: `MIC mismatch for DevAddr ${hex8(f.devAddr)} (${cands.length} candidate${cands.length > 1 ? 's' : ''})`, ...base };
  }
}

export function hex8(n: number): string {
  return (n >>> 0).toString(16).toUpperCase().padStart(8, '0');
}
