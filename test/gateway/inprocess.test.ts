// startGateway() in-process, as the simulator runs it: no serial radios, an in-process transport
// attached with handle.ingest.attachTransport(), the embedded broker on a free port, and a stop()
// that releases everything (the outbox is reopened afterwards to check it was closed cleanly).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway } from '../../gateway/main.ts';
import { createLogger } from '../../gateway/log.ts';
import { Outbox } from '../../gateway/outbox.ts';
import type { LinkTransport } from '../../gateway/types.ts';
import { encodeLinkMessage, LINK_RX } from '../../shared/link/link.ts';
import { encodeReadings } from '../../shared/payload/kerb.ts';
import { decodeSenmlCbor, resolveSenml } from '../../gateway/senml.ts';
import { loraUplink, newDevice, writeRegistry } from '../helpers/ingest.ts';
import { waitUntil } from '../helpers/gateway.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';

class MemTransport implements LinkTransport {
  readonly name = 'sim-radio';
  written: Uint8Array[] = [];
  private data: ((c: Uint8Array) => void)[] = [];
  private closeCbs: ((e?: Error) => void)[] = [];
  write(bytes: Uint8Array): void {
    this.written.push(bytes);
  }
  onData(cb: (chunk: Uint8Array) => void): void {
    this.data.push(cb);
  }
  onClose(cb: (err?: Error) => void): void {
    this.closeCbs.push(cb);
  }
  close(): void {
    for (const c of this.closeCbs) c();
  }
  feed(b: Uint8Array): void {
    for (const d of this.data) d(b);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('startGateway in-process', () => {
  it('publishes uplinks from an attached in-process transport and stops cleanly', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-inproc-'));
    dirs.push(stateDir);
    const dev = newDevice('sim-1');
    writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
    const lines: string[] = [];
    const gw = await startGateway(
      { gateway: { id: 'gw-sim', stateDir }, http: { enabled: false }, broker: { port: 0 }, homeassistant: { enabled: false } },
      { log: createLogger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } }) },
    );
    let sub: mqtt.MqttClient | undefined;
    try {
      expect(gw.mqttUrl).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
      sub = await mqtt.connectAsync(gw.mqttUrl);
      const got: Buffer[] = [];
      sub.on('message', (_t, p) => got.push(p));
      await sub.subscribeAsync('kerb/device/sim-1/up', { qos: 1 });
      await waitUntil(() => gw.mqttConnected(), 10_000, 'gateway connected');
      const t = new MemTransport();
      gw.ingest.attachTransport(t);
      for (let f = 1; f <= 3; f++) {
        t.feed(encodeLinkMessage({ type: LINK_RX, payload: loraUplink(dev, f, encodeReadings({ tempDeciC: 200 + f })), rssiDbm: -100, snrDb: 2, freqHz: 868300000, sf: 10, bwHz: 125000, cr: 1, tsUs: f * 1000 }));
      }
      await waitUntil(() => got.length === 3, 10_000, 'three uplinks');
      const temps = got.map((p) => resolveSenml(decodeSenmlCbor(p)).find((r) => r.name.endsWith(':temperature'))!.value);
      expect(temps).toEqual([20.1, 20.2, 20.3]);
      expect(gw.outbox.depth).toBe(0);
      expect((await gw.health()).mqtt).toMatchObject({ connected: true });
    } finally {
      await sub?.endAsync();
      await gw.stop();
    }
    expect(lines.some((l) => l.includes('"msg":"gateway stopped"'))).toBe(true);
    // The outbox was closed with its ack persisted: nothing to redeliver.
    const ob = new Outbox({ dir: path.join(stateDir, 'outbox'), maxBytes: 1 << 20, maxMessages: 1000 });
    await ob.open();
    expect(ob.take(10)).toEqual([]);
    await ob.close();
  });
});

describe('startGateway with MQTT 5 and credentials (real mosquitto)', () => {
  it('authenticates, sets the SenML content type, answers on the MQTT 5 response topic, and marks silent devices offline', async () => {
    const mosq = await startMosquitto({ users: { gw: 'gw-secret', app: 'app-secret' } });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-inproc5-'));
    dirs.push(stateDir);
    const dev = newDevice('quiet-1');
    writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
    const pwFile = path.join(stateDir, 'pw');
    fs.writeFileSync(pwFile, 'gw-secret\n');
    const gw = await startGateway(
      {
        gateway: { id: 'gw-5', stateDir },
        http: { enabled: false },
        homeassistant: { enabled: false },
        mqtt: { url: mosq.url, protocolVersion: 5, username: 'gw', passwordFile: pwFile },
        availability: { offlineAfterS: 1, checkIntervalS: 1 },
      },
      { log: createLogger({ level: 'error', sink: { write: () => true } }) },
    );
    const app = await mqtt.connectAsync(mosq.url, { protocolVersion: 5, username: 'app', password: 'app-secret' });
    try {
      const msgs: { topic: string; payload: Buffer; ct?: string; corr?: Buffer }[] = [];
      app.on('message', (topic, payload, packet) => msgs.push({ topic, payload, ct: packet.properties?.contentType, corr: packet.properties?.correlationData }));
      await app.subscribeAsync(['kerb/#', 'my/replies'], { qos: 1 });
      await waitUntil(() => gw.mqttConnected(), 10_000, 'gateway connected with credentials');
      const t = new MemTransport();
      gw.ingest.attachTransport(t);
      t.feed(encodeLinkMessage({ type: LINK_RX, payload: loraUplink(dev, 1, encodeReadings({ tempDeciC: 100 })), rssiDbm: -80, snrDb: 5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: 1 }));
      const up = await waitUntil(() => msgs.find((m) => m.topic === 'kerb/device/quiet-1/up'), 10_000, 'uplink');
      expect(up.ct).toBe('application/senml+cbor');
      await waitUntil(() => msgs.some((m) => m.topic === 'kerb/device/quiet-1/availability' && m.payload.toString() === 'online'), 5000, 'online');
      // silent for > offlineAfterS → offline (retained)
      await waitUntil(() => msgs.some((m) => m.topic === 'kerb/device/quiet-1/availability' && m.payload.toString() === 'offline'), 5000, 'offline');
      // MQTT 5 request/response
      await app.publishAsync('kerb/gateway/gw-5/request', JSON.stringify({ id: 'r5', command: 'stats' }), { qos: 1, properties: { responseTopic: 'my/replies', correlationData: Buffer.from('c-42') } });
      const reply = await waitUntil(() => msgs.find((m) => m.topic === 'my/replies'), 5000, 'reply on response topic');
      expect(reply.corr?.toString()).toBe('c-42');
      expect(JSON.parse(reply.payload.toString())).toMatchObject({ id: 'r5', ok: true, data: { gateway: 'gw-5', uplinks: 1 } });
    } finally {
      await app.endAsync();
      await gw.stop();
      await mosq.close();
    }
  });

  it('keeps retrying (and says why) when the broker rejects its credentials', async () => {
    const mosq = await startMosquitto({ users: { gw: 'right' } });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-inproc-auth-'));
    dirs.push(stateDir);
    writeRegistry(path.join(stateDir, 'devices.json'), []);
    const lines: string[] = [];
    const gw = await startGateway(
      { gateway: { id: 'gw-a', stateDir }, http: { enabled: false }, mqtt: { url: mosq.url, username: 'gw', password: 'wrong', reconnectMinMs: 100, reconnectMaxMs: 200 } },
      { log: createLogger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } }) },
    );
    try {
      await waitUntil(async () => (await gw.metrics.value('mqtt_connect_errors_total')) >= 3, 10_000, 'three rejected attempts');
      expect(gw.mqttConnected()).toBe(false);
      // Not a busy loop: retries are spaced by the backoff (≥ 80 ms with these settings), so a
      // 2 s window holds at most ~25 attempts; a loop without delay would make thousands.
      const a0 = await gw.metrics.value('mqtt_connect_errors_total');
      await new Promise((r) => setTimeout(r, 2000));
      const attempts = (await gw.metrics.value('mqtt_connect_errors_total')) - a0;
      expect(attempts).toBeGreaterThan(0);
      expect(attempts).toBeLessThan(40);
      expect(lines.filter((l) => l.includes('"level":"warn"') && l.includes('rejected the credentials')).length).toBe(1);
    } finally {
      await gw.stop();
      await mosq.close();
    }
  });
});
