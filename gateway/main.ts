// Composition root of the gateway: builds the shared context and runs the features of
// gateway/features/ (docs/gateway.md "Internals: features"): the embedded broker, health/metrics,
// the publisher (outbox → MQTT), availability, Home Assistant, downlink commands, requests and
// ingest (radios → verify → outbox). `kerb gateway` (cli/gateway.ts) and the simulator both call
// startGateway(); the simulator then attaches its in-process radio with handle.ingest.attachTransport().
import fs from 'node:fs';
import path from 'node:path';
import type { GatewayConfig, ConfigInput } from './config.ts';
import { configFromObject } from './config.ts';
import { createLogger, type KerbLogger } from './log.ts';
import { PromMetrics } from './metrics.ts';
import type { Outbox } from './outbox.ts';
import { MqttLink, redactUrl, type MqttLinkOptions } from './mqtt.ts';
import { makeTopics, type Topics } from './topics.ts';
import type { HealthReport, HttpRoute } from './http.ts';
import { encodeNamedCommand, type NamedEncoder } from './commands.ts';
import { Ingest, type IngestOptions } from './ingest.ts';
import type { Metrics } from './types.ts';
import type { Feature, GatewayContext, IngestLike } from './features/feature.ts';
import { Composition } from './features/compose.ts';
import { BrokerFeature } from './features/broker.ts';
import { PublisherFeature } from './features/publisher.ts';
import { AvailabilityFeature, bridgeOffline } from './features/availability.ts';
import { HomeAssistantFeature } from './features/homeassistant.ts';
import { DownlinkCommandsFeature } from './features/downlink-commands.ts';
import { HealthFeature } from './features/health.ts';
import { RequestsFeature } from './features/requests.ts';
import { IngestFeature } from './features/ingest.ts';
import { UdpRadiosFeature } from './features/udp-radios.ts';
import { regionByName } from '../shared/lorawan/region/all.ts';
import { PageFeature } from './features/page.ts';

export type { IngestOptions, IngestLike };

export interface GatewayDeps {
  log?: KerbLogger;
  /** Defaults to gateway/ingest.ts; tests of the publishing side may pass another. */
  createIngest?: (o: IngestOptions) => IngestLike | Promise<IngestLike>;
  /** Named downlink commands (docs/protocol.md §4); raw {fport, payload} always works. */
  namedCommands?: NamedEncoder;
}

export interface GatewayHandle {
  config: GatewayConfig;
  ingest: IngestLike;
  mqttUrl: string;
  httpPort: number | undefined;
  /** Port of the gateway page (its own page.bind listener, else the HTTP server's); undefined when off. */
  pagePort: number | undefined;
  /** Bound port of each `type: udp` radio, in config order (0 in the config picks a free one). */
  udpPorts: number[];
  topics: Topics;
  outbox: Outbox;
  metrics: PromMetrics;
  log: KerbLogger;
  mqttConnected(): boolean;
  health(): Promise<HealthReport>;
  /** Re-reads the device registry (SIGHUP) and re-publishes discovery. */
  reload(): Promise<boolean>;
  stop(): Promise<void>;
}

/** A read-only or full state folder fails here with a message saying so, not deep inside a feature. */
function assertWritable(dir: string): void {
  const probe = path.join(dir, `.kerb-write-test-${process.pid}`);
  try {
    fs.writeFileSync(probe, 'ok');
    fs.rmSync(probe, { force: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new Error(`state folder ${dir} is not writable (${code}): the gateway keeps its outbox, frame counters and downlink queue there; fix the mount or permissions (gateway.stateDir)`);
  }
}

function readSecret(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** The MQTT link's options but its URL; reads the secret files, so it fails before anything runs. */
function mqttLinkOptions(cfg: GatewayConfig, topics: Topics): Omit<MqttLinkOptions, 'url'> {
  const m = cfg.mqtt;
  const o: Omit<MqttLinkOptions, 'url'> = {
    protocolVersion: m.protocolVersion,
    clientId: m.clientId,
    rejectUnauthorized: m.rejectUnauthorized,
    keepaliveS: m.keepaliveS,
    connectTimeoutMs: m.connectTimeoutMs,
    reconnectMinMs: m.reconnectMinMs,
    reconnectMaxMs: m.reconnectMaxMs,
    will: { ...bridgeOffline(topics), retain: true, qos: 1 },
  };
  if (m.username) o.username = m.username;
  if (m.password) o.password = m.password;
  else if (m.passwordFile) o.password = readSecret(m.passwordFile, 'mqtt.passwordFile').toString('utf8').trim();
  if (m.ca) o.ca = readSecret(m.ca, 'mqtt.ca');
  if (m.cert) o.cert = readSecret(m.cert, 'mqtt.cert');
  if (m.key) o.key = readSecret(m.key, 'mqtt.key');
  return o;
}

function ingestOptions(cfg: GatewayConfig, log: KerbLogger, metrics: Metrics): IngestOptions {
  return {
    gatewayId: cfg.gateway.id,
    stateDir: cfg.gateway.stateDir,
    registryPath: cfg.gateway.registry,
    radios: cfg.radios,
    log: log.child({ component: 'ingest' }),
    metrics,
    rx1DelayMs: cfg.downlinks.rx1DelayMs,
    region: regionByName(cfg.gateway.region)!,
    downlinkExpiryMs: cfg.downlinks.expiryS * 1000,
    downlinkMaxPerDevice: cfg.downlinks.maxPerDevice,
    downlinkMaxQueued: cfg.downlinks.maxQueued,
    acceptCounterLoss: cfg.gateway.acceptCounterLoss,
    netId: parseInt(cfg.lorawan.netId, 16),
    adr: cfg.lorawan.adr,
    devStatusIntervalMs: cfg.lorawan.devStatusIntervalS * 1000,
  };
}

/**
 * Starts the gateway: features start in order and stop in reverse. If one fails to start, the
 * ones already started are stopped and the returned promise rejects with its error; the bridge
 * state `online` is only published once every feature has started.
 */
export async function startGateway(input: GatewayConfig | ConfigInput, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  const config = configFromObject(input as ConfigInput);
  const log = deps.log ?? createLogger({ level: config.log.level, format: config.log.format });
  const startedAt = Date.now();
  fs.mkdirSync(config.gateway.stateDir, { recursive: true });
  assertWritable(config.gateway.stateDir);
  const metrics = new PromMetrics(log.child({ component: 'metrics' }));
  const topics = makeTopics(config.mqtt.baseTopic, config.gateway.id);
  const linkOptions = mqttLinkOptions(config, topics);
  const ingest = await (deps.createIngest ?? ((o: IngestOptions) => new Ingest(o)))(ingestOptions(config, log, metrics));
  const composition = new Composition(log);
  try {
    const broker = new BrokerFeature(config, log);
    await composition.start([broker]); // the MQTT link needs the embedded broker's URL
    const mqttUrl = broker.url;
    const mlog = log.child({ component: 'mqtt' });
    // On the embedded broker the gateway logs in with the broker's own credentials.
    const login = !config.mqtt.username && broker.credentials && !config.mqtt.url ? broker.credentials : {};
    const mqtt = new MqttLink({ ...linkOptions, ...login, url: mqttUrl }, mlog, metrics);
    composition.route(mqtt);
    const ctx: GatewayContext = {
      config, log, metrics, topics, startedAt, mqtt, mqttUrl, ingest, registry: ingest.registry, events: composition,
      publish: (topic, payload, o = {}) => {
        if (!mqtt.connected) return;
        mqtt.publishCb(topic, payload, { qos: o.qos ?? 1, retain: o.retain ?? false }, (err) => {
          if (err) mlog.debug('publish failed', { topic, err });
        });
      },
    };
    const publisher = new PublisherFeature(ctx);
    const availability = new AvailabilityFeature(ctx);
    const udpRadios = new UdpRadiosFeature(ctx);
    const named = deps.namedCommands ?? encodeNamedCommand;
    // The page is served on health's HTTP server (unless page.bind gives it its own listener).
    const routes: HttpRoute[] = [];
    const health = new HealthFeature(ctx, {
      outbox: () => publisher.stats(), devicesOnline: () => availability.onlineCount(), routes,
      forwarders: () => udpRadios.radios.flatMap((r) => r.states()),
    });
    const page = new PageFeature(ctx, { health: () => health.health(), availability: (id) => availability.of(id) }, named);
    if (config.page.enabled) routes.push(page);
    const ingestFeature = new IngestFeature(ctx, publisher);
    // HTTP binds before MQTT connects: a port in use fails the start before anything goes on the air.
    const features: Feature[] = [
      health,
      publisher,
      availability,
      new HomeAssistantFeature(ctx),
      new DownlinkCommandsFeature(ctx, named),
      page,
    ];
    features.push(new RequestsFeature(ctx, [...features, ingestFeature]), ingestFeature, udpRadios);
    await composition.start(features);
    composition.live();
    log.info('gateway started', { gateway: config.gateway.id, mqtt: redactUrl(mqttUrl), radios: [...config.radios.map((r) => r.path), ...config.udpRadios.map((u) => `udp://${u.host}:${u.port}`)], stateDir: config.gateway.stateDir, outboxDepth: publisher.outbox.depth });

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        log.info('gateway stopping');
        await composition.stop();
        log.info('gateway stopped', { outboxDepth: publisher.outbox.depth });
      })());
    return {
      config, ingest, mqttUrl, topics, metrics, log, stop,
      httpPort: health.httpPort,
      pagePort: config.page.enabled ? (page.ownPort ?? health.httpPort) : undefined,
      udpPorts: udpRadios.radios.map((r) => r.port),
      outbox: publisher.outbox,
      mqttConnected: () => mqtt.connected,
      health: () => health.health(),
      reload: () => ingestFeature.reload(),
    };
  } catch (e) {
    await composition.stop(); // after a failed start the composition has already stopped everything
    throw e;
  }
}
