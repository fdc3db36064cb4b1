// `kerb watch`: subscribes to the gateway's topics and prints one readable line per message:
// uplinks (SenML-CBOR decoded and resolved per RFC 8428 §4.6), downlink results, availability,
// gateway state, responses. Readings in human units and status flags by name, from the reading-kind
// table (shared/payload/readings.ts). For humans; tools should read the CBOR (or the JSON mirror).
import mqtt from 'mqtt';
import { checkMqttUrl } from '../gateway/config.ts';
import { redactUrl } from '../gateway/mqtt.ts';
import { type CommandSpec, UsageError, flag, num, parseOrExit, str, usageFailure } from './args.ts';

const RETRY_MS = 2000;
import { decodeSenmlCbor, resolveSenml, type ResolvedRecord } from '../gateway/senml.ts';
import { decodeCommandPayload } from '../gateway/commands.ts';
import { READINGS, STATUS_FLAGS, type ReadingKind, type StatusFlag } from '../shared/payload/readings.ts';
import { flagNames, humanTextFromSenml, kindBySenmlName } from '../shared/payload/human.ts';

export const SPEC: CommandSpec = {
  name: 'kerb watch',
  usage: '[options]',
  summary: "Subscribes to the gateway's topics and prints one line per message: uplinks in human units,\ndownlink results, availability, gateway state. For people; tools should read the SenML-CBOR.",
  options: {
    'mqtt-url': { type: 'string', value: 'URL', help: 'broker (default $KERB_MQTT_URL or mqtt://127.0.0.1:1883)' },
    base: { type: 'string', value: 'TOPIC', help: 'base topic (default $KERB_MQTT_BASE_TOPIC or kerb)' },
    device: { type: 'string', value: 'ID', help: 'only this device' },
    username: { type: 'string', value: 'USER', help: 'broker login (the embedded broker needs none to read)' },
    password: { type: 'string', value: 'PASS', help: 'broker password' },
    ca: { type: 'string', value: 'FILE', help: 'CA certificate for mqtts://' },
    count: { type: 'string', value: 'N', help: 'exit after N uplinks (for scripts)' },
    raw: { type: 'boolean', help: 'also print the payload hex' },
  },
  examples: ['kerb watch', 'kerb watch --mqtt-url mqtts://broker.example:8883 --username city --password secret --device lamp-0001'],
};

function fmtValue(r: ResolvedRecord): string {
  if (r.value !== undefined) {
    const v = Math.abs(r.value) > 0 && Math.abs(r.value) < 1e-3 ? r.value.toExponential(3) : String(Number(r.value.toPrecision(8)));
    return r.unit ? `${v} ${r.unit}` : v;
  }
  if (r.stringValue !== undefined) return r.stringValue;
  if (r.boolValue !== undefined) return String(r.boolValue);
  if (r.dataValue !== undefined) return `0x${Buffer.from(r.dataValue).toString('hex')}`;
  return '';
}

/**
 * A record in human units when the reading-kind table knows it (and it came in the table's SenML
 * unit): `pm2.5=12.3 µg/m³`, `pressure=1013.2 hPa`; status flags by name; anything else as sent.
 */
function fmtRecord(name: string, r: ResolvedRecord, table: ReadingKind[], flags: StatusFlag[]): string {
  if (r.value !== undefined) {
    if (name === 'status' && r.unit === undefined) return flagNames(r.value, flags).join(',') || 'none';
    const k = kindBySenmlName(table, name);
    if (k && r.unit === k.senmlUnit) return humanTextFromSenml(k, r.value);
  }
  return fmtValue(r);
}

/** One line for an uplink pack, e.g. `12:00:01 lamp-0001 fcnt=42 temperature=21.5 °C ... rssi=-97 dBm`. */
export function formatUplink(deviceId: string, payload: Uint8Array, table: ReadingKind[] = READINGS, flags: StatusFlag[] = STATUS_FLAGS): string {
  const recs = resolveSenml(decodeSenmlCbor(payload));
  const time = recs[0] ? new Date(recs[0].time * 1000).toISOString().slice(11, 23) : '--';
  const short = (name: string) => name.slice(name.lastIndexOf(':') + 1);
  const get = (n: string) => recs.find((r) => short(r.name) === n);
  const fcnt = get('fcnt');
  const parts = recs
    .filter((r) => !['fcnt', 'gateway', 'radio', 'devaddr', 'bw', 'confirmed', 'fport'].includes(short(r.name)))
    .map((r) => `${short(r.name)}=${fmtRecord(short(r.name), r, table, flags)}`);
  return `${time} up    ${deviceId} fcnt=${fcnt?.value ?? '?'} port=${get('fport')?.value ?? '?'} ${parts.join(' ')} via=${get('gateway')?.stringValue ?? '?'}`;
}

export async function run(argv: string[]): Promise<number> {
  const p = parseOrExit(SPEC, argv);
  if (typeof p === 'number') return p;
  const v = { device: str(p, 'device'), username: str(p, 'username'), password: str(p, 'password'), ca: str(p, 'ca'), raw: flag(p, 'raw') };
  const url = str(p, 'mqtt-url') ?? process.env.KERB_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const base = str(p, 'base') ?? process.env.KERB_MQTT_BASE_TOPIC ?? 'kerb';
  const dev = v.device ?? '+';
  let limit = Infinity;
  const opts: mqtt.IClientOptions = { reconnectPeriod: RETRY_MS, connectTimeout: 5000 };
  try {
    limit = num(p, 'count', { min: 1, integer: true }) ?? Infinity;
    const bad = checkMqttUrl(url);
    if (bad) throw new UsageError(`option '--mqtt-url': ${bad}`);
    if (v.ca) {
      try {
        opts.ca = (await import('node:fs')).readFileSync(v.ca);
      } catch (e) {
        throw new UsageError(`option '--ca': cannot read ${v.ca} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give the broker's CA certificate in PEM`);
      }
    }
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(SPEC, e);
    throw e;
  }
  if (v.username) opts.username = v.username;
  if (v.password) opts.password = v.password;
  const c = mqtt.connect(url, opts);
  let seen = 0;
  let lastErr = '';
  let failures = 0;
  let everConnected = false;
  const shown = redactUrl(url);
  // Without this a watch on a broker that is not there prints nothing at all while mqtt.js retries.
  const unreachable = (why: string) => {
    failures++;
    if (failures === 1 || failures % 15 === 0) {
      console.error(`kerb watch: cannot reach the broker at ${shown} (${why}); retrying every ${RETRY_MS / 1000} s. ` +
        (everConnected
          ? 'The connection was lost: is the broker or the gateway still running?'
          : 'Check that kerb gateway is running (its log says which broker URL it uses; the embedded one listens on 127.0.0.1:1883 unless that port was taken) or pass --mqtt-url with the broker the gateway publishes to.'));
    }
  };
  c.on('error', (e) => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ETIMEDOUT') {
      unreachable(code === 'ENOTFOUND' ? 'host not found' : code === 'ECONNREFUSED' ? 'connection refused' : code);
      return;
    }
    if (e.message !== lastErr) {
      const auth = /not authori[sz]ed|bad user ?name or password/i.test(e.message) ? ' (check --username/--password)' : '';
      console.error(`kerb watch: ${e.message}${auth} (retrying)`);
    }
    lastErr = e.message;
  });
  c.on('offline', () => {
    if (!failures) unreachable('no connection');
  });
  c.on('connect', () => {
    lastErr = '';
    failures = 0;
    everConnected = true;
    console.error(`kerb watch: connected to ${shown}, base topic "${base}"`);
    c.subscribe([`${base}/device/${dev}/up`, `${base}/device/${dev}/down/result`, `${base}/device/${dev}/availability`, `${base}/gateway/+/state`, `${base}/gateway/+/response`], { qos: 1 });
  });
  return await new Promise<number>((resolve) => {
    const now = () => new Date().toISOString().slice(11, 23);
    c.on('message', (topic, payload) => {
      const rest = topic.slice(base.length + 1).split('/');
      let line: string;
      try {
        if (rest[0] === 'device' && rest[2] === 'up' && rest.length === 3) {
          line = formatUplink(rest[1]!, payload);
          seen++;
        } else if (rest[0] === 'device' && rest[2] === 'down') {
          const d = decodeCommandPayload(payload);
          line = `${now()} down  ${rest[1]} ${'error' in d ? d.error : Object.entries(d.value).map(([k, x]) => `${k}=${typeof x === 'object' ? JSON.stringify(x) : String(x)}`).join(' ')}`;
        } else if (rest[0] === 'device' && rest[2] === 'availability') {
          line = `${now()} avail ${rest[1]} ${payload.toString()}`;
        } else if (rest[0] === 'gateway') {
          line = `${now()} gw    ${rest[1]} ${rest[2]} ${payload.toString().slice(0, 400)}`;
        } else {
          line = `${now()} ${topic} ${payload.length} bytes`;
        }
      } catch (e) {
        line = `${now()} ${topic}: undecodable (${(e as Error).message})`;
      }
      if (v.raw) line += ` raw=${payload.toString('hex')}`;
      console.log(line);
      if (seen >= limit) {
        c.end(false, {}, () => resolve(0));
      }
    });
    process.once('SIGINT', () => c.end(true, {}, () => resolve(0)));
  });
}
