// A live gateway after real traffic (pty radio, mosquitto): its /metrics passes `promtool check
// metrics` (the Prometheus project's own linter), `kerb device list` reads from the gateway's
// state folder when each device was last heard, its frame counters and its queued downlinks, and
// the integration examples in docs/examples (Python, Node-RED) read its uplinks.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
  gw = new GatewayProcess(gatewayArgs(rig, broker.url, ['--json-mirror']));
  gw.start();
  await gw.waitLog(/^gateway started/);
  consumer = new Consumer(broker.url, ['kerb/device/+/up', 'kerb/device/+/up/json']);
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

const EXAMPLES = fileURLToPath(new URL('../../docs/examples/', import.meta.url));
// The Debian packages install into the system Python, which may not be the first python3 on PATH.
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import paho.mqtt.client, cbor2'], { stdio: 'ignore' }).status === 0);
if (!python && !process.env.CI) console.warn('test/cli/gateway-state: Python example skipped, no python3 with paho-mqtt and cbor2 (Debian: apt-get install python3-paho-mqtt python3-cbor2)');

describe('the integration examples', () => {
  it('the Node-RED flow turns the JSON mirror into readings in display units', () => {
    const flow = JSON.parse(fs.readFileSync(path.join(EXAMPLES, 'node-red-flow.json'), 'utf8')) as { type: string; func?: string; topic?: string; wires?: string[][]; id: string }[];
    const input = flow.find((n) => n.type === 'mqtt in')!;
    const fn = flow.find((n) => n.type === 'function')!;
    expect(input.topic).toBe('kerb/device/+/up/json');
    expect(input.wires![0]).toEqual([fn.id]);
    const m = consumer.messages.find((x) => x.topic === 'kerb/device/dev-0/up/json')!;
    expect(m).toBeDefined();
    // The flow's own function node, run as Node-RED runs it: a function body of msg.
    const run = new Function('msg', fn.func!) as (msg: Record<string, unknown>) => Record<string, unknown>;
    const out = run({ topic: m.topic, payload: JSON.parse(m.payload.toString()) });
    expect(out.device).toBe('dev-0');
    expect(out.payload).toMatchObject({ temperature: 21.5, humidity: 55.5, battery: 3.6, fport: 1 });
    expect(out.units).toMatchObject({ temperature: '°C', humidity: '%', battery: 'V' });
    expect(Math.abs((out.time as Date).getTime() - Date.now())).toBeLessThan(600_000);
  });

  it.skipIf(!python && !process.env.CI)('the Python example (paho-mqtt + cbor2) prints an uplink in display units', async () => {
    const p = spawn(python ?? 'python3', [path.join(EXAMPLES, 'kerb_subscribe.py'), '--url', broker.url, '--count', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => p.once('exit', r));
    await waitUntil(() => err.includes('connected'), 20_000, `the Python subscriber to connect (stderr: ${err})`);
    const fcnt = rig.send(rig.devices[1]!);
    expect(await exited, err).toBe(0);
    expect(out.trim()).toMatch(new RegExp(`^dev-1 fcnt=${fcnt} .*temperature=21\\.5 °C humidity=55\\.5 % battery=3\\.6 V`));
  }, 60_000);
});
