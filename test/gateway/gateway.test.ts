// The real gateway process against a real mosquitto, the radio on a socat pty pair fed by a test
// radio speaking the kerb serial link, uplinks built by lora-packet (an independent LoRaWAN
// implementation).
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { spawn } from 'node:child_process';
import mqtt from 'mqtt';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.ts';
import { Consumer, GatewayProcess, KERB, gatewayArgs, makeRig, sleep, waitUntil, type Rig } from '../helpers/gateway.ts';
import { decodeSenmlCbor, resolveSenml } from '../../gateway/senml.ts';
import { lp } from '../helpers/ingest.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function get(port: number, p: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function setup(tag: string, nDevices: number, extra: string[] = [], mosqOpts = {}): Promise<{ mosq: Mosquitto; rig: Rig; gw: GatewayProcess; consumer: Consumer }> {
  const mosq = await startMosquitto(mosqOpts);
  cleanups.push(() => mosq.close());
  const rig = await makeRig(nDevices, tag);
  cleanups.push(() => rig.close());
  const consumer = new Consumer(mosq.url, ['kerb/#', 'homeassistant/#'], { clientId: `consumer-${tag}`, clean: false });
  await consumer.connect();
  cleanups.push(() => consumer.close());
  const gw = new GatewayProcess(gatewayArgs(rig, mosq.url, extra));
  gw.start();
  cleanups.push(() => gw.kill('SIGKILL'));
  await gw.waitLog(/^mqtt connected$/);
  await gw.waitLog(/^gateway started$/);
  return { mosq, rig, gw, consumer };
}

describe('kerb gateway (process, mosquitto, pty radio)', () => {
  it('publishes a lora-packet uplink as SenML-CBOR with the right values, state, availability, HA discovery, /health and /metrics', async () => {
    const { rig, gw, consumer, mosq } = await setup('basic', 1, ['--json-mirror']);
    const dev = rig.devices[0]!;
    await waitUntil(() => consumer.on('kerb/gateway/gw-test/state').some((m) => m.payload.toString() === 'online'), 10_000, 'gateway online');
    // HA discovery for the device's profile readings, retained
    const disc = await waitUntil(() => consumer.on(`homeassistant/sensor/${dev.id}_temperature/config`)[0], 10_000, 'discovery');
    const cfg = JSON.parse(disc.payload.toString()) as Record<string, unknown>;
    expect(cfg.state_topic).toBe(`kerb/device/${dev.id}/state`);
    expect(cfg.unit_of_measurement).toBe('°C');
    expect(cfg.device_class).toBe('temperature');
    expect((cfg.device as { identifiers: string[] }).identifiers).toEqual([`kerb_${dev.id}`]);

    // wait for the radio to be up (first heartbeat) before sending
    await waitUntil(async () => gw.httpPort && JSON.parse((await get(gw.httpPort, '/health')).body).status === 'ok', 15_000, 'health ok');
    rig.send(dev, { tempDeciC: 215, rhHalfPct: 111, pressureDeciHpa: 10132, pm25DeciUgm3: 123, noiseDeciDb: 543, batteryMv: 3610 });
    const up = await waitUntil(() => consumer.on(`kerb/device/${dev.id}/up`)[0], 10_000, 'uplink');
    const recs = resolveSenml(decodeSenmlCbor(up.payload));
    const v = (n: string) => recs.find((r) => r.name === `urn:dev:kerb:${dev.id}:${n}`);
    expect(v('temperature')).toMatchObject({ value: 21.5, unit: 'Cel' });
    expect(v('humidity')).toMatchObject({ value: 55.5, unit: '%RH' });
    expect(v('pressure')).toMatchObject({ value: 101320, unit: 'Pa' });
    expect(v('noise')).toMatchObject({ value: 54.3, unit: 'dB' });
    expect(v('battery')).toMatchObject({ value: 3.61, unit: 'V' });
    expect(v('pm2.5')!.value).toBeCloseTo(12.3e-9, 15);
    expect(v('rssi')).toMatchObject({ value: -90, unit: 'dBm' });
    expect(v('snr')).toMatchObject({ value: 6.5, unit: 'dB' });
    expect(v('sf')!.value).toBe(8);
    expect(v('fcnt')!.value).toBe(1);
    expect(v('gateway')!.stringValue).toBe('gw-test');
    expect(v('devaddr')!.stringValue).toBe(dev.devAddr.toUpperCase());
    expect(Math.abs(v('temperature')!.time - Date.now() / 1000)).toBeLessThan(60);
    // JSON mirror, availability, HA state
    const json = await waitUntil(() => consumer.on(`kerb/device/${dev.id}/up/json`)[0], 5000, 'json mirror');
    expect(JSON.parse(json.payload.toString())[0].bn).toBe(`urn:dev:kerb:${dev.id}:`);
    await waitUntil(() => consumer.on(`kerb/device/${dev.id}/availability`).some((m) => m.payload.toString() === 'online'), 5000, 'availability');
    const state = await waitUntil(() => consumer.on(`kerb/device/${dev.id}/state`)[0], 5000, 'HA state');
    expect(JSON.parse(state.payload.toString())).toMatchObject({ temperature: 21.5, humidity: 55.5, pressure: 1013.2, pm25: 12.3, rssi: -90 });
    // periodic stats
    const stats = await waitUntil(() => consumer.on('kerb/gateway/gw-test/stats').at(-1), 5000, 'stats');
    expect(JSON.parse(stats.payload.toString())).toMatchObject({ gateway: 'gw-test', mqtt: { connected: true } });

    // HA restarts: discovery is published again
    const before = consumer.on(`homeassistant/sensor/${dev.id}_temperature/config`).length;
    const ha = await mqtt.connectAsync(mosq.url);
    await ha.publishAsync('homeassistant/status', 'online', { qos: 1 });
    await ha.endAsync();
    await waitUntil(() => consumer.on(`homeassistant/sensor/${dev.id}_temperature/config`).length > before, 5000, 'discovery re-published');

    // request/response with a transaction id
    const rq = await mqtt.connectAsync(mosq.url);
    await rq.publishAsync('kerb/gateway/gw-test/request', JSON.stringify({ id: 'q-1', command: 'devices' }), { qos: 1 });
    const resp = await waitUntil(() => consumer.on('kerb/gateway/gw-test/response').map((m) => JSON.parse(m.payload.toString())).find((r) => r.id === 'q-1'), 5000, 'response');
    expect(resp.ok).toBe(true);
    expect(resp.data[0]).toMatchObject({ id: dev.id, availability: 'online' });
    await rq.endAsync();

    const health = JSON.parse((await get(gw.httpPort!, '/health')).body);
    expect(health).toMatchObject({ status: 'ok', mqtt: { connected: true }, outbox: { depth: 0 } });
    expect(health.radios[0].up).toBe(true);
    const metrics = (await get(gw.httpPort!, '/metrics')).body;
    expect(metrics).toMatch(/^kerb_uplinks_total 1$/m);
    expect(metrics).toMatch(/^kerb_mqtt_connected 1$/m);
    expect(metrics).toMatch(/^kerb_outbox_depth 0$/m);

    // clean shutdown: state goes offline (retained)
    expect(await gw.kill('SIGTERM')).toBe(0);
    await waitUntil(() => consumer.on('kerb/gateway/gw-test/state').at(-1)?.payload.toString() === 'offline', 5000, 'offline state');
  });

  it('round-trips a downlink: command topic → TxRequest on the serial link in RX1 → result topic', async () => {
    const { rig, gw, consumer, mosq } = await setup('down', 1);
    const dev = rig.devices[0]!;
    await waitUntil(async () => gw.httpPort && JSON.parse((await get(gw.httpPort, '/health')).body).status === 'ok', 15_000, 'health ok');
    const c = await mqtt.connectAsync(mosq.url);
    await c.publishAsync(`kerb/device/${dev.id}/down`, JSON.stringify({ id: 'tx-1', fport: 7, payload: 'c0ffee' }), { qos: 1 });
    // a bad command is answered with failed and the reason
    await c.publishAsync(`kerb/device/${dev.id}/down`, JSON.stringify({ id: 'tx-bad', fport: 0, payload: '00' }), { qos: 1 });
    await c.endAsync();
    const results = () => consumer.on(`kerb/device/${dev.id}/down/result`).map((m) => JSON.parse(m.payload.toString()) as { id: string; state: string; reason?: string });
    await waitUntil(() => results().find((r) => r.id === 'tx-1' && r.state === 'queued'), 5000, 'queued');
    const bad = await waitUntil(() => results().find((r) => r.id === 'tx-bad'), 5000, 'bad result');
    expect(bad.state).toBe('failed');
    expect(bad.reason).toMatch(/fport/);
    rig.send(dev);
    const tx = await rig.radio.nextTx(8000);
    // Decrypt what the gateway sent with lora-packet (independent implementation)
    const pkt = lp.fromWire(Buffer.from(tx.payload));
    expect(pkt.getMType()).toBe('Unconfirmed Data Down');
    expect(pkt.getBuffers().DevAddr!.toString('hex').toUpperCase()).toBe(dev.devAddr.toUpperCase());
    expect(pkt.getFPort()).toBe(7);
    const plain = lp.decrypt(pkt, Buffer.from(dev.appSKey, 'hex'), Buffer.from(dev.nwkSKey, 'hex'));
    expect(plain.toString('hex')).toBe('c0ffee');
    const sent = await waitUntil(() => results().find((r) => r.id === 'tx-1' && r.state === 'sent'), 8000, 'sent result');
    expect(sent.state).toBe('sent');
  });

  it('config errors name the key and exit with status 2', async () => {
    const gw = new GatewayProcess(['--http-port', 'abc', '--set', 'mqtt.qos=7', '--state-dir', '/tmp/kerb-nonexistent-x']);
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    const code = await waitUntil(() => (gw.proc!.exitCode !== null ? { code: gw.proc!.exitCode } : undefined), 20_000, 'exit');
    expect(code.code).toBe(2);
    expect(gw.stderrText).toContain('http.port (from command line): must be an integer 0..65535, got "abc"');
    expect(gw.stderrText).toContain('mqtt.qos (from command line): must be one of 0, 1, 2, got "7"');
    await sleep(1);
  });
});

describe('out of the box', () => {
  it('starts an embedded broker when none is configured, and `kerb watch` prints the decoded uplink', async () => {
    const rig = await makeRig(1, 'embedded');
    cleanups.push(() => rig.close());
    const gw = new GatewayProcess(['--state-dir', rig.stateDir, '--radio', rig.pty.a, '--gateway-id', 'gw-emb', '--http-port', '0', '--set', 'broker.port=0']);
    gw.start();
    cleanups.push(() => gw.kill('SIGKILL'));
    const started = await gw.waitLog(/^embedded MQTT broker started/);
    const url = String(started.url);
    expect(url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    await gw.waitLog(/^mqtt connected$/);
    await gw.waitLog(/^radio up$/);
    const watch = spawn(process.execPath, [KERB, 'watch', '--mqtt-url', url, '--count', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    cleanups.push(async () => watch.kill('SIGKILL'));
    let out = '';
    let err = '';
    watch.stdout.on('data', (d: Buffer) => (out += d.toString()));
    watch.stderr.on('data', (d: Buffer) => (err += d.toString()));
    await waitUntil(() => err.includes('connected'), 15_000, 'watch connected');
    rig.send(rig.devices[0]!, { tempDeciC: -35, rhHalfPct: 180 });
    const code = await new Promise<number | null>((resolve) => watch.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/ up +dev-0 fcnt=1 port=1 temperature=-3\.5 °C humidity=90\.0 % .*rssi=-90 dBm .*via=gw-emb/);
  });
});
