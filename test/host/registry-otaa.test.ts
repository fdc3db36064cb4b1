// OTAA entries in the device registry: root keys only, checked as strictly as ABP ones; a joined
// device appears as an ordinary DeviceInfo over its session; `kerb flash` writes root keys only.
import { describe, it, expect } from 'vitest';
import { validateRegistry, joinedDevice, sessionFingerprint } from '../../host/registry.ts';
import { parseDevAddr, parseNwkSKey, parseAppSKey } from '../../host/ids.ts';
import { deviceConfigJson } from '../../firmware/build/flash.ts';

const OTAA = { id: 'lamp-otaa', devEui: '0200000000000A01', joinEui: '0000000000000000', appKey: '2B7E151628AED2A6ABF7158809CF4F3C', profile: 'kerb-street-v1' };
const ABP = { id: 'lamp-abp', devAddr: '26011BDA', nwkSKey: '2B7E151628AED2A6ABF7158809CF4F3C', appSKey: '000102030405060708090A0B0C0D0E0F' };

describe('OTAA registry entries', () => {
  it('are parsed beside ABP ones and listed apart', () => {
    const r = validateRegistry({ devices: [OTAA, ABP] });
    expect(r.errors).toEqual([]);
    expect(r.devices.map((d) => d.id)).toEqual(['lamp-abp']);
    expect(r.otaa).toHaveLength(1);
    expect(r.otaa[0]).toMatchObject({ id: 'lamp-otaa', devEui: '0200000000000A01', joinEui: '0000000000000000', profile: 'kerb-street-v1' });
    expect(Buffer.from(r.otaa[0]!.appKey).toString('hex').toUpperCase()).toBe(OTAA.appKey);
  });

  it('refuse session keys beside root keys, bad EUIs and keys, and a DevEUI used twice, naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...OTAA, nwkSKey: ABP.nwkSKey }, /nwkSKey: an OTAA device .* gets its session by joining/],
      [{ ...OTAA, devEui: '0200' }, /devEui: must be 16 hex digits/],
      [{ ...OTAA, joinEui: undefined }, /joinEui: must be 16 hex digits/],
      [{ ...OTAA, appKey: 'zz' }, /appKey: must be 32 hex digits/],
    ];
    for (const [d, re] of cases) {
      const r = validateRegistry({ devices: [d] });
      expect(r.errors.join('\n')).toMatch(re);
      expect(r.otaa).toEqual([]);
    }
    const twice = validateRegistry({ devices: [OTAA, { ...OTAA, id: 'lamp-otaa-2', devEui: OTAA.devEui.toLowerCase() }] });
    expect(twice.errors.join('\n')).toMatch(/devEui: 0200000000000A01 is already used by devices\[0\]/);
  });

  it('a joined device is an ordinary DeviceInfo whose counter session follows its DevAddr and NwkSKey', () => {
    const o = validateRegistry({ devices: [OTAA] }).otaa[0]!;
    const s = { devAddr: parseDevAddr('01ABCDEF'), nwkSKey: parseNwkSKey(ABP.nwkSKey), appSKey: parseAppSKey(ABP.appSKey) };
    const d = joinedDevice(o, s);
    expect(d).toMatchObject({ id: 'lamp-otaa', devAddrHex: '01ABCDEF', profile: 'kerb-street-v1' });
    expect(d.sessionId).toBe(sessionFingerprint(s.devAddr, s.nwkSKey));
  });

  it('kerb flash writes the root key and EUIs of an OTAA device, never session keys', () => {
    const cfg = JSON.parse(deviceConfigJson(JSON.stringify({ devices: [OTAA, ABP] }), 'lamp-otaa', { intervalS: 300 })) as Record<string, unknown>;
    expect(cfg).toEqual({
      id: 'lamp-otaa', devEui: [2, 0, 0, 0, 0, 0, 0x0a, 1], joinEui: [0, 0, 0, 0, 0, 0, 0, 0],
      appKey: Array.from(Buffer.from(OTAA.appKey, 'hex')), intervalS: 300,
    });
  });
});
