// The durable outbox on a real filesystem: order, acknowledgement, recovery after a "crash"
// (a new instance on the same directory without close()), torn tails, and the overflow policy.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Outbox, encodeRecord, type OutboxMessage } from '../../gateway/outbox.ts';
import { PromMetrics } from '../../gateway/metrics.ts';

const dirs: string[] = [];
function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'kerb-outbox-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function msg(dev: string, fcnt: number): OutboxMessage {
  return { topic: `kerb/device/${dev}/up`, payload: Buffer.from(`${dev}:${fcnt}`), at: 1_700_000_000_000 + fcnt, qos: 1 };
}
function label(e: { payload: Uint8Array }): string {
  return Buffer.from(e.payload).toString();
}

async function open(dir: string, o: Partial<ConstructorParameters<typeof Outbox>[0]> = {}): Promise<Outbox> {
  const ob = new Outbox({ dir, maxBytes: 64 * 1024 * 1024, maxMessages: 100_000, ackDelayMs: 5, ...o });
  await ob.open();
  return ob;
}

/**
 * A crash between two file operations: a pending lazy ack write never happens, one already under
 * way completes (the process died just after it). Without this the abandoned instance's timers ran
 * on beside the new one, two live writers on one directory, which a real restart cannot produce.
 */
async function crash(o: Outbox): Promise<void> {
  const s = o as unknown as { closed: boolean; ackTimer?: NodeJS.Timeout; ackWriting?: Promise<void>; writing?: Promise<void> };
  s.closed = true;
  if (s.ackTimer) clearTimeout(s.ackTimer);
  s.ackTimer = undefined;
  while (s.writing || s.ackWriting) await (s.writing ?? s.ackWriting);
}

describe('outbox', () => {
  it('hands out messages in append order and forgets them only when acknowledged', async () => {
    const dir = tmp();
    const ob = await open(dir);
    await Promise.all([ob.append([msg('a', 1)]), ob.append([msg('b', 1), msg('b', 2)]), ob.append([msg('a', 2)])]);
    expect(ob.depth).toBe(4);
    const got = ob.take(10);
    expect(got.map(label)).toEqual(['a:1', 'b:1', 'b:2', 'a:2']);
    expect(got.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(got[0]!.topic).toBe('kerb/device/a/up');
    expect(got[0]!.at).toBe(1_700_000_000_001);
    expect(ob.take(10)).toEqual([]);
    ob.ack(2);
    expect(ob.depth).toBe(4); // seq 1 still outstanding
    ob.ack(1);
    expect(ob.depth).toBe(2);
    await ob.close();
    const again = await open(dir);
    expect(again.take(10).map(label)).toEqual(['b:2', 'a:2']);
    await again.close();
  });

  it('after a crash (no close) redelivers everything not acknowledged, in order, and nothing acknowledged before the ack was persisted', async () => {
    const dir = tmp();
    const ob = await open(dir);
    for (let i = 1; i <= 50; i++) await ob.append([msg('d', i)]);
    const first = ob.take(20);
    for (const e of first) ob.ack(e.seq);
    await new Promise((r) => setTimeout(r, 50)); // ack file written (ackDelayMs 5)
    ob.take(10); // taken, never acknowledged: in flight when the process "dies"
    // no close(): simulate SIGKILL by opening a second instance on the same directory
    const ob2 = await open(dir);
    const rest = ob2.take(1000).map(label);
    expect(rest).toEqual(Array.from({ length: 30 }, (_, i) => `d:${i + 21}`));
    expect(ob2.depth).toBe(30);
    await ob2.close();
  });

  it('truncates a torn tail left by a power cut and keeps every complete record', async () => {
    const dir = tmp();
    const ob = await open(dir);
    for (let i = 1; i <= 5; i++) await ob.append([msg('t', i)]);
    const seg = fs.readdirSync(path.join(dir)).find((f) => f.endsWith('.kob'))!;
    // Half of a sixth record, as if power failed mid-write.
    const half = encodeRecord(6, msg('t', 6)).subarray(0, 13);
    fs.appendFileSync(path.join(dir, seg), half);
    const ob2 = await open(dir);
    expect(ob2.take(100).map(label)).toEqual(['t:1', 't:2', 't:3', 't:4', 't:5']);
    await ob2.append([msg('t', 6)]);
    expect(ob2.take(100).map(label)).toEqual(['t:6']);
    await ob2.close();
    const ob3 = await open(dir);
    expect(ob3.take(100).map(label)).toEqual(['t:1', 't:2', 't:3', 't:4', 't:5', 't:6']);
    await ob3.close();
  });

  it('rejects a record whose CRC does not match (bit rot) and keeps the ones before it', async () => {
    const dir = tmp();
    const ob = await open(dir);
    for (let i = 1; i <= 3; i++) await ob.append([msg('c', i)]);
    const seg = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.kob'))!);
    const data = fs.readFileSync(seg);
    data[data.length - 2] ^= 0xff; // inside the third record's payload
    fs.writeFileSync(seg, data);
    const ob2 = await open(dir);
    expect(ob2.take(100).map(label)).toEqual(['c:1', 'c:2']);
    await ob2.close();
  });

  it('drops the oldest messages when full, counts them, and keeps the newest in order', async () => {
    const dir = tmp();
    const metrics = new PromMetrics(undefined, 'kerb_', false);
    const ob = await open(dir, { maxMessages: 16, metrics });
    for (let i = 1; i <= 100; i++) await ob.append([msg('o', i)]);
    expect(ob.depth).toBeLessThanOrEqual(16);
    expect(ob.dropped).toBe(100 - ob.depth);
    expect(await metrics.value('outbox_dropped_total')).toBe(ob.dropped);
    expect(await metrics.value('outbox_depth')).toBe(ob.depth);
    const left = ob.take(1000).map(label);
    expect(left.length).toBe(ob.depth);
    expect(left[left.length - 1]).toBe('o:100');
    const nums = left.map((s) => Number(s.split(':')[1]));
    expect(nums).toEqual([...nums].sort((a, b) => a - b));
    expect(nums[0]).toBe(100 - ob.depth + 1);
    await ob.close();
  });

  it('bounds the bytes on disk', async () => {
    const dir = tmp();
    const ob = await open(dir, { maxBytes: 65536 });
    const big = Buffer.alloc(1000, 7);
    for (let i = 0; i < 300; i++) await ob.append([{ topic: 'kerb/device/x/up', payload: big, at: 0 }]);
    const onDisk = fs.readdirSync(dir).filter((f) => f.endsWith('.kob')).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
    expect(onDisk).toBeLessThanOrEqual(65536 + 8192 + 1100);
    expect(ob.dropped).toBeGreaterThan(0);
    await ob.close();
  });

  it('removes fully acknowledged segments', async () => {
    const dir = tmp();
    const ob = await open(dir, { maxMessages: 64 }); // 8 messages per segment
    for (let i = 1; i <= 40; i++) await ob.append([msg('s', i)]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.kob')).length).toBeGreaterThan(3);
    for (const e of ob.take(100)) ob.ack(e.seq);
    await ob.close();
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.kob')).length).toBe(1);
    expect(ob.depth).toBe(0);
    const ob2 = await open(dir);
    expect(ob2.take(100)).toEqual([]);
    await ob2.append([msg('s', 41)]);
    expect(ob2.take(100).map((e) => e.seq)).toEqual([41]);
    await ob2.close();
  });

  it('property: across random appends, acks and crashes every message is delivered, per-device in order, duplicates only of unacknowledged ones', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.record({ op: fc.constant('append' as const), dev: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: 1, max: 3 }) }), fc.record({ op: fc.constant('deliver' as const), k: fc.integer({ min: 0, max: 6 }) }), fc.record({ op: fc.constant('crash' as const) })), { maxLength: 30 }),
        async (ops) => {
          const dir = tmp();
          let ob = await open(dir, { maxMessages: 1_000_000, ackDelayMs: 1 });
          const next = [0, 0, 0];
          const accepted: string[] = [];
          const consumer: string[] = [];
          for (const o of ops) {
            if (o.op === 'append') {
              const ms: OutboxMessage[] = [];
              for (let i = 0; i < o.n; i++) ms.push(msg(`d${o.dev}`, ++next[o.dev]!));
              await ob.append(ms);
              accepted.push(...ms.map(label));
            } else if (o.op === 'deliver') {
              for (const e of ob.take(o.k)) {
                consumer.push(label(e));
                ob.ack(e.seq);
              }
            } else {
              await new Promise((r) => setTimeout(r, 3));
              await crash(ob);
              ob = await open(dir, { maxMessages: 1_000_000, ackDelayMs: 1 });
            }
          }
          for (const e of ob.take(1_000_000)) consumer.push(label(e));
          await ob.close();
          const unique = [...new Set(consumer)];
          expect([...unique].sort()).toEqual([...accepted].sort()); // a copy: unique keeps arrival order for the check below
          for (let d = 0; d < 3; d++) {
            const firsts = unique.filter((s) => s.startsWith(`d${d}:`)).map((s) => Number(s.split(':')[1]));
            expect(firsts).toEqual(firsts.slice().sort((a, b) => a - b));
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
