// LoRaWAN 1.0.x frame security (LoRaWAN 1.0.4 §4.3.3 FRMPayload encryption, §4.4 MIC): the B0 and
// A_i blocks share one layout and differ only in the first byte and the last.
//   0x49|0x01 | 0x00 x4 | Dir | DevAddr (4, LE) | FCnt32 (4, LE) | 0x00 | len (B0) or i (A_i)
import type { Aes } from './aes.ts';
import { aesCmac } from './cmac.ts';
import { encodeFrame, putMic } from './frame.ts';
import type { DataFrame } from './frame.ts';
import { ERR_MIC, ERR_FCNT_MISMATCH } from './constants.ts';

export interface Session {
  nwkSKey: Aes;
  appSKey: Aes;
}

/** Fills b[0..16) with a B0 (tag 0x49) or A_i (tag 0x01) block. */
function block(b: Uint8Array, tag: number, dir: number, devAddr: number, fcnt32: number, last: number): void {
  b[0] = tag;
  b[1] = 0; b[2] = 0; b[3] = 0; b[4] = 0;
  b[5] = dir;
  b[6] = devAddr & 0xff;
  b[7] = (devAddr >>> 8) & 0xff;
  b[8] = (devAddr >>> 16) & 0xff;
  b[9] = (devAddr >>> 24) & 0xff;
  b[10] = fcnt32 & 0xff;
  b[11] = (fcnt32 >>> 8) & 0xff;
  b[12] = (fcnt32 >>> 16) & 0xff;
  b[13] = (fcnt32 >>> 24) & 0xff;
  b[14] = 0;
  b[15] = last;
}

/**
 * §4.4: MIC = first 4 bytes of aes128_cmac(NwkSKey, B0 | msg[0..len)), msg = MHDR..FRMPayload.
 * Returned as a uint32 read big-endian, the same convention as DataFrame.mic.
 */
export function computeMic(nwk: Aes, dir: number, devAddr: number, fcnt32: number, msg: Uint8Array, len: number): number {
  const m = new Uint8Array(16 + len);
  block(m, 0x49, dir, devAddr >>> 0, fcnt32, len & 0xff);
  for (let i = 0; i < len; i++) m[16 + i] = msg[i];
  const t = aesCmac(nwk, m, m.length);
  return t[0] * 16777216 + (t[1] << 16) + (t[2] << 8) + t[3];
}

/**
 * §4.3.3.1: data xor (AES(K, A_1) | AES(K, A_2) | ...). Encryption and decryption are the same
 * operation. Returns a new array; data is not modified.
 */
export function cryptFrmPayload(key: Aes, dir: number, devAddr: number, fcnt32: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length);
  const a = new Uint8Array(16);
  const s = new Uint8Array(16);
  for (let off = 0, i = 1; off < data.length; off += 16, i++) {
    block(a, 0x01, dir, devAddr >>> 0, fcnt32, i & 0xff);
    key.encryptBlock(a, 0, s, 0);
    for (let j = 0; j < 16 && off + j < data.length; j++) out[off + j] = data[off + j] ^ s[j];
  }
  return out;
}

/**
 * Encrypts f.payload (plaintext; AppSKey, or NwkSKey for FPort 0), writes FCnt as the low 16 bits
 * of fcnt32 (f.fcnt is ignored so the two cannot disagree) and the MIC; returns the PHYPayload.
 * f is not modified.
 */
export function sealFrame(s: Session, f: DataFrame, fcnt32: number): Uint8Array {
  const dir = f.mtype & 1;
  // Encoded as given, then counter, FRMPayload and MIC written over it: no copy of the frame
  // object (on Espruino every object costs RAM while the frame is sealed).
  const b = encodeFrame(f);
  const micAt = b.length - 4;
  b[6] = fcnt32 & 0xff;
  b[7] = (fcnt32 >> 8) & 0xff;
  if (f.fport >= 0) b.set(cryptFrmPayload(f.fport === 0 ? s.nwkSKey : s.appSKey, dir, f.devAddr, fcnt32, f.payload), micAt - f.payload.length);
  putMic(b, micAt, computeMic(s.nwkSKey, dir, f.devAddr, fcnt32, b, micAt));
  return b;
}

/**
 * Verifies the MIC of raw (whose decodeFrame result is f) under fcnt32 and returns the decrypted
 * FRMPayload (empty when there is no FPort), or ERR_FCNT_MISMATCH / ERR_MIC.
 */
export function openFrame(s: Session, raw: Uint8Array, f: DataFrame, fcnt32: number): Uint8Array | number {
  if (fcnt32 < 0 || (fcnt32 & 0xffff) !== f.fcnt) return ERR_FCNT_MISMATCH;
  const dir = f.mtype & 1;
  if (computeMic(s.nwkSKey, dir, f.devAddr, fcnt32, raw, raw.length - 4) !== f.mic) return ERR_MIC;
  if (f.fport < 0) return new Uint8Array(0);
  return cryptFrmPayload(f.fport === 0 ? s.nwkSKey : s.appSKey, dir, f.devAddr, fcnt32, f.payload);
}
