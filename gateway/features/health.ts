// How the gateway is doing: GET /health and GET /metrics over HTTP (gateway/http.ts), the periodic
// stats message on `<base>/gateway/<gw>/stats`, and the `stats` and `health` requests.
import type { Uplink } from '../types.ts';
import { redactUrl } from '../mqtt.ts';
import { startHttp, type HealthReport, type HttpRoute, type HttpServer } from '../http.ts';
import type { Feature, GatewayContext, RequestHandler } from './feature.ts';

/** What health reads from the other features. */
export interface HealthSources {
  outbox(): { depth: number; bytes: number; inflight: number; dropped: number; unwritable?: string };
  devicesOnline(): number;
  /** Paths other features serve on the same HTTP server (the page). */
  routes?: HttpRoute[];
}

export class HealthFeature implements Feature {
  readonly name = 'health';
  readonly requests: Readonly<Record<string, RequestHandler>>;
  private readonly ctx: GatewayContext;
  private readonly sources: HealthSources;
  private uplinks = 0;
  private http: HttpServer | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(ctx: GatewayContext, sources: HealthSources) {
    this.ctx = ctx;
    this.sources = sources;
    this.requests = {
      stats: async () => ({ ok: true, data: await this.stats() }),
      health: async () => ({ ok: true, data: await this.health() }),
    };
  }

  /** The bound HTTP port (after start), when HTTP is enabled. */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  async start(): Promise<void> {
    const { config, log, metrics, mqtt, topics, publish } = this.ctx;
    if (config.http.enabled) this.http = await startHttp(config.http.host, config.http.port, metrics, () => this.health(), log.child({ component: 'http' }), this.sources.routes);
    if (config.stats.intervalS > 0) {
      this.timer = setInterval(() => {
        if (mqtt.connected) void this.stats().then((s) => publish(topics.gatewayStats, JSON.stringify(s), { qos: 0 }));
      }, config.stats.intervalS * 1000);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.http?.close();
    this.http = undefined;
  }

  onUplink(_u: Uplink): void {
    this.uplinks++;
  }

  async health(): Promise<HealthReport> {
    const { config, mqtt } = this.ctx;
    const radios = this.radios();
    const radiosOk = config.radios.length + (config.udpRadios?.length ?? 0) === 0 || radios.some((r) => r.up);
    const outbox = this.sources.outbox();
    const reasons: string[] = [];
    if (!mqtt.connected) reasons.push('MQTT broker not connected');
    if (!radiosOk) reasons.push('no radio up');
    // Uplinks heard now are refused (not stored): the gateway is not doing its job.
    if (outbox.unwritable) reasons.push(`outbox cannot write: ${outbox.unwritable}`);
    return {
      status: reasons.length ? 'degraded' : 'ok',
      ...(reasons.length ? { reasons } : {}),
      gateway: config.gateway.id,
      uptimeS: this.uptimeS(),
      mqtt: this.mqttState(),
      radios,
      outbox,
    };
  }

  async stats(): Promise<Record<string, unknown>> {
    const { config, metrics, registry } = this.ctx;
    return {
      gateway: config.gateway.id,
      at: new Date().toISOString(),
      uptimeS: this.uptimeS(),
      mqtt: this.mqttState(),
      outbox: this.sources.outbox(),
      uplinks: this.uplinks,
      devices: registry.list().length,
      devicesOnline: this.sources.devicesOnline(),
      radios: this.radios(),
      framesRejected: await metrics.value('frames_rejected_total'),
      rssBytes: process.memoryUsage().rss,
    };
  }

  private radios(): { radio: string; up: boolean }[] {
    return this.ctx.ingest.radioStates().map((r) => ({ radio: r.radio, up: r.state === 'up' }));
  }

  private uptimeS(): number {
    return Math.round((Date.now() - this.ctx.startedAt) / 1000);
  }

  private mqttState(): { connected: boolean; url: string } {
    return { connected: this.ctx.mqtt.connected, url: redactUrl(this.ctx.mqttUrl) };
  }
}
