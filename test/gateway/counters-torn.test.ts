// A frame-counter log append that is cut short and then fails (disk nearly full: a short write,
// then ENOSPC) must not cost the next, successful batch its first line at the next start-up.
// The failure is injected on the store's own FileHandle instance.
import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { CounterStore } from '../../gateway/counters.ts';
import { MemLogger, tmpDir } from '../helpers/ingest.ts';

type WriteFn = (buf: Buffer, off: number, len: number) => Promise<{ bytesWritten: number }>;

function injectShortThenFail(c: CounterStore): FileHandle {
  const fh = (c as unknown as { logFh: FileHandle }).logFh;
  const real = fh.write.bind(fh) as unknown as WriteFn;
  let n = 0;
  (fh as unknown as { write: WriteFn }).write = async (buf, off, len) => {
    n++;
    if (n === 1) return real(buf, off, Math.floor(len / 2));
    if (n === 2) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    return real(buf, off, len);
  };
  return fh;
}

describe('frame-counter log after a failed append', () => {
  async function run(truncateFails: boolean): Promise<{ up: number; down: number; text: string }> {
    const dir = tmpDir('torn');
    const log = new MemLogger();
    const c = new CounterStore({ dir, log });
    await c.open();
    await c.commitUp('S', 'lamp', 100);
    const fh = injectShortThenFail(c);
    if (truncateFails) {
      (fh as unknown as { truncate: () => Promise<void> }).truncate = () => Promise.reject(new Error('EIO'));
    }
    await expect(c.commitUp('S', 'lamp', 200)).rejects.toThrow(/ENOSPC/);
    // Space is back: this batch is reported durable, so it must survive a crash right now.
    expect(await c.reserveDown('S', 'lamp')).toBe(0);
    const text = fs.readFileSync(path.join(dir, 'fcnt.log'), 'utf8');
    // No close(): simulate a crash.
    const c2 = new CounterStore({ dir, log: new MemLogger() });
    await c2.open();
    const r = { up: c2.lastUp('S'), down: c2.peekDown('S'), text };
    await c2.close();
    await c.close().catch(() => undefined);
    return r;
  }

  it('truncates the fragment away, so the next batch is read back whole', async () => {
    const r = await run(false);
    expect(r.up).toBe(200);
    expect(r.down).toBe(1);
  });

  it('keeps the next batch whole even when the truncate fails too', async () => {
    const r = await run(true);
    // Whole lines are `JSON<TAB>crc32`; the fragment is a prefix of one.
    const bad = r.text.split('\n').filter((l) => l && !/^\{.*\}\t[0-9a-f]{8}$/.test(l));
    expect(bad.length).toBe(1); // the fragment really is still there
    expect(r.up).toBe(200);
    expect(r.down).toBe(1);
  });
});
