// Fault injection against the real gateway process (real mosquitto, a socat pty radio): the state
// folder on a small tmpfs filled to the last byte during traffic, a flipped byte in the middle of
// an outbox segment. Loss is counted by (device, frame counter) against what the radio sent: every
// frame is either delivered or counted as refused (its frame counter left uncommitted).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { Consumer, GatewayProcess, gatewayArgs, makeRig, sleep, waitUntil, type Rig } from '../helpers/gateway.ts';
import { fillDisk, flipByte, httpGet, metric, mountTmpfs, unmount } from '../helpers/faults.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

/** Sends `n` frames round-robin over the devices at ~rate/s. */
async function send(rig: Rig, n: number, rate = 100): Promise<void> {
  for (let i = 0; i < n; i++) {
    rig.send(rig.devices[i % rig.devices.length]!);
    await sleep(1000 / rate);
  }
}

const sentTotal = (rig: Rig) => [...rig.fcnt.values()].reduce((a, b) => a + b, 0);

describe('gateway under disk faults', () => {
  it('a state folder that fills up is a state, not a crash: refuses and counts, stays responsive, frees space by publishing, recovers by itself, loses nothing it accepted', async (ctx) => {
    const mosq = await startMosquitto();
    cleanups.push(() => mosq.close());
    const rig = await makeRig(3, 'diskfull');
    cleanups.push(() => rig.close());
    const mnt = path.join(rig.dir, 'tmpfs');
    const why = mountTmpfs(mnt, '2m');
    if (why) return ctx.skip(why);
    cleanups.push(() => unmount(mnt));
    fs.copyFileSync(path.join(rig.stateDir, 'devices.json'), path.join(mnt, 'devices.json'));
    rig.stateDir = mnt;
    const consumer = new Consumer(mosq.url, ['kerb/device/+/up']);
    await consumer.connect();
    cleanups.push(() => consumer.close());
    const args = gatewayArgs(rig, mosq.url, ['--set', 'outbox.maxBytes=262144']);
    let gw = new GatewayProcess(args);
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    await gw.waitLog(/^mqtt connected$/);
    await gw.waitLog(/^radio up$/);
    const port = await waitUntil(() => gw.httpPort, 10_000, 'http port');

    await send(rig, 90);
    await waitUntil(() => consumer.count() === 90, 20_000, `first 90 delivered (have ${consumer.count()})`);

    // The disk fills up to the last byte while the radio keeps sending.
    const filler = fillDisk(mnt);
    await send(rig, 300);
    const health = await waitUntil(async () => {
      const h = await httpGet(port, '/health');
      return h.status === 503 && /disk full/.test(h.body) ? h : undefined;
    }, 20_000, '/health 503 saying the disk is full');
    expect(JSON.parse(health.body).reasons.join(' ')).toMatch(/outbox cannot write: disk full \(ENOSPC\)/);
    expect(await metric(port, 'outbox_writable')).toBe(0);
    const refusedWhileFull = await metric(port, 'uplinks_refused_total');
    expect(refusedWhileFull).toBeGreaterThan(0);
    // No spinning on a half-written record, no log flood, no pile of empty segment files.
    expect(gw.logs.filter((l) => /outbox cannot write/.test(l.msg))).toHaveLength(1);
    expect(gw.logs.filter((l) => l.level === 'error').length).toBeLessThan(10);
    const segs = fs.readdirSync(path.join(mnt, 'outbox')).filter((n) => n.startsWith('seg-'));
    expect(segs.length).toBeLessThanOrEqual(3);
    for (const s of segs) expect(fs.statSync(path.join(mnt, 'outbox', s)).size).toBeGreaterThan(0);

    // Space comes back: the gateway notices by itself and the next frames are accepted.
    fs.rmSync(filler);
    await waitUntil(async () => (await httpGet(port, '/health')).status === 200, 20_000, '/health back to 200');
    expect(gw.hasLog(/outbox writable again/)).toBe(true);
    await send(rig, 60);
    const sent = sentTotal(rig);
    expect(sent).toBe(450);
    await waitUntil(async () => consumer.count() + (await metric(port, 'uplinks_refused_total')) === sent, 30_000, 'every frame delivered or counted as refused');
    const refused = await metric(port, 'uplinks_refused_total');
    expect(consumer.count() + refused).toBe(sent);
    // The last 60 (sent after recovery) all arrived: the refused ones did not burn their counters.
    for (const d of rig.devices) {
      const last = rig.fcnt.get(d.id)!;
      for (let f = last - 19; f <= last; f++) expect(consumer.unique.has(`${d.id}/${f}`), `${d.id}/${f}`).toBe(true);
    }
    // SIGTERM is honoured; after a restart nothing is redelivered (the ack position passed everything).
    expect(await gw.kill('SIGTERM')).toBe(0);
    const before = consumer.messages.length;
    gw = new GatewayProcess(args);
    gw.start();
    await gw.waitLog(/^gateway started$/);
    expect(gw.logs.find((l) => l.msg === 'gateway started')!.outboxDepth).toBe(0);
    await sleep(500);
    expect(consumer.messages.length).toBe(before);
  });

  it('one flipped byte in the middle of an outbox segment costs one uplink, not everything after it', async () => {
    const mosq = await startMosquitto({ persist: true });
    cleanups.push(() => mosq.close());
    const rig = await makeRig(2, 'flip');
    cleanups.push(() => rig.close());
    const consumer = new Consumer(mosq.url, ['kerb/device/+/up'], { clientId: 'consumer-flip', clean: false });
    await consumer.connect();
    cleanups.push(() => consumer.close());
    await mosq.stop(); // uplinks pile up in the outbox
    let gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    await gw.waitLog(/^radio up$/);
    const port0 = await waitUntil(() => gw.httpPort, 10_000, 'http port');
    await send(rig, 200);
    await waitUntil(async () => (await metric(port0, 'uplinks_total')) === 200, 10_000, 'all 200 stored');
    expect(await gw.kill('SIGTERM')).toBe(0);
    const outbox = path.join(rig.stateDir, 'outbox');
    const [seg] = fs.readdirSync(outbox).filter((n) => n.startsWith('seg-'));
    const size = fs.statSync(path.join(outbox, seg!)).size;
    flipByte(path.join(outbox, seg!), Math.floor(size / 2));

    await mosq.start();
    gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    await gw.waitLog(/^mqtt connected$/);
    const port = await waitUntil(() => gw.httpPort, 10_000, 'http port');
    await waitUntil(() => consumer.count() >= 199, 30_000, `199 of 200 delivered (have ${consumer.count()})`);
    await sleep(300);
    expect(consumer.count()).toBe(199);
    expect(await metric(port, 'outbox_corrupt_records_total')).toBe(1);
    // Everything after the damaged record is there, in order per device.
    for (const d of rig.devices) {
      const seen = consumer.firstSeen.get(d.id)!;
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      expect(seen.at(-1)).toBe(100);
    }
  });
});
