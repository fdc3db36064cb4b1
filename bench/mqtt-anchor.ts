// The gateway bench's anchor, run as its own process (as the gateway is): bare mqtt.js publishing
// kerb-sized SenML-CBOR packs at QoS 1 to the bench's mosquitto, with the gateway's client options
// and its in-flight window, and nothing else — no serial port, no verification, no outbox, no
// fsync. The bench's subscriber counts the packs exactly as it counts the gateway's, so the ratio of
// the two rates is what kerb's pipeline costs on top of MQTT itself.
//   node bench/mqtt-anchor.ts <url> <count> <window> <devices> <fcntBase>
// Prints {startMs} as it starts publishing, then {cpuS, publishS, bytes, rssBytes} (publishS: first publish → last PUBACK;
// rssBytes: this process's resident memory at the end, the bare-client footprint).
import mqtt from 'mqtt';
import { encodeSenmlCbor, uplinkToSenml } from '../gateway/senml.ts';

const [url, countS, windowS, devicesS, fcntBaseS] = process.argv.slice(2);
const count = Number(countS);
const window = Number(windowS);
const nDev = Number(devicesS);
const fcntBase = Number(fcntBaseS);

// The same pack a kerb uplink with every reading makes (bench/gateway.bench.ts sends those).
const packs: { topic: string; payload: Buffer }[] = [];
for (let i = 0; i < count; i++) {
  const dev = `anchor-${String(i % nDev).padStart(4, '0')}`;
  const fcnt = fcntBase + Math.floor(i / nDev) + 1;
  const pack = uplinkToSenml({
    deviceId: dev, devAddr: 0x26010000 + (i % nDev), fcnt, fport: 1, confirmed: false, adr: false, payload: new Uint8Array(12),
    readings: { pm25DeciUgm3: 123, pm10DeciUgm3: 200, tempDeciC: 215, rhHalfPct: 111, pressureDeciHpa: 10132, noiseDeciDb: 543, batteryMv: 3600 },
    receivedAt: Date.now(),
    meta: { gatewayId: 'bench', radioId: '/dev/pts/12', rssiDbm: -90, snrDb: 5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: i },
  });
  packs.push({ topic: `kerb/device/${dev}/up`, payload: Buffer.from(encodeSenmlCbor(pack)) });
}

const c = mqtt.connect(url!, { clean: true, keepalive: 30, reconnectPeriod: 1000, log: () => {}, reschedulePings: false, clientId: `kerb-anchor-${process.pid}` });
await new Promise<void>((resolve, reject) => {
  c.once('connect', () => resolve());
  c.once('error', reject);
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
// The bench times the subscriber's last arrival against this instant (epoch ms, same machine).
process.stdout.write(JSON.stringify({ startMs: performance.timeOrigin + t0 }) + '\n');
let next = 0;
let acked = 0;
await new Promise<void>((resolve) => {
  const pump = (): void => {
    while (next < count && next - acked < window) {
      const p = packs[next++]!;
      c.publish(p.topic, p.payload, { qos: 1 }, onAck);
    }
  };
  const onAck = (): void => {
    if (++acked === count) resolve();
    else pump();
  };
  pump();
});
const publishS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ cpuS: (cpu.user + cpu.system) / 1e6, publishS, bytes: packs[0]!.payload.length, rssBytes: process.memoryUsage().rss }) + '\n');
await c.endAsync();
