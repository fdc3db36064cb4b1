// `kerb sim --live` (what `npm start` runs): a simulated street on the air in real time, into the
// real gateway with its embedded broker and its page, until Ctrl-C (SIGINT) or SIGTERM stops
// everything. Prints where to look: the page, the broker and its topics, a `kerb watch` command.
import net from 'node:net';
import type { Scenario } from '../sim/scenario.ts';
import { Fleet } from '../sim/fleet.ts';
import type { GatewayHandle } from '../gateway/main.ts';

export interface LiveOptions {
  /** Broker to publish to; none = the gateway's embedded broker. */
  mqttUrl?: string;
  /** Virtual time per wall time (1 = real time). */
  paced: number;
  /** Page and /metrics port; taken → any free port. */
  httpPort: number;
  /** Embedded broker port; taken → any free port (the gateway logs it). */
  brokerPort: number;
  out?: (line: string) => void;
}

/** A year of virtual time: "until stopped" for a street that reports every few minutes. */
const FOREVER_H = 24 * 366;

async function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

export async function runLive(sc: Scenario, o: LiveOptions): Promise<number> {
  const out = o.out ?? ((l: string) => process.stdout.write(l + '\n'));
  // The street's diurnal cycle follows the wall clock, and it runs until stopped.
  sc.start = new Date().toISOString();
  sc.durationH = FOREVER_H;
  const fleet = new Fleet(sc, {});
  const host = '127.0.0.1';
  let httpPort = o.httpPort;
  if (httpPort !== 0 && !(await portFree(httpPort, host))) {
    out(`kerb: port ${httpPort} is taken (another kerb gateway?); the page gets a free port instead`);
    httpPort = 0;
  }
  const { runWithGateway } = await import('../sim/attach.ts');
  const { startGateway } = await import('../gateway/main.ts');
  let gw: GatewayHandle | undefined;
  let stopping: string | undefined;
  const t0 = Date.now();
  const stop = (signal: string): void => {
    if (stopping) {
      // A second Ctrl-C: the user wants out now, whatever is still draining.
      out(`kerb: ${signal} again: exiting without waiting`);
      process.exit(130);
    }
    stopping = signal;
    out(`\nkerb: ${signal}: stopping the street, the gateway and its broker…`);
    // The paced run ends at the fleet's duration: make that now (the fleet's time is virtual, so
    // "now" is wherever the street has got to).
    (fleet as { durationMs: number }).durationMs = fleet.clock.now();
  };
  const onInt = () => stop('SIGINT');
  const onTerm = () => stop('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    const side = await runWithGateway(fleet, {
      startGateway: (async (cfg: never) => (gw = await startGateway(cfg))) as never,
      mqttUrl: o.mqttUrl,
      paced: o.paced,
      drainTimeoutMs: 10_000,
      gatewayConfig: {
        broker: { embedded: o.mqttUrl ? 'never' : 'always', port: o.brokerPort },
        http: { enabled: true, host, port: httpPort },
        page: { enabled: true },
      },
      onStarted: (ctx) => {
        const g = gw!;
        const base = `${g.topics.base}/device`;
        const url = ctx.mqttUrl;
        out(`kerb: ${fleet.devices.length} simulated street sensors (${sc.name}) are on the air${o.paced === 1 ? ' in real time' : ` at ×${o.paced}`}, heard by the gateway '${g.config.gateway.id}'`);
        out(`  page:   http://${host}:${g.pagePort}/`);
        out(`  MQTT:   ${url}${o.mqttUrl ? '' : ' (embedded broker)'}`);
        out(`  topics: ${base}/<id>/up (SenML-CBOR), ${base}/<id>/availability, ${g.topics.gatewayState}`);
        out(`  watch:  npx kerb watch --mqtt-url ${url}`);
        out('Ctrl-C stops everything.');
        if (stopping) (fleet as { durationMs: number }).durationMs = fleet.clock.now();
      },
    });
    const s = Math.round((Date.now() - t0) / 1000);
    out(`kerb: stopped cleanly after ${s < 120 ? `${s} s` : `${Math.round(s / 60)} min`}: ${side.published} uplinks published, the gateway and its broker are closed. Bye.`);
    return 0;
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
