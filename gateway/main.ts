// Composition root of the gateway: chooses the implementations and joins ingest (radio → verified
// Uplink) to the publishing side (durable outbox → MQTT, downlink commands, Home Assistant
// discovery, availability, request/response, /metrics and /health). `kerb gateway` (cli/gateway.ts)
// and the simulator both call startGateway(); the simulator then attaches its in-process radio with
// handle.ingest.attachTransport().
import fs from 'node:fs';
import path from 'node:path';
import type { Uplink, Downlink, DownlinkResult, LinkTransport } from './types.ts';
import { configFromObject, type ConfigInput, type GatewayConfig } from './config.ts';
import { createLogger, type KerbLogger } from './log.ts';
import { PromMetrics } from './metrics.ts';
import { Outbox, type OutboxMessage } from './outbox.ts';
import { MqttLink, OutboxPump, redactUrl } from './mqtt.ts';
import { encodeSenmlCbor, senmlToJson, uplinkToSenml } from './senml.ts';
import { makeTopics, downTopicDevice, isPublishableTopic, type Topics } from './topics.ts';
import { RateLog } from './rate-log.ts';
import { discoveryMessages, haState, HA_SENSORS, type HaSensor } from './discovery.ts';
import { startHttp, type HealthReport, type HttpServer } from './http.ts';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker.ts';
import { decodeCommandPayload, encodeNamedCommand, encodeReply, parseDownCommand, transactionId, badTransactionId, type NamedEncoder, type WireFormat } from './commands.ts';
import { PROFILES, type DeviceInfo } from '../host/registry.ts';
import { Ingest, type IngestOptions } from './ingest.ts';

export type { IngestOptions };

export interface IngestLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  attachTransport(t: LinkTransport): void;
  onUplink(handler: (u: Uplink) => Promise<void>): void;
  queueDownlink(d: Downlink): Promise<void>;
  onDownlinkResult(cb: (r: DownlinkResult) => void): void;
  registry: { list(): DeviceInfo[]; get(id: string): DeviceInfo | undefined };
}

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

function defaultIngest(o: IngestOptions): IngestLike {
  return new Ingest(o);
}


function readSecret(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(`${what}: cannot read ${file}: ${(e as Error).message}`);
  }
}

/** Sensors Home Assistant should show for a device: its profile's readings plus diagnostics. */
function sensorsFor(dev: DeviceInfo): HaSensor[] {
  const readings = PROFILES[dev.profile]?.readings;
  return HA_SENSORS.filter((s) => !s.from || !readings || readings.includes(s.from.reading));
}

export async function startGateway(input: GatewayConfig | ConfigInput, deps: GatewayDeps = {}): Promise<GatewayHandle> {
  const cfg = configFromObject(input as ConfigInput);
  const log = deps.log ?? createLogger({ level: cfg.log.level });
  const metrics = new PromMetrics(log.child({ component: 'metrics' }));
  const started = Date.now();
  const cleanup: (() => Promise<void> | void)[] = [];
  const topics = makeTopics(cfg.mqtt.baseTopic, cfg.gateway.id);
  fs.mkdirSync(cfg.gateway.stateDir, { recursive: true });

  try {
    // --- broker ------------------------------------------------------------------------------
    let broker: EmbeddedBroker | undefined;
    const wantEmbedded = cfg.broker.embedded === 'always' || (cfg.broker.embedded === 'auto' && !cfg.mqtt.url);
    if (wantEmbedded) {
      broker = await startEmbeddedBroker(cfg.broker.host, cfg.broker.port, log.child({ component: 'broker' }));
      cleanup.push(() => broker!.close());
    }
    const mqttUrl = cfg.mqtt.url || broker!.url;

    // --- outbox ------------------------------------------------------------------------------
    const outbox = new Outbox({
      dir: path.join(cfg.gateway.stateDir, 'outbox'),
      maxBytes: cfg.outbox.maxBytes,
      maxMessages: cfg.outbox.maxMessages,
      fsync: cfg.outbox.fsync,
      log: log.child({ component: 'outbox' }),
      metrics,
    });
    await outbox.open();
    cleanup.push(() => outbox.close());

    // --- ingest ------------------------------------------------------------------------------
    const ingest = await (deps.createIngest ?? defaultIngest)({
      gatewayId: cfg.gateway.id,
      stateDir: cfg.gateway.stateDir,
      registryPath: cfg.gateway.registry,
      radios: cfg.radios,
      log: log.child({ component: 'ingest' }),
      metrics,
      rx1DelayMs: cfg.downlinks.rx1DelayMs,
      downlinkExpiryMs: cfg.downlinks.expiryS * 1000,
      acceptCounterLoss: cfg.gateway.acceptCounterLoss,
      downlinkMaxPerDevice: cfg.downlinks.maxPerDevice,
      downlinkMaxQueued: cfg.downlinks.maxQueued,
    });
    const named = deps.namedCommands ?? encodeNamedCommand;

    // --- mqtt --------------------------------------------------------------------------------
    const mlog = log.child({ component: 'mqtt' });
    const rlog = new RateLog(mlog);
    cleanup.push(() => rlog.stop());
    const linkOpts: ConstructorParameters<typeof MqttLink>[0] = {
      url: mqttUrl,
      protocolVersion: cfg.mqtt.protocolVersion,
      clientId: cfg.mqtt.clientId,
      rejectUnauthorized: cfg.mqtt.rejectUnauthorized,
      keepaliveS: cfg.mqtt.keepaliveS,
      connectTimeoutMs: cfg.mqtt.connectTimeoutMs,
      reconnectMinMs: cfg.mqtt.reconnectMinMs,
      reconnectMaxMs: cfg.mqtt.reconnectMaxMs,
      will: { topic: topics.gatewayState, payload: 'offline', retain: true, qos: 1 },
    };
    if (cfg.mqtt.username) linkOpts.username = cfg.mqtt.username;
    if (cfg.mqtt.password) linkOpts.password = cfg.mqtt.password;
    else if (cfg.mqtt.passwordFile) linkOpts.password = readSecret(cfg.mqtt.passwordFile, 'mqtt.passwordFile').toString('utf8').trim();
    if (cfg.mqtt.ca) linkOpts.ca = readSecret(cfg.mqtt.ca, 'mqtt.ca');
    if (cfg.mqtt.cert) linkOpts.cert = readSecret(cfg.mqtt.cert, 'mqtt.cert');
    if (cfg.mqtt.key) linkOpts.key = readSecret(cfg.mqtt.key, 'mqtt.key');
    const link = new MqttLink(linkOpts, mlog, metrics);
    const pump = new OutboxPump(outbox, link, cfg.mqtt.inflight, mlog, metrics);

    // --- per-device state ----------------------------------------------------------------------
    const lastSeen = new Map<string, number>();
    const availability = new Map<string, 'online' | 'offline'>();
    const resultFormat = new Map<string, WireFormat>(); // (device, transaction id) → reply format (bounded)
    let uplinks = 0;

    const fire = (topic: string, payload: Uint8Array | string, retain = false, qos: 0 | 1 = 1): void => {
      if (!link.connected) return;
      link.publishCb(topic, payload, { qos, retain }, (err) => {
        if (err) mlog.debug('publish failed', { topic, err });
      });
    };
    const setAvailability = (id: string, state: 'online' | 'offline'): void => {
      if (availability.get(id) === state) return;
      availability.set(id, state);
      fire(topics.deviceAvailability(id), state, true);
      metrics.set('devices_online', [...availability.values()].filter((s) => s === 'online').length);
    };
    const publishDiscovery = (): void => {
      if (!cfg.homeassistant.enabled) return;
      let n = 0;
      for (const dev of ingest.registry.list()) {
        for (const m of discoveryMessages(cfg.homeassistant.prefix, topics, { id: dev.id, name: dev.name, profile: dev.profile }, sensorsFor(dev))) {
          fire(m.topic, m.payload, true);
          n++;
        }
      }
      log.info('home assistant discovery published', { messages: n });
    };

    ingest.onUplink(async (u: Uplink) => {
      const pack = uplinkToSenml(u);
      const msgs: OutboxMessage[] = [{ topic: topics.deviceUp(u.deviceId), payload: encodeSenmlCbor(pack), qos: cfg.mqtt.qos, at: u.receivedAt }];
      if (cfg.mqtt.jsonMirror) msgs.push({ topic: topics.deviceUpJson(u.deviceId), payload: Buffer.from(senmlToJson(pack)), qos: cfg.mqtt.qos, at: u.receivedAt });
      await outbox.append(msgs); // durable before ingest commits the frame counter
      uplinks++;
      metrics.inc('uplinks_total');
      lastSeen.set(u.deviceId, Date.now());
      setAvailability(u.deviceId, 'online');
      if (cfg.homeassistant.enabled) fire(topics.deviceState(u.deviceId), JSON.stringify(haState(u)), false, 0);
    });

    const publishResult = (r: DownlinkResult): void => {
      const fkey = `${r.deviceId}\u0000${r.id}`; // transaction ids are scoped per device
      const format = resultFormat.get(fkey) ?? 'json';
      if (r.state !== 'queued' && r.state !== 'sent') resultFormat.delete(fkey);
      const body: Record<string, unknown> = { id: r.id, device: r.deviceId, state: r.state, at: new Date(r.at).toISOString() };
      if (r.reason !== undefined) body.reason = r.reason;
      if (r.fcntDown !== undefined) body.fcntDown = r.fcntDown;
      metrics.inc('downlink_results_total', { state: r.state });
      fire(topics.deviceDownResult(r.deviceId), encodeReply(format, body));
    };
    ingest.onDownlinkResult(publishResult);

    const stats = async (): Promise<Record<string, unknown>> => ({
      gateway: cfg.gateway.id,
      at: new Date().toISOString(),
      uptimeS: Math.round((Date.now() - started) / 1000),
      mqtt: { connected: link.connected, url: redactUrl(mqttUrl) },
      outbox: { depth: outbox.depth, bytes: outbox.bytes, inflight: pump.inFlight, dropped: outbox.dropped },
      uplinks,
      devices: ingest.registry.list().length,
      devicesOnline: [...availability.values()].filter((s) => s === 'online').length,
      radios: await radioStates(),
      framesRejected: await metrics.value('frames_rejected_total'),
      rssBytes: process.memoryUsage().rss,
    });
    const radioStates = async (): Promise<{ radio: string; up: boolean }[]> => {
      const i = ingest as IngestLike & { radioStates?: () => { radio: string; state: string }[] };
      if (typeof i.radioStates === 'function') return i.radioStates().map((r) => ({ radio: r.radio, up: r.state === 'up' }));
      return (await metrics.values('radio_up')).map((v) => ({ radio: String(v.labels.radio ?? ''), up: v.value > 0 }));
    };
    const health = async (): Promise<HealthReport> => {
      const radios = await radioStates();
      const radiosOk = cfg.radios.length === 0 || radios.some((r) => r.up);
      return {
        status: link.connected && radiosOk ? 'ok' : 'degraded',
        gateway: cfg.gateway.id,
        uptimeS: Math.round((Date.now() - started) / 1000),
        mqtt: { connected: link.connected, url: redactUrl(mqttUrl) },
        radios,
        outbox: { depth: outbox.depth, bytes: outbox.bytes, inflight: pump.inFlight, dropped: outbox.dropped },
      };
    };

    const reload = async (): Promise<boolean> => {
      const i = ingest as IngestLike & { reload?: () => boolean | Promise<boolean> };
      if (typeof i.reload !== 'function') return false;
      const ok = await i.reload();
      if (ok) publishDiscovery();
      return ok;
    };

    const handleRequest = async (v: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const cmd = v.command ?? v.cmd;
      metrics.inc('requests_total', { command: typeof cmd === 'string' ? cmd.slice(0, 32) : 'invalid' });
      switch (cmd) {
        case 'ping':
          return { ok: true, data: 'pong' };
        case 'devices':
        case 'list_devices':
          return {
            ok: true,
            data: ingest.registry.list().map((d) => ({
              id: d.id,
              name: d.name,
              devAddr: d.devAddrHex,
              profile: d.profile,
              location: d.location ?? null,
              availability: availability.get(d.id) ?? 'unknown',
              lastSeen: lastSeen.has(d.id) ? new Date(lastSeen.get(d.id)!).toISOString() : null,
            })),
          };
        case 'stats':
          return { ok: true, data: await stats() };
        case 'health':
          return { ok: true, data: await health() };
        case 'reload':
        case 'reload_registry': {
          const ok = await reload();
          return ok ? { ok: true, data: { devices: ingest.registry.list().length } } : { ok: false, error: 'registry not reloaded (invalid file?); previous registry kept, see the gateway log' };
        }
        case 'republish_discovery':
          publishDiscovery();
          return { ok: true };
        default:
          return { ok: false, error: `unknown command ${JSON.stringify(cmd)}; try ping, devices, stats, health, reload, republish_discovery` };
      }
    };

    link.onMessage((topic, payload, props) => {
      if (topic === cfg.homeassistant.statusTopic) {
        if (payload.toString('utf8').trim() === 'online') publishDiscovery();
        return;
      }
      if (topic === topics.gatewayRequest) {
        const d = decodeCommandPayload(payload);
        let to = topics.gatewayResponse;
        if (props.responseTopic !== undefined) {
          if (isPublishableTopic(props.responseTopic)) to = props.responseTopic;
          else rlog.note('bad_response_topic', 'warn', 'request has an unusable MQTT 5 response topic (empty, wildcard, NUL or too long); replying on the standard response topic', { responseTopic: props.responseTopic.slice(0, 200), response: topics.gatewayResponse });
        }
        // QoS 0: a reply must never sit in mqtt.js's resend store, where a reply the broker rejects
        // would be sent again after every reconnect and keep the gateway off the broker.
        const reply = (format: WireFormat, body: Record<string, unknown>) =>
          link.publishCb(to, encodeReply(format, body), props.correlationData ? { qos: 0, correlationData: props.correlationData } : { qos: 0 }, () => undefined);
        if ('error' in d) return reply('json', { ok: false, error: d.error });
        const badId = badTransactionId(d.value);
        if (badId) return reply(d.format, { id: null, ok: false, error: badId });
        const id = transactionId(d.value);
        handleRequest(d.value).then(
          (r) => reply(d.format, { id: id ?? null, ...r }),
          (e: Error) => reply(d.format, { id: id ?? null, ok: false, error: e.message }),
        );
        return;
      }
      const deviceId = downTopicDevice(cfg.mqtt.baseTopic, topic);
      if (deviceId === undefined) return;
      metrics.inc('mqtt_messages_received_total', { kind: 'down' });
      const d = decodeCommandPayload(payload);
      const fail = (id: string, reason: string, format: WireFormat) => {
        metrics.inc('downlink_commands_total', { result: 'rejected' });
        mlog.warn('downlink command rejected', { device: deviceId, id, reason });
        fire(topics.deviceDownResult(deviceId), encodeReply(format, { id, device: deviceId, state: 'failed', at: new Date().toISOString(), reason }));
      };
      if ('error' in d) return fail('', d.error, 'json');
      const p = parseDownCommand(deviceId, d.value, Date.now(), cfg.downlinks.expiryS, named);
      if ('error' in p) return fail(p.id, p.error, d.format);
      if (!ingest.registry.get(deviceId)) return fail(p.downlink.id, `unknown device ${deviceId}`, d.format);
      resultFormat.set(`${deviceId}\u0000${p.downlink.id}`, d.format);
      if (resultFormat.size > 10000) resultFormat.delete(resultFormat.keys().next().value!);
      ingest.queueDownlink(p.downlink).then(
        () => metrics.inc('downlink_commands_total', { result: 'queued' }),
        (e: Error) => fail(p.downlink.id, e.message, d.format),
      );
    });

    link.onConnect(() => {
      fire(topics.gatewayState, 'online', true);
      const subs = [topics.deviceDownWildcard, topics.gatewayRequest];
      if (cfg.homeassistant.enabled) subs.push(cfg.homeassistant.statusTopic);
      link.subscribe(subs);
      // A broker without persistence forgets retained messages: restate what we know.
      for (const [id, s] of availability) fire(topics.deviceAvailability(id), s, true);
      publishDiscovery();
    });

    // --- timers --------------------------------------------------------------------------------
    const availTimer = setInterval(() => {
      const now = Date.now();
      for (const dev of ingest.registry.list()) {
        const seen = lastSeen.get(dev.id) ?? started;
        if (now - seen > cfg.availability.offlineAfterS * 1000) setAvailability(dev.id, 'offline');
      }
    }, cfg.availability.checkIntervalS * 1000);
    availTimer.unref();
    cleanup.push(() => clearInterval(availTimer));
    if (cfg.stats.intervalS > 0) {
      const statsTimer = setInterval(() => {
        if (link.connected) void stats().then((s) => fire(topics.gatewayStats, JSON.stringify(s), false, 0));
      }, cfg.stats.intervalS * 1000);
      statsTimer.unref();
      cleanup.push(() => clearInterval(statsTimer));
    }

    let http: HttpServer | undefined;
    if (cfg.http.enabled) {
      http = await startHttp(cfg.http.host, cfg.http.port, metrics, health, log.child({ component: 'http' }));
      cleanup.push(() => http!.close());
    }

    pump.start();
    link.start();
    await ingest.start();
    log.info('gateway started', { gateway: cfg.gateway.id, mqtt: redactUrl(mqttUrl), radios: cfg.radios.map((r) => r.path), stateDir: cfg.gateway.stateDir, outboxDepth: outbox.depth });

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        log.info('gateway stopping');
        await ingest.stop().catch((e: unknown) => log.warn('ingest stop failed', { err: e }));
        // Give in-flight messages a moment to be acknowledged; anything left stays in the outbox.
        const until = Date.now() + 2000;
        while (pump.inFlight > 0 && link.connected && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
        pump.stop();
        await link.stop({ topic: topics.gatewayState, payload: 'offline' });
        for (const c of cleanup.reverse()) await Promise.resolve(c()).catch((e: unknown) => log.warn('cleanup failed', { err: e }));
        log.info('gateway stopped', { outboxDepth: outbox.depth });
      })());

    return {
      config: cfg,
      ingest,
      mqttUrl,
      httpPort: http?.port,
      topics,
      outbox,
      metrics,
      log,
      mqttConnected: () => link.connected,
      health,
      reload,
      stop,
    };
  } catch (e) {
    for (const c of cleanup.reverse()) await Promise.resolve(c()).catch(() => undefined);
    throw e;
  }
}
