// Frame-counter files that were changed on disk (a flipped byte, an edited value, a deleted file)
// must not silently lower a counter: that reopens replays of every frame since. The store refuses
// to open and says why; an explicit acceptLoss (`--accept-counter-loss`) continues with what is intact.
import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CounterStore } from '../../gateway/counters.ts';
import { MemLogger, tmpDir } from '../helpers/ingest.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function seeded(): Promise<string> {
  const dir = tmpDir('fcnt-integrity');
  dirs.push(dir);
  const c = new CounterStore({ dir, log: new MemLogger(), compactEvery: 3 });
  await c.open();
  await c.commitUp('S1', 'lamp', 500); // folded into the snapshot after 3 lines
  await c.commitUp('S2', 'bin', 70);
  await c.commitUp('S3', 'tree', 9);
  await c.commitUp('S1', 'lamp', 520); // stays in the log
  await c.close();
  return dir;
}

const open = async (dir: string, acceptLoss = false): Promise<CounterStore> => {
  const c = new CounterStore({ dir, log: new MemLogger(), acceptLoss });
  await c.open();
  return c;
};

describe('frame-counter integrity', () => {
  it('a lowered counter in fcnt.json fails the check and stops the start, naming the file and the way out', async () => {
    const dir = await seeded();
    const f = path.join(dir, 'fcnt.json');
    const text = fs.readFileSync(f, 'utf8');
    expect(text).toContain('"up":70');
    fs.writeFileSync(f, text.replace('"up":70', '"up":10'));
    await expect(open(dir)).rejects.toThrow(/frame counters cannot be trusted: .*fcnt\.json is damaged \(checksum mismatch\).*--accept-counter-loss/);
  });

  it('a flipped byte in a fcnt.log line stops the start; a torn last line does not', async () => {
    const dir = await seeded();
    const f = path.join(dir, 'fcnt.log');
    fs.appendFileSync(f, '{"s":"S1","id":"lamp","up":53'); // power cut mid-append: fine
    const c = await open(dir);
    expect(c.lastUp('S1')).toBe(520);
    await c.close();
    await (await open(dir)).close();
    // Now a whole line with one digit changed.
    const c2 = new CounterStore({ dir, log: new MemLogger() });
    await c2.open();
    await c2.commitUp('S2', 'bin', 80);
    await c2.close();
    const text = fs.readFileSync(f, 'utf8');
    fs.writeFileSync(f, text.replace('"up":80', '"up":30'));
    await expect(open(dir)).rejects.toThrow(/fcnt\.log has 1 damaged line/);
  });

  it('a deleted fcnt.json beside the state of a gateway that ran stops the start', async () => {
    const dir = await seeded();
    fs.rmSync(path.join(dir, 'fcnt.json'));
    await expect(open(dir)).rejects.toThrow(/fcnt\.json is missing although .*fcnt\.log/);
  });

  it('--accept-counter-loss continues with what is intact and sets the damaged files aside', async () => {
    const dir = await seeded();
    const f = path.join(dir, 'fcnt.json');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"up":70', '"up":10'));
    const log = new MemLogger();
    const c = new CounterStore({ dir, log, acceptLoss: true });
    await c.open();
    expect(log.lines.some((l) => l.level === 'error' && /accept-counter-loss/.test(l.msg))).toBe(true);
    expect(c.lastUp('S1')).toBe(520); // from the intact log
    expect(c.lastUp('S2')).toBe(-1); // the damaged snapshot is not trusted at all
    await c.close();
    expect(fs.readdirSync(dir).some((n) => n.startsWith('fcnt.json.damaged-'))).toBe(true);
    await (await open(dir)).close(); // a clean start afterwards
  });

  it('reads a snapshot of the older format (no check) and rewrites it with one', async () => {
    const dir = tmpDir('fcnt-legacy');
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'fcnt.json'), JSON.stringify({ version: 1, sessions: { S: { id: 'x', up: 41, down: 2 } } }, null, 1));
    const c = await open(dir);
    expect(c.lastUp('S')).toBe(41);
    await c.close();
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'fcnt.json'), 'utf8'))).toMatchObject({ version: 2, check: expect.stringMatching(/^[0-9a-f]{8}$/) });
  });
});
