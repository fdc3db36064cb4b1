// Integration harness for the gateway: the real `kerb gateway` process (bin/kerb.mjs), a real
// mosquitto (test/helpers/mosquitto.ts), a socat pty pair with a test radio on the far end
// (test/helpers/pty.ts, test-radio.ts), devices in a registry file, uplinks built by lora-packet,
// and an MQTT consumer that counts SenML uplinks by (device, frame counter).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { openPtyPair, type PtyPair } from './pty.ts';
import { TestRadio } from './test-radio.ts';
import { loraUplink, newDevice, writeRegistry, type TestDevice } from './ingest.ts';
import { decodeSenmlCbor, resolveSenml } from '../../gateway/senml.ts';
import { encodeReadings, type Readings } from '../../shared/payload/kerb.ts';

export const KERB = fileURLToPath(new URL('../../bin/kerb.mjs', import.meta.url));

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function waitUntil<T>(fn: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export interface LogRecord {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export class GatewayProcess {
  proc: ChildProcess | undefined;
  logs: LogRecord[] = [];
  stderrText = '';
  httpPort: number | undefined;
  private exitP: Promise<number | null> = Promise.resolve(null);

  constructor(readonly args: string[], readonly env: Record<string, string> = {}, readonly nodeArgs: string[] = []) {}

  start(): void {
    const p = spawn(process.execPath, [...this.nodeArgs, KERB, 'gateway', ...this.args], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    let buf = '';
    p.stderr!.on('data', (d: Buffer) => {
      this.stderrText += d.toString();
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const rec = JSON.parse(line) as LogRecord;
          this.logs.push(rec);
          if (rec.msg === 'http listening' && typeof rec.url === 'string') this.httpPort = Number(new URL(rec.url).port);
          if (process.env.KERB_TEST_LOG === '1') console.log('[gw]', line);
        } catch {
          if (process.env.KERB_TEST_LOG === '1') console.log('[gw!]', line);
        }
      }
    });
    p.stdout!.on('data', () => undefined);
    this.exitP = new Promise((resolve) => p.once('exit', (code) => resolve(code)));
  }

  get running(): boolean {
    return !!this.proc && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  hasLog(re: RegExp, level?: string): boolean {
    return this.logs.some((l) => re.test(l.msg) && (!level || l.level === level));
  }

  waitLog(re: RegExp, timeoutMs = 20_000): Promise<LogRecord> {
    return waitUntil(() => this.logs.find((l) => re.test(l.msg)), timeoutMs, `gateway log ${re}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.proc?.exitCode ?? null;
    this.proc!.kill(signal);
    const t = setTimeout(() => this.proc?.kill('SIGKILL'), 15_000);
    const code = await this.exitP;
    clearTimeout(t);
    return code;
  }
}

/** Uplinks seen by a consumer, deduplicated by (device, fcnt), as a consumer of an at-least-once feed must. */
export class Consumer {
  client: MqttClient | undefined;
  readonly messages: { topic: string; payload: Buffer; retain: boolean }[] = [];
  readonly firstSeen = new Map<string, number[]>(); // device → fcnts in order of first arrival
  readonly unique = new Set<string>();
  duplicates = 0;

  constructor(readonly url: string, readonly topics: string[], readonly opts: IClientOptions = {}) {}

  async connect(): Promise<void> {
    const c = mqtt.connect(this.url, { reconnectPeriod: 200, ...this.opts });
    this.client = c;
    c.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload, retain: packet.retain });
      const m = /\/device\/([^/]+)\/up$/.exec(topic);
      if (!m) return;
      const recs = resolveSenml(decodeSenmlCbor(payload));
      const fcnt = recs.find((r) => r.name.endsWith(':fcnt'))!.value!;
      const key = `${m[1]}/${fcnt}`;
      if (this.unique.has(key)) {
        this.duplicates++;
        return;
      }
      this.unique.add(key);
      const list = this.firstSeen.get(m[1]!) ?? [];
      list.push(fcnt);
      this.firstSeen.set(m[1]!, list);
    });
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    await c.subscribeAsync(this.topics, { qos: 1 });
  }

  count(): number {
    return this.unique.size;
  }

  on(topic: string): { topic: string; payload: Buffer; retain: boolean }[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
  }
}

export interface Rig {
  dir: string;
  stateDir: string;
  pty: PtyPair;
  radio: TestRadio;
  devices: TestDevice[];
  fcnt: Map<string, number>;
  /** Sends the next uplink of a device (kerb readings, FPort 1); returns its fcnt. */
  send(dev: TestDevice, readings?: Readings, fcnt?: number): number;
  close(): Promise<void>;
}

export async function makeRig(nDevices: number, tag: string): Promise<Rig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kerb-gwit-${tag}-`));
  const stateDir = path.join(dir, 'state');
  fs.mkdirSync(stateDir);
  const devices = Array.from({ length: nDevices }, (_, i) => ({ ...newDevice(`dev-${i}`), name: `Test node ${i}` }));
  writeRegistry(path.join(stateDir, 'devices.json'), devices);
  const pty = await openPtyPair(path.join(dir, 'radio-gw'), path.join(dir, 'radio-test'));
  const radio = new TestRadio({ path: pty.b, statusMs: 500 });
  await radio.open();
  const fcnt = new Map<string, number>();
  return {
    dir,
    stateDir,
    pty,
    radio,
    devices,
    fcnt,
    send(dev, readings = { tempDeciC: 215, rhHalfPct: 111, batteryMv: 3600 }, f) {
      const n = f ?? (fcnt.get(dev.id) ?? 0) + 1;
      if (f === undefined) fcnt.set(dev.id, n);
      radio.uplink(loraUplink(dev, n, encodeReadings(readings)), { rssiDbm: -90, snrDb: 6.5, sf: 8 });
      return n;
    },
    async close() {
      await radio.close().catch(() => undefined);
      await pty.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Standard flags for a gateway under test. */
export function gatewayArgs(rig: Rig, mqttUrl: string, extra: string[] = []): string[] {
  return [
    '--state-dir', rig.stateDir,
    '--radio', rig.pty.a,
    '--mqtt-url', mqttUrl,
    '--gateway-id', 'gw-test',
    '--http-port', '0',
    '--set', 'http.host=127.0.0.1',
    '--set', 'mqtt.reconnectMinMs=200',
    '--set', 'mqtt.reconnectMaxMs=1000',
    '--set', 'stats.intervalS=1',
    ...extra,
  ];
}
