// Radios → verify → outbox: runs ingest (gateway/ingest.ts: radios, de-duplication, verification,
// frame counters, the downlink queue) and appends every accepted uplink to the durable outbox as
// SenML-CBOR (and the SenML-JSON mirror when configured). Only once the outbox has it durably is
// the `uplink` event raised (availability, Home Assistant state, counters) and, in ingest, the frame
// counter committed. Started last and stopped first, so no uplink arrives before the publishing
// side is up or after it is gone. Answers the `reload` request (as SIGHUP does).
import type { Uplink } from '../types.ts';
import type { OutboxMessage } from '../outbox.ts';
import { encodeSenmlCbor, senmlToJson, uplinkToSenml } from '../senml.ts';
import type { Feature, GatewayContext, IngestLike, RequestHandler } from './feature.ts';

/** Where accepted uplinks go: resolves once they are durable. */
export interface UplinkSink {
  append(msgs: OutboxMessage[]): Promise<void>;
}

export class IngestFeature implements Feature {
  readonly name = 'ingest';
  readonly requests: Readonly<Record<string, RequestHandler>>;
  private readonly ctx: GatewayContext;
  private readonly ingest: IngestLike;
  private readonly sink: UplinkSink;

  constructor(ctx: GatewayContext, sink: UplinkSink) {
    this.ctx = ctx;
    this.ingest = ctx.ingest;
    this.sink = sink;
    this.requests = {
      reload: async () =>
        (await this.reload())
          ? { ok: true, data: { devices: ctx.registry.list().length } }
          : { ok: false, error: 'registry not reloaded (invalid file?); previous registry kept, see the gateway log' },
    };
  }

  async start(): Promise<void> {
    const { events } = this.ctx;
    this.ingest.onUplink((u) => this.accept(u));
    this.ingest.onDownlinkResult((r) => events.downlinkResult(r));
    await this.ingest.start();
  }

  async stop(): Promise<void> {
    await this.ingest.stop();
  }

  /** Re-reads the device registry (SIGHUP, the `reload` request); true when it was loaded. */
  async reload(): Promise<boolean> {
    const ok = await this.ingest.reload();
    if (ok) this.ctx.events.registryReloaded();
    return ok;
  }

  /**
   * Takes the uplink's place in the outbox order synchronously (append is called before the first
   * await), as ingest requires, and resolves once it is durable.
   */
  private async accept(u: Uplink): Promise<void> {
    const { config, topics, metrics, events } = this.ctx;
    const pack = uplinkToSenml(u);
    const msgs: OutboxMessage[] = [{ topic: topics.deviceUp(u.deviceId), payload: encodeSenmlCbor(pack), qos: config.mqtt.qos, at: u.receivedAt }];
    if (config.mqtt.jsonMirror) msgs.push({ topic: topics.deviceUpJson(u.deviceId), payload: Buffer.from(senmlToJson(pack)), qos: config.mqtt.qos, at: u.receivedAt });
    await this.sink.append(msgs); // durable before ingest commits the frame counter
    metrics.inc('uplinks_total');
    events.uplink(u);
  }
}
