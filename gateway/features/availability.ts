// Availability in the manner of Zigbee2MQTT: the retained bridge state (`online` on every connect,
// `offline` as the Last Will and on clean shutdown) and a retained per-device availability
// (`online` after an uplink, `offline` after availability.offlineAfterS of silence). Answers the
// `devices` request, which lists the registry with each device's availability and last uplink.
import type { Uplink } from '../types.ts';
import type { Topics } from '../topics.ts';
import type { Feature, GatewayContext, RequestHandler } from './feature.ts';

type Availability = 'online' | 'offline';

/** The bridge state message for the Last Will and a clean shutdown. */
export function bridgeOffline(topics: Topics): { topic: string; payload: string } {
  return { topic: topics.gatewayState, payload: 'offline' };
}

export class AvailabilityFeature implements Feature {
  readonly name = 'availability';
  readonly requests: Readonly<Record<string, RequestHandler>>;
  private readonly ctx: GatewayContext;
  private readonly lastSeen = new Map<string, number>();
  private readonly state = new Map<string, Availability>();
  private timer: NodeJS.Timeout | undefined;

  constructor(ctx: GatewayContext) {
    this.ctx = ctx;
    this.requests = { devices: () => ({ ok: true, data: this.devices() }) };
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => this.markSilent(), this.ctx.config.availability.checkIntervalS * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  onMqttConnect(): void {
    const { publish, topics } = this.ctx;
    publish(topics.gatewayState, 'online', { retain: true });
    // A broker without persistence forgets retained messages: restate what we know.
    for (const [id, s] of this.state) publish(topics.deviceAvailability(id), s, { retain: true });
  }

  onUplink(u: Uplink): void {
    this.lastSeen.set(u.deviceId, Date.now());
    this.set(u.deviceId, 'online');
  }

  /** `online`, `offline`, or `unknown` for a device not heard since the gateway started. */
  of(id: string): string {
    return this.state.get(id) ?? 'unknown';
  }

  onlineCount(): number {
    let n = 0;
    for (const s of this.state.values()) if (s === 'online') n++;
    return n;
  }

  private set(id: string, s: Availability): void {
    if (this.state.get(id) === s) return;
    this.state.set(id, s);
    this.ctx.publish(this.ctx.topics.deviceAvailability(id), s, { retain: true });
    this.ctx.metrics.set('devices_online', this.onlineCount());
  }

  private markSilent(): void {
    const now = Date.now();
    const { offlineAfterS } = this.ctx.config.availability;
    for (const dev of this.ctx.registry.list()) {
      const seen = this.lastSeen.get(dev.id) ?? this.ctx.startedAt;
      if (now - seen > offlineAfterS * 1000) this.set(dev.id, 'offline');
    }
  }

  private devices(): Record<string, unknown>[] {
    return this.ctx.registry.list().map((d) => {
      const seen = this.lastSeen.get(d.id);
      return {
        id: d.id,
        name: d.name,
        devAddr: d.devAddrHex,
        profile: d.profile,
        location: d.location ?? null,
        availability: this.state.get(d.id) ?? 'unknown',
        lastSeen: seen !== undefined ? new Date(seen).toISOString() : null,
      };
    });
  }
}
