// A live gateway after real traffic (pty radio, mosquitto): its /metrics passes `promtool check
// metrics` (the Prometheus project's own linter), and `kerb device list` reads from the gateway's
// state folder when each device was last heard, its frame counters and its queued downlinks.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { GatewayProcess, KERB, gatewayArgs, makeRig, waitUntil, Consumer, type Rig } from '../helpers/gateway.ts';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { httpGet } from '../helpers/faults.ts';
import { loraUplink } from '../helpers/ingest.ts';
import { encodeReadings } from '../../shared/payload/kerb.ts';

function kerb(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [KERB, ...args], { env: { ...process.env, KERB_CONFIG: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

let rig: Rig;
let broker: Mosquitto;
let gw: GatewayProcess;
let consumer: Consumer;
let metricsText = '';

beforeAll(async () => {
  rig = await makeRig(3, 'state');
  broker = await startMosquitto();
  gw = new GatewayProcess(gatewayArgs(rig, broker.url));
  gw.start();
  await gw.waitLog(/^gateway started/);
  consumer = new Consumer(broker.url, ['kerb/device/+/up']);
  await consumer.connect();
  const [d0, d1] = rig.devices;
  for (let i = 0; i < 3; i++) rig.send(d0!);
  rig.send(d1!);
  // A forged frame (wrong key) and garbage: rejected-frame counters with labels get samples too.
  rig.radio.uplink(loraUplink({ ...d1!, nwkSKey: '00'.repeat(16) }, 9, encodeReadings({ tempDeciC: 1 })), { rssiDbm: -100, snrDb: 1, sf: 9 });
  await waitUntil(() => consumer.count() >= 4, 20_000, 'four uplinks on MQTT');
  // A downlink for dev-2, which sends nothing: it stays queued in the state folder.
  const c = await mqtt.connectAsync(broker.url);
  await c.publishAsync('kerb/device/dev-2/down', JSON.stringify({ id: 'tx-q', fport: 7, payload: 'c0ffee' }), { qos: 1 });
  await c.endAsync();
  await gw.waitLog(/^downlink queued/);
  await waitUntil(async () => (await httpGet(gw.httpPort!, '/metrics')).body.includes('kerb_downlink_commands_total{result='), 10_000, 'downlink command counted');
  metricsText = (await httpGet(gw.httpPort!, '/metrics')).body;
}, 90_000);

afterAll(async () => {
  await consumer?.close();
  await gw?.kill();
  await broker?.close();
  await rig?.close();
});

describe('a live gateway after traffic', () => {
  it('/metrics passes promtool check metrics', () => {
    expect(metricsText).toContain('kerb_uplinks_total');
    expect(metricsText).toMatch(/kerb_frames_rejected_total\{[^}]*reason=/);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: metricsText, encoding: 'utf8' });
    if (r.error) throw new Error(`promtool not found (Debian: apt-get install prometheus): ${r.error.message}`);
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('kerb device list shows last seen, frame counters and queued downlinks from the state folder', async () => {
    const before = Date.now();
    const r = await kerb(['device', 'list', '--json', '--state-dir', rig.stateDir]);
    expect(r.code, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; lastSeen: string | null; fcntUp: number | null; fcntDownNext: number; queuedDownlinks: number }[];
    const byId = new Map(rows.map((x) => [x.id, x]));
    expect(byId.get('dev-0')).toMatchObject({ fcntUp: 3, queuedDownlinks: 0 });
    expect(byId.get('dev-1')).toMatchObject({ fcntUp: 1, queuedDownlinks: 0 });
    expect(byId.get('dev-2')).toMatchObject({ lastSeen: null, fcntUp: null, fcntDownNext: 0, queuedDownlinks: 1 });
    const seen = Date.parse(byId.get('dev-0')!.lastSeen!);
    // Seen during this test run, not before it started and not in the future of this check.
    expect(seen).toBeGreaterThan(before - 120_000);
    expect(seen).toBeLessThanOrEqual(Date.now());

    const text = await kerb(['device', 'list', '--state-dir', rig.stateDir]);
    expect(text.code, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+DEVADDR\s+LAST SEEN\s+FCNT UP\s+FCNT DOWN\s+QUEUED/);
    expect(lines.find((l) => l.startsWith('dev-0'))).toMatch(/ s ago\s+3\s+0\s+0\s/);
    expect(lines.find((l) => l.startsWith('dev-2'))).toMatch(/never\s+-\s+0\s+1\s/);
    // Read-only: the state files of the running gateway are not rewritten.
    expect(fs.existsSync(path.join(rig.stateDir, 'fcnt.json'))).toBe(true);
  });
});
