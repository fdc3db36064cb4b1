// Consistent Overhead Byte Stuffing (S. Cheshire, M. Baker, "Consistent Overhead Byte Stuffing",
// IEEE/ACM Trans. Networking 7(2), 1999). Removes every 0x00 from a frame at a cost of at most
// one byte per 254, so 0x00 can delimit frames and a receiver resynchronises at the next 0x00.

/** Worst-case encoded length for len input bytes. */
export function cobsMaxLen(len: number): number {
  return len + 1 + Math.floor(len / 254);
}

/** Encodes src[0..len) into dst at dstOff (dst needs cobsMaxLen(len) bytes). Returns bytes written. */
export function cobsEncode(src: Uint8Array, len: number, dst: Uint8Array, dstOff: number): number {
  let codePos = dstOff;
  let out = dstOff + 1;
  let code = 1;
  for (let i = 0; i < len; i++) {
    const c = src[i];
    if (c === 0) {
      dst[codePos] = code;
      codePos = out++;
      code = 1;
    } else {
      dst[out++] = c;
      code++;
      // Close a full block only if more input follows: a trailing full block needs no extra code
      // byte (the canonical form in Cheshire & Baker and the Wikipedia COBS examples).
      if (code === 0xff && i + 1 < len) {
        dst[codePos] = code;
        codePos = out++;
        code = 1;
      }
    }
  }
  dst[codePos] = code;
  return out - dstOff;
}

/**
 * Decodes buf[0..len) in place (the output is never longer than the input). Returns the decoded
 * length, or -1 if a code byte points past the end or a 0x00 appears inside the frame.
 */
export function cobsDecodeInPlace(buf: Uint8Array, len: number): number {
  let i = 0;
  let out = 0;
  while (i < len) {
    const code = buf[i];
    if (code === 0 || i + code > len) return -1;
    i++;
    for (let j = 1; j < code; j++) {
      const c = buf[i++];
      if (c === 0) return -1;
      buf[out++] = c;
    }
    // A code < 0xFF stands for "data then a zero", except at the very end of the frame.
    if (code < 0xff && i < len) buf[out++] = 0;
  }
  return out;
}
