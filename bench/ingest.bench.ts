// Ingest alone (no MQTT, no outbox): link bytes in through an in-process transport → deframe →
// dedup → verify (MIC, decrypt, readings) → Uplink handler → durable frame-counter commit.
// `npm run bench -- ingest [--frames N] [--devices N]`. Prints frames/s and per-frame cost.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Ingest } from '../gateway/ingest.ts';
import type { LinkTransport, Logger, Metrics } from '../gateway/types.ts';
import { encodeLinkMessage, LINK_RX } from '../shared/link/link.ts';
import { sealFrame } from '../shared/lorawan/session.ts';
import { MTYPE_UNCONFIRMED_UP } from '../shared/lorawan/constants.ts';
import { nodeAes } from '../host/crypto.ts';
import { encodeReadings } from '../shared/payload/kerb.ts';

function arg(argv: string[], name: string, def: number): number {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : def;
}

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const noMetrics: Metrics = { inc() {}, set() {}, observe() {} };

export async function bench(argv: string[]): Promise<void> {
  const frames = arg(argv, '--frames', 20000);
  const ndev = arg(argv, '--devices', 500);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-bench-ingest-'));
  const devices = [];
  for (let i = 0; i < ndev; i++) {
    devices.push({
      id: `dev-${i}`, devAddr: (0x26000000 + i).toString(16).toUpperCase(),
      nwkSKey: randomBytes(16).toString('hex'), appSKey: randomBytes(16).toString('hex'),
    });
  }
  fs.writeFileSync(path.join(dir, 'devices.json'), JSON.stringify({ devices }));
  const payload = encodeReadings({ pm25DeciUgm3: 123, pm10DeciUgm3: 250, tempDeciC: 184, rhHalfPct: 130, pressureDeciHpa: 10132, noiseDeciDb: 625, batteryMv: 3710 });
  // Pre-build the link bytes so only the gateway's work is timed.
  const chunks: Uint8Array[] = [];
  for (let n = 0; n < frames; n++) {
    const d = devices[n % ndev];
    const fcnt = Math.floor(n / ndev) + 1;
    const phy = sealFrame({ nwkSKey: nodeAes(Buffer.from(d.nwkSKey, 'hex')), appSKey: nodeAes(Buffer.from(d.appSKey, 'hex')) }, {
      mtype: MTYPE_UNCONFIRMED_UP, devAddr: parseInt(d.devAddr, 16), adr: false, adrAckReq: false, ack: false, fpending: false,
      fcnt: fcnt & 0xffff, fopts: new Uint8Array(0), fport: 1, payload, mic: 0,
    }, fcnt);
    chunks.push(encodeLinkMessage({ type: LINK_RX, payload: phy, rssiDbm: -90, snrDb: 5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: n * 1000 }));
  }
  const ingest = new Ingest({ gatewayId: 'bench', stateDir: path.join(dir, 'state'), registryPath: path.join(dir, 'devices.json'), radios: [], log: quiet, metrics: noMetrics, registryPollMs: 0 });
  let delivered = 0;
  let done: () => void = () => {};
  const all = new Promise<void>((r) => { done = r; });
  ingest.onUplink(async () => {
    if (++delivered === frames) done();
  });
  await ingest.start();
  let feed: (c: Uint8Array) => void = () => {};
  const t: LinkTransport = { name: 'bench', write() {}, onData(cb) { feed = cb; }, onClose() {}, close() {} };
  ingest.attachTransport(t);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Feed in slices so the event loop runs deliveries and fsyncs meanwhile, as with a real port.
  for (let i = 0; i < chunks.length; i += 200) {
    for (let k = i; k < Math.min(i + 200, chunks.length); k++) feed(chunks[k]);
    await new Promise((r) => setImmediate(r));
  }
  await all;
  const tDelivered = performance.now() - t0;
  await ingest.stop(); // waits for the last counter commits to be on disk
  const tCommitted = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`ingest: ${frames} frames from ${ndev} devices (kerb readings, 12-byte payload), in-process transport, counters fsync'ed`);
  console.log(`  delivered:  ${(frames / (tDelivered / 1000)).toFixed(0)} frames/s (${tDelivered.toFixed(0)} ms)`);
  console.log(`  committed:  ${(frames / (tCommitted / 1000)).toFixed(0)} frames/s incl. final fsync (${tCommitted.toFixed(0)} ms)`);
  console.log(`  CPU:        ${(cpuMs * 1000 / frames).toFixed(1)} µs per frame (${(frames / (cpuMs / 1000)).toFixed(0)} frames per CPU-second)`);
  console.log(`  RSS:        ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  fs.rmSync(dir, { recursive: true, force: true });
}
