// Runs the gateway's features: starts them in order, stops them in reverse, and delivers gateway
// events and MQTT traffic to them. A feature that fails to start makes the composition stop every
// feature already started (newest first) and rethrow, so a gateway that cannot start leaves nothing
// running. MQTT connects and messages reach the features only once every feature has started
// (live()) and until stop() begins: the bridge state `online` is never published by a gateway that
// then fails to start.
import type { DownlinkResult, Logger, Uplink } from '../types.ts';
import type { MqttLink } from '../mqtt.ts';
import type { Feature, GatewayEvents, MessageProps } from './feature.ts';

/** The part of the MQTT link the composition routes. */
export type MqttRoute = Pick<MqttLink, 'onConnect' | 'onMessage' | 'subscribe' | 'connected'>;

export class Composition implements GatewayEvents {
  private readonly log: Logger;
  private readonly started: Feature[] = [];
  private mqtt: MqttRoute | undefined;
  private isLive = false;

  constructor(log: Logger) {
    this.log = log;
  }

  /** Names of the running features, in start order. */
  get running(): string[] {
    return this.started.map((f) => f.name);
  }

  /**
   * Starts the features one after the other. If one rejects, the features started so far (by
   * this and earlier calls) are stopped in reverse order and the error is rethrown.
   */
  async start(features: readonly Feature[]): Promise<void> {
    for (const f of features) {
      try {
        await f.start();
      } catch (e) {
        this.log.error('feature failed to start; stopping the features already started', { feature: f.name, err: e, started: this.running });
        await this.stop();
        throw e;
      }
      this.started.push(f);
      this.log.debug('feature started', { feature: f.name });
    }
  }

  /** Stops every started feature, newest first. A failing stop is logged and the others still stop. */
  async stop(): Promise<void> {
    this.isLive = false;
    for (let f = this.started.pop(); f; f = this.started.pop()) {
      try {
        await f.stop();
        this.log.debug('feature stopped', { feature: f.name });
      } catch (e) {
        this.log.warn('feature stop failed', { feature: f.name, err: e });
      }
    }
  }

  /** Routes the link's connects and messages to the started features (once live). */
  route(mqtt: MqttRoute): void {
    this.mqtt = mqtt;
    mqtt.onConnect(() => {
      if (this.isLive) this.connected();
    });
    mqtt.onMessage((topic, payload, props) => {
      if (this.isLive) this.message(topic, payload, props);
    });
  }

  /** Every feature has started: from now on they see connects and messages. */
  live(): void {
    this.isLive = true;
    if (this.mqtt?.connected) this.connected();
  }

  private connected(): void {
    const subs: string[] = [];
    this.each('mqtt connect', (f) => {
      f.onMqttConnect?.();
      if (f.subscriptions) subs.push(...f.subscriptions());
    });
    if (subs.length) this.mqtt!.subscribe(subs);
  }

  private message(topic: string, payload: Buffer, props: MessageProps): void {
    for (const f of this.started) if (f.onMqttMessage?.(topic, payload, props)) return;
  }

  uplink(u: Uplink): void {
    this.each('uplink', (f) => f.onUplink?.(u));
  }

  downlinkResult(r: DownlinkResult): void {
    this.each('downlink result', (f) => f.onDownlinkResult?.(r));
  }

  registryReloaded(): void {
    this.each('registry reload', (f) => f.onRegistryReload?.());
  }

  /** One feature's failing handler must not keep the event from the others (or from its source). */
  private each(event: string, fn: (f: Feature) => void): void {
    for (const f of this.started) {
      try {
        fn(f);
      } catch (e) {
        this.log.error('feature failed to handle an event', { feature: f.name, event, err: e });
      }
    }
  }
}
