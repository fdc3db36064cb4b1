// `kerb flash` end to end against the REAL Espruino interpreter (host build) whose console sits
// behind a socat pseudo-terminal, as a board's USB serial port does: the real espruino CLI writes
// the image through kerb's relay, kerb reads every file back (length, CRC32), restarts the board
// with load(), and the board boots from Storage (.boot0 chip stand-ins, then the locked .bootcde)
// and transmits a frame that lora-packet verifies. A second flash of the now locked board works
// only because kerb unlocks it with the password it stored in the registry.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findInterpreter, BOARD_VARS, type Interpreter } from '../../../sim/espruino-host/interpreter.ts';
import { EspruinoDevice } from '../../../sim/espruino-host/device.ts';
import { buildPrelude } from '../../../sim/espruino-host/prelude.ts';
import { provision } from '../../../sim/espruino-host/provision.ts';

const lp = createRequire(import.meta.url)('lora-packet') as typeof import('lora-packet').default;
const NWK = '2B7E151628AED2A6ABF7158809CF4F3C';
const REGISTRY = JSON.stringify({ devices: [{ id: 'lamp-0001', devAddr: '26011BDA', nwkSKey: NWK, appSKey: '000102030405060708090A0B0C0D0E0F', settings: { intervalS: 5, sf: 7, firstReportMs: 3000 } }] });

const found = findInterpreter(BOARD_VARS.pico!);
const missing = typeof found === 'string' ? found : null;
if (missing && !process.env.CI) console.warn(`test/sim/espruino-host: skipped, ${missing}`);

function kerb(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/kerb.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe.skipIf(missing !== null && !process.env.CI)('kerb flash onto the real Espruino interpreter over a pseudo-terminal', () => {
  let dev: EspruinoDevice;
  let dir: string;
  let reg: string;

  beforeAll(async () => {
    if (missing) throw new Error(`CI needs the Espruino host build: ${missing}`);
    dir = mkdtempSync(join(tmpdir(), 'kerb-flash-pty-'));
    reg = join(dir, 'devices.json');
    writeFileSync(reg, REGISTRY, { mode: 0o600 });
    dev = new EspruinoDevice(found as Interpreter);
    // The board's hardware (chip stand-ins in .boot0) is there before any firmware; Storage has no .bootcde.
    await provision(dev, buildPrelude('pico', 'node', dev.chanPath), '');
  }, 180000);

  afterAll(async () => {
    await dev?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes, reads back, restarts; the board boots from Storage and sends a verified frame', async () => {
    await dev.powerOn({ consolePty: true });
    const r = await kerb(['flash', '--board', 'pico', '--device', 'lamp-0001', '--registry', reg, '--port', dev.ttyPath]);
    expect(r.stderr).not.toMatch(/flash failed|nothing was flashed/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/kerb\.cfg \d+ B, \.bootcde \d+ B, read back and matching; console locked; restarted/);
    const pw = /console password ([2-9a-zA-Z]{20}) \(shown once/.exec(r.stdout)![1]!;
    // Printed once, and nowhere else in what kerb or the CLI logged.
    expect(r.stdout.split(pw).length - 1).toBe(1);
    expect(r.stderr).not.toContain(pw);
    const doc = JSON.parse(readFileSync(reg, 'utf8')) as { devices: { consolePassword?: string }[] };
    expect(doc.devices[0]!.consolePassword).toBe(pw);
    expect(statSync(reg).mode & 0o777).toBe(0o600);
    // The CLI's upload ran on the board: what Storage holds is what kerb wrote.
    const files = await dev.eval<Record<string, number>>('(function(){var s=require("Storage");return {c:s.read(".bootcde").length,k:s.read("kerb.cfg").length,p:s.read(".bootcde").indexOf("E.setPassword")}})()');
    expect(files.p).toBe(0);
    expect(files.k).toBeGreaterThan(100);
    const tx0 = dev.txs.length;
    await dev.waitFor(() => dev.txs.length > tx0, 60000, 'a frame from the flashed image');
    const pkt = lp.fromWire(Buffer.from(dev.txs[tx0]!.payload));
    expect(pkt.getBuffers().DevAddr?.toString('hex')).toBe('26011bda');
    expect(lp.verifyMIC(pkt, Buffer.from(NWK, 'hex'), undefined, Buffer.alloc(2))).toBe(true);
  }, 300000);

  it('reflashes the locked board with the password from the registry, and refuses without it', async () => {
    const before = (JSON.parse(readFileSync(reg, 'utf8')) as { devices: { consolePassword?: string }[] }).devices[0]!.consolePassword!;
    const wrong = join(dir, 'other.json');
    writeFileSync(wrong, REGISTRY, { mode: 0o600 });
    const refused = await kerb(['flash', '--board', 'pico', '--device', 'lamp-0001', '--registry', wrong, '--port', dev.ttyPath]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`the console on ${dev.ttyPath} is locked and the registry holds no password for it`);
    const again = await kerb(['flash', '--board', 'pico', '--device', 'lamp-0001', '--registry', reg, '--port', dev.ttyPath]);
    expect(again.stderr).not.toMatch(/flash failed|nothing was flashed/);
    expect(again.status).toBe(0);
    const after = (JSON.parse(readFileSync(reg, 'utf8')) as { devices: { consolePassword?: string }[] }).devices[0]!.consolePassword!;
    expect(after).not.toBe(before);
  }, 300000);
});
