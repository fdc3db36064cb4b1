// Sequence gaps in the durable outbox: seqs with no record on disk (a failed write before a crash,
// an overflow drop or an ack whose lazy write a crash overtook) must not hold the ack pointer back
// after a restart, or everything above them is redelivered on every restart, the depth stays
// inflated and no segment is ever deleted.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, SEGMENT_HEADER, encodeLegacyRecord, encodeRecord, type OutboxMessage } from '../../gateway/outbox.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-outbox-gap-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const m = (i: number): OutboxMessage => ({ topic: 'kerb/device/x/up', payload: new Uint8Array([i]), at: 0, qos: 1 });

async function open(dir: string): Promise<Outbox> {
  const ob = new Outbox({ dir, maxBytes: 1e7, maxMessages: 1000, ackDelayMs: 1, probeMs: 10, retryMs: 20 });
  await ob.open();
  return ob;
}

/** A segment as the current version writes it, or (legacy) as versions before the sync marker did. */
function writeSegment(dir: string, seqs: number[], legacy = false): void {
  const body = seqs.map((q) => (legacy ? encodeLegacyRecord(q, m(q)) : encodeRecord(q, m(q))));
  fs.writeFileSync(path.join(dir, `seg-${String(seqs[0]).padStart(16, '0')}.kob`), Buffer.concat(legacy ? body : [SEGMENT_HEADER, ...body]));
}

const segFiles = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('seg-')).sort();
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('outbox sequence gaps', () => {
  it('a failed write leaves no hole: its seqs are reused, no empty segment is left, and a crash after it redelivers exactly what is owed', async () => {
    const dir = tmp();
    const o = await open(dir);
    await o.append([m(1), m(2), m(3)]);
    const fh = (o as unknown as { writeFh: { write: (...a: unknown[]) => Promise<unknown> } }).writeFh;
    const real = fh.write.bind(fh);
    let fail = true;
    fh.write = (...a: unknown[]) => {
      if (fail) {
        fail = false;
        return Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' }));
      }
      return real(...a);
    };
    await expect(o.append([m(4), m(5), m(6)])).rejects.toThrow(/EIO/);
    expect(o.fault?.code).toBe('EIO');
    // Refused at once while unwritable (nothing queued behind a broken disk).
    await expect(o.append([m(4)])).rejects.toMatchObject({ code: 'outbox_unwritable' });
    await new Promise((r) => setTimeout(r, 100));
    expect(o.fault).toBeUndefined();
    await o.append([m(7), m(8), m(9)]);
    expect(segFiles(dir)).toEqual(['seg-0000000000000001.kob']);
    // crash (no close), broker was down: nothing acknowledged. Restart:
    const o2 = await open(dir);
    expect(o2.depth).toBe(6);
    const got = o2.take(100);
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(got.map((e) => e.payload[0])).toEqual([1, 2, 3, 7, 8, 9]);
    for (const e of got) o2.ack(e.seq);
    expect(o2.acked).toBe(6);
    expect(o2.depth).toBe(0);
    await settle();
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ack'), 'utf8'))).toMatchObject({ ackedThrough: 6 });
    await o2.close();
    const o3 = await open(dir);
    expect(o3.take(100)).toEqual([]);
    expect(o3.depth).toBe(0);
    await o3.append([m(10)]);
    expect(o3.take(100).map((e) => e.seq)).toEqual([7]);
    await o3.close();
  });

  it('a legacy failed write (a hole between version-1 segments) is stepped over after restart', async () => {
    const dir = tmp();
    writeSegment(dir, [1, 2, 3], true);
    writeSegment(dir, [7, 8, 9], true);
    const o2 = await open(dir);
    expect(o2.depth).toBe(6);
    const got = o2.take(100);
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 7, 8, 9]);
    for (const e of got.slice(0, 3)) o2.ack(e.seq);
    expect(o2.acked).toBe(6);
    expect(o2.depth).toBe(3);
    for (const e of got.slice(3)) o2.ack(e.seq);
    expect(o2.acked).toBe(9);
    await settle();
    expect(segFiles(dir)).toEqual(['seg-0000000000000007.kob']); // the acknowledged segment went
    await o2.append([m(10)]); // new records go to a new, current-format segment
    await o2.close();
    const o3 = await open(dir);
    expect(o3.take(100).map((e) => e.seq)).toEqual([10]);
    await o3.close();
  });

  it('records missing below the first segment (deleted before the ack file caught up) count as acknowledged', async () => {
    const dir = tmp();
    // Stale ack file (2) while segments up to seq 4 are gone; 5..8 survive.
    fs.writeFileSync(path.join(dir, 'ack'), JSON.stringify({ ackedThrough: 2 }));
    writeSegment(dir, [5, 6, 7, 8]);
    const o = await open(dir);
    expect(o.acked).toBe(4);
    expect(o.depth).toBe(4);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'ack'), 'utf8'))).toMatchObject({ ackedThrough: 4 });
    const got = o.take(100);
    expect(got.map((e) => e.seq)).toEqual([5, 6, 7, 8]);
    o.ack(5);
    o.ack(6);
    expect(o.acked).toBe(6);
    expect(o.depth).toBe(2);
    await settle();
    // crash (no close), restart: only the unacknowledged ones come back.
    const o2 = await open(dir);
    expect(o2.depth).toBe(2);
    expect(o2.take(100).map((e) => e.seq)).toEqual([7, 8]);
    await o2.close();
  });

  it('a gap between segments found at open is stepped over once the records before it are acknowledged', async () => {
    const dir = tmp();
    writeSegment(dir, [1, 2]);
    writeSegment(dir, [10, 11]);
    writeSegment(dir, [20]);
    const o = await open(dir);
    expect(o.depth).toBe(5);
    const got = o.take(100);
    expect(got.map((e) => e.seq)).toEqual([1, 2, 10, 11, 20]);
    // Out of order acks: the pointer moves only over acknowledged records and empty gaps.
    o.ack(10);
    o.ack(11);
    expect(o.acked).toBe(0);
    o.ack(1);
    o.ack(2);
    expect(o.acked).toBe(19);
    expect(o.depth).toBe(1);
    o.ack(20);
    expect(o.acked).toBe(20);
    expect(o.depth).toBe(0);
    await o.close();
    const o2 = await open(dir);
    expect(o2.take(100)).toEqual([]);
    expect(o2.depth).toBe(0);
    await o2.close();
  });
});
