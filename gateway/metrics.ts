// The Metrics interface (host/types.ts) over prom-client. Every name gets the `kerb_` prefix.
// Known metrics are declared up front with help text and label names; any other name used by
// ingest is created on first use (counter for inc, gauge for set, histogram for observe) with the
// label names of that first call. A later call with other label names is dropped (prom-client
// would throw) and logged once: a metrics typo must never take the gateway down.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger, Metrics } from './types.ts';

type Kind = 'counter' | 'gauge' | 'histogram';
interface Decl {
  kind: Kind;
  help: string;
  labels?: string[];
  buckets?: number[];
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Metrics the publishing side emits, and the ones ingest is known to use. */
export const KNOWN_METRICS: Record<string, Decl> = {
  outbox_depth: { kind: 'gauge', help: 'Messages in the durable outbox not yet acknowledged by the broker' },
  outbox_bytes: { kind: 'gauge', help: 'Bytes of outbox segment files on disk' },
  outbox_appended_total: { kind: 'counter', help: 'Messages written to the outbox' },
  outbox_delivered_total: { kind: 'counter', help: 'Outbox messages acknowledged by the broker (PUBACK)' },
  outbox_dropped_total: { kind: 'counter', help: 'Outbox messages dropped by the overflow policy (drop oldest)' },
  outbox_inflight: { kind: 'gauge', help: 'Outbox messages published and awaiting PUBACK' },
  outbox_corrupt_records_total: { kind: 'counter', help: 'Outbox records found damaged on disk and skipped (the intact ones after them are kept)' },
  outbox_writable: { kind: 'gauge', help: '1 while the outbox can write; 0 while it refuses new uplinks (disk full, write errors)' },
  uplinks_refused_total: { kind: 'counter', help: 'Verified uplinks refused because they could not be stored (frame counter not committed)', labels: ['reason'] },
  outbox_fsync_seconds: { kind: 'histogram', help: 'Outbox write+fsync duration', buckets: LATENCY_BUCKETS },
  mqtt_connected: { kind: 'gauge', help: '1 when connected to the MQTT broker' },
  mqtt_connects_total: { kind: 'counter', help: 'Successful MQTT connections' },
  mqtt_connect_errors_total: { kind: 'counter', help: 'Failed MQTT connection attempts', labels: ['code'] },
  mqtt_messages_published_total: { kind: 'counter', help: 'MQTT messages published (acknowledged for QoS>0)', labels: ['kind'] },
  mqtt_messages_received_total: { kind: 'counter', help: 'MQTT messages received on command topics', labels: ['kind'] },
  uplinks_total: { kind: 'counter', help: 'Uplinks accepted from ingest into the outbox' },
  uplink_publish_latency_seconds: {
    kind: 'histogram',
    help: 'Time from reception at the gateway to broker PUBACK of the uplink',
    buckets: LATENCY_BUCKETS,
  },
  downlink_commands_total: { kind: 'counter', help: 'Downlink commands received over MQTT', labels: ['result'] },
  downlink_results_total: { kind: 'counter', help: 'Downlink results published', labels: ['state'] },
  requests_total: { kind: 'counter', help: 'Gateway request/response commands handled', labels: ['command'] },
  devices_online: { kind: 'gauge', help: 'Devices whose last uplink is within the availability timeout' },
  joins_accepted_total: { kind: 'counter', help: 'OTAA Join-requests answered with a Join-accept' },
  downlink_decisions_total: { kind: 'counter', help: 'Accepted uplinks whose class A downlink decision is made (sent or nothing to send)' },
  joins_rejected_total: { kind: 'counter', help: 'OTAA Join-requests refused (unknown DevEUI, MIC, DevNonce not above the last one, JoinEUI)', labels: ['reason'] },
};

type Any = Counter<string> | Gauge<string> | Histogram<string>;
type Child = { inc(by?: number): void } | { set(v: number): void } | { observe(v: number): void };

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly byName = new Map<string, { kind: Kind; m: Any; labels: string[] }>();
  private readonly warned = new Set<string>();
  // Per-frame calls (frames_received_total{radio}, uplinks_accepted_total{device}, …) would make
  // prom-client hash the label object every time: children are cached by name and label values
  // (in the metric's declared label order), so a hot-path call is two Map lookups.
  private readonly children = new Map<string, Map<string, Child>>();

  private readonly log: Logger | undefined;
  readonly prefix: string;
  constructor(
    log?: Logger,
    prefix = 'kerb_',
    defaultMetrics = true,
  ) {
    this.log = log;
    this.prefix = prefix;
    if (defaultMetrics) {
      collectDefaultMetrics({ register: this.registry, prefix });
      // prom-client names these gauges with a counter's `_total` suffix, which `promtool check
      // metrics` rejects (Prometheus naming: `_total` is for counters only). Their values are the
      // sum over `type` of the gauges kept beside them: sum(kerb_nodejs_active_handles) etc.
      for (const n of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(prefix + n);
      }
    }
    for (const [name, d] of Object.entries(KNOWN_METRICS)) this.declare(name, d);
  }

  declare(name: string, d: Decl): void {
    if (this.byName.has(name)) return;
    const cfg = { name: this.prefix + name, help: d.help, labelNames: d.labels ?? [], registers: [this.registry] };
    const m: Any =
      d.kind === 'counter'
        ? new Counter(cfg)
        : d.kind === 'gauge'
          ? new Gauge(cfg)
          : new Histogram({ ...cfg, buckets: d.buckets ?? LATENCY_BUCKETS });
    this.byName.set(name, { kind: d.kind, m, labels: d.labels ?? [] });
  }

  private get(name: string, kind: Kind, labels?: Record<string, string>): Any | undefined {
    let e = this.byName.get(name);
    if (!e) {
      try {
        this.declare(name, { kind, help: `${name} (${kind})`, labels: labels ? Object.keys(labels).sort() : [] });
      } catch (err) {
        this.warnOnce(name, 'cannot create metric', err);
        return undefined;
      }
      e = this.byName.get(name)!;
    }
    if (e.kind !== kind) {
      this.warnOnce(name, `metric is a ${e.kind}, used as ${kind}`);
      return undefined;
    }
    const given = labels ? Object.keys(labels) : [];
    if (given.length !== e.labels.length || given.some((l) => !e.labels.includes(l))) {
      this.warnOnce(name, `label names [${given.join(',')}] differ from declared [${e.labels.join(',')}]`);
      return undefined;
    }
    return e.m;
  }

  private warnOnce(name: string, problem: string, err?: unknown): void {
    if (this.warned.has(name)) return;
    this.warned.add(name);
    this.log?.warn('metric misuse ignored', { metric: name, problem, err });
  }

  /** The metric itself (no labels) or its child for these label values; undefined on misuse. */
  private child(name: string, kind: Kind, labels?: Record<string, string>): Child | undefined {
    const e = this.byName.get(name);
    if (e && e.kind === kind) {
      let key = '';
      let n = 0;
      if (labels) {
        for (const l of e.labels) {
          const v = labels[l];
          if (v === undefined) return this.slowChild(name, kind, labels);
          key += `${v}\u0000`;
        }
        for (const _ in labels) n++;
      }
      if (n === e.labels.length) {
        const byKey = this.children.get(name);
        const c = byKey?.get(key);
        if (c) return c;
      }
    }
    return this.slowChild(name, kind, labels);
  }

  private slowChild(name: string, kind: Kind, labels?: Record<string, string>): Child | undefined {
    const m = this.get(name, kind, labels);
    if (!m) return undefined;
    const e = this.byName.get(name)!;
    const c: Child = e.labels.length ? (m as Counter<string>).labels(labels!) : m;
    let byKey = this.children.get(name);
    if (!byKey) this.children.set(name, (byKey = new Map()));
    // Bounded like the label sets themselves (device ids come from the registry).
    if (byKey.size < 100_000) byKey.set(e.labels.map((l) => `${labels![l]}\u0000`).join(''), c);
    return c;
  }

  inc(name: string, labels?: Record<string, string>, by = 1): void {
    const c = this.child(name, 'counter', labels) as { inc(by?: number): void } | undefined;
    c?.inc(by);
  }

  set(name: string, value: number, labels?: Record<string, string>): void {
    const c = this.child(name, 'gauge', labels) as { set(v: number): void } | undefined;
    c?.set(value);
  }

  observe(name: string, value: number, labels?: Record<string, string>): void {
    const c = this.child(name, 'histogram', labels) as { observe(v: number): void } | undefined;
    c?.observe(value);
  }

  /** Current value of a counter/gauge (sum over label sets); for /health and the stats message. */
  async value(name: string): Promise<number> {
    const e = this.byName.get(name);
    if (!e || e.kind === 'histogram') return 0;
    const v = await e.m.get();
    return v.values.reduce((s, x) => s + x.value, 0);
  }

  /** Values of one metric per label set, e.g. radio_up{radio=…}. */
  async values(name: string): Promise<{ labels: Record<string, string | number>; value: number }[]> {
    const e = this.byName.get(name);
    if (!e || e.kind === 'histogram') return [];
    const v = await e.m.get();
    return v.values.map((x) => ({ labels: x.labels as Record<string, string | number>, value: x.value }));
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
