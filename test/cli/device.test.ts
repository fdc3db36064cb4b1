// `kerb keys` and `kerb device` as real processes (bin/kerb.mjs), against a registry that a live
// Registry watcher (the gateway's) picks up without a restart.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry, parseRegistry } from '../../host/registry.ts';
import { MemLogger, MemMetrics, tmpDir, waitFor } from '../helpers/ingest.ts';

const KERB = fileURLToPath(new URL('../../bin/kerb.mjs', import.meta.url));

function kerb(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KERB, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('kerb keys', () => {
  it('prints a fresh DevAddr in the NetID block and two 128-bit keys', async () => {
    const [a, b, x] = await Promise.all([kerb(['keys', '--json']), kerb(['keys', '--json']), kerb(['keys', '--json', '--netid', '000001'])]);
    for (const r of [a, b, x]) expect(r.code).toBe(0);
    const ka = JSON.parse(a.stdout);
    const kb = JSON.parse(b.stdout);
    const kx = JSON.parse(x.stdout);
    for (const k of [ka, kb, kx]) {
      expect(k.devAddr).toMatch(/^[0-9A-F]{8}$/);
      expect(k.nwkSKey).toMatch(/^[0-9A-F]{32}$/);
      expect(k.appSKey).toMatch(/^[0-9A-F]{32}$/);
      expect(k.nwkSKey).not.toBe(k.appSKey);
    }
    // Default NetID 0x000000 (type 0, NwkID 0, reserved for private networks): DevAddr 0x00000000..0x01FFFFFF.
    for (const k of [ka, kb]) expect(parseInt(k.devAddr, 16) >>> 25).toBe(0);
    // Experimental NetID 0x000001: NwkID 1 → 0x02000000..0x03FFFFFF.
    expect(parseInt(kx.devAddr, 16) >>> 25).toBe(1);
    expect(ka.nwkSKey).not.toBe(kb.nwkSKey);

    const text = await kerb(['keys']);
    expect(text.stdout).toMatch(/^DevAddr {2}[0-9A-F]{8}\nNwkSKey {2}[0-9A-F]{32}\nAppSKey {2}[0-9A-F]{32}\n$/);
    const bad = await kerb(['keys', '--netid', 'zz']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--netid/);
  });
});

describe('kerb device', () => {
  it('adds devices atomically (also concurrently), prints provisioning data, and a running gateway picks them up', async () => {
    const dir = tmpDir('cli');
    // The state directory does not exist yet: `device add` creates it, and the gateway's watcher
    // (fs.watch cannot watch a missing directory) finds the file through its stat poll.
    const file = path.join(dir, 'state', 'devices.json');
    const log = new MemLogger();
    const reg = new Registry({ path: file, log, metrics: new MemMetrics(), pollMs: 200 });
    reg.load(); // missing file: empty registry
    reg.start();
    try {
      const [r1, r2] = await Promise.all([
        kerb(['device', 'add', 'lamp-0001', '--name', 'Market St 12', '--lat', '51.05', '--lon', '3.72', '--registry', file, '--out', path.join(dir, 'lamp-0001.json')]),
        kerb(['device', 'add', 'lamp-0002'], { KERB_GATEWAY_STATE_DIR: path.join(dir, 'state') }),
      ]);
      expect(r1.code, r1.stderr).toBe(0);
      expect(r2.code, r2.stderr).toBe(0);
      const p1 = JSON.parse(r1.stdout);
      expect(Object.keys(p1).sort()).toEqual(['appSKey', 'devAddr', 'id', 'nwkSKey']);
      expect(JSON.parse(fs.readFileSync(path.join(dir, 'lamp-0001.json'), 'utf8'))).toEqual(p1);
      expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');

      const parsed = parseRegistry(fs.readFileSync(file, 'utf8'));
      expect(parsed.errors).toEqual([]);
      expect(parsed.devices.map((d) => d.id).sort()).toEqual(['lamp-0001', 'lamp-0002']);
      const d1 = parsed.devices.find((d) => d.id === 'lamp-0001')!;
      expect(d1.devAddrHex).toBe(p1.devAddr);
      expect(Buffer.from(d1.nwkSKey).toString('hex').toUpperCase()).toBe(p1.nwkSKey);
      expect(d1.location).toEqual({ lat: 51.05, lon: 3.72 });
      expect(d1.name).toBe('Market St 12');

      // The gateway's watcher reloaded without a restart.
      await waitFor(() => reg.list().length === 2, 5000, 'registry reload');
      expect(reg.get('lamp-0001')!.devAddrHex).toBe(p1.devAddr);

      const dup = await kerb(['device', 'add', 'lamp-0001', '--registry', file]);
      expect(dup.code).toBe(1);
      expect(dup.stderr).toMatch(/already in/);
      const badId = await kerb(['device', 'add', 'Lamp 3', '--registry', file]);
      expect(badId.code).toBe(1);
      expect(badId.stderr).toContain('devices[2] (Lamp 3).id: must be 1..64 characters');
      const list = await kerb(['device', 'list', '--json', '--registry', file]);
      expect(JSON.parse(list.stdout).map((d: { id: string }) => d.id).sort()).toEqual(['lamp-0001', 'lamp-0002']);
      expect(list.stdout).not.toMatch(/SKey/);
      expect(parseRegistry(fs.readFileSync(file, 'utf8')).devices.length).toBe(2);
    } finally {
      reg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('adds OTAA devices with root keys only (--otaa) and refuses session keys beside them', async () => {
    const dir = tmpDir('cli-otaa');
    const file = path.join(dir, 'devices.json');
    try {
      const r = await kerb(['device', 'add', 'lamp-otaa', '--otaa', '--registry', file]);
      expect(r.code, r.stderr).toBe(0);
      const p = JSON.parse(r.stdout);
      expect(Object.keys(p).sort()).toEqual(['appKey', 'devEui', 'id', 'joinEui']);
      // A random DevEUI is a locally administered unicast EUI-64 (IEEE: U/L bit set, I/G bit clear).
      expect(parseInt(p.devEui.slice(0, 2), 16) & 3).toBe(2);
      expect(p.joinEui).toBe('0000000000000000');
      expect(p.appKey).toMatch(/^[0-9A-F]{32}$/);
      const given = await kerb(['device', 'add', 'lamp-otaa-2', '--otaa', '--deveui', '70-B3-D5-7E-D0-00-00-01', '--joineui', '70B3D57ED0000000', '--appkey', '2b7e151628aed2a6abf7158809cf4f3c', '--registry', file]);
      expect(given.code, given.stderr).toBe(0);
      const parsed = parseRegistry(fs.readFileSync(file, 'utf8'));
      expect(parsed.errors).toEqual([]);
      expect(parsed.devices).toEqual([]);
      expect(parsed.otaa.map((o) => [o.id, o.devEui, o.joinEui])).toEqual([['lamp-otaa', p.devEui, '0000000000000000'], ['lamp-otaa-2', '70B3D57ED0000001', '70B3D57ED0000000']]);
      const mixed = await kerb(['device', 'add', 'lamp-x', '--otaa', '--devaddr', '01020304', '--nwkskey', p.appKey, '--appskey', p.appKey, '--registry', file]);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toMatch(/get their DevAddr and session keys by joining/);
      const noOtaa = await kerb(['device', 'add', 'lamp-y', '--appkey', p.appKey, '--registry', file]);
      expect(noOtaa.code).toBe(2);
      const list = await kerb(['device', 'list', '--registry', file]);
      expect(list.stdout).toMatch(/lamp-otaa +OTAA/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
