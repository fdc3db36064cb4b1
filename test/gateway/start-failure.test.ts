// A gateway that cannot start: when a feature fails to start, startGateway rejects with its error
// after stopping every feature already started (newest first), and the bridge state `online` is
// never published, even though the MQTT link had already connected. Real mosquitto, real ingest
// whose start fails once the link is up.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway } from '../../gateway/main.ts';
import { Ingest, type IngestOptions } from '../../gateway/ingest.ts';
import { createLogger } from '../../gateway/log.ts';
import type { PromMetrics } from '../../gateway/metrics.ts';
import { Outbox } from '../../gateway/outbox.ts';
import { newDevice, writeRegistry } from '../helpers/ingest.ts';
import { sleep, waitUntil } from '../helpers/gateway.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';

/** The real ingest, whose start fails once the gateway's MQTT link is connected. */
class FailingIngest extends Ingest {
  private readonly m: PromMetrics;
  constructor(o: IngestOptions) {
    super(o);
    this.m = o.metrics as PromMetrics; // startGateway passes its PromMetrics
  }
  override async start(): Promise<void> {
    await waitUntil(async () => (await this.m.value('mqtt_connected')) === 1, 10_000, 'gateway link connected');
    throw new Error('radio /dev/ttyKERB0 is on fire');
  }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('startGateway when a feature cannot start', () => {
  it('rejects, stops what had started in reverse order, and never publishes online', async () => {
    const mosq = await startMosquitto();
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-startfail-'));
    dirs.push(stateDir);
    writeRegistry(path.join(stateDir, 'devices.json'), [newDevice('sf-1')]);
    const app = await mqtt.connectAsync(mosq.url);
    const lines: string[] = [];
    try {
      const states: string[] = [];
      app.on('message', (topic, payload) => {
        if (topic === 'kerb/gateway/gw-fail/state') states.push(payload.toString());
      });
      await app.subscribeAsync('kerb/gateway/gw-fail/state', { qos: 1 });
      const start = startGateway(
        { gateway: { id: 'gw-fail', stateDir }, http: { enabled: true, host: '127.0.0.1', port: 0 }, mqtt: { url: mosq.url } },
        { log: createLogger({ level: 'debug', sink: { write: (l: string) => lines.push(l) } }), createIngest: (o) => new FailingIngest(o) },
      );
      await expect(start).rejects.toThrow('radio /dev/ttyKERB0 is on fire');
      const logs = lines.map((l) => JSON.parse(l) as { msg: string; feature?: string; url?: string });
      expect(logs.filter((l) => l.msg === 'feature stopped').map((l) => l.feature)).toEqual([
        'requests', 'page', 'downlink-commands', 'homeassistant', 'availability', 'publisher', 'health', 'broker',
      ]);
      expect(logs.some((l) => l.msg === 'gateway started')).toBe(false);
      // The clean disconnect states offline; online was never said.
      await waitUntil(() => states.includes('offline'), 5000, 'offline state');
      await sleep(200);
      expect(states).not.toContain('online');
      // The HTTP server it had opened is closed.
      const port = Number(new URL(logs.find((l) => l.msg === 'http listening')!.url!).port);
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      // The outbox was closed cleanly: it opens again with nothing to redeliver.
      const ob = new Outbox({ dir: path.join(stateDir, 'outbox'), maxBytes: 1 << 20, maxMessages: 1000 });
      await ob.open();
      expect(ob.take(10)).toEqual([]);
      await ob.close();
    } finally {
      await app.endAsync();
      await mosq.close();
    }
  });
});
