// MQTT 5 request/response with a hostile Response Topic, against the real mosquitto: a wildcard
// topic in a PUBLISH is a protocol error (MQTT 5 §4.7.3) and mosquitto drops the connection. The
// gateway must not publish there (it answers on its standard response topic instead), and a reply
// must never be QoS 1, or mqtt.js would resend it after every reconnect.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway } from '../../gateway/main.ts';
import { createLogger } from '../../gateway/log.ts';
import { isPublishableTopic, MAX_RESPONSE_TOPIC_BYTES } from '../../gateway/topics.ts';
import type { LinkTransport } from '../../gateway/types.ts';
import { encodeLinkMessage, LINK_RX } from '../../shared/link/link.ts';
import { encodeReadings } from '../../shared/payload/kerb.ts';
import { loraUplink, newDevice, writeRegistry } from '../helpers/ingest.ts';
import { sleep, waitUntil } from '../helpers/gateway.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';

class MemTransport implements LinkTransport {
  readonly name = 'sim-radio';
  private data: ((c: Uint8Array) => void)[] = [];
  write(): void {}
  onData(cb: (chunk: Uint8Array) => void): void {
    this.data.push(cb);
  }
  onClose(): void {}
  close(): void {}
  feed(b: Uint8Array): void {
    for (const d of this.data) d(b);
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('MQTT 5 response topic', () => {
  it('accepts only publishable topic names', () => {
    expect(isPublishableTopic('my/replies')).toBe(true);
    expect(isPublishableTopic('')).toBe(false);
    expect(isPublishableTopic('a/#')).toBe(false);
    expect(isPublishableTopic('a/+/b')).toBe(false);
    expect(isPublishableTopic('a\u0000b')).toBe(false);
    expect(isPublishableTopic('x'.repeat(MAX_RESPONSE_TOPIC_BYTES))).toBe(true);
    expect(isPublishableTopic('é'.repeat(MAX_RESPONSE_TOPIC_BYTES / 2 + 1))).toBe(false);
  });

  it('a request with responseTopic "a/#" does not get the gateway disconnected; uplinks still flow', async () => {
    const mosq = await startMosquitto();
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-resptopic-'));
    dirs.push(stateDir);
    const dev = newDevice('rt-1');
    writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
    const lines: string[] = [];
    const gw = await startGateway(
      {
        gateway: { id: 'gw-rt', stateDir },
        http: { enabled: false },
        homeassistant: { enabled: false },
        mqtt: { url: mosq.url, protocolVersion: 5, reconnectMinMs: 100, reconnectMaxMs: 200 },
      },
      { log: createLogger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } }) },
    );
    const app = await mqtt.connectAsync(mosq.url, { protocolVersion: 5 });
    try {
      const msgs: { topic: string; payload: Buffer; corr?: Buffer; qos: number }[] = [];
      app.on('message', (topic, payload, packet) => msgs.push({ topic, payload, corr: packet.properties?.correlationData, qos: packet.qos }));
      await app.subscribeAsync(['kerb/#'], { qos: 1 });
      await waitUntil(() => gw.mqttConnected(), 10_000, 'gateway connected');
      const connects0 = await gw.metrics.value('mqtt_connects_total');
      await app.publishAsync('kerb/gateway/gw-rt/request', JSON.stringify({ id: 'bad', command: 'ping' }), { qos: 1, properties: { responseTopic: 'a/#', correlationData: Buffer.from('c-1') } });
      // Answered on the standard response topic instead.
      const reply = await waitUntil(() => msgs.find((m) => m.topic === 'kerb/gateway/gw-rt/response'), 5000, 'reply on the standard response topic');
      expect(JSON.parse(reply.payload.toString())).toMatchObject({ id: 'bad', ok: true, data: 'pong' });
      expect(reply.corr?.toString()).toBe('c-1');
      // Delivered at min(publish QoS, subscription QoS 1): 0 shows the gateway published at QoS 0.
      expect(reply.qos).toBe(0);
      // Give a broker-side disconnect (and the reconnect loop it would start) time to show.
      await sleep(1000);
      expect(gw.mqttConnected()).toBe(true);
      expect(await gw.metrics.value('mqtt_connects_total')).toBe(connects0);
      expect(lines.filter((l) => l.includes('unusable MQTT 5 response topic')).length).toBe(1);

      const t = new MemTransport();
      gw.ingest.attachTransport(t);
      t.feed(encodeLinkMessage({ type: LINK_RX, payload: loraUplink(dev, 1, encodeReadings({ tempDeciC: 150 })), rssiDbm: -80, snrDb: 5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: 1 }));
      await waitUntil(() => msgs.find((m) => m.topic === 'kerb/device/rt-1/up'), 10_000, 'uplink after the bad request');
      await waitUntil(() => gw.outbox.depth === 0, 5000, 'outbox drained');
    } finally {
      await app.endAsync();
      await gw.stop();
      await mosq.close();
    }
  });
});
