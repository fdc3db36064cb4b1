// Counter sessions are keyed by what the uplink MIC depends on (DevAddr, NwkSKey; LoRaWAN 1.0.4
// §4.4), not by the AppSKey: otherwise rotating only the AppSKey reopens every captured frame to
// replay, and two entries sharing DevAddr + NwkSKey could have one device's frames credited to the other.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { validateRegistry, legacySessionFingerprint } from '../../host/registry.ts';
import type { DeviceInfo } from '../../host/registry.ts';
import { CounterStore } from '../../gateway/counters.ts';
import { verifyFrame } from '../../gateway/verify.ts';
import { nodeAes } from '../../host/crypto.ts';
import { MemLogger, newDevice, tmpDir, loraUplink } from '../helpers/ingest.ts';

function one(d: object): DeviceInfo {
  const r = validateRegistry({ devices: [d] });
  expect(r.errors).toEqual([]);
  return r.devices[0]!;
}

describe('counter sessions follow the MIC keys', () => {
  it('rejects a captured old frame as a replay after only the AppSKey was rotated', () => {
    const base = newDevice('lamp-1');
    const old = one(base);
    const neu = one({ ...base, appSKey: 'FF'.repeat(16) });
    const raw = loraUplink(base, 500, new Uint8Array([1, 2, 3]));
    const counters = new Map<string, number>([[old.sessionId, 500]]);
    const deps = (dev: DeviceInfo) => ({ candidates: () => [dev], lastUp: (sid: string) => counters.get(sid) ?? -1, aes: nodeAes });
    expect(verifyFrame(raw, deps(old)).ok).toBe(false);
    const r = verifyFrame(raw, deps(neu));
    expect(r.ok ? 'accepted' : r.reason).toBe('replay');
    // A new NwkSKey is a new session (old frames fail its MIC anyway).
    expect(one({ ...base, nwkSKey: 'EE'.repeat(16) }).sessionId).not.toBe(old.sessionId);
  });

  it('refuses two registry entries sharing DevAddr and NwkSKey, naming both', () => {
    const a = newDevice('lamp-1');
    const r = validateRegistry({ devices: [a, { ...a, id: 'lamp-2', appSKey: 'FF'.repeat(16) }] });
    expect(r.errors.length).toBe(1);
    expect(r.errors[0]).toMatch(/devices\[1\] \(lamp-2\)/);
    expect(r.errors[0]).toMatch(/devices\[0\] \(lamp-1\)/);
    expect(r.errors[0]).toMatch(new RegExp(a.devAddr));
    // Shared DevAddr with distinct NwkSKeys stays allowed (told apart by MIC).
    expect(validateRegistry({ devices: [a, { ...newDevice('lamp-2'), devAddr: a.devAddr }] }).errors).toEqual([]);
  });

  it('carries counters persisted under the old (AppSKey-hashing) ids over, keeping the max', async () => {
    const dir = tmpDir('legacy');
    const base = newDevice('lamp-1');
    const dev = one(base);
    const legacy = legacySessionFingerprint(dev.devAddr, dev.nwkSKey, dev.appSKey);
    expect(dev.legacySessionId).toBe(legacy);
    expect(dev.sessionId).not.toBe(legacy);
    // State written by the previous version: only the legacy id, plus a stale entry under the new id.
    fs.writeFileSync(path.join(dir, 'fcnt.json'), JSON.stringify({
      version: 1,
      sessions: { [legacy]: { id: 'lamp-1', up: 700, down: 40 }, [dev.sessionId]: { id: 'lamp-1', up: 5, down: 90 } },
    }));
    const c = new CounterStore({ dir, log: new MemLogger() });
    await c.open();
    expect(c.adoptLegacy([dev])).toBe(1);
    expect(c.lastUp(dev.sessionId)).toBe(700);
    expect(c.committedUp(dev.sessionId)).toBe(700);
    expect(c.peekDown(dev.sessionId)).toBe(90);
    expect(c.adoptLegacy([dev])).toBe(0); // idempotent
    const raw = loraUplink(base, 650, new Uint8Array([1]));
    const r = verifyFrame(raw, { candidates: () => [dev], lastUp: (sid) => c.lastUp(sid), aes: nodeAes });
    expect(r.ok ? 'accepted' : r.reason).toBe('replay');
    await c.close();
  });
});
