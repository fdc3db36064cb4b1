// `kerb gateway`: runs the gateway until SIGTERM/SIGINT (SIGHUP re-reads the device registry).
// Configuration: defaults < --config file (or $KERB_CONFIG, or /etc/kerb/gateway.yaml if present)
// < KERB_* environment variables < flags. See docs/gateway.md.
import { readConfigFile, resolveConfig, envName, checkMqttUrl, type ConfigInput } from '../gateway/config.ts';
import { KerbError } from '../host/errors.ts';
import { DEFAULT_CONFIG_FILE, findConfigFile } from '../host/config-file.ts';
import { commandPaths, describePaths } from '../host/paths.ts';
import { type CommandSpec, UsageError, flag, list, parseOrExit, str, usageFailure } from './args.ts';

export const SPEC: CommandSpec = {
  name: 'kerb gateway',
  usage: '[options]',
  summary: 'Runs the gateway: LoRa radio(s) in, SenML-CBOR over MQTT out (docs/gateway.md). Runs until\nSIGTERM/SIGINT; SIGHUP re-reads the device registry.',
  options: {
    config: { type: 'string', short: 'c', value: 'FILE', help: `YAML/JSON config file (default $KERB_CONFIG, or ${DEFAULT_CONFIG_FILE} if present)` },
    'mqtt-url': { type: 'string', value: 'URL', help: 'broker, e.g. mqtt://host:1883 or mqtts://host:8883 (none: embedded broker)' },
    'broker-port': { type: 'string', value: 'PORT', help: 'port of the embedded broker (default 1883; 0 = any free port)' },
    radio: { type: 'string', multiple: true, value: 'PATH[@BAUD]', help: 'serial radio; repeat for several (e.g. /dev/serial/by-id/usb-...@115200)' },
    'state-dir': { type: 'string', value: 'DIR', help: 'data directory (outbox, frame counters, downlink queue)' },
    registry: { type: 'string', value: 'FILE', help: 'device registry (relative: to the current directory)' },
    'gateway-id': { type: 'string', value: 'ID', help: 'gateway id used in topics (default: host name)' },
    'base-topic': { type: 'string', value: 'TOPIC', help: 'MQTT base topic (default kerb)' },
    'http-port': { type: 'string', value: 'PORT', help: '/metrics and /health port (0 = any free port)' },
    'no-http': { type: 'boolean', help: 'do not serve /metrics and /health' },
    'json-mirror': { type: 'boolean', help: 'also publish SenML-JSON on <base>/device/<id>/up/json' },
    'log-level': { type: 'string', value: 'LEVEL', help: 'debug, info, warn or error' },
    set: { type: 'string', multiple: true, value: 'KEY=VALUE', help: 'any config key, e.g. --set outbox.maxBytes=1048576' },
    'accept-counter-loss': { type: 'boolean', help: 'start although the frame-counter files fail their check (see the log first)' },
    'check-config': { type: 'boolean', help: 'validate the configuration, print it (secrets hidden) and exit' },
  },
  notes: `environment: ${['mqtt.url', 'mqtt.username', 'mqtt.password', 'log.level'].map(envName).join(', ')}, KERB_RADIOS, KERB_STATE_DIR, KERB_REGISTRY, ...
(every key: KERB_<SECTION>_<KEY>, e.g. ${envName('outbox.maxBytes')})
logs: readable lines when stderr is a terminal, JSON lines otherwise (journald); --set log.format=json|text
(or KERB_LOG_FORMAT) chooses.`,
  examples: [
    'kerb gateway --radio /dev/serial/by-id/usb-Espruino_Pico-if00 --mqtt-url mqtt://localhost:1883',
    'kerb gateway -c /etc/kerb/gateway.yaml --check-config',
  ],
};

/**
 * A gateway that failed to start, or has stopped, must not linger as a process that looks alive to
 * systemd: whatever handle a library left open, the process exits with `code` shortly after.
 */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 1000).unref();
}

export async function run(argv: string[]): Promise<number> {
  const p = parseOrExit(SPEC, argv, (q) => describePaths({ stateDir: str(q, 'state-dir'), registry: str(q, 'registry'), config: str(q, 'config') }));
  if (typeof p === 'number') return p;
  const v = { 'state-dir': str(p, 'state-dir'), registry: str(p, 'registry'), config: str(p, 'config') };
  const flags: Record<string, string | string[]> = {};
  const map: [string, string][] = [
    ['mqtt-url', 'mqtt.url'],
    ['broker-port', 'broker.port'],
    ['state-dir', 'gateway.stateDir'],
    ['registry', 'gateway.registry'],
    ['gateway-id', 'gateway.id'],
    ['base-topic', 'mqtt.baseTopic'],
    ['http-port', 'http.port'],
    ['log-level', 'log.level'],
  ];
  for (const [name, key] of map) {
    const x = str(p, name);
    if (x !== undefined) flags[key] = x;
  }
  const mqttUrl = str(p, 'mqtt-url');
  const bad = mqttUrl !== undefined ? checkMqttUrl(mqttUrl) : undefined;
  if (bad) return usageFailure(SPEC, new UsageError(`option '--mqtt-url': ${bad}`));
  if (flag(p, 'no-http')) flags['http.enabled'] = 'false';
  if (flag(p, 'json-mirror')) flags['mqtt.jsonMirror'] = 'true';
  if (flag(p, 'accept-counter-loss')) flags['gateway.acceptCounterLoss'] = 'true';
  if (list(p, 'radio').length) flags.radios = list(p, 'radio');
  for (const s of list(p, 'set')) {
    const eq = s.indexOf('=');
    if (eq <= 0) return usageFailure(SPEC, new UsageError(`option '--set' expects KEY=VALUE (e.g. --set outbox.maxBytes=1048576), got '${s}'`));
    flags[s.slice(0, eq)] = s.slice(eq + 1);
  }

  const file = findConfigFile(v.config, process.env).file;
  let cfg;
  try {
    for (const w of commandPaths({ stateDir: v['state-dir'], registry: v.registry, config: v.config }).warnings) console.error(`kerb gateway: ${w}`);
    const src: { file?: ConfigInput; fileName?: string; env: NodeJS.ProcessEnv; flags: typeof flags } = { env: process.env, flags };
    if (file) {
      src.file = readConfigFile(file);
      src.fileName = file;
    }
    cfg = resolveConfig(src);
  } catch (e) {
    if (e instanceof KerbError && e.code === 'config') {
      console.error(`kerb gateway: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (flag(p, 'check-config')) {
    const shown = JSON.parse(JSON.stringify(cfg)) as { mqtt: Record<string, unknown>; page: Record<string, unknown> };
    if (shown.mqtt.password) shown.mqtt.password = '***';
    if (shown.page.token) shown.page.token = '***';
    console.log(JSON.stringify(shown, null, 2));
    return 0;
  }

  const { startGateway } = await import('../gateway/main.ts');
  let gw;
  try {
    gw = await startGateway(cfg);
  } catch (e) {
    console.error(`kerb gateway: cannot start: ${(e as Error).message}`);
    exitSoon(1);
    return 1;
  }
  return await new Promise<number>((resolve) => {
    const shutdown = (sig: string) => {
      gw.log.info('signal received; shutting down', { signal: sig });
      const force = setTimeout(() => {
        gw.log.error('shutdown took too long; exiting');
        exitSoon(1);
        resolve(1);
      }, 15_000);
      force.unref();
      gw.stop().then(
        () => {
          clearTimeout(force);
          exitSoon(0);
          resolve(0);
        },
        (e: unknown) => {
          gw.log.error('shutdown failed', { err: e });
          exitSoon(1);
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.on('SIGHUP', () => {
      gw.log.info('SIGHUP: reloading device registry');
      void gw.reload();
    });
  });
}
