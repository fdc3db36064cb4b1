import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import {
  encodeLinkMessage, createDeframer, decodeLinkPacket, type LinkMessage,
  LINK_RX, LINK_TX, LINK_TX_RESULT, LINK_STATUS, LINK_MAX_FRAME, LINK_MAX_PAYLOAD, LINK_PROTO_VERSION,
  LINK_ERR_OVERSIZE, LINK_ERR_CRC, LINK_ERR_TYPE,
} from '../../../shared/link/link.ts';
import { cobsEncode, cobsDecodeInPlace, cobsMaxLen } from '../../../shared/link/cobs.ts';
import { crc16, CRC16_INIT } from '../../../shared/link/crc16.ts';

const V = JSON.parse(readFileSync(new URL('../../vectors/link-messages.json', import.meta.url), 'utf8'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

function fromJson(m: Record<string, unknown>): LinkMessage {
  return (m.payload !== undefined ? { ...m, payload: bytes(m.payload as string) } : { ...m }) as unknown as LinkMessage;
}

// Independent restatement of docs/protocol.md §3 using Buffer (LE helpers) and a textbook COBS.
function refCobs(d: Buffer): Buffer {
  const out: number[] = [];
  let block: number[] = [];
  for (const c of [...d, 0]) {
    if (c === 0 || block.length === 254) {
      out.push(block.length + 1, ...block);
      if (c !== 0) { block = [c]; continue; }
      block = [];
    } else block.push(c);
  }
  return Buffer.from(out);
}
function refCrc(d: Buffer): number {
  let c = 0xffff;
  for (const x of d) { c ^= x << 8; for (let i = 0; i < 8; i++) c = (c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1) & 0xffff; }
  return c;
}
function refWire(m: Record<string, any>): string {
  let body: Buffer;
  if (m.type === 1) {
    body = Buffer.alloc(17); body.writeUInt32LE(m.tsUs, 0); body.writeUInt32LE(m.freqHz, 4); body.writeInt16LE(m.rssiDbm, 8);
    body.writeInt8(Math.round(m.snrDb * 4), 10); body.writeUInt8(m.sf, 11); body.writeUInt32LE(m.bwHz, 12); body.writeUInt8(m.cr, 16);
    body = Buffer.concat([body, Buffer.from(m.payload, 'hex')]);
  } else if (m.type === 2) {
    body = Buffer.alloc(20); body.writeUInt32LE(m.id, 0); body.writeUInt32LE(m.atUs, 4); body.writeUInt32LE(m.freqHz, 8);
    body.writeInt8(m.powerDbm, 12); body.writeUInt8(m.sf, 13); body.writeUInt32LE(m.bwHz, 14); body.writeUInt8(m.cr, 18);
    body.writeUInt8(m.invertIq ? 1 : 0, 19); body = Buffer.concat([body, Buffer.from(m.payload, 'hex')]);
  } else if (m.type === 3) {
    body = Buffer.alloc(9); body.writeUInt32LE(m.id, 0); body.writeUInt8(m.status, 4); body.writeUInt32LE(m.tsUs, 5);
  } else {
    body = Buffer.alloc(25); body.writeUInt8(1, 0);
    ['uptimeS', 'fwVersion', 'rxOk', 'rxBad', 'txOk', 'txFail'].forEach((k, i) => body.writeUInt32LE(m[k], 1 + 4 * i));
  }
  const raw = Buffer.concat([Buffer.from([m.type, m.seq]), body]);
  const crc = Buffer.alloc(2); crc.writeUInt16LE(refCrc(raw));
  return '00' + refCobs(Buffer.concat([raw, crc])).toString('hex') + '00';
}

describe('link primitives', () => {
  it('CRC-16/CCITT-FALSE check value', () => {
    expect(crc16(CRC16_INIT, new TextEncoder().encode(V.crc16.ascii), 0, 9)).toBe(V.crc16.check);
  });
  it('COBS: Wikipedia examples', () => {
    for (const [plain, enc] of V.cobs.vectors) {
      const src = bytes(plain);
      const dst = new Uint8Array(cobsMaxLen(src.length));
      const n = cobsEncode(src, src.length, dst, 0);
      expect(hex(dst.subarray(0, n))).toBe(enc);
      const back = bytes(enc);
      expect(hex(back.subarray(0, cobsDecodeInPlace(back, back.length)))).toBe(plain);
    }
  });
  it('COBS: Wikipedia long examples 7-11 (254/255-byte runs)', () => {
    const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);
    const cases: [number[], number[]][] = [
      [range(1, 254), [0xff, ...range(1, 254)]],
      [[0, ...range(1, 254)], [0x01, 0xff, ...range(1, 254)]],
      [range(1, 255), [0xff, ...range(1, 254), 0x02, 0xff]],
      [[...range(2, 255), 0], [0xff, ...range(2, 255), 0x01, 0x01]],
      [[...range(3, 255), 0, 1], [0xfe, ...range(3, 255), 0x02, 0x01]],
    ];
    for (const [plain, enc] of cases) {
      const src = Uint8Array.from(plain);
      const dst = new Uint8Array(cobsMaxLen(src.length));
      const n = cobsEncode(src, src.length, dst, 0);
      expect(hex(dst.subarray(0, n))).toBe(hex(Uint8Array.from(enc)));
      const back = Uint8Array.from(enc);
      expect(hex(back.subarray(0, cobsDecodeInPlace(back, back.length)))).toBe(hex(src));
    }
  });
  it('COBS round trip on random data, output free of zeros', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), (src) => {
      const dst = new Uint8Array(cobsMaxLen(src.length));
      const n = cobsEncode(src, src.length, dst, 0);
      expect(dst.subarray(0, n).includes(0)).toBe(false);
      expect(hex(dst.subarray(0, n))).toBe(refCobs(Buffer.from(src)).toString('hex'));
      expect(hex(dst.subarray(0, cobsDecodeInPlace(dst, n)))).toBe(hex(src));
    }), { numRuns: 500 });
  });
});

describe('link messages: golden vectors', () => {
  for (const v of V.messages) {
    it(v.name, () => {
      expect(refWire(v.message)).toBe(v.wire);
      const inner = bytes(v.wire).subarray(1, -1);
      expect(hex(inner.subarray(0, cobsDecodeInPlace(inner, inner.length)))).toBe(v.raw);
      expect(hex(encodeLinkMessage(fromJson(v.message)))).toBe(v.wire);
      const want = fromJson(v.message);
      expect(decodeLinkPacket(bytes(v.wire))).toEqual(want);
      const got: LinkMessage[] = [];
      createDeframer((m) => got.push(m), (c) => { throw new Error('error ' + c); }).push(bytes(v.wire));
      expect(got).toEqual([want]);
    });
  }
});

const arbPayload = fc.uint8Array({ maxLength: LINK_MAX_PAYLOAD });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const arbMsg: fc.Arbitrary<LinkMessage> = fc.oneof(
  fc.record({
    type: fc.constant(LINK_RX), seq: fc.integer({ min: 0, max: 255 }), payload: arbPayload,
    rssiDbm: fc.integer({ min: -32768, max: 32767 }), snrDb: fc.integer({ min: -128, max: 127 }).map((q) => q / 4),
    freqHz: u32, sf: fc.integer({ min: 0, max: 255 }), bwHz: u32, cr: fc.integer({ min: 0, max: 255 }), tsUs: u32,
  }),
  fc.record({
    type: fc.constant(LINK_TX), seq: fc.integer({ min: 0, max: 255 }), id: u32, payload: arbPayload, freqHz: u32,
    sf: fc.integer({ min: 0, max: 255 }), bwHz: u32, cr: fc.integer({ min: 0, max: 255 }),
    powerDbm: fc.integer({ min: -128, max: 127 }), invertIq: fc.boolean(), atUs: u32,
  }),
  fc.record({ type: fc.constant(LINK_TX_RESULT), seq: fc.integer({ min: 0, max: 255 }), id: u32, status: fc.integer({ min: 0, max: 255 }), tsUs: u32 }),
  fc.record({
    type: fc.constant(LINK_STATUS), seq: fc.integer({ min: 0, max: 255 }), protoVersion: fc.constant(LINK_PROTO_VERSION),
    uptimeS: u32, fwVersion: u32, rxOk: u32, rxBad: u32, txOk: u32, txFail: u32,
  }),
) as fc.Arbitrary<LinkMessage>;

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}
/** Splits a stream at sorted random cut points. */
function chunk(stream: Uint8Array, cuts: number[]): Uint8Array[] {
  const pts = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of pts) { out.push(stream.subarray(prev, p)); prev = p; }
  out.push(stream.subarray(prev));
  return out;
}

describe('link: properties', () => {
  it('decode(encode(m)) = m, and an encoded packet fits LINK_MAX_FRAME', () => {
    fc.assert(fc.property(arbMsg, (m) => {
      const w = encodeLinkMessage(m);
      expect(w.length - 2).toBeLessThanOrEqual(LINK_MAX_FRAME);
      expect(decodeLinkPacket(w)).toEqual(m);
    }), { numRuns: 2000 });
  });
  it('any chunking of a stream yields the same messages and no errors', () => {
    fc.assert(fc.property(fc.array(arbMsg, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 30 }), (ms, cuts) => {
      const got: LinkMessage[] = [];
      const errs: number[] = [];
      const d = createDeframer((m) => got.push(m), (c) => errs.push(c));
      for (const c of chunk(concat(ms.map(encodeLinkMessage)), cuts)) d.push(c);
      expect(errs).toEqual([]);
      expect(got).toEqual(ms);
    }), { numRuns: 300 });
  });
  it('garbage between packets never loses the packets that follow it', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.uint8Array({ maxLength: 400 }), arbMsg), { minLength: 1, maxLength: 6 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (pairs, cuts) => {
        const got: LinkMessage[] = [];
        let errs = 0;
        const d = createDeframer((m) => got.push(m), () => { errs++; });
        const stream = concat(pairs.flatMap(([g, m]) => [g, encodeLinkMessage(m)]));
        for (const c of chunk(stream, cuts)) d.push(c);
        // Garbage could in principle form a valid frame (CRC 1/65536): the sent messages must appear in order.
        let i = 0;
        for (const m of got) if (i < pairs.length && isDeepStrictEqual(m, { ...pairs[i][1] })) i++;
        expect(i).toBe(pairs.length);
        expect(errs).toBeLessThanOrEqual(pairs.reduce((n, [g]) => n + g.length, 0));
      }), { numRuns: 300 });
  });
  it('cut cable: a half-sent packet costs only itself', () => {
    fc.assert(fc.property(arbMsg, arbMsg, fc.nat(), (a, b, at) => {
      const wa = encodeLinkMessage(a);
      const cutAt = 2 + (at % (wa.length - 3)); // strictly inside the frame
      const got: LinkMessage[] = [];
      const errs: number[] = [];
      const d = createDeframer((m) => got.push(m), (c) => errs.push(c));
      d.push(wa.subarray(0, cutAt));
      d.push(encodeLinkMessage(b));
      expect(got).toEqual([b]);
      expect(errs.length).toBe(1);
    }), { numRuns: 300 });
  });
  it('100k random chunks never throw', () => {
    const d = createDeframer(() => {}, () => {});
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => { d.push(b); }), { numRuns: 100_000 });
    const pure = fc.uint8Array({ maxLength: 300 });
    fc.assert(fc.property(pure, (b) => { decodeLinkPacket(b); }), { numRuns: 20_000 });
  });
});

describe('link: deframer errors', () => {
  const ok = encodeLinkMessage({ type: LINK_TX_RESULT, seq: 1, id: 5, status: 0, tsUs: 9 });
  it('oversize run is reported once and the next packet still arrives', () => {
    const got: LinkMessage[] = [];
    const errs: number[] = [];
    const d = createDeframer((m) => got.push(m), (c) => errs.push(c));
    d.push(new Uint8Array(LINK_MAX_FRAME * 3).fill(0x55));
    d.push(ok);
    expect(errs).toEqual([LINK_ERR_OVERSIZE]);
    expect(got.length).toBe(1);
  });
  it('CRC error and unknown type are reported by code', () => {
    const bad = new Uint8Array(ok);
    bad[4] ^= 0x01; // the id byte (COBS data, not a code byte)
    const errs: number[] = [];
    const d = createDeframer(() => { throw new Error('unexpected'); }, (c) => errs.push(c));
    d.push(bad);
    // type 0x09 with a correct CRC
    const raw = new Uint8Array([0x09, 0, 0, 0]);
    const crc = crc16(CRC16_INIT, raw, 0, 2);
    raw[2] = crc & 255; raw[3] = crc >> 8;
    const enc = new Uint8Array(8);
    const n = cobsEncode(raw, 4, enc, 0);
    d.push(enc.subarray(0, n)); d.push(new Uint8Array([0]));
    expect(errs).toEqual([LINK_ERR_CRC, LINK_ERR_TYPE]);
  });
  it('a throwing callback does not wedge the deframer', () => {
    let calls = 0;
    const d = createDeframer(() => { calls++; throw new Error('consumer bug'); }, () => {});
    expect(() => d.push(ok)).toThrow('consumer bug');
    expect(() => d.push(ok)).toThrow('consumer bug');
    expect(calls).toBe(2);
  });
});
