// The downlink queue under a flood: bounded per device and in all (overflow answered with a
// 'failed' reason, never silently kept), transaction ids scoped per device, and a journal that
// grows by one line per change instead of rewriting the whole queue; a damaged journal line costs
// only that change.
import { describe, it, expect, afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DownlinkQueue } from '../../gateway/downlinks.ts';
import { CounterStore } from '../../gateway/counters.ts';
import { validateRegistry } from '../../host/registry.ts';
import { nodeAes } from '../../host/crypto.ts';
import type { DownlinkResult } from '../../gateway/types.ts';
import { MemLogger, MemMetrics, newDevice, tmpDir } from '../helpers/ingest.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => { for (const c of closers.splice(0)) await c(); });

async function setup(dir = tmpDir('dlbound'), o: { maxPerDevice?: number; maxTotal?: number } = {}) {
  const log = new MemLogger();
  const devs = validateRegistry({ devices: [newDevice('a'), newDevice('b'), newDevice('c')] }).devices;
  const counters = new CounterStore({ dir, log });
  await counters.open();
  const results: DownlinkResult[] = [];
  const q = new DownlinkQueue({
    stateDir: dir, log, metrics: new MemMetrics(), counters, aes: nodeAes,
    lookup: (id) => devs.find((d) => d.id === id), send: () => true, emit: (r) => results.push(r), ...o,
  });
  await q.open();
  const close = async () => { await q.close(); await counters.close(); };
  closers.push(close);
  return { q, dir, results, close };
}

const cmd = (deviceId: string, id: string) => ({ id, deviceId, fport: 2, payload: new Uint8Array([1, 2]), confirmed: false, expiresAt: Date.now() + 3600_000 });

describe('downlink queue bounds', () => {
  it('refuses commands beyond the per-device and total limits with a reason, and keeps other devices served', async () => {
    const { q } = await setup(undefined, { maxPerDevice: 5, maxTotal: 8 });
    const outcomes = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => q.add(cmd('a', `a-${i}`))));
    expect(outcomes.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const refused = outcomes.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(45);
    expect(String(refused[0]!.reason.message)).toMatch(/a already has 5 commands waiting \(downlinks\.maxPerDevice\)/);
    for (let i = 0; i < 3; i++) await q.add(cmd('b', `b-${i}`));
    await expect(q.add(cmd('c', 'c-0'))).rejects.toThrow(/holds 8 commands \(downlinks\.maxQueued\)/);
    expect(q.pending('a')).toBe(5);
    expect(q.pending('b')).toBe(3);
  });

  it('scopes transaction ids per device', async () => {
    const { q, results } = await setup();
    await q.add(cmd('a', 'same'));
    await q.add(cmd('b', 'same'));
    await expect(q.add(cmd('a', 'same'))).rejects.toThrow(/already queued for a/);
    expect(results.filter((r) => r.state === 'queued').map((r) => r.deviceId)).toEqual(['a', 'b']);
  });

  it('journals each change as one line (no rewrite of the queue), survives a restart, and drops only a damaged line', async () => {
    const dir = tmpDir('dljournal');
    const s1 = await setup(dir, { maxPerDevice: 100 });
    const snap = fs.statSync(path.join(dir, 'downlinks.json'));
    for (let i = 0; i < 40; i++) await s1.q.add(cmd('a', `a-${i}`));
    // The snapshot was not rewritten by the adds; the journal holds one line per command.
    expect(fs.statSync(path.join(dir, 'downlinks.json')).mtimeMs).toBe(snap.mtimeMs);
    const lines = fs.readFileSync(path.join(dir, 'downlinks.log'), 'utf8').split('\n').filter(Boolean);
    expect(lines).toHaveLength(40);
    await s1.close();
    closers.pop();
    // Flip one byte inside the 8th command's line.
    const f = path.join(dir, 'downlinks.log');
    const text = fs.readFileSync(f, 'utf8');
    fs.writeFileSync(f, text.replace('"id":"a-7"', '"id":"a-X"'));
    const s2 = await setup(dir, { maxPerDevice: 100 });
    expect(s2.q.pending('a')).toBe(39);
    expect(s2.q.list('a').map((i) => i.id)).not.toContain('a-7');
    expect(s2.q.list('a').map((i) => i.id)).not.toContain('a-X');
  });
});
