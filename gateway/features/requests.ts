// Request / response on `<base>/gateway/<gw>/request` (docs/gateway.md "Request / response"): the
// request, JSON or CBOR, names its type in `command` (or `cmd`); the reply goes, in the same
// format and with the same transaction id, to the MQTT 5 response topic (with the correlation
// data) or to `<base>/gateway/<gw>/response`. Request types are a table of handlers that the
// other features contribute (Feature.requests); this feature answers `ping` itself.
import type { Metrics } from '../types.ts';
import { RateLog } from '../rate-log.ts';
import { badTransactionId, decodeCommandPayload, encodeReply, transactionId, type WireFormat } from '../commands.ts';
import { isPublishableTopic } from '../topics.ts';
import type { Feature, GatewayContext, MessageProps, RequestHandler, RequestResult } from './feature.ts';

/** Older names of request types, still answered. */
const ALIASES: Readonly<Record<string, string>> = { list_devices: 'devices', reload_registry: 'reload' };

/** Request types by name → handler; answers each request with a result, never throws. */
export class RequestTable {
  private readonly handlers: Map<string, RequestHandler>;
  private readonly metrics: Metrics;

  constructor(handlers: Map<string, RequestHandler>, metrics: Metrics) {
    this.handlers = handlers;
    this.metrics = metrics;
  }

  /** The table of every feature's request handlers; two features answering one type is a programming error. */
  static of(features: readonly Feature[], metrics: Metrics): RequestTable {
    const handlers = new Map<string, RequestHandler>();
    const owner = new Map<string, string>();
    for (const f of features) {
      for (const [type, h] of Object.entries(f.requests ?? {})) {
        const other = owner.get(type);
        if (other !== undefined) throw new Error(`request type ${type} is answered by two features (${other} and ${f.name})`);
        owner.set(type, f.name);
        handlers.set(type, h);
      }
    }
    return new RequestTable(handlers, metrics);
  }

  get types(): string[] {
    return [...this.handlers.keys()];
  }

  async answer(request: Record<string, unknown>): Promise<RequestResult> {
    const cmd = request.command ?? request.cmd;
    this.metrics.inc('requests_total', { command: typeof cmd === 'string' ? cmd.slice(0, 32) : 'invalid' });
    const h = typeof cmd === 'string' ? this.handlers.get(ALIASES[cmd] ?? cmd) : undefined;
    if (!h) return { ok: false, error: `unknown command ${JSON.stringify(cmd)}; try ${this.types.join(', ')}` };
    try {
      return await h(request);
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
}

export class RequestsFeature implements Feature {
  readonly name = 'requests';
  readonly requests: Readonly<Record<string, RequestHandler>> = { ping: () => ({ ok: true, data: 'pong' }) };
  private readonly ctx: GatewayContext;
  private readonly table: RequestTable;
  private readonly rlog: RateLog;

  /** `others`: the features whose request handlers this one dispatches to. */
  constructor(ctx: GatewayContext, others: readonly Feature[]) {
    this.ctx = ctx;
    this.table = RequestTable.of([this, ...others], ctx.metrics);
    this.rlog = new RateLog(ctx.log.child({ component: 'mqtt' }));
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.rlog.stop();
  }

  subscriptions(): string[] {
    return [this.ctx.topics.gatewayRequest];
  }

  onMqttMessage(topic: string, payload: Buffer, props: MessageProps): boolean {
    const { topics, mqtt } = this.ctx;
    if (topic !== topics.gatewayRequest) return false;
    let to = topics.gatewayResponse;
    if (props.responseTopic !== undefined) {
      if (isPublishableTopic(props.responseTopic)) to = props.responseTopic;
      else this.rlog.note('bad_response_topic', 'warn', 'request has an unusable MQTT 5 response topic (empty, wildcard, NUL or too long); replying on the standard response topic', { responseTopic: props.responseTopic.slice(0, 200), response: topics.gatewayResponse });
    }
    // QoS 0: a reply must never sit in mqtt.js's resend store, where a reply the broker rejects
    // would be sent again after every reconnect and keep the gateway off the broker.
    const reply = (format: WireFormat, body: Record<string, unknown>) =>
      mqtt.publishCb(to, encodeReply(format, body), props.correlationData ? { qos: 0, correlationData: props.correlationData } : { qos: 0 }, () => undefined);
    const d = decodeCommandPayload(payload);
    if ('error' in d) {
      reply('json', { ok: false, error: d.error });
      return true;
    }
    const badId = badTransactionId(d.value);
    if (badId) {
      reply(d.format, { id: null, ok: false, error: badId });
      return true;
    }
    const id = transactionId(d.value) ?? null;
    void this.table.answer(d.value).then((r) => reply(d.format, { id, ...r }));
    return true;
  }
}
