// `kerb decode` as a user runs it: a real `node bin/kerb.mjs decode …` process per case.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { loadVectors } from '../helpers/lorawan.ts';
import type { FrameVectors } from '../helpers/lorawan.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { frames } = loadVectors<FrameVectors>('lorawan-frames.json');
const byName = (n: string) => frames.find((f) => f.name === n)!;
const readme = byName('lora-packet-readme-test');
const kerbUp = byName('kerb-readings-uplink');
const rollover = byName('kerb-uplink-after-rollover');
const refReadings = loadVectors<{ readings: { name: string; readings: unknown; hex: string }[] }>('payload-kerb.json')
  .readings.find((r) => r.name === 'reference message')!;

interface Run { code: number | null; stdout: string; stderr: string }
function kerb(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/kerb.mjs', 'decode', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(stdin ?? '');
  });
}
const lpp = loadVectors<{ vectors: { name: string; hex: string; decoded: { channel: number; type: number; values: number[] }[] }[] }>('payload-lpp.json').vectors[0];
// A third-party node's frame, built by lora-packet (an independent LoRaWAN implementation).
const lp = createRequire(import.meta.url)('lora-packet') as typeof import('lora-packet').default;
const lppFrame = lp.fromFields(
  { MType: 'Confirmed Data Up', DevAddr: Buffer.from('26011BDC', 'hex'), FCnt: 5, FPort: 2, payload: Buffer.from(lpp.hex, 'hex') },
  Buffer.from('22'.repeat(16), 'hex'), Buffer.from('33'.repeat(16), 'hex'),
).getPHYPayload()!.toString('hex');
const keys = (v: { nwkSKey?: string; appSKey?: string }) => ['--nwkskey', v.nwkSKey!, '--appskey', v.appSKey!];

let dir: string;
let registry: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kerb-decode-'));
  registry = join(dir, 'devices.json');
  writeFileSync(registry, JSON.stringify({
    devices: [
      { id: 'lamp-0001', name: 'Lamp post, Market St 12', devAddr: '26011BDA', nwkSKey: kerbUp.nwkSKey, appSKey: kerbUp.appSKey, profile: 'kerb-street-v1' },
      { id: 'lamp-0002', devAddr: '26011BDB', nwkSKey: '00'.repeat(16), appSKey: '11'.repeat(16) },
      { id: 'thirdparty-lpp', devAddr: '26011BDC', nwkSKey: '33'.repeat(16), appSKey: '22'.repeat(16), profile: 'cayenne-lpp' },
    ],
  }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kerb decode', () => {
  it('decodes, verifies and decrypts a frame with keys on the command line', async () => {
    const r = await kerb([readme.hex, ...keys(readme), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({
      mtype: 'unconfirmed-data-up', direction: 'up', devAddr: '49BE7DF1', fcnt16: 2, fcnt32: 2, fport: 1,
      fopts: '', frmPayload: '95437876', mic: '2B11FF0D', micOk: true, payload: '74657374', payloadText: 'test',
      fctrl: { adr: false, adrAckReq: false, ack: false, classB: false, foptsLen: 0 },
    });
    // "test" on FPort 1 is not a kerb readings frame: said in words, not as a bare number.
    expect(j.readingsError).toBe('kerb readings: unsupported payload version (code 41, PAYLOAD_ERR_VERSION)');
  });

  it('looks keys up in a registry and decodes kerb readings on FPort 1', async () => {
    const r = await kerb([kerbUp.hex, '--registry', registry]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.device).toBe('lamp-0001');
    expect(j.micOk).toBe(true);
    expect(j.payload).toBe(refReadings.hex.toUpperCase());
    expect(j.readings).toEqual(refReadings.readings);
    expect(j.human).toMatchObject({ pm25: '12.3 µg/m³', pressure: '1013.2 hPa', noise: '62.5 dB(A)', battery: '3.71 V', flags: [] });
  });

  it('decodes Cayenne LPP for a cayenne-lpp registry profile, and with --lpp', async () => {
    const want = lpp.decoded.map((d) => ({ channel: d.channel, type: d.type, values: d.values }));
    const r = await kerb([lppFrame, '--registry', registry, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ device: 'thirdparty-lpp', profile: 'cayenne-lpp', mtype: 'confirmed-data-up', fport: 2, micOk: true, payload: lpp.hex.toUpperCase() });
    expect(j.lpp).toMatchObject(want);
    expect(j.lpp[0].name).toBe('temperature');
    const forced = await kerb([lppFrame, '--nwkskey', '33'.repeat(16), '--appskey', '22'.repeat(16), '--lpp', '--json']);
    expect(forced.code).toBe(0);
    expect(JSON.parse(forced.stdout).lpp).toMatchObject(want);
  });

  it('reads the frame from stdin with "-" and prints structure only without keys', async () => {
    const r = await kerb(['-'], `  ${kerbUp.hex.toLowerCase()}\n`);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.devAddr).toBe('26011BDA');
    expect(j.micOk).toBeNull();
    expect(j.payload).toBeUndefined();
  });

  it('takes base64 with --base64 (brocaar/lorawan test frame)', async () => {
    const v = byName('brocaar-lorawan-hello');
    const r = await kerb([Buffer.from(v.hex, 'hex').toString('base64'), '--base64', ...keys(v), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ devAddr: '01020304', micOk: true, payloadText: 'hello' });
  });

  it('extends the 16-bit counter with --last-fcnt and flags a replay', async () => {
    const ok = await kerb([rollover.hex, ...keys(rollover), '--last-fcnt', '69999', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ fcnt16: 4464, fcnt32: 70000, micOk: true, payload: rollover.plaintext!.toUpperCase() });
    const replay = await kerb([rollover.hex, ...keys(rollover), '--last-fcnt', '70000']);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toContain('replayed or old frame: its MIC verifies with FCnt32 70000, which is not above --last-fcnt 70000');
    const fresh = await kerb([rollover.hex, ...keys(rollover)]);
    expect(fresh.code).toBe(1);
    expect(fresh.stderr).toContain('MIC mismatch (wrong keys or corrupted frame)');
    expect(fresh.stderr).toContain('it verifies with FCnt32 70000');
  });

  // Seven processes started together: the cases are independent and tsx start-up dominates.
  it('rejects bad frames with the reason on stderr and exit status 1', async () => {
    const cases: [string, string[], string][] = [
      ['a short frame', [readme.hex.slice(0, 18)], 'frame too short: 9 bytes, a data frame needs at least 12'],
      ['a corrupted frame', [readme.hex.slice(0, -2) + '0E', ...keys(readme)], 'MIC mismatch (wrong keys or corrupted frame)'],
      ['wrong keys', [readme.hex, '--nwkskey', readme.appSKey!, '--appskey', readme.appSKey!], 'MIC mismatch (wrong keys or corrupted frame)'],
      ['an unknown device', [readme.hex, '--registry', registry], 'unknown device 49BE7DF1 (not in registry'],
      ['a join request', ['0039363463336913AA05693574323831330489C65B1304'], 'not a data frame: MType 0 (join-request)'],
      ['text that is not hex', ['40F17DBE49000200019543787G2B11FF0D'], 'not hex'],
      ['an odd number of digits', ['40F17DBE4900020001954378762B11FF0'], 'not hex'],
    ];
    const runs = await Promise.all(cases.map((c) => kerb(c[1])));
    runs.forEach((r, i) => {
      expect({ case: cases[i][0], code: r.code }).toEqual({ case: cases[i][0], code: 1 });
      expect(r.stderr, cases[i][0]).toContain(cases[i][2]);
    });
  });

  it('exits 2 on usage errors', async () => {
    const r = await kerb([readme.hex, '--nwkskey', readme.nwkSKey!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--nwkskey and --appskey go together');
    const bad = await kerb([readme.hex, '--nwkskey', 'abcd', '--appskey', readme.appSKey!]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--nwkskey must be 32 hex digits');
  });
});
