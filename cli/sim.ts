// `kerb sim`: run a scenario in virtual time, optionally through the real gateway, and write the
// summary, HTML report and traces. Human summary on stdout; progress bar on stderr (TTY only).
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadScenario } from '../sim/scenario.ts';
import type { Scenario } from '../sim/scenario.ts';
import { Fleet } from '../sim/fleet.ts';
import type { TraceSink } from '../sim/fleet.ts';
import { JsonlTrace, PcapTrace } from '../sim/trace.ts';
import { summarize, formatSummary } from '../sim/summary.ts';
import type { Summary } from '../sim/summary.ts';
import { renderReport } from '../sim/report.ts';
import { envSeries } from '../sim/series.ts';
import { Progress } from '../sim/progress.ts';

const HELP = `usage: kerb sim --scenario <file.yaml|json> [options]

  --scenario FILE    scenario file (see sim/scenarios/ and docs/simulator.md)
  --seed N           override the scenario's seed
  --hours H          override the simulated duration
  --gateway          run the real kerb gateway in-process and feed it over the serial link
                     (embedded MQTT broker unless --mqtt-url)
  --mqtt-url URL     broker for the gateway (e.g. mqtt://localhost:1883)
  --pty              connect to the gateway over a socat pseudo-terminal instead of in-process
  --paced xN         pace virtual time at N × real time (1 = real time); default: as fast as the
                     gateway keeps up
  --live             run until Ctrl-C: the street in real time (or --paced) into the gateway with
                     its page (http://127.0.0.1:9110/) and embedded broker; what \`npm start\` runs
  --http-port N      with --live: port of the page and /metrics (default 9110; taken → any free)
  --report FILE      self-contained HTML report (one-shot run)
  --json FILE        run summary as JSON
  --trace FILE       event trace as JSON lines
  --pcap FILE        pcap (LoRaTap, DLT 270) of frames the gateways heard and sent
  --quiet            no summary on stdout
`;

export interface SimRunOptions {
  gateway?: boolean;
  mqttUrl?: string;
  pty?: boolean;
  paced?: number;
  report?: string;
  json?: string;
  trace?: string;
  pcap?: string;
  quiet?: boolean;
}

export async function runScenario(sc: Scenario, o: SimRunOptions): Promise<Summary> {
  const sinks: (TraceSink & { close(): void })[] = [];
  if (o.trace) sinks.push(new JsonlTrace(o.trace));
  if (o.pcap) sinks.push(new PcapTrace(o.pcap, Date.parse(sc.start)));
  let firmwareBundle: string | undefined;
  if (sc.nodes.mode === 'fidelity') {
    const { buildFidelityBundle } = await import('../sim/fidelity-node.ts');
    firmwareBundle = await buildFidelityBundle();
  }
  const fleet = new Fleet(sc, { sinks, firmwareBundle });
  const progress = new Progress(process.stderr, `${sc.name}`);
  const t0 = performance.now();
  let peakRss = process.memoryUsage().rss;
  let summary: Summary;
  try {
    if (o.gateway) {
      const { runWithGateway } = await import('../sim/attach.ts');
      const { startGateway } = await import('../gateway/main.ts');
      const gw = await runWithGateway(fleet, { startGateway, mqttUrl: o.mqttUrl, pty: o.pty, paced: o.paced, onProgress: (f) => progress.update(f) });
      summary = summarize(fleet);
      summary.gatewaySide = gw;
    } else if (o.paced) {
      const { runPaced } = await import('../sim/attach.ts');
      await runPaced(fleet, o.paced, (f) => progress.update(f));
      summary = summarize(fleet);
    } else {
      fleet.runSync((f) => {
        progress.update(f);
        peakRss = Math.max(peakRss, process.memoryUsage().rss);
      });
      summary = summarize(fleet);
    }
  } finally {
    progress.done();
    for (const k of sinks) k.close();
  }
  const wallS = (performance.now() - t0) / 1000;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  summary.run = { wallS, uplinksPerWallS: summary.overall.sent / Math.max(1e-9, wallS), peakRssMb: peakRss / 2 ** 20 };
  if (o.json) writeFileSync(o.json, JSON.stringify(summary, null, 1) + '\n');
  if (o.report) writeFileSync(o.report, renderReport(summary, envSeries(fleet, 0)));
  return summary;
}

export async function run(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        scenario: { type: 'string', short: 's' },
        seed: { type: 'string' },
        hours: { type: 'string' },
        gateway: { type: 'boolean' },
        'mqtt-url': { type: 'string' },
        pty: { type: 'boolean' },
        paced: { type: 'string' },
        report: { type: 'string' },
        json: { type: 'string' },
        trace: { type: 'string' },
        pcap: { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        live: { type: 'boolean' },
        'http-port': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (e) {
    console.error(`kerb sim: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (a.help) {
    console.log(HELP);
    return 0;
  }
  if (!a.scenario) {
    console.error(`kerb sim: --scenario is required\n\n${HELP}`);
    return 2;
  }
  let sc: Scenario;
  try {
    sc = loadScenario(a.scenario);
  } catch (e) {
    console.error(`kerb sim: ${(e as Error).message}`);
    return 2;
  }
  if (a.seed !== undefined) sc.seed = Number(a.seed) >>> 0;
  if (a.hours !== undefined) sc.durationH = Number(a.hours);
  let paced: number | undefined;
  if (a.paced !== undefined) {
    paced = Number(String(a.paced).replace(/^x/i, ''));
    if (!(paced > 0)) {
      console.error('kerb sim: --paced expects a factor like x60 or 1');
      return 2;
    }
  }
  if (a.live) {
    const fileOutputs = ([['--report', a.report], ['--json', a.json], ['--trace', a.trace], ['--pcap', a.pcap], ['--pty', a.pty], ['--hours', a.hours]] as const).filter(([, v]) => v);
    if (fileOutputs.length) {
      console.error(`kerb sim: --live runs until stopped and writes no files; drop ${fileOutputs.map(([f]) => f).join(', ')} (a one-shot run takes them)`);
      return 2;
    }
    const port = a['http-port'] === undefined ? 9110 : Number(a['http-port']);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      console.error(`kerb sim: --http-port must be an integer 0..65535, got "${a['http-port']}"`);
      return 2;
    }
    const { runLive } = await import('./live.ts');
    return runLive(sc, { mqttUrl: a['mqtt-url'], paced: paced ?? 1, httpPort: port, brokerPort: 1883 });
  }
  if (a.pty && !a.gateway) {
    console.error('kerb sim: --pty needs --gateway');
    return 2;
  }
  const s = await runScenario(sc, {
    gateway: a.gateway, mqttUrl: a['mqtt-url'], pty: a.pty, paced, report: a.report, json: a.json, trace: a.trace, pcap: a.pcap,
  });
  if (!a.quiet) {
    console.log(formatSummary(s));
    for (const [what, file] of [['report', a.report], ['summary', a.json], ['trace', a.trace], ['pcap', a.pcap]] as const) {
      if (file) console.log(`${what}: ${file}`);
    }
    if (!a.report && !a.json && !a.trace && !a.pcap) console.log('(add --report sim.html for charts and a map, --json/--trace/--pcap for data; see docs/simulator.md)');
  }
  return 0;
}
