import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createRequire } from 'node:module';
import { portableAes } from '../../../shared/lorawan/aes.ts';
import type { AesFactory } from '../../../shared/lorawan/aes.ts';
import { nodeAes, encryptJoinAccept } from '../../../host/crypto.ts';
import {
  encodeJoinRequest, decodeJoinRequest, joinRequestMicOk, buildJoinAccept, openJoinAccept, deriveSessionKey, cfListFreqHz,
  KEY_NWK_S, KEY_APP_S,
} from '../../../shared/lorawan/join.ts';
import type { JoinAccept, JoinRequest } from '../../../shared/lorawan/join.ts';
import { ERR_MIC, ERR_NOT_JOIN_ACCEPT, ERR_NOT_JOIN_REQUEST, ERR_JOIN_LENGTH, ERR_MHDR_RFU, ERR_MAJOR_VERSION } from '../../../shared/lorawan/constants.ts';
import { errorName } from '../../../shared/lorawan/errors.ts';
import { hex, toHex, loadVectors } from '../../helpers/lorawan.ts';

const lp = createRequire(import.meta.url)('lora-packet') as typeof import('lora-packet').default;

interface JoinVectors {
  requests: { name: string; hex: string; appKey: string; joinEui: string; devEui: string; devNonce: number; mic: string }[];
  accepts: {
    name: string; hex: string; acceptPlain: string; appKey: string; joinNonce: number; netId: string; devAddr: string;
    rx1DrOffset: number; rx2DataRate: number; rxDelay: number; cfList: string; cfListHz: number[]; devNonce: number;
    nwkSKey: string; appSKey: string;
  }[];
}
const { requests, accepts } = loadVectors<JoinVectors>('lorawan-join.json');

const arbKey = fc.uint8Array({ minLength: 16, maxLength: 16 });
const arbEui = fc.uint8Array({ minLength: 8, maxLength: 8 });
const arbAccept = fc.record({
  joinNonce: fc.integer({ min: 0, max: 0xffffff }),
  netId: fc.integer({ min: 0, max: 0xffffff }),
  devAddr: fc.integer({ min: 0, max: 0xffffffff }),
  rx1DrOffset: fc.integer({ min: 0, max: 7 }),
  rx2DataRate: fc.integer({ min: 0, max: 15 }),
  rxDelay: fc.integer({ min: 0, max: 15 }),
  cfList: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: null }),
});
const buf = (b: Uint8Array): Buffer => Buffer.from(b);
const be3 = (n: number): Buffer => Buffer.from([(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
const be2 = (n: number): Buffer => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const be4 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n >>> 0); return b; };

describe.each([
  ['portable AES', portableAes],
  ['node:crypto AES', nodeAes],
] as [string, AesFactory][])('golden join vectors (%s)', (_n, aes) => {
  it.each(requests.map((v) => [v.name, v] as const))('Join-request %s: decode, MIC, encode', (_x, v) => {
    const raw = hex(v.hex);
    const r = decodeJoinRequest(raw) as JoinRequest;
    expect(typeof r).toBe('object');
    expect({ joinEui: toHex(r.joinEui), devEui: toHex(r.devEui), devNonce: r.devNonce, mic: r.mic.toString(16).toUpperCase() })
      .toEqual({ joinEui: v.joinEui, devEui: v.devEui, devNonce: v.devNonce, mic: v.mic });
    const k = aes(hex(v.appKey));
    expect(joinRequestMicOk(k, raw)).toBe(true);
    expect(toHex(encodeJoinRequest(k, hex(v.joinEui), hex(v.devEui), v.devNonce))).toBe(v.hex);
    expect(joinRequestMicOk(aes(new Uint8Array(16)), raw)).toBe(false);
  });

  it.each(accepts.map((v) => [v.name, v] as const))('Join-accept %s: open, fields, keys, build, encrypt', (_x, v) => {
    const k = aes(hex(v.appKey));
    const ja = openJoinAccept(k, hex(v.hex));
    if (typeof ja === 'number') throw new Error(errorName(ja));
    expect({ ...ja, cfList: ja.cfList && toHex(ja.cfList) }).toEqual({
      joinNonce: v.joinNonce, netId: parseInt(v.netId, 16), devAddr: parseInt(v.devAddr, 16), rx1DrOffset: v.rx1DrOffset,
      rx2DataRate: v.rx2DataRate, rxDelay: v.rxDelay, cfList: v.cfList,
    });
    expect([0, 1, 2, 3, 4].map((i) => cfListFreqHz(ja.cfList!, i))).toEqual(v.cfListHz);
    expect(toHex(deriveSessionKey(k, KEY_NWK_S, ja.joinNonce, ja.netId, v.devNonce))).toBe(v.nwkSKey);
    expect(toHex(deriveSessionKey(k, KEY_APP_S, ja.joinNonce, ja.netId, v.devNonce))).toBe(v.appSKey);
    const plain = buildJoinAccept(k, ja);
    expect(toHex(plain)).toBe(v.acceptPlain);
    expect(toHex(encryptJoinAccept(hex(v.appKey), plain))).toBe(v.hex);
  });
});

describe('join frames refused', () => {
  const k = portableAes(hex(accepts[0].appKey));
  const good = hex(accepts[0].hex);
  it('a flipped bit anywhere in a Join-accept fails the MIC (or the MHDR check)', () => {
    for (let i = 0; i < good.length * 8; i++) {
      const b = good.slice();
      b[i >> 3] ^= 1 << (i & 7);
      const r = openJoinAccept(k, b);
      expect(typeof r).toBe('number');
      if (i >= 8) expect(r).toBe(ERR_MIC);
    }
  });
  it('wrong MType, RFU bits, Major, length; each code has a name', () => {
    expect(openJoinAccept(k, hex(requests[0].hex))).toBe(ERR_NOT_JOIN_ACCEPT);
    expect(decodeJoinRequest(good)).toBe(ERR_NOT_JOIN_REQUEST);
    expect(openJoinAccept(k, good.subarray(0, 20))).toBe(ERR_JOIN_LENGTH);
    expect(openJoinAccept(k, new Uint8Array(0))).toBe(ERR_NOT_JOIN_ACCEPT);
    const rfu = good.slice(); rfu[0] |= 0x04;
    expect(openJoinAccept(k, rfu)).toBe(ERR_MHDR_RFU);
    const major = good.slice(); major[0] |= 0x01;
    expect(openJoinAccept(k, major)).toBe(ERR_MAJOR_VERSION);
    const req = hex(requests[0].hex);
    expect(decodeJoinRequest(req.subarray(0, 22))).toBe(ERR_JOIN_LENGTH);
    expect(joinRequestMicOk(k, req.subarray(0, 22))).toBe(false);
    for (const c of [ERR_NOT_JOIN_ACCEPT, ERR_NOT_JOIN_REQUEST, ERR_JOIN_LENGTH]) expect(errorName(c)).not.toMatch(/^error /);
  });
  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const a = openJoinAccept(k, b);
      const r = decodeJoinRequest(b);
      expect(typeof a === 'number' || typeof a === 'object').toBe(true);
      expect(typeof r === 'number' || typeof r === 'object').toBe(true);
    }), { numRuns: 20000 });
  });
});

// lora-packet 0.9.3 (crypto-js AES, aes-cmac) builds and checks every join frame kerb builds and
// checks, and derives the same session keys.
describe('cross-check with lora-packet', () => {
  it('Join-requests built here verify in lora-packet, and the other way round', () => {
    fc.assert(fc.property(arbKey, arbEui, arbEui, fc.integer({ min: 0, max: 0xffff }), (key, je, de, nonce) => {
      const ours = encodeJoinRequest(portableAes(key), je, de, nonce);
      const p = lp.fromWire(buf(ours));
      expect(p.isJoinRequestMessage()).toBe(true);
      expect(lp.verifyMIC(p, undefined, buf(key))).toBe(true);
      expect(toHex(p.AppEUI!)).toBe(toHex(je));
      expect(toHex(p.DevEUI!)).toBe(toHex(de));
      expect(p.DevNonce!.readUInt16BE(0)).toBe(nonce);
      const theirs = lp.fromFields({ MType: 'Join Request', AppEUI: buf(je), DevEUI: buf(de), DevNonce: be2(nonce) }, undefined, undefined, buf(key));
      const raw = Uint8Array.from(theirs.getPHYPayload()!);
      expect(toHex(raw)).toBe(toHex(ours));
      const r = decodeJoinRequest(raw) as JoinRequest;
      expect(r.devNonce).toBe(nonce);
      expect(joinRequestMicOk(portableAes(key), raw)).toBe(true);
    }), { numRuns: 200 });
  });

  it('Join-accepts built and encrypted here open in lora-packet; lora-packet\'s open here', () => {
    fc.assert(fc.property(arbKey, arbAccept, (key, ja: JoinAccept) => {
      const phy = encryptJoinAccept(key, buildJoinAccept(nodeAes(key), ja));
      const p = lp.fromWire(lp.decryptJoinAccept(lp.fromWire(buf(phy)), buf(key)));
      expect(p.isJoinAcceptMessage()).toBe(true);
      expect(lp.verifyMIC(p, undefined, buf(key))).toBe(true);
      expect(p.AppNonce!.toString('hex')).toBe(be3(ja.joinNonce).toString('hex'));
      expect(p.NetID!.toString('hex')).toBe(be3(ja.netId).toString('hex'));
      expect(p.DevAddr!.toString('hex')).toBe(be4(ja.devAddr).toString('hex'));
      expect(p.getDLSettingsRxOneDRoffset()).toBe(ja.rx1DrOffset);
      expect(p.getDLSettingsRxTwoDataRate()).toBe(ja.rx2DataRate);
      expect(p.getRxDelayDel()).toBe(ja.rxDelay);
      expect(toHex(p.CFList ?? Buffer.alloc(0))).toBe(ja.cfList ? toHex(ja.cfList) : '');
      const theirs = lp.fromFields({
        MType: 'Join Accept', AppNonce: be3(ja.joinNonce), NetID: be3(ja.netId), DevAddr: be4(ja.devAddr),
        DLSettings: Buffer.from([(ja.rx1DrOffset << 4) | ja.rx2DataRate]), RxDelay: Buffer.from([ja.rxDelay]),
        CFList: ja.cfList ? buf(ja.cfList) : Buffer.alloc(0),
      }, undefined, undefined, buf(key));
      const raw = Uint8Array.from(theirs.getPHYPayload()!);
      expect(toHex(raw)).toBe(toHex(phy));
      const back = openJoinAccept(portableAes(key), raw);
      if (typeof back === 'number') throw new Error(errorName(back));
      expect(back).toEqual(ja);
    }), { numRuns: 200 });
  });

  it('session keys derived here equal lora-packet\'s generateSessionKeys10', () => {
    fc.assert(fc.property(arbKey, fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 0xffffff }), fc.integer({ min: 0, max: 0xffff }),
      (key, joinNonce, netId, devNonce) => {
        const t = lp.generateSessionKeys10(buf(key), be3(netId), be3(joinNonce), be2(devNonce));
        const k = portableAes(key);
        expect(toHex(deriveSessionKey(k, KEY_NWK_S, joinNonce, netId, devNonce))).toBe(toHex(t.NwkSKey));
        expect(toHex(deriveSessionKey(k, KEY_APP_S, joinNonce, netId, devNonce))).toBe(toHex(t.AppSKey));
      }), { numRuns: 200 });
  });
});
