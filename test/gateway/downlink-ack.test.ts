// The class A downlink queue's ACK rules, driven directly (no radio): a confirmed uplink that is not
// durable within the budget gets no ACK, and a retransmitted confirmed uplink gets an empty ACK only,
// never the next queued command (which would cost it an attempt and an FCntDown).
import { describe, it, expect, afterEach } from 'vitest';
import { DownlinkQueue } from '../../gateway/downlinks.ts';
import { CounterStore } from '../../gateway/counters.ts';
import { validateRegistry } from '../../host/registry.ts';
import type { DeviceInfo } from '../../host/registry.ts';
import { nodeAes } from '../../host/crypto.ts';
import type { RxMeta } from '../../gateway/types.ts';
import type { TxRequest } from '../../shared/link/link.ts';
import { decodeFrame } from '../../shared/lorawan/frame.ts';
import { MemLogger, MemMetrics, newDevice, tmpDir } from '../helpers/ingest.ts';

const meta: RxMeta = { gatewayId: 'gw', radioId: 'r0', rssiDbm: -80, snrDb: 5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: 1_000_000 };

describe('downlink queue ACKs', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => { for (const c of closers.splice(0)) await c(); });

  async function setup(): Promise<{ q: DownlinkQueue; counters: CounterStore; dev: DeviceInfo; sent: TxRequest[] }> {
    const dir = tmpDir('dlack');
    const log = new MemLogger();
    const dev = validateRegistry({ devices: [newDevice('lamp-1')] }).devices[0]!;
    const counters = new CounterStore({ dir, log });
    await counters.open();
    const sent: TxRequest[] = [];
    const q = new DownlinkQueue({
      stateDir: dir, log, metrics: new MemMetrics(), counters, aes: nodeAes,
      lookup: (id) => (id === dev.id ? dev : undefined),
      send: (_radio, req) => { sent.push(req); return true; },
      emit: () => {},
      rx1DelayMs: 550, // 50 ms budget for the uplink to become durable
      txResultTimeoutMs: 10,
    });
    await q.open();
    closers.push(async () => { await q.close(); await counters.close(); });
    return { q, counters, dev, sent };
  }

  it('does not ACK a confirmed uplink that is not durable when the budget runs out', async () => {
    const { q, counters, dev, sent } = await setup();
    const never = new Promise<void>(() => {});
    await q.onUplink(dev, { confirmed: true, ack: false, meta }, never);
    expect(sent.length).toBe(0);
    expect(counters.peekDown(dev.sessionId)).toBe(0);
  });

  it('re-ACKs a retransmitted confirmed uplink with an empty frame, leaving the queued command alone', async () => {
    const { q, counters, dev, sent } = await setup();
    await q.add({ id: 'cmd-1', deviceId: dev.id, fport: 2, payload: new Uint8Array([9, 9, 9]), confirmed: false, expiresAt: Date.now() + 60_000 });
    await q.onUplink(dev, { confirmed: true, ack: false, meta, retransmission: true }, Promise.resolve());
    expect(sent.length).toBe(1);
    const f = decodeFrame(sent[0]!.payload);
    if (typeof f === 'number') throw new Error(`bad frame ${f}`);
    expect(f.ack).toBe(true);
    expect(f.fport).toBe(-1); // no FRMPayload: an empty ACK
    expect(f.fpending).toBe(true);
    expect(counters.peekDown(dev.sessionId)).toBe(1);
    // The command is still there, untouched, for the next fresh uplink.
    await q.onUplink(dev, { confirmed: false, ack: false, meta: { ...meta, tsUs: 9_000_000 } }, Promise.resolve());
    expect(sent.length).toBe(2);
    const g = decodeFrame(sent[1]!.payload);
    if (typeof g === 'number') throw new Error(`bad frame ${g}`);
    expect(g.fport).toBe(2);
  });
});
