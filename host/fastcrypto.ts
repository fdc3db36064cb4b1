// Whole-operation LoRaWAN frame crypto for the gateway over node:crypto: the same results as
// shared/lorawan/session.ts (computeMic, cryptFrmPayload, openFrame) with one OpenSSL call per
// operation instead of one per 16-byte block (each update() is a C++ crossing plus a Buffer).
//
// - MIC (LoRaWAN 1.0.4 §4.4) = AES-CMAC (RFC 4493 §2.4) over B0 | msg: CMAC is CBC-MAC with the
//   K1/K2 subkey XORed into the last (padded) block, so it is ONE aes-128-cbc update() over the
//   prepared message; the tag is the last ciphertext block. The subkeys are computed once per key.
//   A CBC cipher object keeps its chaining value between update() calls; rather than build a new
//   cipher (OpenSSL key schedule) per MIC, the previous call's last ciphertext block is XORed into
//   the first block, which cancels the chaining and makes this call start from a zero IV.
// - FRMPayload encryption (§4.3.3.1) = data XOR AES(A_1) | AES(A_2) | ...: all A_i blocks go
//   through ONE aes-128-ecb update(), the XOR happens here.
import { createCipheriv, type Cipheriv } from 'node:crypto';
import type { DataFrame } from '../shared/lorawan/frame.ts';
import { ERR_FCNT_MISMATCH, ERR_MIC } from '../shared/lorawan/constants.ts';

export interface FastKey {
  /** Copy of the key, to detect a caller that mutated the array it was looked up by. */
  readonly key: Uint8Array;
  readonly ecb: Cipheriv;
  cbc: Cipheriv;
  /** The CBC cipher's current chaining value (last ciphertext block it produced; zero when new). */
  readonly chain: Uint8Array;
  readonly k1: Uint8Array;
  readonly k2: Uint8Array;
}

const ZERO_IV = Buffer.alloc(16);
// PHYPayload ≤ 255 bytes + B0 + padding: 288 bytes always suffice; one scratch buffer per process
// (the gateway is single-threaded and nothing here yields).
const scratch = Buffer.alloc(512);
// By key array identity: the registry's DeviceInfo keys are created once per (re)load and never
// mutated; a WeakMap lets entries of removed devices go with them.
const byArray = new WeakMap<Uint8Array, FastKey>();

function dbl(src: Uint8Array): Uint8Array {
  const k = new Uint8Array(16);
  for (let i = 0; i < 15; i++) k[i] = ((src[i]! << 1) | (src[i + 1]! >> 7)) & 0xff;
  k[15] = ((src[15]! << 1) & 0xff) ^ ((src[0]! >> 7) * 0x87);
  return k;
}

function newCbc(key: Uint8Array): Cipheriv {
  const c = createCipheriv('aes-128-cbc', key, ZERO_IV);
  c.setAutoPadding(false);
  return c;
}

function make(key: Uint8Array): FastKey {
  const copy = Uint8Array.from(key);
  const ecb = createCipheriv('aes-128-ecb', copy, null);
  ecb.setAutoPadding(false);
  const l = ecb.update(ZERO_IV); // RFC 4493 §2.3: L = AES-128(K, 0^128)
  const k1 = dbl(l);
  return { key: copy, ecb, cbc: newCbc(copy), chain: new Uint8Array(16), k1, k2: dbl(k1) };
}

function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Cached per-key state (ciphers, CMAC subkeys) for a 16-byte AES-128 key. */
export function fastKey(key: Uint8Array): FastKey {
  if (key.length !== 16) throw new Error('AES-128 key must be 16 bytes');
  let k = byArray.get(key);
  if (!k || !sameKey(k.key, key)) {
    k = make(key);
    byArray.set(key, k);
  }
  return k;
}

/** B0 (tag 0x49) / A_i (tag 0x01) block at b[o..o+16) (§4.3.3.1, §4.4). */
function block(b: Uint8Array, o: number, tag: number, dir: number, devAddr: number, fcnt32: number, last: number): void {
  b[o] = tag;
  b[o + 1] = 0; b[o + 2] = 0; b[o + 3] = 0; b[o + 4] = 0;
  b[o + 5] = dir;
  b[o + 6] = devAddr & 0xff;
  b[o + 7] = (devAddr >>> 8) & 0xff;
  b[o + 8] = (devAddr >>> 16) & 0xff;
  b[o + 9] = (devAddr >>> 24) & 0xff;
  b[o + 10] = fcnt32 & 0xff;
  b[o + 11] = (fcnt32 >>> 8) & 0xff;
  b[o + 12] = (fcnt32 >>> 16) & 0xff;
  b[o + 13] = (fcnt32 >>> 24) & 0xff;
  b[o + 14] = 0;
  b[o + 15] = last;
}

/** As shared/lorawan/session.ts computeMic: the first 4 bytes of the CMAC, read big-endian. */
export function fastMic(k: FastKey, dir: number, devAddr: number, fcnt32: number, msg: Uint8Array, len: number): number {
  const total = 16 + len;
  if (total > scratch.length) throw new Error('message too long for a LoRaWAN MIC');
  const n = (total + 15) >> 4;
  const end = n << 4;
  const b = scratch;
  block(b, 0, 0x49, dir, devAddr >>> 0, fcnt32, len & 0xff);
  b.set(msg.subarray(0, len), 16);
  const sub = (total & 15) === 0 ? k.k1 : k.k2;
  if ((total & 15) !== 0) {
    b[total] = 0x80;
    b.fill(0, total + 1, end);
  }
  const lastOff = end - 16;
  for (let i = 0; i < 16; i++) {
    b[lastOff + i] ^= sub[i]!;
    b[i] ^= k.chain[i]!; // cancels the CBC state left by the previous call (see the header)
  }
  let out: Buffer;
  try {
    out = k.cbc.update(b.subarray(0, end));
  } catch (e) {
    // Never expected (no padding, whole blocks); start over from a known zero chaining value.
    k.cbc = newCbc(k.key);
    k.chain.fill(0);
    throw e;
  }
  k.chain.set(out.subarray(lastOff, end));
  return out[lastOff]! * 16777216 + (out[lastOff + 1]! << 16) + (out[lastOff + 2]! << 8) + out[lastOff + 3]!;
}

/** As shared/lorawan/session.ts cryptFrmPayload (encryption and decryption are the same). */
export function fastCrypt(k: FastKey, dir: number, devAddr: number, fcnt32: number, data: Uint8Array): Uint8Array {
  const len = data.length;
  const out = new Uint8Array(len);
  if (len === 0) return out;
  const n = (len + 15) >> 4;
  if (n << 4 > scratch.length) throw new Error('FRMPayload too long');
  for (let i = 0; i < n; i++) block(scratch, i << 4, 0x01, dir, devAddr >>> 0, fcnt32, (i + 1) & 0xff);
  const s = k.ecb.update(scratch.subarray(0, n << 4));
  for (let i = 0; i < len; i++) out[i] = data[i]! ^ s[i]!;
  return out;
}

/** As shared/lorawan/session.ts openFrame: plaintext FRMPayload, or ERR_FCNT_MISMATCH / ERR_MIC. */
export function fastOpenFrame(nwk: FastKey, app: FastKey, raw: Uint8Array, f: DataFrame, fcnt32: number): Uint8Array | number {
  if (fcnt32 < 0 || (fcnt32 & 0xffff) !== f.fcnt) return ERR_FCNT_MISMATCH;
  const dir = f.mtype & 1;
  if (fastMic(nwk, dir, f.devAddr, fcnt32, raw, raw.length - 4) !== f.mic) return ERR_MIC;
  if (f.fport < 0) return new Uint8Array(0);
  return fastCrypt(f.fport === 0 ? nwk : app, dir, f.devAddr, fcnt32, f.payload);
}
