// Outbox → MQTT: opens the durable outbox, connects the MQTT link and moves outbox entries to the
// broker through a bounded in-flight window (OutboxPump). On stop it gives in-flight messages a
// moment to be acknowledged (anything left stays in the outbox for the next start), disconnects
// with the bridge state `offline` (a clean shutdown does not fire the Last Will), then closes the
// outbox, so no PUBACK can arrive for a closed outbox.
import path from 'node:path';
import { Outbox, type OutboxMessage } from '../outbox.ts';
import { OutboxPump } from '../mqtt.ts';
import type { Feature, GatewayContext } from './feature.ts';
import { bridgeOffline } from './availability.ts';

/** Longest wait for in-flight messages on stop. */
const DRAIN_MS = 2000;

export class PublisherFeature implements Feature {
  readonly name = 'publisher';
  readonly outbox: Outbox;
  private readonly ctx: GatewayContext;
  private readonly pump: OutboxPump;

  constructor(ctx: GatewayContext) {
    this.ctx = ctx;
    const { config, log, metrics } = ctx;
    this.outbox = new Outbox({
      dir: path.join(config.gateway.stateDir, 'outbox'),
      maxBytes: config.outbox.maxBytes,
      maxMessages: config.outbox.maxMessages,
      fsync: config.outbox.fsync,
      log: log.child({ component: 'outbox' }),
      metrics,
    });
    this.pump = new OutboxPump(this.outbox, ctx.mqtt, config.mqtt.inflight, log.child({ component: 'mqtt' }), metrics);
  }

  /** Durable once resolved. The caller's place in the delivery order is taken synchronously. */
  append(msgs: OutboxMessage[]): Promise<void> {
    return this.outbox.append(msgs);
  }

  /** Outbox figures for /health and the stats message. */
  stats(): { depth: number; bytes: number; inflight: number; dropped: number; corrupt: number; unwritable?: string } {
    const s: ReturnType<PublisherFeature['stats']> = { depth: this.outbox.depth, bytes: this.outbox.bytes, inflight: this.pump.inFlight, dropped: this.outbox.dropped, corrupt: this.outbox.corrupt };
    const f = this.outbox.fault;
    if (f) s.unwritable = `${f.reason} since ${new Date(f.since).toISOString()}: new uplinks are refused`;
    return s;
  }

  async start(): Promise<void> {
    await this.outbox.open();
    this.pump.start();
    this.ctx.mqtt.start();
  }

  async stop(): Promise<void> {
    const link = this.ctx.mqtt;
    const until = Date.now() + DRAIN_MS;
    while (this.pump.inFlight > 0 && link.connected && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    this.pump.stop();
    try {
      await link.stop(bridgeOffline(this.ctx.topics));
    } finally {
      await this.outbox.close();
    }
  }
}
