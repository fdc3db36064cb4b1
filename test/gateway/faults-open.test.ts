// Floods and open doors against the real gateway process: a downlink flood (bounded, every command
// answered), junk transaction ids, radio metadata no radio can produce, and the embedded broker's
// access rules with the default binds.
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto, freePort } from '../helpers/mosquitto.ts';
import { Consumer, GatewayProcess, gatewayArgs, makeRig, sleep, waitUntil } from '../helpers/gateway.ts';
import { metric } from '../helpers/faults.ts';
import { loraUplink } from '../helpers/ingest.ts';
import { encodeReadings } from '../../shared/payload/kerb.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

type Result = { id: string; device: string; state: string; reason?: string };
const results = (c: Consumer): Result[] => c.messages.filter((m) => m.topic.endsWith('/down/result')).map((m) => JSON.parse(m.payload.toString()) as Result);

describe('floods and open doors', () => {
  it('a downlink flood is bounded: every command gets a result, the overflow says why, other devices are still served', async () => {
    const mosq = await startMosquitto();
    cleanups.push(() => mosq.close());
    const rig = await makeRig(2, 'flood');
    cleanups.push(() => rig.close());
    const c = new Consumer(mosq.url, ['kerb/device/+/down/result']);
    await c.connect();
    cleanups.push(() => c.close());
    const gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    await gw.waitLog(/^gateway started$/);
    await gw.waitLog(/^radio up$/);
    await sleep(500);
    const n = 3000;
    for (let i = 0; i < n; i++) c.client!.publish('kerb/device/dev-0/down', JSON.stringify({ id: `f${i}`, command: 'reboot' }), { qos: 0 });
    // Junk ids are refused with a result instead of being swapped for a made-up one.
    c.client!.publish('kerb/device/dev-1/down', JSON.stringify({ id: { x: 1 }, command: 'request_status' }));
    c.client!.publish('kerb/device/dev-1/down', JSON.stringify({ id: 'y'.repeat(100_000), command: 'request_status' }));
    await waitUntil(() => new Set(results(c).filter((r) => r.device === 'dev-0').map((r) => r.id)).size === n, 60_000, `a result for each of ${n} commands (have ${results(c).length})`);
    const byId = new Map(results(c).filter((r) => r.device === 'dev-0').map((r) => [r.id, r]));
    const queued = [...byId.values()].filter((r) => r.state === 'queued');
    const failed = [...byId.values()].filter((r) => r.state === 'failed');
    expect(queued).toHaveLength(16);
    expect(failed).toHaveLength(n - 16);
    expect(failed[0]!.reason).toMatch(/already has 16 commands waiting \(downlinks\.maxPerDevice\)/);
    await waitUntil(() => results(c).filter((r) => r.device === 'dev-1').length === 2, 10_000, 'results for the junk ids');
    for (const r of results(c).filter((x) => x.device === 'dev-1')) {
      expect(r.state).toBe('failed');
      expect(r.reason).toMatch(/^id: must be/);
    }
    // Another device (same transaction id as one of dev-0's) is queued and sent at its next uplink.
    c.client!.publish('kerb/device/dev-1/down', JSON.stringify({ id: 'f0', command: 'request_status' }));
    await waitUntil(() => results(c).some((r) => r.device === 'dev-1' && r.id === 'f0' && r.state === 'queued'), 10_000, 'dev-1 command queued');
    rig.send(rig.devices[1]!);
    await waitUntil(() => results(c).some((r) => r.device === 'dev-1' && r.id === 'f0' && r.state === 'sent'), 10_000, 'dev-1 command sent');
    const journal = fs.readFileSync(path.join(rig.stateDir, 'downlinks.log'), 'utf8').split('\n').filter(Boolean);
    expect(journal.length).toBeLessThan(40); // one line per change, not a rewrite per command
  });

  it('radio metadata no radio can produce is rejected and counted, not published', async () => {
    const mosq = await startMosquitto();
    cleanups.push(() => mosq.close());
    const rig = await makeRig(1, 'meta');
    cleanups.push(() => rig.close());
    const c = new Consumer(mosq.url, ['kerb/device/+/up']);
    await c.connect();
    cleanups.push(() => c.close());
    const gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    await gw.waitLog(/^radio up$/);
    const port = await waitUntil(() => gw.httpPort, 10_000, 'http port');
    const dev = rig.devices[0]!;
    const body = encodeReadings({ tempDeciC: 215, rhHalfPct: 111, batteryMv: 3600 });
    rig.radio.uplink(loraUplink(dev, 1, body, { confirmed: true }), { sf: 255 });
    rig.radio.uplink(loraUplink(dev, 2, body), { bwHz: 7 });
    rig.radio.uplink(loraUplink(dev, 3, body), { freqHz: 433_000_000 });
    rig.radio.uplink(loraUplink(dev, 4, body), { rssiDbm: 500 });
    rig.radio.uplink(loraUplink(dev, 5, body), { sf: 9 });
    await waitUntil(() => c.count() === 1, 10_000, 'the one good frame');
    expect(await metric(port, 'frames_rejected_total', 'reason="bad_meta"')).toBe(4);
    expect(c.unique.has('dev-0/5')).toBe(true);
    expect(rig.radio.txRequests.filter((t) => t.sf > 12)).toEqual([]); // no ACK at SF 255
  });

  it('closed by default: HTTP on loopback, the embedded broker refuses anonymous commands and state, the gateway logs in, a wide bind without login is a config error', async () => {
    const rig = await makeRig(1, 'doors');
    cleanups.push(() => rig.close());
    const port = await freePort();
    const args = ['--state-dir', rig.stateDir, '--radio', rig.pty.a, '--gateway-id', 'gw-test', '--http-port', '0', '--set', `broker.port=${port}`];
    const gw = new GatewayProcess(args);
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    await gw.waitLog(/^mqtt connected$/);
    expect(new URL(String(gw.logs.find((l) => l.msg === 'http listening')!.url)).hostname).toBe('127.0.0.1');
    const creds = JSON.parse(fs.readFileSync(path.join(rig.stateDir, 'broker-credentials'), 'utf8')) as { username: string; password: string };
    expect(fs.statSync(path.join(rig.stateDir, 'broker-credentials')).mode & 0o077).toBe(0);

    const url = `mqtt://127.0.0.1:${port}`;
    const watcher = new Consumer(url, ['kerb/#'], creds);
    await watcher.connect();
    cleanups.push(() => watcher.close());
    await waitUntil(() => watcher.on('kerb/gateway/gw-test/state').some((m) => m.payload.toString() === 'online'), 10_000, 'retained online');
    // Anonymous: may connect and read, but not queue a reboot nor overwrite the gateway's retained state.
    const anon = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    cleanups.push(() => anon.endAsync(true));
    anon.publish('kerb/device/dev-0/down', JSON.stringify({ id: 'evil', command: 'reboot' }), { qos: 0 });
    anon.publish('kerb/gateway/gw-test/state', 'offline', { qos: 0, retain: true });
    await waitUntil(() => gw.hasLog(/anonymous publish refused/), 10_000, 'refusal logged');
    // Logged in: the same command is accepted.
    watcher.client!.publish('kerb/device/dev-0/down', JSON.stringify({ id: 'good', command: 'request_status' }));
    await waitUntil(() => results(watcher).some((r) => r.id === 'good' && r.state === 'queued'), 10_000, 'authenticated command queued');
    expect(results(watcher).some((r) => r.id === 'evil')).toBe(false);
    const fresh = new Consumer(url, ['kerb/gateway/gw-test/state'], creds);
    await fresh.connect();
    cleanups.push(() => fresh.close());
    await waitUntil(() => fresh.messages.length > 0, 5000, 'retained gateway state');
    expect(fresh.messages.map((m) => m.payload.toString())).toEqual(['online']);

    const wide = new GatewayProcess([...args, '--set', 'broker.host=0.0.0.0']);
    wide.start();
    cleanups.push(() => wide.kill('SIGKILL'));
    await waitUntil(() => !wide.running, 10_000, 'config error exit');
    expect(wide.proc!.exitCode).toBe(2);
    expect(wide.stderrText).toMatch(/broker\.host: the embedded broker bound to "0\.0\.0\.0" is reachable from the network; set broker\.allowAnonymous=false/);
  });
});
