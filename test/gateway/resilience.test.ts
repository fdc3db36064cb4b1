// Nothing lost: the real gateway process under load (a few hundred lora-packet frames at ~100/s
// over a socat pty) while the broker is stopped and restarted, and while the gateway itself is
// SIGKILLed and restarted. The consumer deduplicates by (device, frame counter), as any
// consumer of an at-least-once feed must, and checks every accepted uplink arrived, in order per device.
import { afterEach, describe, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { Consumer, GatewayProcess, gatewayArgs, makeRig, sleep, waitUntil, type Rig } from '../helpers/gateway.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Sends `total` frames round-robin over the rig's devices at ~rate/s; `at(i)` runs before frame i. */
async function load(rig: Rig, total: number, rate: number, at: (i: number) => Promise<void> | void = () => undefined): Promise<void> {
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    await at(i);
    rig.send(rig.devices[i % rig.devices.length]!);
    const due = t0 + ((i + 1) * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
  }
}

function expectInOrderPerDevice(consumer: Consumer, rig: Rig, perDevice: number): void {
  for (const d of rig.devices) {
    const seen = consumer.firstSeen.get(d.id) ?? [];
    expect(seen.length, `${d.id} delivered`).toBe(perDevice);
    expect(seen, `${d.id} in order`).toEqual(Array.from({ length: perDevice }, (_, i) => i + 1));
  }
}

describe('nothing lost', () => {
  it('broker stopped and restarted under load: every uplink delivered, in order per device', async () => {
    const mosq = await startMosquitto({ persist: true });
    cleanups.push(() => mosq.close());
    const rig = await makeRig(3, 'brk');
    cleanups.push(() => rig.close());
    const consumer = new Consumer(mosq.url, ['kerb/device/+/up'], { clientId: 'consumer-brk', clean: false });
    await consumer.connect();
    cleanups.push(() => consumer.close());
    const gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    await gw.waitLog(/^mqtt connected$/);
    await gw.waitLog(/^radio up$/);

    const total = 300;
    await load(rig, total, 100, async (i) => {
      if (i === 100) await mosq.stop();
      if (i === 220) await mosq.start();
    });
    await waitUntil(() => consumer.count() === total, 30_000, `all ${total} uplinks (have ${consumer.count()})`);
    expectInOrderPerDevice(consumer, rig, total / 3);
    expect(gw.hasLog(/mqtt connection lost/)).toBe(true);
    expect(gw.logs.filter((l) => l.msg === 'mqtt connected').length).toBeGreaterThanOrEqual(2);
    expect(gw.running).toBe(true);
  });

  it('gateway SIGKILLed under load (while the broker is also down) and restarted: no accepted uplink is lost', async () => {
    const mosq = await startMosquitto({ persist: true });
    cleanups.push(() => mosq.close());
    const rig = await makeRig(3, 'kill');
    cleanups.push(() => rig.close());
    const consumer = new Consumer(mosq.url, ['kerb/device/+/up'], { clientId: 'consumer-kill', clean: false });
    await consumer.connect();
    cleanups.push(() => consumer.close());
    let gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    await gw.waitLog(/^mqtt connected$/);
    await gw.waitLog(/^radio up$/);

    // The broker goes away, so accepted frames pile up in the outbox only; then the gateway is
    // SIGKILLed mid-stream (frames in every stage: on disk, in the serial buffer, being verified).
    const perDevice = 100;
    const first = 150;
    await load(rig, first, 100, async (i) => {
      if (i === 60) await mosq.stop();
      if (i === 120) await gw.kill('SIGKILL');
    });
    await mosq.start();
    const beforeRestart = consumer.count();
    expect(beforeRestart).toBeLessThanOrEqual(63);
    gw = new GatewayProcess(gatewayArgs(rig, mosq.url));
    gw.start();
    await gw.waitLog(/^mqtt connected$/);
    await gw.waitLog(/^radio up$/);
    // The radio "hears" every frame again from the start (as a second gateway's pty replay would):
    // frames the killed gateway accepted must come out of its outbox and their repeats be rejected
    // as replays; frames it never accepted are accepted now. Either way each is delivered.
    for (const d of rig.devices) rig.fcnt.set(d.id, 0);
    await load(rig, perDevice * 3, 150);
    await waitUntil(() => consumer.count() === perDevice * 3, 30_000, `all uplinks (have ${consumer.count()})`);
    expectInOrderPerDevice(consumer, rig, perDevice);
    expect(beforeRestart).toBeLessThanOrEqual(first);
    // The repeats of frames accepted before the kill were refused as replays, not published again.
    const replays = await waitUntil(async () => {
      const r = await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`).then((x) => x.text());
      const m = /^kerb_frames_rejected_total\{[^}]*reason="replay"[^}]*\} (\d+)/m.exec(r);
      return m ? Number(m[1]) : undefined;
    }, 5000, 'replay metric');
    expect(replays).toBeGreaterThan(0);
    expect(consumer.duplicates).toBeLessThanOrEqual(2 * 64); // in-flight window + unsaved acks, never more
  });
});
