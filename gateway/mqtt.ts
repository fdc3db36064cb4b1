// MQTT side of the gateway over mqtt.js 5: one long-lived client, retried forever with capped
// exponential backoff (also when the very first connect fails, e.g. TLS "certificate is not yet
// valid" on a Raspberry Pi whose clock NTP has not set yet), and a pump that moves the durable
// outbox to the broker through a bounded in-flight window.
//
// mqtt.js keeps QoS>0 messages it has sent but not seen acknowledged in its in-memory store and
// re-sends them after a reconnect; we rely on that only for the in-flight window, never for
// durability: a message leaves the outbox only on PUBACK, and after a crash the outbox re-sends
// everything not acknowledged.
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger, Metrics } from './types.ts';
import type { Outbox, OutboxEntry } from './outbox.ts';
import { SENML_CBOR_CONTENT_TYPE, SENML_JSON_CONTENT_TYPE } from './senml.ts';

export interface MqttLinkOptions {
  url: string;
  protocolVersion: 4 | 5;
  clientId: string;
  username?: string;
  password?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  keepaliveS: number;
  connectTimeoutMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  will: { topic: string; payload: string; retain: boolean; qos: 0 | 1 | 2 };
}

export interface PublishOpts {
  qos?: 0 | 1 | 2;
  retain?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
}

export type MessageHandler = (topic: string, payload: Buffer, props: { contentType?: string; responseTopic?: string; correlationData?: Buffer }) => void;

/** Explains the connect errors operators actually meet, so a log line says what to do. */
export function explainConnectError(err: Error & { code?: string | number }): string {
  const code = String(err.code ?? '');
  if (code === 'CERT_NOT_YET_VALID') return 'broker certificate is not yet valid: is the system clock set (NTP synced)? retrying';
  if (code === 'CERT_HAS_EXPIRED') return 'broker certificate has expired (or the system clock is wrong); retrying';
  if (code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT')
    return 'broker certificate not trusted: set mqtt.ca to the CA that signed it; retrying';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'broker certificate does not match the host name in mqtt.url; retrying';
  if (code === 'ECONNREFUSED') return 'connection refused: is the broker running and listening on that port? retrying';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'broker host name does not resolve (network or DNS not up yet?); retrying';
  if (code === '4' || code === '5' || code === '134' || code === '135') return 'broker rejected the credentials (mqtt.username / mqtt.password); retrying';
  return `${err.message}; retrying`;
}

export class MqttLink {
  private client: MqttClient | undefined;
  private attempts = 0;
  private readonly connectCbs: (() => void)[] = [];
  private readonly disconnectCbs: (() => void)[] = [];
  private readonly messageCbs: MessageHandler[] = [];
  private readonly subs = new Set<string>();
  private lastErrorKey = '';
  private stopped = false;
  connected = false;

  private readonly opts: MqttLinkOptions;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  constructor(
    opts: MqttLinkOptions,
    log: Logger,
    metrics: Metrics,
  ) {
    this.opts = opts;
    this.log = log;
    this.metrics = metrics;
  }

  onConnect(cb: () => void): void {
    this.connectCbs.push(cb);
  }
  onDisconnect(cb: () => void): void {
    this.disconnectCbs.push(cb);
  }
  onMessage(cb: MessageHandler): void {
    this.messageCbs.push(cb);
  }

  start(): void {
    const o = this.opts;
    const options: IClientOptions = {
      protocolVersion: o.protocolVersion,
      clientId: o.clientId,
      clean: true,
      keepalive: o.keepaliveS,
      connectTimeout: o.connectTimeoutMs,
      reconnectPeriod: o.reconnectMinMs,
      reconnectOnConnackError: true,
      resubscribe: true,
      queueQoSZero: false,
      will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), retain: o.will.retain, qos: o.will.qos },
      rejectUnauthorized: o.rejectUnauthorized,
    };
    // mqtt.js traces every packet through the `debug` module (DEBUG=mqttjs*); when DEBUG is not
    // set at all those calls are pure overhead on every publish and PUBACK.
    if (!process.env.DEBUG) options.log = () => {};
    // By default mqtt.js clears and re-arms its keepalive timer on every packet (each PUBACK); a
    // PINGREQ every keepaliveS regardless costs one small packet and detects a dead connection as
    // well (1-2 us less per publish+PUBACK in a 30 000-message QoS 1 run against mosquitto).
    options.reschedulePings = false;
    if (o.username !== undefined) options.username = o.username;
    if (o.password !== undefined) options.password = o.password;
    if (o.ca) options.ca = o.ca;
    if (o.cert) options.cert = o.cert;
    if (o.key) options.key = o.key;
    const c = mqtt.connect(o.url, options);
    this.client = c;
    this.log.info('mqtt connecting', { url: redactUrl(o.url), protocolVersion: o.protocolVersion, clientId: o.clientId });
    c.on('connect', () => {
      this.attempts = 0;
      this.lastErrorKey = '';
      c.options.reconnectPeriod = o.reconnectMinMs;
      this.connected = true;
      this.metrics.set('mqtt_connected', 1);
      this.metrics.inc('mqtt_connects_total');
      this.log.info('mqtt connected', { url: redactUrl(o.url) });
      for (const cb of this.connectCbs) safe(this.log, cb);
    });
    c.on('reconnect', () => {
      // mqtt.js reads options.reconnectPeriod each time it arms the next retry: capped exponential
      // backoff with ±20 % jitter, so a fleet of gateways does not reconnect in lockstep.
      this.attempts++;
      const base = Math.min(o.reconnectMaxMs, o.reconnectMinMs * 2 ** Math.min(this.attempts, 20));
      c.options.reconnectPeriod = Math.max(o.reconnectMinMs, Math.round(base * (0.8 + 0.4 * Math.random())));
      this.log.debug('mqtt reconnecting', { attempt: this.attempts, nextRetryMs: c.options.reconnectPeriod });
    });
    c.on('close', () => {
      if (this.connected) {
        this.connected = false;
        this.metrics.set('mqtt_connected', 0);
        if (!this.stopped) this.log.warn('mqtt connection lost; reconnecting with backoff', { url: redactUrl(o.url) });
        for (const cb of this.disconnectCbs) safe(this.log, cb);
      }
    });
    c.on('error', (err: Error & { code?: string | number }) => {
      const code = String(err.code ?? 'unknown');
      this.metrics.inc('mqtt_connect_errors_total', { code });
      // Log a repeating error once at warn, then at debug until it changes or we connect.
      const key = `${code}:${err.message}`;
      const fields = { url: redactUrl(o.url), code, error: err.message, attempt: this.attempts };
      if (key !== this.lastErrorKey) this.log.warn(`mqtt: ${explainConnectError(err)}`, fields);
      else this.log.debug(`mqtt: ${explainConnectError(err)}`, fields);
      this.lastErrorKey = key;
    });
    c.on('message', (topic, payload, packet) => {
      const p = packet.properties;
      const props: { contentType?: string; responseTopic?: string; correlationData?: Buffer } = {};
      if (p?.contentType) props.contentType = p.contentType;
      if (p?.responseTopic) props.responseTopic = p.responseTopic;
      if (p?.correlationData) props.correlationData = p.correlationData;
      for (const cb of this.messageCbs) safe(this.log, () => cb(topic, payload, props));
    });
  }

  subscribe(topics: string[]): void {
    for (const t of topics) this.subs.add(t);
    // resubscribe: true makes mqtt.js repeat these after every reconnect.
    this.client?.subscribe(topics, { qos: 1 }, (err) => {
      if (err) this.log.warn('mqtt subscribe failed', { topics, err });
    });
  }

  /** Resolves on PUBACK (QoS 1), PUBCOMP (QoS 2) or once written (QoS 0). */
  publish(topic: string, payload: Uint8Array | string, o: PublishOpts = {}): Promise<void> {
    return new Promise((resolve, reject) => this.publishCb(topic, payload, o, (err) => (err ? reject(err) : resolve())));
  }

  publishCb(topic: string, payload: Uint8Array | string, o: PublishOpts, cb: (err?: Error) => void): void {
    const c = this.client;
    if (!c) return cb(new Error('mqtt not started'));
    const po: IClientPublishOptions = { qos: o.qos ?? 1, retain: o.retain ?? false };
    if (this.opts.protocolVersion === 5) {
      const props: NonNullable<IClientPublishOptions['properties']> = {};
      if (o.contentType) props.contentType = o.contentType;
      if (o.correlationData) props.correlationData = o.correlationData;
      if (Object.keys(props).length) po.properties = props;
    }
    const buf = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    c.publish(topic, buf, po, (err) => cb(err ?? undefined));
  }

  /** Publishes `offlinePayload` on the state topic (a clean shutdown does not fire the Will), then disconnects. */
  async stop(final?: { topic: string; payload: string }): Promise<void> {
    this.stopped = true;
    const c = this.client;
    if (!c) return;
    if (final && c.connected) {
      await Promise.race([this.publish(final.topic, final.payload, { qos: 1, retain: true }).catch(() => undefined), sleep(2000)]);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.end(true, {}, () => resolve());
      }, 3000);
      c.end(false, {}, () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.connected = false;
    this.metrics.set('mqtt_connected', 0);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function safe(log: Logger, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    log.error('mqtt handler threw', { err: e });
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function contentTypeFor(topic: string): string | undefined {
  if (topic.endsWith('/up')) return SENML_CBOR_CONTENT_TYPE;
  if (topic.endsWith('/up/json')) return SENML_JSON_CONTENT_TYPE;
  return undefined;
}

/**
 * Moves outbox entries to the broker while connected, at most `window` unacknowledged at a time,
 * in outbox order (so in order per device). ack(seq) on PUBACK.
 */
export class OutboxPump {
  private readonly inflight = new Map<number, OutboxEntry>();
  private retry: OutboxEntry[] = [];
  private scheduled = false;
  private stopped = false;

  private readonly outbox: Outbox;
  private readonly link: MqttLink;
  private readonly window: number;
  private readonly log: Logger;
  private readonly metrics: Metrics;
  constructor(
    outbox: Outbox,
    link: MqttLink,
    window: number,
    log: Logger,
    metrics: Metrics,
  ) {
    this.outbox = outbox;
    this.link = link;
    this.window = window;
    this.log = log;
    this.metrics = metrics;
  }

  start(): void {
    this.outbox.onReadable(() => this.kick());
    this.link.onConnect(() => this.kick());
    this.kick();
  }

  stop(): void {
    this.stopped = true;
  }

  get inFlight(): number {
    return this.inflight.size;
  }

  kick(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped || !this.link.connected) return;
    let room = this.window - this.inflight.size;
    if (room <= 0) return;
    const batch = this.retry.length ? this.retry.splice(0, room) : [];
    room -= batch.length;
    if (room > 0) batch.push(...this.outbox.take(room));
    for (const e of batch) this.send(e);
    this.metrics.set('outbox_inflight', this.inflight.size);
  }

  private send(e: OutboxEntry): void {
    this.inflight.set(e.seq, e);
    const o: PublishOpts = { qos: e.qos, retain: e.retain };
    const ct = contentTypeFor(e.topic);
    if (ct) o.contentType = ct;
    this.link.publishCb(e.topic, e.payload, o, (err) => {
      this.inflight.delete(e.seq);
      if (err) {
        // Not acknowledged: keep it (in order) for the next attempt; the outbox still holds it.
        this.log.debug('publish not acknowledged; will retry', { seq: e.seq, err });
        this.retry.push(e);
        this.retry.sort((a, b) => a.seq - b.seq);
        return;
      }
      this.outbox.ack(e.seq);
      if (e.topic.endsWith('/up')) {
        this.metrics.inc('mqtt_messages_published_total', { kind: 'up' });
        this.metrics.observe('uplink_publish_latency_seconds', Math.max(0, Date.now() - e.at) / 1000);
      }
      this.metrics.set('outbox_inflight', this.inflight.size);
      this.kick();
    });
  }
}
