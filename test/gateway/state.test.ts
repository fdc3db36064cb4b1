// Registry validation messages, the persisted frame-counter store and the verification rules that
// do not need a radio.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateRegistry, parseRegistry } from '../../host/registry.ts';
import { CounterStore } from '../../gateway/counters.ts';
import { verifyFrame } from '../../gateway/verify.ts';
import { nodeAes } from '../../host/crypto.ts';
import { MemLogger, newDevice, tmpDir, loraUplink } from '../helpers/ingest.ts';

describe('registry validation', () => {
  it('names the device index, id, key and problem', () => {
    const good = newDevice('lamp-0001');
    const r = validateRegistry({
      devices: [
        good,
        { ...newDevice('lamp-0002'), nwkSKey: 'abc' },
        { ...newDevice('lamp-0003'), devAddr: '26011BD' },
        { ...newDevice('lamp-0001') },
        { ...newDevice('lamp-0005'), location: { lat: 91, lon: 3 } },
        { ...newDevice('lamp-0006'), profile: 'nope' },
        { ...newDevice('UPPER') },
        'x',
      ],
    });
    expect(r.errors).toEqual([
      'devices[1] (lamp-0002).nwkSKey: must be 32 hex digits',
      'devices[2] (lamp-0003).devAddr: must be 8 hex digits (e.g. "26011BDA")',
      'devices[3] (lamp-0001).id: duplicate of devices[0]',
      'devices[4] (lamp-0005).location.lat: must be a number in -90..90',
      'devices[5] (lamp-0006).profile: unknown profile "nope" (known: kerb-street-v1, cayenne-lpp, raw)',
      'devices[6] (UPPER).id: must be 1..64 characters of a-z 0-9 _ - (got "UPPER")',
      'devices[7]: must be an object',
    ]);
    expect(parseRegistry('{"devices": [').errors[0]).toMatch(/^JSON syntax:/);
    expect(validateRegistry({ devices: {} }).errors).toEqual(['devices: must be an array']);
  });

  it('accepts shared DevAddrs with a warning, and unknown keys with a warning', () => {
    const a = newDevice('a', '26000001');
    const b = newDevice('b', '26000001');
    const r = validateRegistry({ devices: [a, { ...b, colour: 'red' }] });
    expect(r.errors).toEqual([]);
    expect(r.devices.length).toBe(2);
    expect(r.devices[0].sessionId).not.toBe(r.devices[1].sessionId);
    expect(r.warnings.join('\n')).toMatch(/colour/);
    expect(r.warnings.join('\n')).toMatch(/shared with a/);
  });
});

describe('frame counter store', () => {
  it('persists uplink and downlink counters across reopen, group-commits, and ignores a torn log line', async () => {
    const dir = tmpDir('fcnt');
    const log = new MemLogger();
    const s = new CounterStore({ dir, log, compactEvery: 5 });
    await s.open();
    expect(s.lastUp('S1')).toBe(-1);
    s.accept('S1', 'dev1', 10);
    expect(s.lastUp('S1')).toBe(10);
    expect(s.committedUp('S1')).toBe(-1);
    await Promise.all([s.commitUp('S1', 'dev1', 10), s.commitUp('S2', 'dev2', 70000), s.commitUp('S1', 'dev1', 9)]);
    expect(await s.reserveDown('S1', 'dev1')).toBe(0);
    expect(await s.reserveDown('S1', 'dev1')).toBe(1);
    for (let i = 11; i < 20; i++) await s.commitUp('S1', 'dev1', i); // crosses compactEvery
    await s.close();
    fs.appendFileSync(path.join(dir, 'fcnt.log'), '{"s":"S1","up":99'); // power cut mid-append

    const t = new CounterStore({ dir, log });
    await t.open();
    expect(t.lastUp('S1')).toBe(19);
    expect(t.lastUp('S2')).toBe(70000);
    expect(await t.reserveDown('S1', 'dev1')).toBe(2); // never reused
    expect(log.count(/torn/)).toBe(1);
    await t.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to start on a corrupt snapshot rather than forgetting counters', async () => {
    const dir = tmpDir('fcnt');
    fs.writeFileSync(path.join(dir, 'fcnt.json'), '{not json');
    await expect(new CounterStore({ dir, log: new MemLogger() }).open()).rejects.toThrow(/frame counters cannot be trusted: .*fcnt.json is damaged/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('verification', () => {
  const payload = Uint8Array.from([0x20, 0x00]); // kerb readings: header only (vectors: "empty readings")

  it('picks the device whose MIC verifies among several sharing a DevAddr', () => {
    const reg = validateRegistry({ devices: [newDevice('a', '26000001'), newDevice('b', '26000001')] });
    const [a, b] = reg.devices;
    const raw = loraUplink({ id: 'b', devAddr: '26000001', nwkSKey: Buffer.from(b.nwkSKey).toString('hex'), appSKey: Buffer.from(b.appSKey).toString('hex') }, 5, payload);
    const r = verifyFrame(raw, { candidates: () => [a, b], lastUp: () => -1, aes: nodeAes });
    expect(r.ok && r.v.device.id).toBe('b');
    expect(r.ok && r.v.readings).toEqual({});
  });

  it('decodes Cayenne LPP on any port for devices with the cayenne-lpp profile', () => {
    const reg = validateRegistry({ devices: [{ ...newDevice('lpp-1', '26000003'), profile: 'cayenne-lpp' }] });
    const d = reg.devices[0];
    const td = { id: 'lpp-1', devAddr: '26000003', nwkSKey: Buffer.from(d.nwkSKey).toString('hex'), appSKey: Buffer.from(d.appSKey).toString('hex') };
    // Cayenne LPP: ch1 temperature 0x00B8 = 18.4 °C, ch2 humidity 0x82 = 65 %, ch3 barometer 0x2794 = 1013.2 hPa.
    const lppBytes = Uint8Array.from(Buffer.from('016700b8026882037327 94'.replace(/ /g, ''), 'hex'));
    const r = verifyFrame(loraUplink(td, 1, lppBytes, { fport: 7 }), { candidates: () => [d], lastUp: () => -1, aes: nodeAes });
    expect(r.ok && r.v.readings).toEqual({ tempDeciC: 184, rhHalfPct: 130, pressureDeciHpa: 10132 });
    const bad = verifyFrame(loraUplink(td, 2, Uint8Array.from([1, 0xee, 0]), { fport: 7 }), { candidates: () => [d], lastUp: () => 1, aes: nodeAes });
    expect(bad.ok && bad.v.readings).toBe(null);
    expect(bad.ok && bad.v.decodeError).toMatch(/LPP/);
  });

  it('tells replays from forgeries and accepts a large forward jump that the MIC proves', () => {
    const reg = validateRegistry({ devices: [newDevice('a', '26000002')] });
    const d = reg.devices[0];
    const td = { id: 'a', devAddr: '26000002', nwkSKey: Buffer.from(d.nwkSKey).toString('hex'), appSKey: Buffer.from(d.appSKey).toString('hex') };
    const deps = (last: number) => ({ candidates: () => [d], lastUp: () => last, aes: nodeAes });
    const v = (n: number, last: number) => verifyFrame(loraUplink(td, n, payload), deps(last));
    expect(v(100, 100)).toMatchObject({ ok: false, reason: 'replay', fcnt32: 100 });
    expect(v(40, 100)).toMatchObject({ ok: false, reason: 'replay' });
    expect(v(65636, 65637)).toMatchObject({ ok: false, reason: 'replay', fcnt32: 65636 });
    expect(v(101, 100)).toMatchObject({ ok: true });
    const jump = v(100 + 30000, 100);
    expect(jump.ok && jump.v.gap).toBe(30000);
    // A replay from more than one 16-bit wrap back cannot be told from a forgery: rejected as 'mic'.
    expect(v(5, 70000)).toMatchObject({ ok: false, reason: 'mic' });
  });
});
