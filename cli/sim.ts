// `kerb sim`: run a scenario in virtual time, optionally through the real gateway, and write the
// summary, HTML report and traces. Human summary on stdout; progress bar on stderr (TTY only).
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
import { KerbError } from '../host/errors.ts';
import { checkMqttUrl } from '../gateway/config.ts';
import { type CommandSpec, UsageError, flag, num, parseOrExit, str, usageFailure } from './args.ts';

export const SPEC: CommandSpec = {
  name: 'kerb sim',
  usage: '--scenario FILE [options]',
  summary: 'Runs a simulated fleet in virtual time (optionally through the real gateway) and prints a summary;\nwrites an HTML report, JSON summary, event trace or pcap when asked (docs/simulator.md).',
  options: {
    scenario: { type: 'string', short: 's', value: 'FILE', help: 'scenario file, YAML or JSON (see sim/scenarios/)' },
    seed: { type: 'string', value: 'N', help: "override the scenario's seed" },
    hours: { type: 'string', value: 'H', help: 'override the simulated duration, in hours' },
    gateway: { type: 'boolean', help: "run the real kerb gateway in-process and feed it as the scenario's gateways.connect says: simulated packet forwarders over UDP (udp) or the kerb serial link (serial); embedded MQTT broker unless --mqtt-url" },
    'mqtt-url': { type: 'string', value: 'URL', help: 'broker for the gateway, e.g. mqtt://localhost:1883' },
    pty: { type: 'boolean', help: 'connect to the gateway over the serial link on a socat pseudo-terminal (needs --gateway)' },
    paced: { type: 'string', value: 'xN', help: 'pace virtual time at N × real time (x1 = real time); default: as fast as the gateway keeps up' },
    live: { type: 'boolean', help: 'run until Ctrl-C: the street in real time (or --paced) into the gateway with its page (http://127.0.0.1:9110/) and embedded broker; what `npm start` runs' },
    'http-port': { type: 'string', value: 'N', help: 'with --live: port of the page and /metrics (default 9110; taken → any free)' },
    report: { type: 'string', value: 'FILE', help: 'write a self-contained HTML report (charts, map; one-shot run)' },
    json: { type: 'string', value: 'FILE', help: 'write the run summary as JSON' },
    trace: { type: 'string', value: 'FILE', help: 'write the event trace as JSON lines' },
    pcap: { type: 'string', value: 'FILE', help: 'write a pcap (LoRaTap, DLT 270) of the frames the gateways heard and sent' },
    quiet: { type: 'boolean', short: 'q', help: 'no summary on stdout' },
  },
  examples: [
    'kerb sim --scenario sim/scenarios/quickstart.yaml --report sim.html',
    'kerb sim --scenario sim/scenarios/quickstart.yaml --gateway --paced x60',
    'kerb sim --scenario sim/scenarios/quickstart.yaml --live',
  ],
};

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
  const p = parseOrExit(SPEC, argv);
  if (typeof p === 'number') return p;
  let sc: Scenario;
  let paced: number | undefined;
  let mqttUrl: string | undefined;
  try {
    const file = str(p, 'scenario');
    if (!file) throw new UsageError("option '--scenario FILE' is required (e.g. --scenario sim/scenarios/quickstart.yaml)");
    const seed = num(p, 'seed', { min: 0, max: 0xffffffff, integer: true });
    const hours = num(p, 'hours', { min: 0.001 });
    const pacedText = str(p, 'paced');
    if (pacedText !== undefined) {
      paced = Number(pacedText.replace(/^x/i, ''));
      if (!(paced > 0) || !Number.isFinite(paced)) throw new UsageError(`option '--paced' expects a factor like x60 or x1, got '${pacedText}'`);
    }
    if (flag(p, 'pty') && !flag(p, 'gateway')) throw new UsageError("option '--pty' needs --gateway");
    mqttUrl = str(p, 'mqtt-url');
    if (mqttUrl !== undefined) {
      const bad = checkMqttUrl(mqttUrl);
      if (bad) throw new UsageError(`option '--mqtt-url': ${bad}`);
    }
    for (const o of ['report', 'json', 'trace', 'pcap']) {
      const out = str(p, o);
      if (out === undefined) continue;
      const folder = dirname(resolve(out));
      // Checked before the run: a typo in an output path must not cost a simulated day.
      if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UsageError(`option '--${o}': folder ${folder} does not exist; create it or write the file elsewhere`);
    }
    sc = loadScenarioFile(file);
    if (seed !== undefined) sc.seed = seed;
    if (hours !== undefined) sc.durationH = hours;
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(SPEC, e);
    if (e instanceof KerbError) {
      console.error(`kerb sim: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const report = str(p, 'report');
  const json = str(p, 'json');
  const trace = str(p, 'trace');
  const pcap = str(p, 'pcap');
  if (flag(p, 'live')) {
    const fileOutputs = ([['--report', report], ['--json', json], ['--trace', trace], ['--pcap', pcap], ['--pty', flag(p, 'pty')], ['--hours', str(p, 'hours')]] as const).filter(([, v]) => v);
    if (fileOutputs.length) {
      return usageFailure(SPEC, new UsageError(`--live runs until stopped and writes no files; drop ${fileOutputs.map(([o]) => o).join(', ')} (a one-shot run takes them)`));
    }
    let port: number;
    try {
      port = num(p, 'http-port', { min: 0, max: 65535, integer: true }) ?? 9110;
    } catch (e) {
      if (e instanceof UsageError) return usageFailure(SPEC, e);
      throw e;
    }
    const { runLive } = await import('./live.ts');
    return runLive(sc, { mqttUrl, paced: paced ?? 1, httpPort: port, brokerPort: 1883 });
  }
  const s = await runScenario(sc, { gateway: flag(p, 'gateway'), mqttUrl, pty: flag(p, 'pty'), paced, report, json, trace, pcap });
  if (!flag(p, 'quiet')) {
    console.log(formatSummary(s));
    for (const [what, file] of [['report', report], ['summary', json], ['trace', trace], ['pcap', pcap]] as const) {
      if (file) console.log(`${what}: ${file}`);
    }
    if (!report && !json && !trace && !pcap) console.log('(add --report sim.html for charts and a map, --json/--trace/--pcap for data; see docs/simulator.md)');
  }
  return 0;
}

/** The scenario, or a KerbError that names the file and what to do. */
function loadScenarioFile(file: string): Scenario {
  try {
    return loadScenario(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KerbError('scenario', `scenario file ${file} does not exist; give a path to a YAML or JSON scenario (the shipped ones are in sim/scenarios/, e.g. sim/scenarios/quickstart.yaml)`);
    if (code === 'EACCES' || code === 'EISDIR') throw new KerbError('scenario', `cannot read scenario file ${file} (${code === 'EISDIR' ? 'it is a directory' : 'permission denied'}); give a readable YAML or JSON file`);
    const msg = (e as Error).message;
    throw new KerbError('scenario', msg.includes(file) ? msg : `${file}: ${msg}`);
  }
}
