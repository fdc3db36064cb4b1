// Ingest alone (no MQTT, no outbox): link bytes in through an in-process transport → deframe →
// dedup → verify (MIC, decrypt, readings) → Uplink handler → durable frame-counter commit.
// Then the pipeline against its anchor, in the same process on the same frames: kerb's verify
// (MIC, decrypt, readings) + SenML-CBOR against lora-packet (an independent LoRaWAN implementation:
// parse, MIC, decrypt) + the same readings decoder and SenML-CBOR, printed as a ratio.
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
import { encodeReadings, decodeReadings } from '../shared/payload/kerb.ts';
import { createRequire } from 'node:module';
import { Registry } from '../host/registry.ts';
import { verifyFrame } from '../gateway/verify.ts';
import { encodeSenmlCbor, uplinkToSenml } from '../gateway/senml.ts';
import type { RxMeta, Uplink } from '../gateway/types.ts';

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
  const phys: Uint8Array[] = [];
  for (let n = 0; n < frames; n++) {
    const d = devices[n % ndev];
    const fcnt = Math.floor(n / ndev) + 1;
    const phy = sealFrame({ nwkSKey: nodeAes(Buffer.from(d.nwkSKey, 'hex')), appSKey: nodeAes(Buffer.from(d.appSKey, 'hex')) }, {
      mtype: MTYPE_UNCONFIRMED_UP, devAddr: parseInt(d.devAddr, 16), adr: false, adrAckReq: false, ack: false, fpending: false,
      fcnt: fcnt & 0xffff, fopts: new Uint8Array(0), fport: 1, payload, mic: 0,
    }, fcnt);
    phys.push(phy);
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
  pipeline(dir, devices, phys, ndev);
  fs.rmSync(dir, { recursive: true, force: true });
}

const META: RxMeta = { gatewayId: 'bench', radioId: 'bench', rssiDbm: -90, snrDb: 5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: 0 };

/** CPU seconds of fn(), after one untimed pass (JIT warm-up). */
function cpuOf(fn: () => void): number {
  fn();
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

function pipeline(dir: string, devices: { id: string; devAddr: string; nwkSKey: string; appSKey: string }[], phys: Uint8Array[], ndev: number): void {
  const lp = createRequire(import.meta.url)('lora-packet') as typeof import('lora-packet').default;
  const reg = new Registry({ path: path.join(dir, 'devices.json'), log: quiet, metrics: noMetrics, pollMs: 0 });
  reg.load();
  let sink = 0;
  const kerb = cpuOf(() => {
    for (const phy of phys) {
      const r = verifyFrame(phy, { candidates: (a) => reg.byDevAddr(a), lastUp: () => -1 });
      if (!r.ok) throw new Error(`kerb rejected a bench frame: ${r.reason}`);
      const v = r.v;
      const u: Uplink = { deviceId: v.device.id, devAddr: v.device.devAddr, fcnt: v.fcnt32, fport: v.frame.fport, confirmed: v.confirmed, adr: v.frame.adr, payload: v.payload, readings: v.readings, receivedAt: 1763900000000, meta: META };
      sink += encodeSenmlCbor(uplinkToSenml(u)).length;
    }
  });
  const keys = new Map(devices.map((d) => [d.devAddr.toUpperCase(), { id: d.id, devAddr: parseInt(d.devAddr, 16), nwk: Buffer.from(d.nwkSKey, 'hex'), app: Buffer.from(d.appSKey, 'hex') }]));
  const anchor = cpuOf(() => {
    for (const phy of phys) {
      const pkt = lp.fromWire(Buffer.from(phy.buffer, phy.byteOffset, phy.byteLength));
      const k = keys.get(pkt.getBuffers().DevAddr!.toString('hex').toUpperCase())!;
      if (!lp.verifyMIC(pkt, k.nwk)) throw new Error('lora-packet rejected a bench frame');
      const plain = lp.decrypt(pkt, k.app, k.nwk);
      const readings = decodeReadings(plain);
      if (typeof readings === 'number') throw new Error('bench payload did not decode');
      const u: Uplink = { deviceId: k.id, devAddr: k.devAddr, fcnt: pkt.getFCnt()!, fport: pkt.getFPort()!, confirmed: false, adr: false, payload: plain, readings, receivedAt: 1763900000000, meta: META };
      sink += encodeSenmlCbor(uplinkToSenml(u)).length;
    }
  });
  if (!sink) throw new Error('nothing encoded');
  const n = phys.length;
  console.log(`pipeline: ${n} frames from ${ndev} devices, in process, one core: frame → MIC → decrypt → readings → SenML-CBOR pack`);
  console.log(`  kerb (gateway/verify.ts + gateway/senml.ts): ${Math.round(n / kerb)} frames per CPU-second (${((kerb * 1e6) / n).toFixed(1)} µs each)`);
  console.log(`  anchor, lora-packet + the same readings decoder and SenML-CBOR: ${Math.round(n / anchor)} frames per CPU-second (${((anchor * 1e6) / n).toFixed(1)} µs each)`);
  console.log(`  RATIO kerb / lora-packet: ${(anchor / kerb).toFixed(1)}×`);
}
