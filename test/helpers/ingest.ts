// Shared pieces for the ingest tests: an in-memory Logger and Metrics (plain implementations of the
// host/types.ts interfaces, not module mocks), registry files, and uplinks built by lora-packet,
// an independent LoRaWAN implementation.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger, Metrics } from '../../host/types.ts';

export const lp = createRequire(import.meta.url)('lora-packet') as typeof import('lora-packet').default;

export interface LogLine { level: string; msg: string; fields?: Record<string, unknown> }

export class MemLogger implements Logger {
  lines: LogLine[] = [];
  echo = process.env.KERB_TEST_LOG === '1';
  private add(level: string, msg: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level, msg, fields });
    if (this.echo) console.log(level, msg, fields ? JSON.stringify(fields) : '');
  }
  debug(msg: string, fields?: Record<string, unknown>): void { this.add('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.add('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.add('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.add('error', msg, fields); }
  count(re: RegExp, level?: string): number {
    return this.lines.filter((l) => re.test(l.msg) && (!level || l.level === level)).length;
  }
}

function key(name: string, labels?: Record<string, string>): string {
  if (!labels) return name;
  const ks = Object.keys(labels).sort();
  return `${name}{${ks.map((k) => `${k}=${labels[k]}`).join(',')}}`;
}

export class MemMetrics implements Metrics {
  values = new Map<string, number>();
  inc(name: string, labels?: Record<string, string>, by = 1): void {
    const k = key(name, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  set(name: string, value: number, labels?: Record<string, string>): void { this.values.set(key(name, labels), value); }
  observe(name: string, value: number, labels?: Record<string, string>): void { this.inc(name + '_count', labels); void value; }
  get(name: string, labels?: Record<string, string>): number { return this.values.get(key(name, labels)) ?? 0; }
  /** Sum over all label sets of a metric. */
  sum(name: string): number {
    let s = 0;
    for (const [k, v] of this.values) if (k === name || k.startsWith(name + '{')) s += v;
    return s;
  }
}

export interface TestDevice { id: string; devAddr: string; nwkSKey: string; appSKey: string; name?: string; profile?: string; location?: { lat: number; lon: number } }

export function newDevice(id: string, devAddr?: string): TestDevice {
  return {
    id,
    devAddr: devAddr ?? '26' + randomBytes(3).toString('hex').toUpperCase(),
    nwkSKey: randomBytes(16).toString('hex').toUpperCase(),
    appSKey: randomBytes(16).toString('hex').toUpperCase(),
  };
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `kerb-${tag}-`));
}

/** Writes the registry the way `kerb device add` and careful editors do: temp file + rename. */
export function writeRegistry(file: string, devices: unknown[]): void {
  const tmp = file + '.tmp';
  fs.writeFileSync(tmp, JSON.stringify({ devices }, null, 2));
  fs.renameSync(tmp, file);
}

/** An uplink PHYPayload built by lora-packet: DevAddr/FCnt big-endian, FCnt high bytes LE (its README). */
export function loraUplink(dev: TestDevice, fcnt32: number, payload: Uint8Array, o: { fport?: number; confirmed?: boolean; ack?: boolean } = {}): Uint8Array {
  const msb = Buffer.from([(fcnt32 >>> 16) & 255, fcnt32 >>> 24]);
  const pkt = lp.fromFields({
    MType: o.confirmed ? 'Confirmed Data Up' : 'Unconfirmed Data Up',
    DevAddr: Buffer.from(dev.devAddr, 'hex'),
    FCnt: fcnt32 % 65536,
    FCtrl: { ADR: false, ACK: o.ack ?? false },
    FPort: o.fport ?? 1,
    payload: Buffer.from(payload),
  }, Buffer.from(dev.appSKey, 'hex'), Buffer.from(dev.nwkSKey, 'hex'), undefined, msb);
  return Uint8Array.from(pkt.getPHYPayload()!);
}

export async function waitFor<T>(fn: () => T | undefined | false | null, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
