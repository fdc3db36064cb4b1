// Whole-gateway benchmark: the real `kerb gateway` process, a test radio on a socat pty pair
// (kerb serial link in), a real mosquitto and a subscriber counting SenML uplinks (out).
//   0. the anchor, before and after the burst: bare mqtt.js (bench/mqtt-anchor.ts, its own process)
//      publishing the same number of kerb-sized SenML packs at QoS 1 through the same mosquitto to
//      the same subscriber, with the gateway's in-flight window; kerb's rate is printed as a ratio
//      of it (same run, same rig);
//   1. sustained uplinks/s: a burst of frames as fast as the radio side can write them;
//   2. latency p50/p99 (radio write → subscriber) at a steady 100 frames/s;
//   3. gateway RSS after that steady run (default 60 s; `--soak-minutes 10` for the full figure).
// Flags: --frames N (burst size, default 20000), --devices N (default 50), --rate R (default 100),
// --seconds S / --soak-minutes M (steady phase length), --no-fsync (outbox without fdatasync),
// --profile DIR (write a V8 CPU profile of the gateway process there), --heap-mb N (run the gateway
// with --max-old-space-size=N), --node-flag F (a Node/V8 flag for the gateway, repeatable),
// --set key=value (gateway setting, repeatable). The gateway runs with the Node flags of the systemd
// unit's ExecStart (gateway/kerb-gateway.service), as on a Pi; --no-unit-flags leaves them out.
import fs from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startMosquitto } from '../test/helpers/mosquitto.ts';
import { Consumer, GatewayProcess, gatewayArgs, makeRig, sleep, waitUntil } from '../test/helpers/gateway.ts';
import { loraUplink } from '../test/helpers/ingest.ts';
import { encodeReadings } from '../shared/payload/kerb.ts';
import mqtt, { type MqttClient } from 'mqtt';

function flag(argv: string[], name: string, def: number): number {
  const i = argv.indexOf(name);
  if (i < 0 || i + 1 >= argv.length) return def;
  const v = Number(argv[i + 1]);
  return Number.isFinite(v) ? v : def;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

/** utime + stime of a process, seconds (/proc/<pid>/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.sys;
}

function cpuTimes(pid: number): { user: number; sys: number } {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / 100, sys: Number(f[12]) / 100 };
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ANCHOR = fileURLToPath(new URL('./mqtt-anchor.ts', import.meta.url));
const UNIT = fileURLToPath(new URL('../gateway/kerb-gateway.service', import.meta.url));

/** The Node/V8 flags of the systemd unit's ExecStart (what a Pi runs), so the bench runs the same. */
export function unitNodeFlags(unitText: string): string[] {
  const line = unitText.split('\n').find((l) => l.startsWith('ExecStart='));
  if (!line) return [];
  const words = line.slice('ExecStart='.length).trim().split(/\s+/);
  const end = words.findIndex((w) => w.endsWith('kerb.mjs'));
  return words.slice(1, end < 0 ? 1 : end).filter((w) => w.startsWith('--'));
}

/** Epoch milliseconds with sub-millisecond resolution, comparable across processes on one machine. */
function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The subscriber of the rate phases: counts uplink messages and notes when the n-th arrived. It
 * decodes nothing, so that neither rate is bounded by the bench's own per-message work (the
 * decoding Consumer, which checks every pack and finds duplicates, runs the latency phase).
 */
class Counter {
  n = 0;
  private target = Infinity;
  doneMs = 0;
  client: MqttClient | undefined;
  async connect(url: string): Promise<void> {
    const c = mqtt.connect(url, { clientId: 'bench-counter', log: () => {} });
    this.client = c;
    c.on('message', () => {
      if (++this.n >= this.target && !this.doneMs) this.doneMs = epochMs();
    });
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    await c.subscribeAsync('kerb/device/+/up', { qos: 1 });
  }
  /** Notes the time at which `more` further messages have arrived. */
  arm(more: number): void {
    this.target = this.n + more;
    this.doneMs = 0;
  }
  async close(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
  }
}

/** Runs the anchor publisher; resolves with its figures and the subscriber's rate for it. */
async function runAnchor(counter: Counter, url: string, count: number, window: number, nDev: number, fcntBase: number): Promise<{ rate: number; cpuS: number; bytes: number; rssBytes: number }> {
  let startMs = 0;
  counter.arm(count);
  const child = spawn(process.execPath, [ANCHOR, url, String(count), String(window), String(nDev), String(fcntBase)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /"startMs":([0-9.]+)/.exec(out);
    if (m) startMs = Number(m[1]);
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`mqtt anchor exited with ${code}`);
  await waitUntil(() => counter.doneMs > 0, 60_000, `anchor delivered (${counter.n}/${count})`);
  const r = JSON.parse(out.trim().split('\n').pop()!) as { cpuS: number; bytes: number; rssBytes: number };
  return { rate: count / ((counter.doneMs - startMs) / 1000), cpuS: r.cpuS, bytes: r.bytes, rssBytes: r.rssBytes };
}

/**
 * The disk's own anchor for latency: write + fdatasync of one small record every 10 ms in `dir`
 * (the outbox's filesystem). An uplink is published only after its outbox fsync, so the gateway's
 * latency percentiles cannot beat these.
 */
async function fsyncLatency(dir: string, n = 300): Promise<{ p50: number; p99: number; max: number }> {
  const file = `${dir}/.bench-fsync`;
  const fd = fs.openSync(file, 'w');
  const buf = Buffer.alloc(400, 1);
  const t: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      fs.writeSync(fd, buf);
      fs.fdatasyncSync(fd);
      t.push(performance.now() - t0);
      await sleep(10);
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  t.sort((a, b) => a - b);
  return { p50: pct(t, 50), p99: pct(t, 99), max: t[t.length - 1]! };
}

export async function bench(argv: string[]): Promise<void> {
  const burst = flag(argv, '--frames', 20000);
  const nDev = flag(argv, '--devices', 50);
  const rate = flag(argv, '--rate', 100);
  const soakMin = flag(argv, '--soak-minutes', 0);
  const steadyS = soakMin > 0 ? soakMin * 60 : flag(argv, '--seconds', 60);
  const fsync = !argv.includes('--no-fsync');
  // --set key=value (repeatable): passed on to the gateway, e.g. --set mqtt.inflight=256
  const gwSets = argv.flatMap((a, i) => (a === '--set' && argv[i + 1] ? ['--set', argv[i + 1]!] : []));

  const mosq = await startMosquitto();
  const rig = await makeRig(nDev, 'bench');
  const consumer = new Consumer(mosq.url, ['kerb/device/+/up'], { clientId: 'bench-consumer' });
  const counter = new Counter();
  const heapMb = flag(argv, '--heap-mb', 0);
  // --node-flag F (repeatable): a Node/V8 flag for the gateway process, e.g. --node-flag --max-semi-space-size=1
  // The unit's own flags come first unless --no-unit-flags; later flags win in V8.
  const nodeFlags = [
    ...(argv.includes('--no-unit-flags') ? [] : unitNodeFlags(fs.readFileSync(UNIT, 'utf8'))),
    ...argv.flatMap((a, i) => (a === '--node-flag' && argv[i + 1] ? [argv[i + 1]!] : [])),
  ];
  const profDir = argv.includes('--profile') ? argv[argv.indexOf('--profile') + 1] : undefined;
  const gw = new GatewayProcess(
    gatewayArgs(rig, mosq.url, ['--log-level', 'warn', '--set', 'homeassistant.enabled=false', '--set', `outbox.fsync=${fsync}`, ...gwSets]),
    {},
    [...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []), ...nodeFlags],
  );
  const inflightSet = gwSets.find((a) => a.startsWith('mqtt.inflight='));
  const window = inflightSet ? Number(inflightSet.split('=')[1]) : 64;
  try {
    await counter.connect(mosq.url);
    const arrivals = new Set<string>();
    const anchors = [await runAnchor(counter, mosq.url, burst, window, nDev, 0)];
    const disk = fsync ? await fsyncLatency(rig.stateDir) : undefined;
    gw.start();
    await sleep(3000); // process start, radio heartbeat, MQTT connect (log level warn hides the messages)
    const pid = gw.proc!.pid!;
    console.log(`gateway node flags: ${nodeFlags.join(' ') || '(none)'}`);
    const rssStart = rssKiB(pid);

    // Pre-build frames so the bench's own crypto does not limit the gateway.
    let fcnt = 0;
    const frames = (n: number) => {
      const out: { dev: string; fcnt: number; bytes: Uint8Array }[] = [];
      const payload = encodeReadings({ pm25DeciUgm3: 123, pm10DeciUgm3: 200, tempDeciC: 215, rhHalfPct: 111, pressureDeciHpa: 10132, noiseDeciDb: 543, batteryMv: 3600 });
      for (let i = 0; i < n; i++) {
        const d = rig.devices[i % nDev]!;
        if (i % nDev === 0) fcnt++;
        out.push({ dev: d.id, fcnt, bytes: loraUplink(d, fcnt, payload) });
      }
      return out;
    };

    // 1. burst
    const b = frames(burst);
    const base = counter.n;
    counter.arm(burst);
    const cpu0 = cpuSeconds(pid);
    const sys0 = cpuTimes(pid).sys;
    const others = (): number[] => [mosq.pid() ? cpuSeconds(mosq.pid()!) : NaN, cpuSeconds(rig.pty.pid), process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6];
    const others0 = others();
    const t0 = performance.now();
    const t0Ms = epochMs();
    for (let i = 0; i < b.length; i++) {
      rig.radio.uplink(b[i]!.bytes);
      if (i % 200 === 199) await new Promise((r) => setImmediate(r)); // let the serial writes drain
    }
    // When the radio's last byte left its serial port (the input side's own limit).
    const port = (rig.radio as unknown as { port?: { drain(cb: () => void): void } }).port;
    if (port) await new Promise<void>((r) => port.drain(() => r()));
    const writtenS = (performance.now() - t0) / 1000;
    const deliveredAtWrite = counter.n - base;
    await waitUntil(() => counter.doneMs > 0, 120_000, `burst delivered (${counter.n - base}/${burst})`);
    const burstS = (counter.doneMs - t0Ms) / 1000;
    const cpuS = cpuSeconds(pid) - cpu0;
    const sysS = cpuTimes(pid).sys - sys0;
    console.log(`sustained: ${burst} uplinks from ${nDev} devices in ${burstS.toFixed(2)} s = ${(burst / burstS).toFixed(0)} uplinks/s (pty in → mosquitto out, outbox fsync ${fsync ? 'on' : 'off'}; radio, broker and subscriber share the machine)`);
    const othersS = others().map((v, i) => v - others0[i]!);
    console.log(`radio side: all ${burst} frames written to the pty after ${writtenS.toFixed(2)} s (${deliveredAtWrite} delivered by then)`);
    console.log(`gateway CPU: ${cpuS.toFixed(2)} s for ${burst} uplinks = ${(burst / cpuS).toFixed(0)} uplinks per CPU-second = ${((cpuS * 1e6) / burst).toFixed(0)} µs per uplink, ${((sysS / cpuS) * 100).toFixed(0)} % of it in the kernel (${((cpuS / burstS) * 100).toFixed(0)} % of one core during the burst)`);
    console.log(`other CPU during the burst: mosquitto ${othersS[0]!.toFixed(2)} s, socat ${othersS[1]!.toFixed(2)} s, bench process (radio + subscriber) ${othersS[2]!.toFixed(2)} s`);
    anchors.push(await runAnchor(counter, mosq.url, burst, window, nDev, 1_000_000));
    await counter.close();
    await consumer.connect();
    const anchorRate = (anchors[0]!.rate + anchors[1]!.rate) / 2;
    const anchorUs = ((anchors[0]!.cpuS + anchors[1]!.cpuS) / 2 / burst) * 1e6;
    console.log(`anchor: bare mqtt.js, QoS 1, window ${window}, ${anchors[0]!.bytes}-byte SenML-CBOR packs, same mosquitto and subscriber: ${anchors.map((a) => a.rate.toFixed(0)).join(' and ')} msg/s (before and after the burst), ${anchorUs.toFixed(1)} µs publisher CPU per message`);
    console.log(`RATIO gateway / anchor: ${(burst / burstS / anchorRate).toFixed(2)}× the rate (${(burst / burstS).toFixed(0)} vs ${anchorRate.toFixed(0)} per second), ${((cpuS * 1e6) / burst / anchorUs).toFixed(1)}× the CPU per message`);

    // 2. steady rate with latency
    const n = Math.round(steadyS * rate);
    const s = frames(n);
    const sentAt = new Map<string, number>();
    const lat: number[] = [];
    // Runs after the Consumer's own handler, which has just recorded this message's (device, fcnt)
    // as the last first-seen one for the device.
    consumer.client!.on('message', (topic) => {
      const m = /\/device\/([^/]+)\/up$/.exec(topic);
      if (!m) return;
      const seen = consumer.firstSeen.get(m[1]!);
      const k = `${m[1]}/${seen?.[seen.length - 1]}`;
      const t = sentAt.get(k);
      if (t !== undefined && !arrivals.has(k)) {
        arrivals.add(k);
        lat.push(performance.now() - t);
      }
    });
    const base2 = consumer.count();
    const rssSeries: string[] = [];
    const sampleEvery = Math.max(10, Math.round(steadyS / 10)) * 1000;
    const sampler = setInterval(() => rssSeries.push(`${(rssKiB(pid) / 1024).toFixed(0)}`), sampleEvery);
    const t1 = performance.now();
    for (let i = 0; i < n; i++) {
      const due = t1 + (i * 1000) / rate;
      const w = due - performance.now();
      if (w > 1) await sleep(w);
      sentAt.set(`${s[i]!.dev}/${s[i]!.fcnt}`, performance.now());
      rig.radio.uplink(s[i]!.bytes);
    }
    await waitUntil(() => consumer.count() - base2 >= n, 60_000, `steady delivered (${consumer.count() - base2}/${n})`);
    clearInterval(sampler);
    lat.sort((a, c) => a - c);
    const rssEnd = rssKiB(pid);
    console.log(`latency at ${rate} frames/s over ${steadyS} s (${lat.length} frames): p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, max ${lat[lat.length - 1]!.toFixed(1)} ms`);
    if (disk) console.log(`disk anchor: write + fdatasync of 400 B every 10 ms in the state folder (before the gateway started): p50 ${disk.p50.toFixed(1)} ms, p99 ${disk.p99.toFixed(1)} ms, max ${disk.max.toFixed(1)} ms`);
    console.log(`gateway RSS: ${(rssStart / 1024).toFixed(1)} MiB at start, ${(rssEnd / 1024).toFixed(1)} MiB after ${burst} + ${n} uplinks (${(steadyS / 60).toFixed(1)} min at ${rate}/s)`);
    console.log(`gateway RSS every ${sampleEvery / 1000} s during the steady run (MiB): ${rssSeries.join(' ')}`);
    console.log(`anchor RSS (bare node + mqtt.js, ${burst} messages published): ${(anchors[1]!.rssBytes / 2 ** 20).toFixed(1)} MiB; gateway/anchor ${(rssEnd / 1024 / (anchors[1]!.rssBytes / 2 ** 20)).toFixed(2)}×`);
    const sm = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(sm)?.[1] ?? NaN);
    console.log(`gateway RSS now: ${(kb('Rss') / 1024).toFixed(1)} MiB = ${(kb('Anonymous') / 1024).toFixed(1)} MiB anonymous (heap, stacks) + ${((kb('Rss') - kb('Anonymous')) / 1024).toFixed(1)} MiB file-backed (mostly the node executable's own pages, shared and reclaimable)`);
    console.log(`duplicates seen by the consumer: ${consumer.duplicates}`);
  } finally {
    await gw.kill('SIGTERM').catch(() => undefined);
    await counter.close();
    await consumer.close();
    await rig.close();
    await mosq.close();
  }
}
