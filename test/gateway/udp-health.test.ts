// What a concentrator gateway reports back: the forwarder's TX_ACK error name reaches the downlink
// result on MQTT (real mosquitto), and a forwarder silent for 3× its stat interval shows in /health
// as down with its EUI and last datagram time, and up again at its next stat.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway } from '../../gateway/main.ts';
import { createLogger } from '../../gateway/log.ts';
import { encodeReadings } from '../../shared/payload/kerb.ts';
import { loraUplink, newDevice, writeRegistry } from '../helpers/ingest.ts';
import { waitUntil } from '../helpers/gateway.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { ForwarderEmulator } from '../helpers/semtech-forwarder.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('TX_ACK errors in the downlink result', () => {
  // PROTOCOL.TXT §6 TX_ACK error values; the first is refused outright, the second sends the queue to RX2, which fails too.
  for (const [error, status] of [['TX_FREQ', 'transmit parameters rejected by the radio'], ['COLLISION_PACKET', 'radio busy']] as const) {
    it(`${error}: the failed result on MQTT names it`, async () => {
      const mosq = await startMosquitto();
      const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-txack-'));
      dirs.push(stateDir);
      const dev = newDevice('ack-1');
      writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
      const gw = await startGateway(
        { gateway: { id: 'gw-txack', stateDir }, http: { enabled: false }, homeassistant: { enabled: false }, mqtt: { url: mosq.url }, radios: [{ type: 'udp', port: 0 }] },
        { log: createLogger({ level: 'error', sink: { write: () => true } }) },
      );
      const app = await mqtt.connectAsync(mosq.url);
      const fwd = new ForwarderEmulator('aa555a0000000301', gw.udpPorts[0]!);
      await fwd.bind();
      try {
        const results: Record<string, unknown>[] = [];
        app.on('message', (_t, p) => results.push(JSON.parse(p.toString()) as Record<string, unknown>));
        await app.subscribeAsync('kerb/device/ack-1/down/result', { qos: 1 });
        await waitUntil(() => gw.mqttConnected(), 10_000, 'gateway connected');
        const pt = fwd.pull();
        await waitUntil(() => fwd.pullAcks.includes(pt), 5000, 'PULL_ACK');
        fwd.txAckError = error;
        await app.publishAsync('kerb/device/ack-1/down', JSON.stringify({ id: 'c-1', fport: 9, payload: '01' }), { qos: 1 });
        await waitUntil(() => results.some((r) => r.state === 'queued'), 5000, 'queued');
        // Three attempts (one per uplink) before the command fails.
        for (let fcnt = 1; fcnt <= 3; fcnt++) {
          const before = fwd.txpks.length;
          fwd.push({ rxpk: [ForwarderEmulator.rxpk(loraUplink(dev, fcnt, encodeReadings({ tempDeciC: fcnt })), { tmst: fcnt * 10_000_000, freq: 868.1, datr: 'SF7BW125' })] });
          await waitUntil(() => fwd.txpks.length > before, 5000, `txpk after uplink ${fcnt}`);
        }
        const failed = await waitUntil(() => results.find((r) => r.id === 'c-1' && r.state === 'failed'), 10_000, 'failed result');
        expect(failed.reason).toBe(`${status}: TX_ACK ${error} (after 3 attempts)`);
        // COLLISION_PACKET: RX1 then RX2 for every uplink; TX_FREQ: RX1 only.
        expect(fwd.txpks.length).toBe(error === 'COLLISION_PACKET' ? 6 : 3);
      } finally {
        await fwd.close();
        await app.endAsync();
        await gw.stop();
        await mosq.close();
      }
    });
  }
});

describe('forwarder liveness in /health', () => {
  it('a forwarder silent for 3× its stat interval is down (EUI and last-seen kept), and up at its next stat', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-live-'));
    dirs.push(stateDir);
    writeRegistry(path.join(stateDir, 'devices.json'), []);
    const gw = await startGateway(
      {
        gateway: { id: 'gw-live', stateDir }, http: { enabled: true, port: 0 }, homeassistant: { enabled: false }, broker: { port: 0 },
        radios: [{ type: 'udp', port: 0, statIntervalS: 1 }],
      },
      { log: createLogger({ level: 'error', sink: { write: () => true } }) },
    );
    const fwd = new ForwarderEmulator('aa555a0000000302', gw.udpPorts[0]!);
    await fwd.bind();
    const get = async (): Promise<{ code: number; body: { status: string; reasons?: string[]; radios: { radio: string; up: boolean; gatewayEui?: string; lastSeen?: string }[] } }> => {
      const r = await fetch(`http://127.0.0.1:${gw.httpPort}/health`);
      return { code: r.status, body: (await r.json()) as never };
    };
    const stat = { stat: { time: '2026-12-05 12:00:00 UTC', rxnb: 1, rxok: 1, rxfw: 1, ackr: 100, dwnb: 0, txnb: 0 } };
    const upMetric = async (): Promise<number | undefined> => (await gw.metrics.values('radio_up')).find((v) => v.labels.radio === 'udp:aa555a0000000302')?.value;
    try {
      await waitUntil(() => gw.mqttConnected(), 10_000, 'gateway connected');
      fwd.push(stat);
      const up = await waitUntil(async () => {
        const h = await get();
        return h.body.radios.find((r) => r.radio === 'udp:aa555a0000000302' && r.up) ? h : undefined;
      }, 5000, 'forwarder up');
      expect(up.code).toBe(200);
      const entry = up.body.radios.find((r) => r.radio === 'udp:aa555a0000000302')!;
      expect(entry.gatewayEui).toBe('aa555a0000000302');
      expect(Number.isNaN(Date.parse(entry.lastSeen!))).toBe(false);

      // Silence: reported down, kept in the list with what identifies it.
      const down = await waitUntil(async () => {
        const h = await get();
        return h.body.radios.find((r) => r.radio === 'udp:aa555a0000000302' && !r.up) ? h : undefined;
      }, 10_000, 'forwarder down');
      expect(down.code).toBe(503);
      expect(down.body.status).toBe('degraded');
      expect(down.body.reasons).toContain('no radio up');
      expect(down.body.radios).toEqual([{ radio: 'udp:aa555a0000000302', up: false, gatewayEui: 'aa555a0000000302', lastSeen: entry.lastSeen }]);
      expect(await upMetric()).toBe(0);

      // Heard again.
      fwd.push(stat);
      const back = await waitUntil(async () => {
        const h = await get();
        return h.body.radios.find((r) => r.radio === 'udp:aa555a0000000302' && r.up) ? h : undefined;
      }, 5000, 'forwarder up again');
      expect(back.code).toBe(200);
      expect(back.body.radios).toHaveLength(1);
      expect(await upMetric()).toBe(1);
    } finally {
      await fwd.close();
      await gw.stop();
    }
  });
});
