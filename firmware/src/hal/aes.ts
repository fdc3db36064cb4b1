// AES seam (architecture.md): AES-128 block encryption through the board's
// require("crypto").AES.encrypt(message, key, { mode: 'ECB' }) (Espruino libs/crypto/
// jswrap_crypto.c: key must be an ArrayBuffer of 128/192/256 bits; returns an ArrayBuffer; ECB
// processes whole 16-byte blocks). Boards without AES (MDBT42Q, Pixl.js, ESP32 IDF4) and older
// firmware fall back to shared portableAes.
import type { Aes, AesFactory } from '../../../shared/lorawan/aes.ts';
import { portableAes } from '../../../shared/lorawan/aes.ts';
import type { EspruinoAes, EspruinoCrypto } from '../espruino.ts';

declare function require(name: 'crypto'): EspruinoCrypto;

export function espruinoAesFactory(hw: EspruinoAes): AesFactory {
  // One block buffer and options object for every key (encryptBlock is synchronous), and the key
  // kept only as the ArrayBuffer the interpreter wants: each object costs RAM for as long as the
  // node runs (docs/firmware.md "Heap on the real interpreter").
  const blk = new Uint8Array(16);
  const opts = { mode: 'ECB' };
  return function (key: Uint8Array): Aes {
    const keyBuf = new Uint8Array(key).buffer; // a copy: an exact 16-byte ArrayBuffer
    key = null as unknown as Uint8Array;
    return {
      encryptBlock: function (src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number) {
        for (let i = 0; i < 16; i++) blk[i] = src[srcOff + i];
        dst.set(new Uint8Array(hw.encrypt(blk, keyBuf, opts)), dstOff);
      },
    };
  };
}

declare const KERB_HW_AES: boolean;

/**
 * The board's hardware AES if `require("crypto").AES` exists, else the portable one. On boards
 * built with KERB_HW_AES the portable code is left out of the bundle (2 KB of the Puck.js
 * budget); should AES be missing there (custom firmware), the node gets null and refuses to run.
 */
export function boardAes(): AesFactory | null {
  try {
    const c = require('crypto');
    if (c && c.AES) return espruinoAesFactory(c.AES);
  } catch (e) {
    // "Module crypto not found": firmware built without it.
  }
  return typeof KERB_HW_AES !== 'undefined' && KERB_HW_AES ? null : portableAes;
}
