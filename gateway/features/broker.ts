// The embedded MQTT broker (gateway/broker.ts), when the configuration asks for one: mqtt.url empty
// with broker.embedded 'auto', or broker.embedded 'always'. Started first and stopped last, as
// the MQTT link needs its URL.
import type { GatewayConfig } from '../config.ts';
import type { KerbLogger } from '../log.ts';
import { brokerCredentials, startEmbeddedBroker, type EmbeddedBroker } from '../broker.ts';
import { makeTopics } from '../topics.ts';
import type { Feature } from './feature.ts';

export class BrokerFeature implements Feature {
  readonly name = 'broker';
  private readonly config: GatewayConfig;
  private readonly log: KerbLogger;
  private broker: EmbeddedBroker | undefined;
  /** The embedded broker's login (after start), which the gateway's own MQTT link uses. */
  credentials: { username: string; password: string } | undefined;

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
    if (!this.wanted) return;
    const { broker, mqtt, homeassistant, gateway } = this.config;
    const creds = brokerCredentials(broker.credentialsFile);
    if (creds.created) {
      // Shown once, on the terminal (not in the log); the file keeps them.
      process.stdout.write(`kerb gateway: embedded MQTT broker login generated: username ${creds.username} password ${creds.password} (kept in ${broker.credentialsFile}, mode 0600)\n`);
    }
    this.credentials = { username: creds.username, password: creds.password };
    const base = mqtt.baseTopic;
    const request = makeTopics(base, gateway.id).gatewayRequest;
    const ha = homeassistant.prefix;
    this.broker = await startEmbeddedBroker(broker.host, broker.port, this.log.child({ component: 'broker' }), {
      ...this.credentials,
      allowAnonymous: broker.allowAnonymous,
      isProtected: (t) => t === base || t.startsWith(`${base}/`) || t === request || (t.startsWith(`${ha}/`) && t !== homeassistant.statusTopic),
    });
  }

  async stop(): Promise<void> {
    await this.broker?.close();
    this.broker = undefined;
  }
}
