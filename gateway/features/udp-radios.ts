// Semtech UDP packet forwarders as radios (gateway/udp-radio.ts): binds one socket per `type: udp`
// entry of `radios` and hands every forwarder heard to ingest as an in-process radio. Started after
// ingest (so the first rxpk finds it running) and therefore stopped before it.
import { UdpRadio } from '../udp-radio.ts';
import type { Feature, GatewayContext } from './feature.ts';

export class UdpRadiosFeature implements Feature {
  readonly name = 'udp-radios';
  readonly radios: UdpRadio[] = [];
  private readonly ctx: GatewayContext;

  constructor(ctx: GatewayContext) {
    this.ctx = ctx;
  }

  async start(): Promise<void> {
    const log = this.ctx.log.child({ component: 'udp' });
    try {
      for (const config of this.ctx.config.udpRadios ?? []) {
        const r = new UdpRadio({ config, log, metrics: this.ctx.metrics, attach: (t) => this.ctx.ingest.attachTransport(t) });
        this.radios.push(r);
        await r.start();
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.radios.map((r) => r.stop()));
  }
}
