// Soak (`npm run soak`, KERB_SOAK_S seconds, default 600): the real gateway process under steady
// traffic while, in turn, its state folder (a small tmpfs) fills to the last byte and frees again,
// the broker stops and starts, and the gateway is SIGKILLed and restarted. Afterwards every frame
// the radio sent while the gateway was up and its disk had room must have been delivered, once per
// (device, frame counter) after de-duplication, in order per device; frames sent into a fault are
// either delivered or missing, never published twice with different content.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { Consumer, GatewayProcess, gatewayArgs, makeRig, sleep, waitUntil } from '../helpers/gateway.ts';
import { fillDisk, mountTmpfs, unmount } from '../helpers/faults.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

it('soak: traffic through disk-full, broker and gateway faults loses nothing accepted while healthy', async () => {
  const seconds = Number(process.env.KERB_SOAK_S ?? 600);
  const mosq = await startMosquitto({ persist: true });
  cleanups.push(() => mosq.close());
  const rig = await makeRig(5, 'soak');
  cleanups.push(() => rig.close());
  const mnt = path.join(rig.dir, 'tmpfs');
  const why = mountTmpfs(mnt, '4m');
  if (!why) {
    cleanups.push(() => unmount(mnt));
    fs.copyFileSync(path.join(rig.stateDir, 'devices.json'), path.join(mnt, 'devices.json'));
    rig.stateDir = mnt;
  } else console.warn(`soak without disk-full phases: ${why}`);
  const consumer = new Consumer(mosq.url, ['kerb/device/+/up'], { clientId: 'soak-consumer', clean: false });
  await consumer.connect();
  cleanups.push(() => consumer.close());
  const args = gatewayArgs(rig, mosq.url, ['--set', 'outbox.maxBytes=1048576', '--set', 'stats.intervalS=10']);
  let gw = new GatewayProcess(args);
  gw.start();
  cleanups.push(() => gw.kill('SIGKILL'));
  await gw.waitLog(/^radio up$/);

  const healthy: string[] = []; // frames sent while nothing was being done to the gateway
  let faulty = false;
  const t0 = Date.now();
  let phase = 0;
  let i = 0;
  while (Date.now() - t0 < seconds * 1000) {
    const dev = rig.devices[i++ % rig.devices.length]!;
    const f = rig.send(dev);
    if (!faulty) healthy.push(`${dev.id}/${f}`);
    await sleep(50);
    const p = Math.floor((Date.now() - t0) / 20_000);
    if (p === phase) continue;
    phase = p;
    faulty = true;
    const which = p % 3;
    if (which === 0 && !why) {
      const filler = fillDisk(mnt);
      for (let k = 0; k < 100; k++) {
        rig.send(rig.devices[k % rig.devices.length]!);
        await sleep(50);
      }
      fs.rmSync(filler);
      await sleep(2000); // the outbox notices the space by itself
    } else if (which === 1) {
      await mosq.stop();
      await sleep(3000);
      await mosq.start();
    } else {
      await gw.kill('SIGKILL');
      gw = new GatewayProcess(args);
      gw.start();
      await gw.waitLog(/^radio up$/);
    }
    faulty = false;
  }
  await waitUntil(() => healthy.every((k) => consumer.unique.has(k)), 120_000, `all ${healthy.length} healthy-time frames (missing ${healthy.filter((k) => !consumer.unique.has(k)).slice(0, 5).join(', ')})`);
  for (const d of rig.devices) {
    const seen = consumer.firstSeen.get(d.id) ?? [];
    expect(seen, `${d.id} in order`).toEqual([...seen].sort((a, b) => a - b));
  }
  console.log(`soak: ${seconds} s, ${[...rig.fcnt.values()].reduce((a, b) => a + b, 0)} frames sent, ${healthy.length} while healthy, ${consumer.count()} delivered, ${consumer.duplicates} duplicates (consumers de-duplicate by device and frame counter)`);
  expect(await gw.kill('SIGTERM')).toBe(0);
});
