// CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740): poly 0x1021, init 0xFFFF, no reflection, xorout 0.
// Check value for ASCII "123456789" is 0x29B1 (Greg Cook, "Catalogue of parametrised CRC algorithms",
// reveng.sourceforge.io/crc-catalogue/16.htm#crc.cat.crc-16-ibm-3740). Bitwise, no table: 256×2 bytes of
// table would cost ~1 KB of JsVars on Espruino for a link that moves a few hundred bytes per second.

export const CRC16_INIT = 0xffff;

/** Continues a CRC over buf[off .. off+len). O(len), no allocation. */
export function crc16(crc: number, buf: Uint8Array, off: number, len: number): number {
  for (let i = off; i < off + len; i++) {
    crc ^= buf[i] << 8;
    for (let b = 0; b < 8; b++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
