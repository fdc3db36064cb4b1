// Home Assistant MQTT discovery (gateway/discovery.ts builds the messages): retained configs for
// every registry device, published on each connect, after a registry reload, on the
// `republish_discovery` request, and whenever Home Assistant announces `online` on its status
// topic (its birth message); plus the flat state message after each uplink. With
// homeassistant.enabled false it publishes nothing (and the request is still answered).
import type { Uplink } from '../types.ts';
import { discoveryMessages, haState, HA_SENSORS, type HaSensor } from '../discovery.ts';
import { PROFILES, type DeviceInfo } from '../../host/registry.ts';
import type { Feature, GatewayContext, RequestHandler } from './feature.ts';

/** Sensors Home Assistant should show for a device: its profile's readings plus diagnostics. */
function sensorsFor(dev: DeviceInfo): HaSensor[] {
  const readings = PROFILES[dev.profile]?.readings;
  return HA_SENSORS.filter((s) => !s.from || !readings || readings.includes(s.from.reading));
}

export class HomeAssistantFeature implements Feature {
  readonly name = 'homeassistant';
  readonly requests: Readonly<Record<string, RequestHandler>>;
  private readonly ctx: GatewayContext;

  constructor(ctx: GatewayContext) {
    this.ctx = ctx;
    this.requests = {
      republish_discovery: () => {
        this.publishDiscovery();
        return { ok: true };
      },
    };
  }

  private get enabled(): boolean {
    return this.ctx.config.homeassistant.enabled;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  subscriptions(): string[] {
    return this.enabled ? [this.ctx.config.homeassistant.statusTopic] : [];
  }

  onMqttMessage(topic: string, payload: Buffer): boolean {
    if (topic !== this.ctx.config.homeassistant.statusTopic) return false;
    if (payload.toString('utf8').trim() === 'online') this.publishDiscovery();
    return true;
  }

  onMqttConnect(): void {
    this.publishDiscovery();
  }

  onRegistryReload(): void {
    this.publishDiscovery();
  }

  onUplink(u: Uplink): void {
    if (this.enabled) this.ctx.publish(this.ctx.topics.deviceState(u.deviceId), JSON.stringify(haState(u)), { qos: 0 });
  }

  publishDiscovery(): void {
    if (!this.enabled) return;
    const { config, topics, registry, publish } = this.ctx;
    let n = 0;
    for (const dev of registry.list()) {
      for (const m of discoveryMessages(config.homeassistant.prefix, topics, { id: dev.id, name: dev.name, profile: dev.profile }, sensorsFor(dev))) {
        publish(m.topic, m.payload, { retain: true });
        n++;
      }
    }
    this.ctx.log.info('home assistant discovery published', { messages: n });
  }
}
