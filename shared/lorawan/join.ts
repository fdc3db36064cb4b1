// Over-the-air activation, LoRaWAN 1.0.4 §6.2 (TS001-1.0.4): the Join-request (§6.2.5) and
// Join-accept (§6.2.6) frames, their MICs, and the session keys both sides derive.
//   Join-request  MHDR 00 | JoinEUI (8, LE) | DevEUI (8, LE) | DevNonce (2, LE) | MIC (4)
//   Join-accept   MHDR 20 | JoinNonce (3, LE) | NetID (3, LE) | DevAddr (4, LE) | DLSettings (1)
//                 | RXDelay (1) | [CFList (16)] | MIC (4)     — everything after MHDR encrypted
// MIC = aes128_cmac(AppKey, MHDR | fields)[0..3] for both. The Join Server encrypts the accept
// with aes128_decrypt(AppKey, …) so the end device undoes it with aes128_encrypt: device code
// needs the encrypt direction only. Here: the device-side half (build the request, open the
// accept) and the plaintext half of the Join Server (check the request, build the accept with its
// MIC); the Join Server's ECB decryption step is Node-side (host/crypto.ts joinAcceptCipher).
// EUIs are 8-byte arrays in the order they are written (big-endian, "70B3D57ED00000DC").
import type { Aes } from './aes.ts';
import { aesCmac } from './cmac.ts';
import { putMic } from './frame.ts';
import {
  MTYPE_JOIN_REQUEST, MTYPE_JOIN_ACCEPT, ERR_MIC, ERR_NOT_JOIN_REQUEST, ERR_NOT_JOIN_ACCEPT, ERR_JOIN_LENGTH,
  ERR_MHDR_RFU, ERR_MAJOR_VERSION,
} from './constants.ts';

export const JOIN_REQUEST_LEN = 23;
/** Join-accept without / with the 16-byte CFList (§6.2.6 Table 54). */
export const JOIN_ACCEPT_LEN = 17;
export const JOIN_ACCEPT_CFLIST_LEN = 33;

export interface JoinRequest {
  joinEui: Uint8Array; // 8 bytes, as written
  devEui: Uint8Array;  // 8 bytes, as written
  devNonce: number;    // uint16; 1.0.4 §6.2.5: a counter from 0, never reused for one JoinEUI
  mic: number;         // uint32, wire order read big-endian (as DataFrame.mic)
}

export interface JoinAccept {
  joinNonce: number;   // uint24
  netId: number;       // uint24
  devAddr: number;     // uint32, as written
  rx1DrOffset: number; // DLSettings bits 6..4
  rx2DataRate: number; // DLSettings bits 3..0
  rxDelay: number;     // RXDelay bits 3..0, seconds; 0 means 1 (§5.7, RXTimingSetupReq table)
  cfList: Uint8Array | null; // 16 bytes as on air (RP002: EU868 type 0 = five 3-byte frequencies | CFListType)
}

function micOf(t: Uint8Array): number {
  return t[0] * 16777216 + (t[1] << 16) + (t[2] << 8) + t[3];
}

/** Writes an EUI (as written) little-endian at b[at..at+8). */
function putEui(b: Uint8Array, at: number, eui: Uint8Array): void {
  for (let i = 0; i < 8; i++) b[at + i] = eui[7 - i];
}

function getEui(b: Uint8Array, at: number): Uint8Array {
  const e = new Uint8Array(8);
  for (let i = 0; i < 8; i++) e[i] = b[at + 7 - i];
  return e;
}

/** §6.2.5: the 23-byte Join-request, MIC under AppKey. */
export function encodeJoinRequest(appKey: Aes, joinEui: Uint8Array, devEui: Uint8Array, devNonce: number): Uint8Array {
  const b = new Uint8Array(JOIN_REQUEST_LEN);
  b[0] = MTYPE_JOIN_REQUEST << 5;
  putEui(b, 1, joinEui);
  putEui(b, 9, devEui);
  b[17] = devNonce & 0xff;
  b[18] = (devNonce >> 8) & 0xff;
  putMic(b, 19, micOf(aesCmac(appKey, b, 19)));
  return b;
}

/** Checks the MHDR of a join frame; 0 when it is a LoRaWAN R1 frame of that MType. */
function mhdrProblem(b: Uint8Array, mtype: number, notIt: number): number {
  if (b.length === 0 || b[0] >> 5 !== mtype) return notIt;
  if (b[0] & 0x1c) return ERR_MHDR_RFU;
  if (b[0] & 3) return ERR_MAJOR_VERSION;
  return 0;
}

/** Parses a Join-request (no MIC check: the DevEUI says whose AppKey to check it with). */
export function decodeJoinRequest(b: Uint8Array): JoinRequest | number {
  const bad = mhdrProblem(b, MTYPE_JOIN_REQUEST, ERR_NOT_JOIN_REQUEST);
  if (bad) return bad;
  if (b.length !== JOIN_REQUEST_LEN) return ERR_JOIN_LENGTH;
  return { joinEui: getEui(b, 1), devEui: getEui(b, 9), devNonce: b[17] | (b[18] << 8), mic: micOf(b.subarray(19)) };
}

/** True when the Join-request's MIC verifies under appKey. */
export function joinRequestMicOk(appKey: Aes, b: Uint8Array): boolean {
  return b.length === JOIN_REQUEST_LEN && micOf(aesCmac(appKey, b, 19)) === micOf(b.subarray(19));
}

/**
 * §6.2.6: the Join-accept in plaintext, MIC included (MHDR | fields | MIC). What goes on air is this
 * with bytes 1.. passed through AES-128 decryption under AppKey (host/crypto.ts).
 */
export function buildJoinAccept(appKey: Aes, ja: JoinAccept): Uint8Array {
  const n = ja.cfList ? JOIN_ACCEPT_CFLIST_LEN : JOIN_ACCEPT_LEN;
  const b = new Uint8Array(n);
  b[0] = MTYPE_JOIN_ACCEPT << 5;
  b[1] = ja.joinNonce & 0xff; b[2] = (ja.joinNonce >> 8) & 0xff; b[3] = (ja.joinNonce >> 16) & 0xff;
  b[4] = ja.netId & 0xff; b[5] = (ja.netId >> 8) & 0xff; b[6] = (ja.netId >> 16) & 0xff;
  const a = ja.devAddr >>> 0;
  b[7] = a & 0xff; b[8] = (a >>> 8) & 0xff; b[9] = (a >>> 16) & 0xff; b[10] = (a >>> 24) & 0xff;
  b[11] = ((ja.rx1DrOffset & 7) << 4) | (ja.rx2DataRate & 15);
  b[12] = ja.rxDelay & 15;
  if (ja.cfList) for (let i = 0; i < 16; i++) b[13 + i] = ja.cfList[i];
  putMic(b, n - 4, micOf(aesCmac(appKey, b, n - 4)));
  return b;
}

/** Reads the fields of a plaintext Join-accept (MHDR | fields | MIC) without checking the MIC. */
function readAccept(b: Uint8Array): JoinAccept {
  return {
    joinNonce: b[1] | (b[2] << 8) | (b[3] << 16),
    netId: b[4] | (b[5] << 8) | (b[6] << 16),
    devAddr: b[7] + (b[8] << 8) + (b[9] << 16) + b[10] * 16777216,
    rx1DrOffset: (b[11] >> 4) & 7,
    rx2DataRate: b[11] & 15,
    rxDelay: b[12] & 15,
    cfList: b.length === JOIN_ACCEPT_CFLIST_LEN ? b.slice(13, 29) : null,
  };
}

/**
 * The end device's side of §6.2.6: undoes the Join Server's encryption with AES encrypt (ECB, one
 * call per 16-byte block after MHDR), checks the MIC and returns the fields, or ERR_NOT_JOIN_ACCEPT,
 * ERR_JOIN_LENGTH, ERR_MHDR_RFU, ERR_MAJOR_VERSION, ERR_MIC. Never throws; raw is not modified.
 */
export function openJoinAccept(appKey: Aes, raw: Uint8Array): JoinAccept | number {
  const bad = mhdrProblem(raw, MTYPE_JOIN_ACCEPT, ERR_NOT_JOIN_ACCEPT);
  if (bad) return bad;
  const n = raw.length;
  if (n !== JOIN_ACCEPT_LEN && n !== JOIN_ACCEPT_CFLIST_LEN) return ERR_JOIN_LENGTH;
  const b = new Uint8Array(n);
  b[0] = raw[0];
  for (let i = 1; i < n; i += 16) appKey.encryptBlock(raw, i, b, i);
  if (micOf(aesCmac(appKey, b, n - 4)) !== micOf(b.subarray(n - 4))) return ERR_MIC;
  return readAccept(b);
}

/**
 * §6.2.6: NwkSKey = aes128_encrypt(AppKey, 0x01 | JoinNonce | NetID | DevNonce | pad16), AppSKey
 * the same with 0x02 (multi-byte fields little-endian, as on air). Returns the 16-byte key.
 */
export function deriveSessionKey(appKey: Aes, tag: number, joinNonce: number, netId: number, devNonce: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = tag;
  b[1] = joinNonce & 0xff; b[2] = (joinNonce >> 8) & 0xff; b[3] = (joinNonce >> 16) & 0xff;
  b[4] = netId & 0xff; b[5] = (netId >> 8) & 0xff; b[6] = (netId >> 16) & 0xff;
  b[7] = devNonce & 0xff; b[8] = (devNonce >> 8) & 0xff;
  appKey.encryptBlock(b, 0, b, 0);
  return b;
}

export const KEY_NWK_S = 1;
export const KEY_APP_S = 2;

/**
 * RP002-1.0.3 §2.2.5 (EU863-870 CFList, CFListType 0): frequency i (0..4) of the five extra
 * channels, in Hz (24-bit little-endian × 100 Hz); 0 = no channel. -1 for another CFListType.
 */
export function cfListFreqHz(cf: Uint8Array, i: number): number {
  if (cf[15] !== 0) return -1;
  const at = i * 3;
  return (cf[at] | (cf[at + 1] << 8) | (cf[at + 2] << 16)) * 100;
}
