import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { portableAes } from '../../../shared/lorawan/aes.ts';
import { decodeMac, encodeMac, macParsedLen, macPayloadLen } from '../../../shared/lorawan/mac.ts';
import type { MacCommand } from '../../../shared/lorawan/mac.ts';
import { decodeFrame } from '../../../shared/lorawan/frame.ts';
import type { DataFrame } from '../../../shared/lorawan/frame.ts';
import { openFrame, sealFrame } from '../../../shared/lorawan/session.ts';
import { DIR_DOWN, DIR_UP, MTYPE_UNCONFIRMED_DOWN, MTYPE_UNCONFIRMED_UP } from '../../../shared/lorawan/constants.ts';
import { hex, toHex, loadVectors } from '../../helpers/lorawan.ts';

const lp = createRequire(import.meta.url)('lora-packet') as typeof import('lora-packet').default;

interface MacVectors {
  commands: { name: string; dir: 'up' | 'down'; hex: string; cmd: MacCommand }[];
  streams: { name: string; dir: 'up' | 'down'; hex: string; cids: number[]; parsed: number }[];
}
const { commands, streams } = loadVectors<MacVectors>('lorawan-mac.json');
const dirOf = (d: 'up' | 'down'): number => (d === 'up' ? DIR_UP : DIR_DOWN);

const NWK = '2B7E151628AED2A6ABF7158809CF4F3C';
const APP = '000102030405060708090A0B0C0D0E0F';
const DEVADDR = 0x26011bda;

describe('golden MAC commands', () => {
  it.each(commands.map((v) => [v.name, v] as const))('%s: decode, encode, length table', (_n, v) => {
    const d = dirOf(v.dir);
    expect(decodeMac(hex(v.hex), d)).toEqual([v.cmd]);
    expect(toHex(encodeMac([v.cmd], d))).toBe(v.hex.toUpperCase());
    expect(macPayloadLen(v.cmd.cid, d)).toBe(v.hex.length / 2 - 1);
  });

  it('every listed command has a vector in both directions', () => {
    for (const cid of [2, 3, 4, 5, 6, 7, 8, 13]) {
      for (const dir of ['up', 'down'] as const) expect(commands.some((c) => c.cmd.cid === cid && c.dir === dir), `CID ${cid} ${dir}`).toBe(true);
    }
  });

  it.each(streams.map((v) => [v.name, v] as const))('%s', (_n, v) => {
    const d = dirOf(v.dir);
    expect(decodeMac(hex(v.hex), d).map((c) => c.cid)).toEqual(v.cids);
    expect(macParsedLen(hex(v.hex), d)).toBe(v.parsed);
  });

  it('commands unknown in a direction are not encoded', () => {
    expect(toHex(encodeMac([{ cid: 0x0b }, { cid: 2 }], DIR_UP))).toBe('02');
  });

  it('decode → encode reproduces every parsed prefix of arbitrary bytes; never throws', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.constantFrom(DIR_UP, DIR_DOWN), (b, d) => {
      const cmds = decodeMac(b, d);
      const n = macParsedLen(b, d);
      const again = encodeMac(cmds, d);
      // RFU bits are not kept, so compare after masking them out through a second decode
      expect(decodeMac(again, d)).toEqual(cmds);
      expect(again.length).toBe(n);
    }), { numRuns: 20000 });
  });
});

function frame(mtype: number, fopts: Uint8Array, fport: number, payload: Uint8Array): DataFrame {
  return { mtype, devAddr: DEVADDR, adr: true, adrAckReq: false, ack: false, fpending: false, fcnt: 0, fopts, fport, payload, mic: 0 };
}

// lora-packet does not parse MAC commands, but it is an independent check of where they travel:
// FOpts in the clear under the frame MIC, FPort 0 encrypted with the NwkSKey (§4.3.1.6, §4.3.3).
describe('MAC commands in frames, cross-checked with lora-packet', () => {
  const s = { nwkSKey: portableAes(hex(NWK)), appSKey: portableAes(hex(APP)) };
  const nwk = Buffer.from(NWK, 'hex');
  const app = Buffer.from(APP, 'hex');
  const up = commands.filter((c) => c.dir === 'up');
  const down = commands.filter((c) => c.dir === 'down');

  it.each([['uplink', up, MTYPE_UNCONFIRMED_UP, DIR_UP], ['downlink', down, MTYPE_UNCONFIRMED_DOWN, DIR_DOWN]] as const)(
    '%s commands in FOpts and on FPort 0 round-trip through lora-packet', (_n, list, mtype, dir) => {
      for (let i = 0; i < list.length; i += 3) {
        const cmds = list.slice(i, i + 3).map((c) => c.cmd);
        const bytes = encodeMac(cmds, dir);
        if (bytes.length <= 15) {
          // ours → lora-packet
          const raw = sealFrame(s, frame(mtype, bytes, 1, hex('01')), 7 + i);
          const p = lp.fromWire(Buffer.from(raw));
          expect(lp.verifyMIC(p, nwk)).toBe(true);
          expect(toHex(p.FOpts!)).toBe(toHex(bytes));
          // lora-packet → ours
          const theirs = lp.fromFields({
            MType: mtype === MTYPE_UNCONFIRMED_UP ? 'Unconfirmed Data Up' : 'Unconfirmed Data Down',
            DevAddr: Buffer.from('26011BDA', 'hex'), FCnt: 9 + i, FOpts: Buffer.from(bytes), FPort: 1, payload: Buffer.from('01', 'hex'),
          }, app, nwk);
          const f = decodeFrame(Uint8Array.from(theirs.getPHYPayload()!)) as DataFrame;
          expect(typeof openFrame(s, Uint8Array.from(theirs.getPHYPayload()!), f, 9 + i)).toBe('object');
          expect(decodeMac(f.fopts, dir)).toEqual(cmds);
        }
        // FPort 0, encrypted with the NwkSKey: ours → lora-packet
        const raw0 = sealFrame(s, frame(mtype, new Uint8Array(0), 0, bytes), 100 + i);
        const p0 = lp.fromWire(Buffer.from(raw0));
        expect(lp.verifyMIC(p0, nwk)).toBe(true);
        expect(toHex(lp.decrypt(p0, app, nwk))).toBe(toHex(bytes));
        // lora-packet → ours
        const t0 = lp.fromFields({
          MType: mtype === MTYPE_UNCONFIRMED_UP ? 'Unconfirmed Data Up' : 'Unconfirmed Data Down',
          DevAddr: Buffer.from('26011BDA', 'hex'), FCnt: 200 + i, FPort: 0, payload: Buffer.from(bytes),
        }, app, nwk);
        const raw1 = Uint8Array.from(t0.getPHYPayload()!);
        const f0 = decodeFrame(raw1) as DataFrame;
        const plain = openFrame(s, raw1, f0, 200 + i);
        if (typeof plain === 'number') throw new Error(`lora-packet FPort 0 frame refused: ${plain}`);
        expect(decodeMac(plain, dir)).toEqual(cmds);
      }
    });
});
