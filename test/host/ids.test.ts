import { describe, it, expect } from 'vitest';
import { parseDevAddr, parseEui64, parseNwkSKey, parseAppSKey, devAddrHex, asDevAddr } from '../../host/ids.ts';
import { KerbError } from '../../host/errors.ts';

describe('branded ids and keys', () => {
  it('parses a DevAddr as the uint32 of its hex, and writes it back', () => {
    const a = parseDevAddr('26011bda');
    expect(a).toBe(0x26011bda);
    expect(devAddrHex(a)).toBe('26011BDA');
    expect(devAddrHex(asDevAddr(0x00000001))).toBe('00000001');
    expect(parseDevAddr('FFFFFFFF')).toBe(0xffffffff);
  });

  it('names the field and the problem when text is not a DevAddr', () => {
    for (const bad of ['26011BD', '26011BDAX', 'zz011bda', 0x26011bda, undefined]) {
      expect(() => parseDevAddr(bad, 'devices[3].devAddr')).toThrowError(/devices\[3\]\.devAddr: must be 8 hex digits/);
    }
    try { parseDevAddr('x'); } catch (e) { expect(e).toBeInstanceOf(KerbError); expect((e as KerbError).code).toBe('invalid_id'); }
  });

  it('parses EUI-64s with or without separators, upper-cased', () => {
    expect(parseEui64('70b3d57ed0000001')).toBe('70B3D57ED0000001');
    expect(parseEui64('70-B3-D5-7E-D0-00-00-01')).toBe('70B3D57ED0000001');
    expect(() => parseEui64('70B3D57ED00000', 'joinEui')).toThrowError(/joinEui: must be 16 hex digits/);
  });

  it('parses AES-128 keys into 16 bytes and refuses anything else', () => {
    const k = parseNwkSKey('2B7E151628AED2A6ABF7158809CF4F3C');
    expect(Array.from(k.subarray(0, 3))).toEqual([0x2b, 0x7e, 0x15]);
    expect(k.length).toBe(16);
    expect(parseAppSKey('000102030405060708090a0b0c0d0e0f')[15]).toBe(15);
    expect(() => parseAppSKey('0001', 'appSKey')).toThrowError(/appSKey: must be 32 hex digits/);
    expect(() => parseNwkSKey(42)).toThrowError(/nwkSKey/);
  });
});
