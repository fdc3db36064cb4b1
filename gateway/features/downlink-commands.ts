// Downlink commands over MQTT (docs/gateway.md "Downlink commands"): a JSON or CBOR command on
// `<base>/device/<id>/down` is validated (gateway/commands.ts) and queued at ingest for the
// device's next class A receive window; every state change of it (queued, sent, acknowledged,
// expired, failed) is published on `…/down/result` in the format the command came in.
import type { DownlinkResult, Logger } from '../types.ts';
import { decodeCommandPayload, encodeReply, parseDownCommand, type NamedEncoder, type WireFormat } from '../commands.ts';
import { downTopicDevice } from '../topics.ts';
import type { Feature, GatewayContext } from './feature.ts';

/** Transaction ids whose reply format is remembered (oldest forgotten first; JSON after that). */
const MAX_FORMATS = 10000;

/** Transaction ids are scoped per device: two devices may use the same one. */
function formatKey(deviceId: string, id: string): string {
  return `${deviceId}\u0000${id}`;
}

export class DownlinkCommandsFeature implements Feature {
  readonly name = 'downlink-commands';
  private readonly ctx: GatewayContext;
  private readonly named: NamedEncoder;
  private readonly log: Logger;
  private readonly resultFormat = new Map<string, WireFormat>(); // (device, transaction id) → reply format

  constructor(ctx: GatewayContext, named: NamedEncoder) {
    this.ctx = ctx;
    this.named = named;
    this.log = ctx.log.child({ component: 'mqtt' });
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  subscriptions(): string[] {
    return [this.ctx.topics.deviceDownWildcard];
  }

  onMqttMessage(topic: string, payload: Buffer): boolean {
    const { config, metrics, ingest, registry } = this.ctx;
    const deviceId = downTopicDevice(config.mqtt.baseTopic, topic);
    if (deviceId === undefined) return false;
    metrics.inc('mqtt_messages_received_total', { kind: 'down' });
    const d = decodeCommandPayload(payload);
    if ('error' in d) return this.reject(deviceId, '', d.error, 'json');
    const p = parseDownCommand(deviceId, d.value, Date.now(), config.downlinks.expiryS, this.named);
    if ('error' in p) return this.reject(deviceId, p.id, p.error, d.format);
    if (!registry.get(deviceId)) return this.reject(deviceId, p.downlink.id, `unknown device ${deviceId}`, d.format);
    this.resultFormat.set(formatKey(deviceId, p.downlink.id), d.format);
    if (this.resultFormat.size > MAX_FORMATS) this.resultFormat.delete(this.resultFormat.keys().next().value!);
    ingest.queueDownlink(p.downlink).then(
      () => metrics.inc('downlink_commands_total', { result: 'queued' }),
      (e: Error) => this.reject(deviceId, p.downlink.id, e.message, d.format),
    );
    return true;
  }

  onDownlinkResult(r: DownlinkResult): void {
    const key = formatKey(r.deviceId, r.id);
    const format = this.resultFormat.get(key) ?? 'json';
    if (r.state !== 'queued' && r.state !== 'sent') this.resultFormat.delete(key);
    const body: Record<string, unknown> = { id: r.id, device: r.deviceId, state: r.state, at: new Date(r.at).toISOString() };
    if (r.reason !== undefined) body.reason = r.reason;
    if (r.fcntDown !== undefined) body.fcntDown = r.fcntDown;
    this.ctx.metrics.inc('downlink_results_total', { state: r.state });
    this.ctx.publish(this.ctx.topics.deviceDownResult(r.deviceId), encodeReply(format, body));
  }

  /** Publishes a `failed` result for a command that was never queued; true (the message was handled). */
  private reject(deviceId: string, id: string, reason: string, format: WireFormat): true {
    this.ctx.metrics.inc('downlink_commands_total', { result: 'rejected' });
    this.log.warn('downlink command rejected', { device: deviceId, id, reason });
    this.ctx.publish(this.ctx.topics.deviceDownResult(deviceId), encodeReply(format, { id, device: deviceId, state: 'failed', at: new Date().toISOString(), reason }));
    return true;
  }
}
