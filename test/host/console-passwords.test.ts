// Console passwords of locked boards live in the registry (kerb flash stores them): validated
// there, stored atomically with mode 0600 beside the keys, and shown by `kerb device show` only
// with --console-password.
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRegistry } from '../../host/registry.ts';
import { readConsolePassword, storeConsolePassword } from '../../host/console-passwords.ts';
import { newConsolePassword, isConsolePassword, lockPrefix } from '../../firmware/build/lock.ts';
import { tmpDir } from '../helpers/ingest.ts';

const KERB = fileURLToPath(new URL('../../bin/kerb.mjs', import.meta.url));
const dev = (extra: object) => ({ devices: [{ id: 'lamp-1', devAddr: '26011BDA', nwkSKey: '00'.repeat(16), appSKey: '11'.repeat(16), ...extra }] });

function kerb(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KERB, ...args], (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }));
  });
}

describe('console passwords', () => {
  it('are 20 characters from the look-alike-free alphabet, different every time', () => {
    const a = Array.from({ length: 200 }, newConsolePassword);
    for (const p of a) expect(isConsolePassword(p)).toBe(true);
    expect(new Set(a).size).toBe(200);
    expect(a.join('')).not.toMatch(/[01OIloi]/);
    expect(lockPrefix('puck', a[0]!)).toBe(`E.setPassword("${a[0]}");E.lockConsole();NRF.setServices(undefined,{uart:false});\n`);
    expect(lockPrefix('pico', a[0]!)).toBe(`E.setPassword("${a[0]}");E.lockConsole();\n`);
    expect(() => lockPrefix('pico', 'short')).toThrow(/20 characters/);
  });

  it('the registry validates them', () => {
    expect(parseRegistry(JSON.stringify(dev({ consolePassword: 'abcDEF23456789abcdef' }))).errors).toEqual([]);
    expect(parseRegistry(JSON.stringify(dev({ consolePassword: 'abcDEF23456789abcdef' }))).warnings).toEqual([]);
    expect(parseRegistry(JSON.stringify(dev({ consolePassword: 'x'.repeat(21) }))).errors.join()).toContain('devices[0] (lamp-1).consolePassword');
    expect(parseRegistry(JSON.stringify(dev({ consolePassword: 'a"b' }))).errors.join()).toContain('consolePassword');
    expect(parseRegistry(JSON.stringify({ ...dev({}), bridges: { 'pico-bridge': { consolePassword: 7 } } })).errors.join()).toContain('bridges.pico-bridge');
    expect(parseRegistry(JSON.stringify({ ...dev({}), bridges: { 'pico-bridge': { consolePassword: 'abc' } } })).warnings).toEqual([]);
  });

  it('are stored 0600 beside the keys and shown only with --console-password', async () => {
    const dir = tmpDir('kerb-console-pw');
    const file = path.join(dir, 'devices.json');
    fs.writeFileSync(file, JSON.stringify(dev({})), { mode: 0o644 });
    const pw = newConsolePassword();
    await storeConsolePassword(file, { device: 'lamp-1' }, pw);
    await storeConsolePassword(file, { bridge: 'pico-bridge' }, 'abcDEF23456789abcdef');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(file, 'utf8');
    expect(parseRegistry(text).errors).toEqual([]);
    expect(readConsolePassword(text, { device: 'lamp-1' })).toBe(pw);
    expect(readConsolePassword(text, { bridge: 'pico-bridge' })).toBe('abcDEF23456789abcdef');
    await expect(storeConsolePassword(file, { device: 'lamp-9' }, pw)).rejects.toThrow(/lamp-9' is gone/);

    const plain = await kerb(['device', 'show', 'lamp-1', '--registry', file]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/console\s+locked/);
    expect(plain.stdout).not.toContain(pw);
    const list = await kerb(['device', 'list', '--json', '--registry', file]);
    expect(list.stdout).not.toContain(pw);
    const shown = await kerb(['device', 'show', 'lamp-1', '--registry', file, '--console-password']);
    expect(shown.stdout).toContain(`console password ${pw}`);
    const bridge = await kerb(['device', 'show', 'pico-bridge', '--registry', file, '--console-password']);
    expect(bridge.stdout).toContain('abcDEF23456789abcdef');
    const none = await kerb(['device', 'show', 'lamp-7', '--registry', file]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no device or bridge 'lamp-7'");
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
