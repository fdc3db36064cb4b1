// The feature composition (gateway/features/compose.ts) with features that record what happens to
// them: start in order, stop in reverse, a failed start stops what had started and rethrows, and
// events reach only running features.
import { describe, expect, it } from 'vitest';
import { Composition } from '../../gateway/features/compose.ts';
import type { Feature } from '../../gateway/features/feature.ts';
import { createLogger } from '../../gateway/log.ts';
import type { Uplink } from '../../gateway/types.ts';

class Recording implements Feature {
  readonly name: string;
  private readonly journal: string[];
  private readonly failStart: boolean;
  private readonly failStop: boolean;

  constructor(name: string, journal: string[], o: { failStart?: boolean; failStop?: boolean } = {}) {
    this.name = name;
    this.journal = journal;
    this.failStart = o.failStart ?? false;
    this.failStop = o.failStop ?? false;
  }

  async start(): Promise<void> {
    await new Promise((r) => setImmediate(r)); // a real start takes a turn of the event loop
    if (this.failStart) throw new Error(`${this.name} cannot start`);
    this.journal.push(`start ${this.name}`);
  }

  async stop(): Promise<void> {
    this.journal.push(`stop ${this.name}`);
    if (this.failStop) throw new Error(`${this.name} cannot stop`);
  }

  onUplink(u: Uplink): void {
    this.journal.push(`uplink ${this.name} ${u.deviceId}`);
  }
}

const quiet = () => createLogger({ level: 'error', sink: { write: () => true } });
const uplink = (deviceId: string) => ({ deviceId }) as Uplink;

describe('feature composition', () => {
  it('starts features in order and stops them in reverse order', async () => {
    const j: string[] = [];
    const c = new Composition(quiet());
    await c.start(['a', 'b', 'c'].map((n) => new Recording(n, j)));
    expect(c.running).toEqual(['a', 'b', 'c']);
    await c.stop();
    expect(j).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(c.running).toEqual([]);
  });

  it('a failed start stops the features already started, newest first, starts no later one, and rethrows', async () => {
    const j: string[] = [];
    const lines: string[] = [];
    const c = new Composition(createLogger({ level: 'error', sink: { write: (l: string) => lines.push(l) } }));
    await c.start([new Recording('broker', j)]); // an earlier stage counts too
    const later = [new Recording('a', j), new Recording('b', j), new Recording('bad', j, { failStart: true }), new Recording('never', j)];
    await expect(c.start(later)).rejects.toThrow('bad cannot start');
    expect(j).toEqual(['start broker', 'start a', 'start b', 'stop b', 'stop a', 'stop broker']);
    expect(c.running).toEqual([]);
    const err = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((r) => r.msg === 'feature failed to start; stopping the features already started');
    expect(err).toMatchObject({ feature: 'bad', started: ['broker', 'a', 'b'] });
    await c.stop(); // nothing left to stop
    expect(j.length).toBe(6);
  });

  it('keeps stopping the others when one stop fails', async () => {
    const j: string[] = [];
    const c = new Composition(quiet());
    await c.start([new Recording('a', j), new Recording('b', j, { failStop: true }), new Recording('c', j)]);
    await c.stop();
    expect(j.slice(3)).toEqual(['stop c', 'stop b', 'stop a']);
  });

  it('delivers events to running features only, in start order', async () => {
    const j: string[] = [];
    const c = new Composition(quiet());
    await c.start([new Recording('a', j), new Recording('b', j)]);
    c.uplink(uplink('d1'));
    await c.stop();
    c.uplink(uplink('d2'));
    expect(j.filter((l) => l.startsWith('uplink'))).toEqual(['uplink a d1', 'uplink b d1']);
  });

  it('a feature whose event handler throws does not keep the event from the others', async () => {
    const j: string[] = [];
    const c = new Composition(quiet());
    const thrower: Feature = {
      name: 'thrower',
      start: async () => undefined,
      stop: async () => undefined,
      onUplink: () => {
        throw new Error('boom');
      },
    };
    await c.start([thrower, new Recording('b', j)]);
    expect(() => c.uplink(uplink('d1'))).not.toThrow();
    expect(j).toContain('uplink b d1');
    await c.stop();
  });
});
