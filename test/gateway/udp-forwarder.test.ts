// Semtech UDP packet forwarder radios end to end: an emulator written from PROTOCOL.TXT sends rxpk
// (frames made by lora-packet) over real UDP into startGateway(), publishing to a real mosquitto; a
// queued downlink comes back as a txpk timed for RX1 and is checked with lora-packet.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway } from '../../gateway/main.ts';
import { createLogger } from '../../gateway/log.ts';
import { encodeReadings } from '../../shared/payload/kerb.ts';
import { decodeSenmlCbor, resolveSenml } from '../../gateway/senml.ts';
import { loraUplink, lp, newDevice, writeRegistry } from '../helpers/ingest.ts';
import { waitUntil } from '../helpers/gateway.ts';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { ForwarderEmulator } from '../helpers/semtech-forwarder.ts';
import { encodeLinkMessage, LINK_RX } from '../../shared/link/link.ts';
import type { LinkTransport } from '../../gateway/types.ts';

/** An in-process kerb-link radio (as the simulator attaches one), beside the UDP forwarder. */
class MemRadio implements LinkTransport {
  readonly name = 'mem-radio';
  private data: ((c: Uint8Array) => void)[] = [];
  write(): void {}
  onData(cb: (chunk: Uint8Array) => void): void { this.data.push(cb); }
  onClose(): void {}
  close(): void {}
  feed(b: Uint8Array): void { for (const d of this.data) d(b); }
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('Semtech UDP packet forwarder radio', () => {
  it('publishes rxpk uplinks, answers with txpk downlinks for RX1, and counts bad datagrams', async () => {
    const mosq = await startMosquitto();
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-'));
    dirs.push(stateDir);
    const dev = newDevice('udp-1');
    writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
    const gw = await startGateway(
      {
        gateway: { id: 'gw-udp', stateDir }, http: { enabled: false }, homeassistant: { enabled: false }, mqtt: { url: mosq.url },
        radios: [{ type: 'udp', host: '127.0.0.1', port: 0 }],
      },
      { log: createLogger({ level: 'error', sink: { write: () => true } }) },
    );
    const app = await mqtt.connectAsync(mosq.url);
    const fwd = new ForwarderEmulator('aa555a0000000101', gw.udpPorts[0]!);
    await fwd.bind();
    try {
      const ups: Buffer[] = [];
      const results: Record<string, unknown>[] = [];
      app.on('message', (t, p) => {
        if (t === 'kerb/device/udp-1/up') ups.push(p);
        else if (t === 'kerb/device/udp-1/down/result') results.push(JSON.parse(p.toString()) as Record<string, unknown>);
      });
      await app.subscribeAsync(['kerb/device/udp-1/up', 'kerb/#'], { qos: 1 });
      await waitUntil(() => gw.mqttConnected(), 10_000, 'gateway connected');

      // §5.2/§5.3: PULL_DATA opens the downstream route and is acknowledged with its token.
      const pt = fwd.pull();
      await waitUntil(() => fwd.pullAcks.includes(pt), 5000, 'PULL_ACK');

      // A command waits for the device's next uplink (class A).
      await app.publishAsync('kerb/device/udp-1/down', JSON.stringify({ id: 'cmd-1', fport: 9, payload: 'c0ffee' }), { qos: 1 });
      await waitUntil(() => results.some((r) => r.state === 'queued'), 5000, 'downlink queued');

      const tmst = 4_294_000_000; // near the uint32 wrap: tmst + 1 s must wrap
      const phy = loraUplink(dev, 5, encodeReadings({ tempDeciC: 215 }));
      const t1 = fwd.push({ rxpk: [ForwarderEmulator.rxpk(phy, { tmst, freq: 868.3, datr: 'SF9BW125' })] });
      await waitUntil(() => fwd.pushAcks.includes(t1), 5000, 'PUSH_ACK');
      await waitUntil(() => ups.length === 1, 10_000, 'uplink on MQTT');
      const temp = resolveSenml(decodeSenmlCbor(ups[0]!)).find((r) => r.name.endsWith(':temperature'))!.value;
      expect(temp).toBe(21.5);

      const { txpk } = await waitUntil(() => fwd.txpks[0], 5000, 'txpk');
      expect(txpk).toMatchObject({ imme: false, tmst: (tmst + 1_000_000) % 2 ** 32, freq: 868.3, datr: 'SF9BW125', ipol: true, modu: 'LORA' });
      const down = lp.fromWire(Buffer.from(txpk.data as string, 'base64'));
      expect(down.getMType()).toBe('Unconfirmed Data Down');
      expect(down.getFCnt()).toBe(0);
      expect(down.getFPort()).toBe(9);
      expect(lp.verifyMIC(down, Buffer.from(dev.nwkSKey, 'hex'))).toBe(true);
      expect(lp.decrypt(down, Buffer.from(dev.appSKey, 'hex'), Buffer.from(dev.nwkSKey, 'hex')).toString('hex')).toBe('c0ffee');
      await waitUntil(() => results.some((r) => r.id === 'cmd-1' && r.state === 'sent'), 5000, 'downlink sent after TX_ACK');

      // The same frame again (an echo) is not published twice; a CRC-failed rxpk is not ingested.
      fwd.push({ rxpk: [ForwarderEmulator.rxpk(phy, { tmst: tmst + 10, freq: 868.3, datr: 'SF9BW125' })] });
      fwd.push({ rxpk: [ForwarderEmulator.rxpk(loraUplink(dev, 6, encodeReadings({ tempDeciC: 1 })), { tmst: 5, freq: 868.1, datr: 'SF7BW125', stat: -1 })] });

      // Garbage, a wrong version, truncated JSON, and an oversized datagram: counted, not a crash.
      fwd.raw(Buffer.from('hello'));
      fwd.raw(Buffer.from([1, 0, 0, 0]));
      fwd.raw(Buffer.concat([Buffer.from([2, 0, 9, 0]), fwd.eui, Buffer.from('{"rxpk":[')]));
      fwd.raw(Buffer.alloc(20_000, 2));
      const dropped = async (reason: string): Promise<number> =>
        (await gw.metrics.values('udp_datagrams_dropped_total')).filter((v) => v.labels.reason === reason).reduce((s, v) => s + v.value, 0);
      await waitUntil(async () => (await dropped('malformed')) === 3, 5000, 'malformed counted');
      expect(await dropped('oversized')).toBe(1);
      expect(await gw.metrics.value('udp_rxpk_crc_bad_total')).toBe(1);
      expect(await gw.metrics.value('frames_duplicate_total') + await gw.metrics.value('frames_rejected_total')).toBe(1);

      // A later uplink still gets through: the socket survived the garbage.
      fwd.push({ rxpk: [ForwarderEmulator.rxpk(loraUplink(dev, 7, encodeReadings({ tempDeciC: 230 })), { tmst: 77, freq: 868.5, datr: 'SF7BW125' })] });
      await waitUntil(() => ups.length === 2, 10_000, 'second uplink');
      expect(ups.length).toBe(2);
    } finally {
      await fwd.close();
      await app.endAsync();
      await gw.stop();
      await mosq.close();
    }
  });

  it('answers an OTAA Join-request from a forwarder with a txpk at JOIN_ACCEPT_DELAY1 that lora-packet opens', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-join-'));
    dirs.push(stateDir);
    const appKey = '2B7E151628AED2A6ABF7158809CF4F3C';
    writeRegistry(path.join(stateDir, 'devices.json'), [{ id: 'otaa-1', devEui: '0200000000000B01', joinEui: '0000000000000000', appKey }]);
    const gw = await startGateway(
      { gateway: { id: 'gw-join', stateDir }, http: { enabled: false }, homeassistant: { enabled: false }, broker: { port: 0 }, radios: [{ type: 'udp', host: '127.0.0.1', port: 0 }] },
      { log: createLogger({ level: 'error', sink: { write: () => true } }) },
    );
    const fwd = new ForwarderEmulator('aa555a0000000103', gw.udpPorts[0]!);
    await fwd.bind();
    try {
      const pt = fwd.pull();
      await waitUntil(() => fwd.pullAcks.includes(pt), 5000, 'PULL_ACK');
      const key = Buffer.from(appKey, 'hex');
      const req = lp.fromFields({ MType: 'Join Request', AppEUI: Buffer.alloc(8), DevEUI: Buffer.from('0200000000000B01', 'hex'), DevNonce: Buffer.from([0, 3]) }, undefined, undefined, key);
      fwd.push({ rxpk: [ForwarderEmulator.rxpk(Uint8Array.from(req.getPHYPayload()!), { tmst: 1000, freq: 868.5, datr: 'SF11BW125' })] });
      const { txpk } = await waitUntil(() => fwd.txpks[0], 5000, 'txpk');
      expect(txpk).toMatchObject({ imme: false, tmst: 1000 + 5_000_000, freq: 868.5, datr: 'SF11BW125', ipol: true });
      const ja = lp.fromWire(lp.decryptJoinAccept(lp.fromWire(Buffer.from(txpk.data as string, 'base64')), key));
      expect(lp.verifyMIC(ja, undefined, key)).toBe(true);
      expect(ja.NetID!.toString('hex')).toBe('000000');
      expect(gw.ingest.registry.list().map((d) => d.id)).toEqual(['otaa-1']);
    } finally {
      await fwd.close();
      await gw.stop();
    }
  });

  it('drops datagrams from addresses not in the allow list, and counts them', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-allow-'));
    dirs.push(stateDir);
    writeRegistry(path.join(stateDir, 'devices.json'), []);
    const gw = await startGateway(
      { gateway: { id: 'gw-allow', stateDir }, http: { enabled: false }, homeassistant: { enabled: false }, broker: { port: 0 }, radios: [{ type: 'udp', port: 0, allow: ['192.0.2.7'] }] },
      { log: createLogger({ level: 'error', sink: { write: () => true } }) },
    );
    const fwd = new ForwarderEmulator('aa555a0000000102', gw.udpPorts[0]!);
    await fwd.bind();
    try {
      const t = fwd.pull();
      await waitUntil(async () => (await gw.metrics.value('udp_datagrams_dropped_total')) === 1, 5000, 'not_allowed counted');
      expect((await gw.metrics.values('udp_datagrams_dropped_total'))[0]!.labels.reason).toBe('not_allowed');
      expect(fwd.pullAcks).not.toContain(t);
      expect(gw.ingest.radioStates()).toEqual([]);
    } finally {
      await fwd.close();
      await gw.stop();
    }
  });
  it('publishes a frame heard by a link radio and the forwarder once, and falls back to RX2 on TX_ACK TOO_LATE', async () => {
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-udp-dedup-'));
    dirs.push(stateDir);
    const dev = newDevice('both-1');
    writeRegistry(path.join(stateDir, 'devices.json'), [dev]);
    const gw = await startGateway(
      { gateway: { id: 'gw-both', stateDir }, http: { enabled: false }, homeassistant: { enabled: false }, broker: { port: 0 }, radios: [{ type: 'udp', port: 0 }] },
      { log: createLogger({ level: 'error', sink: { write: () => true } }) },
    );
    const app = await mqtt.connectAsync(gw.mqttUrl);
    const fwd = new ForwarderEmulator('aa555a0000000103', gw.udpPorts[0]!);
    await fwd.bind();
    try {
      const ups: Buffer[] = [];
      app.on('message', (_t, p) => ups.push(p));
      await app.subscribeAsync('kerb/device/both-1/up', { qos: 1 });
      await waitUntil(() => gw.mqttConnected(), 10_000, 'gateway connected');
      const mem = new MemRadio();
      gw.ingest.attachTransport(mem);
      const pt = fwd.pull();
      await waitUntil(() => fwd.pullAcks.includes(pt), 5000, 'PULL_ACK');
      fwd.txAckError = 'TOO_LATE';
      // Confirmed, so the gateway answers with an ACK downlink through the radio that heard it best.
      const phy = loraUplink(dev, 3, encodeReadings({ tempDeciC: 180 }), { confirmed: true });
      mem.feed(encodeLinkMessage({ type: LINK_RX, payload: phy, rssiDbm: -110, snrDb: -5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: 42 }));
      fwd.push({ rxpk: [ForwarderEmulator.rxpk(phy, { tmst: 1000, freq: 868.1, datr: 'SF7BW125', rssi: -70 })] });
      await waitUntil(() => ups.length === 1, 10_000, 'uplink');
      expect(await gw.metrics.value('frames_duplicate_total')).toBe(1);
      // RX1 refused by the forwarder → the same frame for RX2, one second later.
      const [rx1, rx2] = await waitUntil(() => (fwd.txpks.length >= 2 ? fwd.txpks : undefined), 5000, 'RX1 and RX2 txpk');
      expect(rx1!.txpk).toMatchObject({ tmst: 1000 + 1_000_000, freq: 868.1, datr: 'SF7BW125' });
      expect(rx2!.txpk).toMatchObject({ tmst: 1000 + 2_000_000, freq: 869.525, datr: 'SF12BW125' });
      expect(rx2!.txpk.data).toBe(rx1!.txpk.data);
      const ack = lp.fromWire(Buffer.from(rx2!.txpk.data as string, 'base64'));
      expect(ack.getFCtrlACK()).toBe(true);
      expect(lp.verifyMIC(ack, Buffer.from(dev.nwkSKey, 'hex'))).toBe(true);
      expect(ups.length).toBe(1);
    } finally {
      await fwd.close();
      await app.endAsync();
      await gw.stop();
    }
  });
});
