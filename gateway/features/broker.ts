// The embedded MQTT broker (gateway/broker.ts), when the configuration asks for one: mqtt.url empty
// with broker.embedded 'auto', or broker.embedded 'always'. Started first and stopped last, as
// the MQTT link needs its URL.
import type { GatewayConfig } from '../config.ts';
import type { KerbLogger } from '../log.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from '../broker.ts';
import type { Feature } from './feature.ts';

export class BrokerFeature implements Feature {
  readonly name = 'broker';
  private readonly config: GatewayConfig;
  private readonly log: KerbLogger;
  private broker: EmbeddedBroker | undefined;

  constructor(config: GatewayConfig, log: KerbLogger) {
    this.config = config;
    this.log = log;
  }

  get wanted(): boolean {
    const b = this.config.broker.embedded;
    return b === 'always' || (b === 'auto' && !this.config.mqtt.url);
  }

  /** The broker clients connect to: the configured one, else the embedded one (after start). */
  get url(): string {
    if (this.config.mqtt.url) return this.config.mqtt.url;
    if (!this.broker) throw new Error('embedded MQTT broker not started');
    return this.broker.url;
  }

  async start(): Promise<void> {
    if (this.wanted) this.broker = await startEmbeddedBroker(this.config.broker.host, this.config.broker.port, this.log.child({ component: 'broker' }));
  }

  async stop(): Promise<void> {
    await this.broker?.close();
    this.broker = undefined;
  }
}
