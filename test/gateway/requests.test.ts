// The request handler table (gateway/features/requests.ts): request types contributed by features,
// answered by name, with an error result (never an exception) for anything else.
import { describe, expect, it } from 'vitest';
import { RequestTable } from '../../gateway/features/requests.ts';
import type { Feature } from '../../gateway/features/feature.ts';
import { PromMetrics } from '../../gateway/metrics.ts';

function feature(name: string, requests: Feature['requests']): Feature {
  return { name, requests, start: async () => undefined, stop: async () => undefined };
}

function table(metrics = new PromMetrics(undefined, 'kerb_', false)): RequestTable {
  return RequestTable.of(
    [
      feature('one', { ping: () => ({ ok: true, data: 'pong' }), devices: async (r) => ({ ok: true, data: [r.id] }) }),
      feature('two', {
        reload: () => {
          throw new Error('registry file is not JSON');
        },
      }),
      feature('three', undefined),
    ],
    metrics,
  );
}

describe('request table', () => {
  it('answers an unknown request type with an error result naming the known ones', async () => {
    const r = await table().answer({ id: 'q-1', command: 'self_destruct' });
    expect(r).toEqual({ ok: false, error: 'unknown command "self_destruct"; try ping, devices, reload' });
  });

  it('answers a request without a type, or with a non-string one, with an error result', async () => {
    expect(await table().answer({ id: 'q-2' })).toMatchObject({ ok: false, error: expect.stringMatching(/^unknown command undefined;/) });
    expect(await table().answer({ command: 42 })).toMatchObject({ ok: false, error: expect.stringMatching(/^unknown command 42;/) });
  });

  it('dispatches by type (command or cmd) and by the older alias names', async () => {
    const t = table();
    expect(await t.answer({ command: 'ping' })).toEqual({ ok: true, data: 'pong' });
    expect(await t.answer({ cmd: 'ping' })).toEqual({ ok: true, data: 'pong' });
    expect(await t.answer({ id: 'q-3', command: 'list_devices' })).toEqual({ ok: true, data: ['q-3'] });
  });

  it('turns a handler that throws into an error result', async () => {
    expect(await table().answer({ command: 'reload_registry' })).toEqual({ ok: false, error: 'registry file is not JSON' });
  });

  it('counts requests by type in requests_total', async () => {
    const m = new PromMetrics(undefined, 'kerb_', false);
    const t = table(m);
    await t.answer({ command: 'ping' });
    await t.answer({ command: 'nope' });
    await t.answer({ command: 7 });
    expect(await m.values('requests_total')).toEqual(
      expect.arrayContaining([
        { labels: { command: 'ping' }, value: 1 },
        { labels: { command: 'nope' }, value: 1 },
        { labels: { command: 'invalid' }, value: 1 },
      ]),
    );
  });

  it('refuses two features answering the same request type', () => {
    const a = feature('a', { ping: () => ({ ok: true }) });
    const b = feature('b', { ping: () => ({ ok: true }) });
    expect(() => RequestTable.of([a, b], new PromMetrics(undefined, 'kerb_', false))).toThrow("request type ping is answered by two features (a and b)");
  });
});
