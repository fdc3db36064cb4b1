// The contract between the gateway's features (gateway/features/*.ts) and the composition that runs
// them (compose.ts, used by gateway/main.ts), in the manner of Zigbee2MQTT's extensions: a feature
// owns one concern, its constructor only stores what it is given, start() and stop() act, and it
// declares the MQTT topics, request types and gateway events it handles instead of wiring itself
// into other parts. Everything here is erasable TypeScript (interfaces and types only).
import type { Downlink, DownlinkResult, LinkTransport, Uplink } from '../types.ts';
import type { GatewayConfig } from '../config.ts';
import type { KerbLogger } from '../log.ts';
import type { PromMetrics } from '../metrics.ts';
import type { MessageHandler, MqttLink } from '../mqtt.ts';
import type { Topics } from '../topics.ts';
import type { DeviceInfo } from '../../host/registry.ts';

/** MQTT 5 properties of a received message (content type, response topic, correlation data). */
export type MessageProps = Parameters<MessageHandler>[2];

/** Answer to a request on `<base>/gateway/<gw>/request` (docs/gateway.md "Request / response"). */
export type RequestResult = { ok: true; data?: unknown } | { ok: false; error: string };

/** Handles one request type; `request` is the decoded request object (`{id, command, …}`). */
export type RequestHandler = (request: Record<string, unknown>) => RequestResult | Promise<RequestResult>;

/** The devices the gateway knows (the registry ingest reads). */
export interface DeviceDirectory {
  list(): DeviceInfo[];
  get(id: string): DeviceInfo | undefined;
}

/** The ingest side (gateway/ingest.ts, or another implementation a test passes). */
export interface IngestLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** An in-process radio (the simulator's). */
  attachTransport(t: LinkTransport): void;
  onUplink(handler: (u: Uplink) => Promise<void>): void;
  queueDownlink(d: Downlink): Promise<void>;
  onDownlinkResult(cb: (r: DownlinkResult) => void): void;
  /** Every radio, serial or in-process, with its supervisor state ('up' when it is heard). */
  radioStates(): { radio: string; state: string }[];
  /** Re-reads the device registry; false when the file is invalid (the previous registry is kept). */
  reload(): boolean | Promise<boolean>;
  readonly registry: DeviceDirectory;
}

/** Things that happen in the gateway, delivered to every started feature that handles them. */
export interface GatewayEvents {
  /** An accepted uplink is durable in the outbox. */
  uplink(u: Uplink): void;
  /** A downlink changed state (queued, sent, acknowledged, expired, failed). */
  downlinkResult(r: DownlinkResult): void;
  /** The device registry was re-read and changed what the gateway knows. */
  registryReloaded(): void;
}

/** What every feature may use; built once by startGateway. */
export interface GatewayContext {
  readonly config: GatewayConfig;
  readonly log: KerbLogger;
  readonly metrics: PromMetrics;
  readonly topics: Topics;
  /** Date.now() when the gateway began starting (uptime; devices not yet heard count from here). */
  readonly startedAt: number;
  readonly mqtt: MqttLink;
  /** The broker the link connects to (the embedded one's when no mqtt.url is configured). */
  readonly mqttUrl: string;
  readonly ingest: IngestLike;
  readonly registry: DeviceDirectory;
  readonly events: GatewayEvents;
  /** Fire-and-forget publish (QoS 1 unless given), skipped while disconnected: for state that is restated on reconnect. */
  publish(topic: string, payload: Uint8Array | string, o?: { retain?: boolean; qos?: 0 | 1 }): void;
}

export interface Feature {
  readonly name: string;
  /** Starts acting. On failure it must leave nothing of its own running; the composition stops the features started before it. */
  start(): Promise<void>;
  /** Stops acting; called once, in reverse start order, only after start() resolved. */
  stop(): Promise<void>;
  /** Topic filters to subscribe to on every connect. */
  subscriptions?(): string[];
  /** A message on a subscribed topic; returns true when the topic is this feature's. */
  onMqttMessage?(topic: string, payload: Buffer, props: MessageProps): boolean;
  /** Connected (again) to the broker, with every feature started. */
  onMqttConnect?(): void;
  /** Request types this feature answers, by name. */
  readonly requests?: Readonly<Record<string, RequestHandler>>;
  onUplink?(u: Uplink): void;
  onDownlinkResult?(r: DownlinkResult): void;
  onRegistryReload?(): void;
}
