// The simulator as Semtech packet forwarders: a fleet reaches the real gateway's UDP radio and a
// real mosquitto (every delivered frame published once, a downlink lands in its node's RX1), and
// the simulated lora_pkt_fwd answers PULL_RESP with the TX_ACK errors of PROTOCOL.TXT §6.
import { describe, it, expect } from 'vitest';
import * as dgram from 'node:dgram';
import mqtt from 'mqtt';
import { Decoder } from 'cbor-x';
import { startMosquitto } from '../helpers/mosquitto.ts';
import { parseScenario } from '../../sim/scenario.ts';
import { Fleet } from '../../sim/fleet.ts';
import type { TraceEvent } from '../../sim/fleet.ts';
import { runWithGateway } from '../../sim/attach.ts';
import type { AttachContext } from '../../sim/attach.ts';
import { SimForwarder, simGatewayEui } from '../../sim/forwarder.ts';
import { tsUsOf } from '../../sim/radio-clock.ts';
import { startGateway } from '../../gateway/main.ts';

// RFC 8428 Table 4 CBOR labels.
const N = 0, V = 2, VS = 3;

const STREET = {
  name: 'udp-street', seed: 11, duration: '1h', start: '2026-06-01T07:00:00Z',
  area: { layout: 'grid', spacingM: 60 },
  gateways: { count: 2, placement: 'grid', model: 'concentrator', connect: 'udp' },
  nodes: { count: 16, mode: 'fast', intervalS: 300 },
  // FPort 10 command 0x01: reporting interval 120 s (docs/protocol.md §4).
  downlinks: [{ atH: 0.1, node: 5, fport: 10, payload: '017800' }],
};

describe('fleet through simulated packet forwarders', () => {
  it('every delivered frame is published once, via the forwarders; the scenario downlink reaches its node', { timeout: 120_000 }, async () => {
    const mosq = await startMosquitto();
    const fleet = new Fleet(parseScenario(STREET), { recordDelivered: true });
    const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });
    const got = new Map<string, { count: number; radio: string }>();
    const sub = mqtt.connect(mosq.url, { clientId: `udp-check-${process.pid}` });
    let ctx: AttachContext | undefined;
    try {
      await new Promise<void>((r) => sub.on('connect', () => sub.subscribe('kerb/device/+/up', { qos: 1 }, () => r())));
      sub.on('message', (topic, payload) => {
        const recs = decoder.decode(payload) as Map<number, unknown>[];
        const rec = (n: string) => recs.find((m) => m.get(N) === n);
        const key = `${topic.split('/')[2]}:${rec('fcnt')!.get(V) as number}`;
        const g = got.get(key) ?? { count: 0, radio: rec('radio')!.get(VS) as string };
        g.count++;
        got.set(key, g);
      });
      const g = await runWithGateway(fleet, { startGateway, mqttUrl: mosq.url, onStarted: (c) => { ctx = c; } });
      const delivered = fleet.delivered;
      expect(delivered.length).toBeGreaterThan(150);
      for (const until = Date.now() + 10_000; got.size < delivered.length && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
      const want = new Set(delivered.map((d) => `${fleet.devices[d.node]!.id}:${d.fcnt}`));
      expect([...got.keys()].sort()).toEqual([...want].sort());
      expect([...got.values()].every((v) => v.count === 1)).toBe(true);
      // Both forwarders carried frames (two sites, heard under their EUIs); the gateway de-duplicated.
      const radios = new Set([...got.values()].map((v) => v.radio));
      expect(radios).toEqual(new Set([`udp:${simGatewayEui(0)}`, `udp:${simGatewayEui(1)}`]));
      expect(g.rxPacketsToGateway).toBeGreaterThan(delivered.length);
      expect(g.metrics?.frames_duplicate_total).toBe(g.rxPacketsToGateway - delivered.length);
      expect(g.published).toBe(delivered.length);
      // Every PUSH_DATA was acknowledged (PUSH_ACK with its token).
      for (const r of ctx!.radios) {
        const f = r as SimForwarder;
        expect(f.pushAcks.acked).toBe(f.pushAcks.sent);
      }
      // The command went down as a txpk, was accepted (TX_ACK without error), and was applied.
      expect(g.txRequests).toBe(1);
      expect(g.txOk).toBe(1);
      expect(fleet.stats.downlinksDelivered).toBe(1);
      const sent = Array.from(fleet.stats.sent);
      expect(sent[5]).toBeGreaterThan(Math.max(...sent.filter((_, i) => i !== 5)) + 5);
    } finally {
      await new Promise<void>((r) => sub.end(true, {}, () => r()));
      await mosq.close();
    }
  });
});

describe('US915 through the forwarder', () => {
  it('simple nodes on sub-band 2; the gateway (gateway.region US915) answers on the RP002 RX1 channel, 500 kHz, and the node takes it in RX1', { timeout: 60_000 }, async () => {
    const sc = parseScenario({
      name: 'us', seed: 5, duration: '1h', region: 'US915', area: { layout: 'grid', spacingM: 60 },
      gateways: { model: 'concentrator', connect: 'udp' }, nodes: { count: 12, mode: 'simple', intervalS: 300 },
      downlinks: [{ atH: 0.1, node: 3, fport: 10, payload: '017800' }],
    });
    const events: TraceEvent[] = [];
    const fleet = new Fleet(sc, { recordDelivered: true, sinks: [{ event: (e) => events.push(e) }] });
    const g = await runWithGateway(fleet, { startGateway });
    expect(g.published).toBe(fleet.delivered.length);
    expect(g.txOk).toBe(1);
    const ups = events.filter((e) => e.ev === 'up' && e.node === 3) as Extract<TraceEvent, { ev: 'up' }>[];
    const down = events.find((e) => e.ev === 'down') as Extract<TraceEvent, { ev: 'down' }>;
    const rx = events.find((e) => e.ev === 'dl_rx') as Extract<TraceEvent, { ev: 'dl_rx' }>;
    expect(rx).toMatchObject({ node: 3, fport: 10, window: 1 });
    // The uplink it answers: the last one of node 3 that ended about 1 s before the downlink.
    const up = ups.filter((u) => u.end <= down.t).at(-1)!;
    expect(down.t - up.end).toBeCloseTo(1000, 0);
    const channel = (up.freq - 902300000) / 200000;
    expect(channel).toBeGreaterThanOrEqual(8);
    expect(channel).toBeLessThanOrEqual(15);
    expect(down.freq).toBe(923300000 + 600000 * (channel % 8));
    expect(down.sf).toBe(up.sf);
  });
});

describe('simulated lora_pkt_fwd against a bare UDP server', () => {
  it('PULL_DATA then PULL_ACK; rxpk fields per §4; TX_ACK NONE, TOO_LATE, TX_FREQ, COLLISION_PACKET per §6', async () => {
    const fleet = new Fleet(parseScenario({ name: 'x', seed: 1, duration: '1h', nodes: { count: 1, mode: 'simple' }, gateways: { model: 'concentrator' } }));
    const server = dgram.createSocket('udp4');
    await new Promise<void>((r) => server.bind(0, '127.0.0.1', () => r()));
    const seen: { id: number; token: number; body: string; port: number }[] = [];
    server.on('message', (m, ri) => {
      seen.push({ id: m[3]!, token: m.readUInt16BE(1), body: m.subarray(m[3] === 0 || m[3] === 2 || m[3] === 5 ? 12 : 4).toString(), port: ri.port });
      if (m[3] === 2) server.send(Buffer.from([2, m[1]!, m[2]!, 4]), ri.port, '127.0.0.1');
      if (m[3] === 0) server.send(Buffer.from([2, m[1]!, m[2]!, 1]), ri.port, '127.0.0.1');
    });
    const fwd = new SimForwarder(fleet, 0, { serverPort: (server.address() as { port: number }).port, eui: simGatewayEui(0), txRangeHz: fleet.plan.txRangeHz });
    const wait = async (pred: () => boolean) => {
      for (const until = Date.now() + 5000; !pred() && Date.now() < until; ) await new Promise((r) => setTimeout(r, 10));
      expect(pred()).toBe(true);
    };
    try {
      await fwd.start();
      expect(seen[0]!.id).toBe(2);
      const port = seen[0]!.port;
      fleet.clock.runUntil(10_000);
      const payload = Uint8Array.from([0x40, 1, 0, 0, 0x26, 0, 1, 0, 1, 2, 3, 4, 5, 6]);
      fwd.deliver({ payload, freqHz: 867300000, sf: 9, bwHz: 125000, cr: 1, endMs: 9000.5 } as never, -97.4, 5.26);
      fwd.flush();
      await wait(() => seen.some((s) => s.id === 0 && s.body.includes('rxpk')));
      const rxpk = (JSON.parse(seen.find((s) => s.id === 0 && s.body.includes('rxpk'))!.body) as { rxpk: Record<string, unknown>[] }).rxpk[0]!;
      expect(rxpk).toMatchObject({ tmst: 9_000_500, freq: 867.3, chan: 4, stat: 1, modu: 'LORA', datr: 'SF9BW125', codr: '4/5', rssi: -97, lsnr: 5.3, size: 14, data: Buffer.from(payload).toString('base64') });
      const resp = (token: number, txpk: Record<string, unknown>) => server.send(Buffer.concat([Buffer.from([2, token >> 8, token & 255, 3]), Buffer.from(JSON.stringify({ txpk }))]), port, '127.0.0.1');
      const now = fleet.clock.now();
      const down = { imme: false, freq: 867.3, rfch: 0, powe: 14, modu: 'LORA', datr: 'SF9BW125', codr: '4/5', ipol: true, size: 14, data: Buffer.from(payload).toString('base64') };
      resp(0x0101, { ...down, tmst: tsUsOf(now + 1000) });
      resp(0x0102, { ...down, tmst: tsUsOf(now + 1010) }); // overlaps the first
      resp(0x0103, { ...down, tmst: tsUsOf(now + 10) }); // inside the 31.5 ms JIT lead
      resp(0x0104, { ...down, tmst: tsUsOf(now + 5000), freq: 915.0 });
      await wait(() => seen.filter((s) => s.id === 5).length === 4);
      const acks = new Map(seen.filter((s) => s.id === 5).map((s) => [s.token, s.body ? (JSON.parse(s.body) as { txpk_ack: { error: string } }).txpk_ack.error : 'NONE']));
      expect(Object.fromEntries(acks)).toEqual({ 0x0101: 'NONE', 0x0102: 'COLLISION_PACKET', 0x0103: 'TOO_LATE', 0x0104: 'TX_FREQ' });
      expect(fwd.counts).toMatchObject({ tx: 4, txOk: 1, txRejected: 3 });
      // The accepted one goes on the air at tmst in virtual time.
      expect(fleet.medium.gatewayFreeAt(0)).toBeGreaterThan(now + 1000);
    } finally {
      await fwd.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
