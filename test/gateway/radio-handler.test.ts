// A message handler that throws must cost only its own message: the rest of the serial chunk it
// arrived in is still deframed and delivered, and the link counts no wire errors for it.
import { describe, it, expect } from 'vitest';
import { RadioLink } from '../../gateway/radios.ts';
import { RateLog } from '../../gateway/rate-log.ts';
import { encodeLinkMessage, LINK_RX } from '../../shared/link/link.ts';
import type { LinkMessage } from '../../shared/link/link.ts';
import type { LinkTransport, Logger, Metrics } from '../../gateway/types.ts';

describe('RadioLink', () => {
  it('keeps deframing a chunk after one handler call throws', () => {
    let onData: (c: Uint8Array) => void = () => {};
    const transport: LinkTransport = {
      name: 'mem', write() {}, onData(cb) { onData = cb; }, onClose() {}, close() {},
    };
    const errors: string[] = [];
    const log: Logger = { debug() {}, info() {}, warn() {}, error(msg) { errors.push(msg); } };
    const counted: Record<string, number> = {};
    const metrics: Metrics = { inc(name, _l, by) { counted[name] = (counted[name] ?? 0) + (by ?? 1); }, set() {}, observe() {} };
    const seen: number[] = [];
    new RadioLink(transport, { log, metrics, rateLog: new RateLog(log) }, {
      onMessage(_link, m: LinkMessage) {
        if (m.type !== LINK_RX) return;
        seen.push(m.tsUs);
        if (m.tsUs === 1) throw new Error('handler bug');
      },
      onClose() {},
    });
    const msg = (tsUs: number) => encodeLinkMessage({ type: LINK_RX, payload: Uint8Array.from([1, 2, 3]), rssiDbm: -80, snrDb: 5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs });
    const a = msg(1), b = msg(2), c = msg(3);
    const chunk = new Uint8Array(a.length + b.length + c.length);
    chunk.set(a, 0); chunk.set(b, a.length); chunk.set(c, a.length + b.length);
    onData(chunk);
    expect(seen).toEqual([1, 2, 3]);
    expect(errors).toEqual(['radio message handler failed']);
    expect(counted.link_errors_total ?? 0).toBe(0);
  });
});
