// The outbox against a damaged disk: short writes, writes that fail half-way, bytes flipped in the
// middle of a segment (at rest, and after the outbox validated it), and segments of the older
// record format. What is intact must survive; what is lost must be counted; nothing may spin.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, SEGMENT_HEADER, encodeLegacyRecord, type OutboxMessage } from '../../gateway/outbox.ts';
import { PromMetrics } from '../../gateway/metrics.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-outbox-faults-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const msg = (i: number): OutboxMessage => ({ topic: 'kerb/device/d/up', payload: Buffer.from(`payload-${i}-${'x'.repeat(i % 17)}`), at: i, qos: 1 });
const label = (e: { payload: Uint8Array }): number => Number(Buffer.from(e.payload).toString().split('-')[1]);
const segFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).sort();

async function open(dir: string, metrics?: PromMetrics): Promise<Outbox> {
  const o = new Outbox({ dir, maxBytes: 64 * 1024 * 1024, maxMessages: 100_000, ackDelayMs: 1, probeMs: 10, retryMs: 20, ...(metrics ? { metrics } : {}) });
  await o.open();
  return o;
}

async function corruptCount(m: PromMetrics): Promise<number> {
  return m.value('outbox_corrupt_records_total');
}

/** Byte offset of the middle of the record carrying payload index i (found by its text). */
function offsetOf(data: Buffer, i: number): number {
  const at = data.indexOf(Buffer.from(`payload-${i}-`));
  expect(at).toBeGreaterThan(0);
  return at + 3;
}

describe('outbox on a damaged disk', () => {
  it('one flipped byte in the middle of a segment costs one record: the rest after it is kept, delivered in order, and counted', async () => {
    const dir = tmp();
    const o = await open(dir);
    for (let i = 1; i <= 200; i += 10) await o.append(Array.from({ length: 10 }, (_, k) => msg(i + k)));
    await o.close();
    const [seg] = segFiles(dir);
    const p = path.join(dir, seg!);
    const data = fs.readFileSync(p);
    data[offsetOf(data, 50)]! ^= 0x20;
    fs.writeFileSync(p, data);

    const metrics = new PromMetrics(undefined, 'kerb_', false);
    const o2 = await open(dir, metrics);
    expect(o2.depth).toBe(199);
    expect(await corruptCount(metrics)).toBe(1);
    const got = o2.take(1000);
    expect(got.map(label)).toEqual(Array.from({ length: 200 }, (_, k) => k + 1).filter((i) => i !== 50));
    for (const e of got) o2.ack(e.seq);
    expect(o2.depth).toBe(0);
    expect(o2.acked).toBe(200); // the lost record does not hold the ack pointer back
    await o2.close();
    const o3 = await open(dir);
    expect(o3.take(1000)).toEqual([]);
    await o3.close();
  });

  it('a damaged length field, and a run of garbage over several records, are resynchronised past', async () => {
    const dir = tmp();
    const o = await open(dir);
    for (let i = 1; i <= 60; i++) await o.append([msg(i)]);
    await o.close();
    const p = path.join(dir, segFiles(dir)[0]!);
    const data = fs.readFileSync(p);
    // Record 10's header: its length field (4 bytes after the marker) gets a huge value.
    const r10 = data.lastIndexOf(Buffer.from([0x4b, 0x52, 0xa5, 0xc3]), offsetOf(data, 10));
    data.writeUInt32LE(0x7fffffff, r10 + 4);
    // 30..33 overwritten by zeros, as a lost flash page would be.
    const from = offsetOf(data, 30) - 40;
    data.fill(0, from, offsetOf(data, 33) + 5);
    fs.writeFileSync(p, data);
    const metrics = new PromMetrics(undefined, 'kerb_', false);
    const o2 = await open(dir, metrics);
    const got = o2.take(1000).map(label);
    for (let i = 1; i <= 60; i++) if (i !== 10 && (i < 29 || i > 33)) expect(got, `record ${i} kept`).toContain(i);
    expect(got).not.toContain(10);
    expect(got).toEqual([...got].sort((a, b) => a - b));
    const lost = 60 - got.length;
    expect(await corruptCount(metrics)).toBe(lost);
    expect(lost).toBeLessThanOrEqual(6);
    await o2.close();
  });

  it('a byte flipped after open (the disk changed under the reader) is skipped at take(), counted, and the ack pointer passes it', async () => {
    const dir = tmp();
    const metrics = new PromMetrics(undefined, 'kerb_', false);
    const o = await open(dir, metrics);
    for (let i = 1; i <= 20; i++) await o.append([msg(i)]);
    const p = path.join(dir, segFiles(dir)[0]!);
    const data = fs.readFileSync(p);
    data[offsetOf(data, 7)]! ^= 0x01;
    fs.writeFileSync(p, data);
    const got = o.take(1000);
    expect(got.map(label)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1).filter((i) => i !== 7));
    expect(await corruptCount(metrics)).toBe(1);
    for (const e of got) o.ack(e.seq);
    expect(o.acked).toBe(20);
    expect(o.depth).toBe(0);
    o.rewind();
    expect(o.take(1000)).toEqual([]); // not counted twice
    expect(await corruptCount(metrics)).toBe(1);
    await o.close();
  });

  it('a torn tail is still cut, and not counted as corruption', async () => {
    const dir = tmp();
    const o = await open(dir);
    for (let i = 1; i <= 5; i++) await o.append([msg(i)]);
    await o.close();
    const p = path.join(dir, segFiles(dir)[0]!);
    const size = fs.statSync(p).size;
    fs.truncateSync(p, size - 7); // the last record lost its end
    const metrics = new PromMetrics(undefined, 'kerb_', false);
    const o2 = await open(dir, metrics);
    expect(o2.take(100).map(label)).toEqual([1, 2, 3, 4]);
    expect(await corruptCount(metrics)).toBe(0);
    await o2.append([msg(6)]);
    expect(o2.take(100).map(label)).toEqual([6]);
    await o2.close();
  });

  it('short writes are continued until the record is whole (never committed half on disk)', async () => {
    const dir = tmp();
    const o = await open(dir);
    const fh0 = await import('node:fs/promises').then((f) => f.open(path.join(dir, 'probe'), 'w'));
    const proto = Object.getPrototypeOf(fh0) as { write: (...a: unknown[]) => Promise<{ bytesWritten: number }> };
    await fh0.close();
    const real = proto.write;
    // A filesystem that takes at most 7 bytes per write() call.
    proto.write = function (this: unknown, buf: unknown, off: unknown, len: unknown, pos: unknown) {
      return real.call(this, buf, off, Math.min(Number(len), 7), pos);
    };
    try {
      for (let i = 1; i <= 10; i++) await o.append([msg(i)]);
    } finally {
      proto.write = real;
    }
    expect(o.take(100).map(label)).toEqual(Array.from({ length: 10 }, (_, k) => k + 1));
    await o.close();
    const o2 = await open(dir);
    expect(o2.take(100).map(label)).toEqual(Array.from({ length: 10 }, (_, k) => k + 1));
    await o2.close();
  });

  it('a write that stops half-way on a full disk is cut back: refused, nothing half-committed, no empty segment files, no spin, recovers by itself', async () => {
    const dir = tmp();
    const logs: string[] = [];
    const log = { debug() {}, info: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m) };
    const o = new Outbox({ dir, maxBytes: 64 * 1024, maxMessages: 64, ackDelayMs: 1, probeMs: 10, log });
    await o.open();
    await o.append([msg(1)]);
    const fh = (o as unknown as { writeFh: { write: (...a: unknown[]) => Promise<{ bytesWritten: number }> } }).writeFh;
    const real = fh.write.bind(fh);
    let full = true;
    // Half of the bytes land, then ENOSPC: what a full disk does to a write that straddles its end.
    fh.write = async (buf: unknown, off: unknown, len: unknown, pos: unknown) => {
      if (!full) return real(buf, off, len, pos);
      await real(buf, off, Math.floor(Number(len) / 2), pos);
      throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    };
    const statfs = (await import('node:fs/promises')).default;
    const realStatfs = statfs.statfs;
    let free = 0;
    statfs.statfs = (async (p: string) => ({ ...(await realStatfs(p)), bavail: free, bsize: 4096 })) as typeof statfs.statfs;
    try {
      const refused = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => o.append([msg(100 + i)])));
      expect(refused.every((r) => r.status === 'rejected')).toBe(true);
      expect(o.fault?.code).toBe('ENOSPC');
      expect(o.depth).toBe(1);
      // Still full: refusals are immediate and logged once, not per message.
      for (let i = 0; i < 20; i++) await expect(o.append([msg(200 + i)])).rejects.toMatchObject({ code: 'outbox_unwritable' });
      await new Promise((r) => setTimeout(r, 60));
      expect(o.fault?.code).toBe('ENOSPC');
      expect(logs.filter((l) => /cannot write/.test(l))).toHaveLength(1);
      // The reader is not stuck on a half record.
      expect(o.take(100).map(label)).toEqual([1]);
      // Space comes back: the probe notices, the next append works and goes into the same segment.
      full = false;
      free = 1_000_000;
      await new Promise((r) => setTimeout(r, 60));
      expect(o.fault).toBeUndefined();
      expect(logs.filter((l) => /writable again/.test(l))).toHaveLength(1);
      await o.append([msg(2)]);
    } finally {
      statfs.statfs = realStatfs;
    }
    expect(o.take(100).map(label)).toEqual([2]);
    expect(segFiles(dir)).toHaveLength(1);
    await o.close();
    const o2 = await open(dir);
    expect(o2.take(100).map(label)).toEqual([1, 2]);
    await o2.close();
  });

  it('reads segments written in the older record format (no header, no sync marker), then writes new ones', async () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'seg-0000000000000001.kob'), Buffer.concat([1, 2, 3].map((i) => encodeLegacyRecord(i, msg(i)))));
    fs.writeFileSync(path.join(dir, 'ack'), JSON.stringify({ ackedThrough: 1 }));
    const o = await open(dir);
    expect(o.take(100).map(label)).toEqual([2, 3]);
    await o.append([msg(4)]);
    expect(o.take(100).map(label)).toEqual([4]);
    await o.close();
    const newer = segFiles(dir).find((n) => n !== 'seg-0000000000000001.kob')!;
    expect(fs.readFileSync(path.join(dir, newer)).subarray(0, SEGMENT_HEADER.length).equals(SEGMENT_HEADER)).toBe(true);
  });

  it('a damaged ack file that still parses does not skip messages', async () => {
    const dir = tmp();
    const o = await open(dir);
    for (let i = 1; i <= 10; i++) await o.append([msg(i)]);
    for (const e of o.take(3)) o.ack(e.seq);
    await o.close();
    const ack = path.join(dir, 'ack');
    const text = fs.readFileSync(ack, 'utf8');
    expect(JSON.parse(text)).toMatchObject({ ackedThrough: 3 });
    fs.writeFileSync(ack, text.replace('"ackedThrough":3', '"ackedThrough":9')); // one flipped byte
    const o2 = await open(dir);
    expect(o2.take(100).map(label)).toEqual(Array.from({ length: 10 }, (_, k) => k + 1));
    await o2.close();
  });
});
