// Shared by the lorawan tests: hex helpers and the golden vectors in test/vectors/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import * as C from '../../shared/lorawan/constants.ts';
import type { DataFrame } from '../../shared/lorawan/frame.ts';

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex').toUpperCase();
}
export function loadVectors<T>(name: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`../vectors/${name}`, import.meta.url)), 'utf8')) as T;
}
/** ERR_* name in a vector file → its numeric code, failing loudly on a typo. */
export function errCode(name: string): number {
  const v = (C as Record<string, unknown>)[name];
  if (typeof v !== 'number') throw new Error(`unknown error constant ${name}`);
  return v;
}

export interface FrameVector {
  name: string;
  source: string;
  hex: string;
  fields: [string, string][];
  nwkSKey?: string;
  appSKey?: string;
  fcnt32?: number;
  expect: {
    mtype: number; devAddr: string; adr: boolean; adrAckReq: boolean; ack: boolean; fpending: boolean;
    fcnt: number; fopts: string; fport: number; payload: string; mic: string;
  };
  plaintext?: string;
  /** Intermediate blocks of the worked example in docs/protocol.md §1. */
  blocks?: { b0: string; cmac: string; a: string[]; s: string[] };
}
export interface RejectVector {
  name: string;
  source: string;
  hex: string;
  error?: string;
  openError?: string;
  nwkSKey?: string;
  appSKey?: string;
  fcnt32?: number;
}
export interface FrameVectors {
  frames: FrameVector[];
  rejects: RejectVector[];
}

/** A DataFrame generator covering every field's range, incl. devAddr/mic above 2^31. */
export const arbFrame: fc.Arbitrary<DataFrame> = fc
  .record({
    mtype: fc.integer({ min: 2, max: 5 }),
    devAddr: fc.nat({ max: 0xffffffff }),
    adr: fc.boolean(), adrAckReq: fc.boolean(), ack: fc.boolean(), fpending: fc.boolean(),
    fcnt: fc.nat({ max: 0xffff }),
    fopts: fc.uint8Array({ maxLength: 15 }),
    fport: fc.integer({ min: -1, max: 255 }),
    payload: fc.uint8Array({ maxLength: 222 }),
    mic: fc.nat({ max: 0xffffffff }),
  })
  .map((f) => ({
    ...f,
    // §4.3.1.6: no FOpts with FPort 0; no FRMPayload without FPort (the codec's documented preconditions)
    fopts: f.fport === 0 ? new Uint8Array(0) : f.fopts,
    payload: f.fport < 0 ? new Uint8Array(0) : f.payload,
  }));

