// `kerb gateway`: runs the gateway until SIGTERM/SIGINT (SIGHUP re-reads the device registry).
// Configuration: defaults < --config file (or $KERB_CONFIG, or /etc/kerb/gateway.yaml if present)
// < KERB_* environment variables < flags. See docs/gateway.md.
import { parseArgs } from 'node:util';
import { readConfigFile, resolveConfig, envName, type ConfigInput } from '../gateway/config.ts';
import { KerbError } from '../host/errors.ts';
import { DEFAULT_CONFIG_FILE, findConfigFile } from '../host/config-file.ts';
import { commandPaths, describePaths } from '../host/paths.ts';

const HELP = `usage: kerb gateway [options]

Runs the gateway: serial LoRa radio(s) in, SenML-CBOR over MQTT out (docs/gateway.md).

options:
  -c, --config FILE     YAML/JSON config file (default $KERB_CONFIG or ${DEFAULT_CONFIG_FILE} if present)
  --mqtt-url URL        broker, e.g. mqtt://host:1883 or mqtts://host:8883 (none: embedded broker)
  --radio PATH[@BAUD]   serial radio; repeat for several (e.g. /dev/serial/by-id/usb-...@115200)
  --state-dir DIR       data directory (outbox, frame counters, downlink queue)
  --registry FILE       device registry (relative: to the current directory)
  --gateway-id ID       gateway id used in topics (default: host name)
  --base-topic TOPIC    MQTT base topic (default kerb)
  --http-port PORT      /metrics and /health port (0 = any free port)
  --no-http             do not serve /metrics and /health
  --json-mirror         also publish SenML-JSON on <base>/device/<id>/up/json
  --log-level LEVEL     debug, info, warn or error
  --set KEY=VALUE       any config key, e.g. --set outbox.maxBytes=1048576 (repeatable)
  --accept-counter-loss start although the frame-counter files fail their check (see the log first)
  --check-config        validate the configuration, print it (secrets hidden) and exit
  -h, --help            this text

environment: ${['mqtt.url', 'mqtt.username', 'mqtt.password', 'log.level'].map(envName).join(', ')}, KERB_RADIOS, KERB_STATE_DIR, KERB_REGISTRY, ...
(every key: KERB_<SECTION>_<KEY>, e.g. ${envName('outbox.maxBytes')})`;

/**
 * A gateway that failed to start, or has stopped, must not linger as a process that looks alive to
 * systemd: whatever handle a library left open, the process exits with `code` shortly after.
 */
function exitSoon(code: number): void {
  setTimeout(() => process.exit(code), 1000).unref();
}

export async function run(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        config: { type: 'string', short: 'c' },
        'mqtt-url': { type: 'string' },
        radio: { type: 'string', multiple: true },
        'state-dir': { type: 'string' },
        registry: { type: 'string' },
        'gateway-id': { type: 'string' },
        'base-topic': { type: 'string' },
        'http-port': { type: 'string' },
        'no-http': { type: 'boolean' },
        'json-mirror': { type: 'boolean' },
        'log-level': { type: 'string' },
        set: { type: 'string', multiple: true },
        'check-config': { type: 'boolean' },
        'accept-counter-loss': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`kerb gateway: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const v = a.values;
  if (v.help) {
    console.log(`${HELP}\n\n${describePaths({ stateDir: v['state-dir'], registry: v.registry, config: v.config })}`);
    return 0;
  }
  const flags: Record<string, string | string[]> = {};
  const map: [keyof typeof v, string][] = [
    ['mqtt-url', 'mqtt.url'],
    ['state-dir', 'gateway.stateDir'],
    ['registry', 'gateway.registry'],
    ['gateway-id', 'gateway.id'],
    ['base-topic', 'mqtt.baseTopic'],
    ['http-port', 'http.port'],
    ['log-level', 'log.level'],
  ];
  for (const [flag, key] of map) if (typeof v[flag] === 'string') flags[key] = v[flag] as string;
  if (v['no-http']) flags['http.enabled'] = 'false';
  if (v['json-mirror']) flags['mqtt.jsonMirror'] = 'true';
  if (v['accept-counter-loss']) flags['gateway.acceptCounterLoss'] = 'true';
  if (v.radio?.length) flags.radios = v.radio;
  for (const s of v.set ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) {
      console.error(`kerb gateway: --set wants KEY=VALUE, got "${s}"`);
      return 2;
    }
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
  if (v['check-config']) {
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
