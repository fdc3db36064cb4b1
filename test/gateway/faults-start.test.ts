// The real gateway process that cannot start: an invalid registry, a flipped byte in the frame
// counters, a read-only state folder. Each must exit non-zero on its own (no SIGTERM needed), say
// why, and never publish the retained `online` on an external broker. Also a flipped byte in the
// downlink journal (costs that entry only) and the explicit --accept-counter-loss.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { Consumer, GatewayProcess, gatewayArgs, makeRig, waitUntil, type Rig } from '../helpers/gateway.ts';
import { metric, mountTmpfs, remountReadOnly, unmount } from '../helpers/faults.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

async function setup(tag: string): Promise<{ mosq: Mosquitto; rig: Rig; state: Consumer }> {
  const mosq = await startMosquitto();
  cleanups.push(() => mosq.close());
  const rig = await makeRig(2, tag);
  cleanups.push(() => rig.close());
  const state = new Consumer(mosq.url, ['kerb/gateway/gw-test/state']);
  await state.connect();
  cleanups.push(() => state.close());
  return { mosq, rig, state };
}

/** Runs the gateway until it exits by itself; returns its exit code and stderr. */
async function runToExit(args: string[]): Promise<{ code: number | null; gw: GatewayProcess }> {
  const gw = new GatewayProcess(args);
  gw.start();
  cleanups.push(() => gw.kill('SIGKILL'));
  await waitUntil(() => !gw.running, 15_000, 'the gateway to exit by itself');
  return { code: gw.proc!.exitCode, gw };
}

/** A clean first run, so the state folder holds counters, an outbox and a journal. */
async function firstRun(rig: Rig, url: string): Promise<void> {
  const gw = new GatewayProcess(gatewayArgs(rig, url));
  gw.start();
  cleanups.push(() => gw.kill('SIGKILL'));
  await gw.waitLog(/^radio up$/);
  const port = await waitUntil(() => gw.httpPort, 10_000, 'http port');
  for (let i = 0; i < 10; i++) rig.send(rig.devices[i % 2]!);
  await waitUntil(async () => (await metric(port, 'outbox_delivered_total')) === 10, 10_000, '10 delivered');
  expect(await gw.kill('SIGTERM')).toBe(0);
}

describe('a gateway that cannot start exits', () => {
  it('invalid registry: exits non-zero by itself, says why, never publishes online', async () => {
    const { mosq, rig, state } = await setup('badreg');
    fs.writeFileSync(path.join(rig.stateDir, 'devices.json'), '{"devices": [{"id": "x", "devAddr": "nothex"}]}');
    const { code, gw } = await runToExit(gatewayArgs(rig, mosq.url));
    expect(code).not.toBe(0);
    expect(gw.stderrText).toMatch(/cannot start: .*devices\.json/s);
    expect(state.messages.filter((m) => m.payload.toString() === 'online')).toEqual([]);
  });

  it('a flipped byte in fcnt.json: exits non-zero naming the file; --accept-counter-loss starts', async () => {
    const { mosq, rig, state } = await setup('badfcnt');
    await firstRun(rig, mosq.url);
    const online = state.messages.filter((m) => m.payload.toString() === 'online').length;
    const f = path.join(rig.stateDir, 'fcnt.json');
    const text = fs.readFileSync(f, 'utf8');
    const m = /"check":"([0-9a-f])/.exec(text)!;
    fs.writeFileSync(f, text.replace(m[0], `"check":"${m[1] === 'a' ? 'b' : 'a'}`));
    const { code, gw } = await runToExit(gatewayArgs(rig, mosq.url));
    expect(code).not.toBe(0);
    expect(gw.stderrText).toMatch(/frame counters cannot be trusted: .*fcnt\.json is damaged \(checksum mismatch\)/);
    await new Promise((r) => setTimeout(r, 200));
    expect(state.messages.filter((x) => x.payload.toString() === 'online')).toHaveLength(online);
    const ok = new GatewayProcess(gatewayArgs(rig, mosq.url, ['--accept-counter-loss']));
    ok.start();
    cleanups.push(() => ok.kill('SIGKILL'));
    await ok.waitLog(/^gateway started$/);
    expect(ok.hasLog(/frame counters damaged; continuing/, 'error')).toBe(true);
  });

  it('a read-only state folder: exits non-zero by itself, never publishes online', async (ctx) => {
    const { mosq, rig, state } = await setup('rostate');
    const mnt = path.join(rig.dir, 'ro');
    const why = mountTmpfs(mnt, '1m');
    if (why) return ctx.skip(why);
    cleanups.push(() => unmount(mnt));
    fs.copyFileSync(path.join(rig.stateDir, 'devices.json'), path.join(mnt, 'devices.json'));
    remountReadOnly(mnt);
    rig.stateDir = mnt;
    const { code, gw } = await runToExit(gatewayArgs(rig, mosq.url));
    expect(code).not.toBe(0);
    expect(gw.stderrText).toMatch(/cannot start: state folder .* is not writable \(EROFS\)/);
    expect(state.messages.filter((m) => m.payload.toString() === 'online')).toEqual([]);
  });

  it('a flipped byte in the downlink journal costs that entry only, and is counted', async () => {
    const { mosq, rig } = await setup('badjournal');
    const sender = new Consumer(mosq.url, ['kerb/device/+/down/result']);
    await sender.connect();
    cleanups.push(() => sender.close());
    let gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    await gw.waitLog(/^mqtt connected$/);
    await gw.waitLog(/^gateway started$/);
    await new Promise((r) => setTimeout(r, 500)); // its subscriptions are in place
    for (let i = 0; i < 5; i++) await sender.client!.publishAsync('kerb/device/dev-0/down', JSON.stringify({ id: `c${i}`, fport: 2, payload: '0102' }), { qos: 1 });
    await waitUntil(() => sender.messages.filter((m) => /"state":"queued"/.test(m.payload.toString())).length === 5, 10_000, `5 queued (${gw.stderrText.slice(-2000)})`);
    expect(await gw.kill('SIGTERM')).toBe(0);
    const j = path.join(rig.stateDir, 'downlinks.log');
    const text = fs.readFileSync(j, 'utf8');
    fs.writeFileSync(j, text.replace('"id":"c2"', '"id":"c7"'));
    gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    await gw.waitLog(/^gateway started$/);
    const port = await waitUntil(() => gw.httpPort, 10_000, 'http port');
    expect(gw.logs.find((l) => l.msg === 'downlink queue restored')?.queued).toBe(4);
    expect(await metric(port, 'downlink_state_corrupt_total')).toBe(1);
  });
});
