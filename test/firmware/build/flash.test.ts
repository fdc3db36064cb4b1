// `kerb flash --dry-run` through the real espruino CLI, offline with the local board JSON. The
// output must be what a board would receive: it is executed in the Espruino context model, after
// which Storage must hold the exact bundle as .bootcde and the device's keys as kerb.cfg.
import { describe, it, expect } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flash, deviceConfigJson, parseReadBack, readBackMismatch } from '../../../firmware/build/flash.ts';
import { buildOne } from '../../../firmware/build/build.ts';
import { VirtualClock } from '../../../sim/clock.ts';
import { FlashModel } from '../../../sim/espruino/flash.ts';
import { EspruinoContext, BOARD_MODELS } from '../../../sim/espruino/context.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const REGISTRY = JSON.stringify({
  devices: [
    { id: 'lamp-0001', name: 'Lamp post, Market St 12', devAddr: '26011BDA', nwkSKey: '2B7E151628AED2A6ABF7158809CF4F3C', appSKey: '000102030405060708090A0B0C0D0E0F', profile: 'kerb-street-v1', settings: { intervalS: 600 } },
    { id: 'lamp-0002', devAddr: '26011BDB', nwkSKey: '00'.repeat(16), appSKey: '11'.repeat(16) },
  ],
});

describe('kerb flash --dry-run (real espruino CLI, offline)', () => {
  it('writes the bundle to .bootcde and the device keys to kerb.cfg', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kerb-flash-test-'));
    try {
      const reg = join(dir, 'devices.json');
      writeFileSync(reg, REGISTRY);
      const out = join(dir, 'out.js');
      const lines: string[] = [];
      const r = await flash({ root, board: 'pico', entry: 'node', deviceId: 'lamp-0001', registryPath: reg, dryRunOut: out, settings: { sf: 8 }, log: (l) => lines.push(l) });
      expect(r.code).toBe(0);
      expect(r.cliArgs).toContain('-n');
      expect(lines.join('\n')).not.toMatch(/ERROR|Unable|http/i);
      const sent = readFileSync(out, 'latin1');
      expect(sent).toContain('require("Storage").write("kerb.cfg"');
      expect(sent).toContain('require("Storage").write(".bootcde"');

      // Run what would be sent on a (model) board: Storage must end up with the exact bundle.
      const clock = new VirtualClock(0);
      const fm = new FlashModel(BOARD_MODELS.pico!.storageBytes);
      const ctx = new EspruinoContext({ clock, board: BOARD_MODELS.pico!, flash: fm });
      ctx.run(sent, 'upload.js');
      expect(ctx.errors).toEqual([]);
      const bundle = (await buildOne(root, 'pico', 'node')).code;
      // A locked field build: the lock goes in front of the bundle in Storage, never into the bundle.
      expect(r.password).toMatch(/^[2-9a-zA-Z]{20}$/);
      expect(fm.read('.bootcde')).toBe(`E.setPassword("${r.password}");E.lockConsole();\n${bundle}`);
      expect(bundle).not.toContain(r.password);
      expect(bundle).not.toContain('setPassword');
      expect(r.files['.bootcde']).toEqual([bundle.length + 55, expect.any(Number)]);
      const cfg = JSON.parse(fm.read('kerb.cfg')!);
      expect(cfg).toEqual({
        id: 'lamp-0001', devAddrHex: '26011BDA', devAddr: 0x26011bda,
        nwkSKey: Array.from(Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex')), appSKey: Array.from(Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex')),
        intervalS: 600, sf: 8,
      });
      // The read-back line printed what Storage holds, and the upload ends with load().
      const rb = parseReadBack(ctx.output.join('\n'));
      expect(rb).toEqual({ 'kerb.cfg': r.files['kerb.cfg'], '.bootcde': r.files['.bootcde'] });
      expect(ctx.rebootReason).toBe('reboot');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bridge firmware needs no device; unknown devices and boards are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kerb-flash-test-'));
    try {
      const out = join(dir, 'bridge.js');
      const r = await flash({ root, board: 'esp32', entry: 'bridge', dryRunOut: out, unlocked: true, log: () => {} });
      expect(r.code).toBe(0);
      expect(r.password).toBeUndefined();
      const sent = readFileSync(out, 'latin1');
      expect(sent).not.toContain('setPassword');
      expect(sent).toContain('.bootcde');
      expect(sent).not.toContain('kerb.cfg');
      expect(() => deviceConfigJson(REGISTRY, 'lamp-9999')).toThrow(/not in the registry/);
      await expect(flash({ root, board: 'arduino', entry: 'node', dryRunOut: out })).rejects.toThrow(/unknown board/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the file whose read-back differs', () => {
    const wrote: Record<string, [number, number]> = { 'kerb.cfg': [193, 0x12345678], '.bootcde': [24564, 0xdeadbeef] };
    expect(readBackMismatch(wrote, { 'kerb.cfg': [193, 0x12345678], '.bootcde': [24564, 0xdeadbeef] })).toBeUndefined();
    expect(readBackMismatch(wrote, { 'kerb.cfg': [193, 0x12345678], '.bootcde': [24564, 0xdeadbeee] })).toMatch(/^read-back: \.bootcde on the board is 24564 bytes, CRC32 deadbeee; kerb wrote 24564 bytes, CRC32 deadbeef/);
    expect(readBackMismatch(wrote, { 'kerb.cfg': [192, 0x12345678], '.bootcde': [24564, 0xdeadbeef] })).toMatch(/kerb\.cfg on the board is 192 bytes/);
    expect(readBackMismatch(wrote, { '.bootcde': [24564, 0xdeadbeef] })).toMatch(/kerb\.cfg is missing/);
    // E.CRC32 may print a negative number (signed 32-bit) on some builds: compared unsigned.
    expect(readBackMismatch({ a: [1, 0xffffffff] }, { a: [1, -1] })).toBeUndefined();
  });
});
