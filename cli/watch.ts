// `kerb watch`: subscribes to the gateway's topics and prints one readable line per message:
// uplinks (SenML-CBOR decoded and resolved per RFC 8428 §4.6), downlink results, availability,
// gateway state, responses. Readings in human units and status flags by name, from the reading-kind
// table (shared/payload/readings.ts). For humans; tools should read the CBOR (or the JSON mirror).
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';
import { decodeSenmlCbor, resolveSenml, type ResolvedRecord } from '../gateway/senml.ts';
import { decodeCommandPayload } from '../gateway/commands.ts';
import { READINGS, STATUS_FLAGS, type ReadingKind, type StatusFlag } from '../shared/payload/readings.ts';
import { flagNames, humanTextFromSenml, kindBySenmlName } from '../shared/payload/human.ts';

const HELP = `usage: kerb watch [--mqtt-url URL] [--base kerb] [--device ID] [--raw] [--count N]

  --mqtt-url URL   broker (default $KERB_MQTT_URL or mqtt://127.0.0.1:1883)
  --base TOPIC     base topic (default kerb)
  --device ID      only this device
  --username U --password P --ca FILE   broker credentials / CA for mqtts://
  --count N        exit after N uplinks (for scripts)
  --raw            also print the payload hex`;

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
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        'mqtt-url': { type: 'string' },
        base: { type: 'string' },
        device: { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        ca: { type: 'string' },
        count: { type: 'string' },
        raw: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`kerb watch: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const v = a.values;
  if (v.help) {
    console.log(HELP);
    return 0;
  }
  const url = v['mqtt-url'] ?? process.env.KERB_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
  const base = v.base ?? process.env.KERB_MQTT_BASE_TOPIC ?? 'kerb';
  const dev = v.device ?? '+';
  const limit = v.count ? Number(v.count) : Infinity;
  const opts: mqtt.IClientOptions = { reconnectPeriod: 2000 };
  if (v.username) opts.username = v.username;
  if (v.password) opts.password = v.password;
  if (v.ca) opts.ca = (await import('node:fs')).readFileSync(v.ca);
  const c = mqtt.connect(url, opts);
  let seen = 0;
  let lastErr = '';
  c.on('error', (e) => {
    if (e.message !== lastErr) console.error(`kerb watch: ${e.message} (retrying)`);
    lastErr = e.message;
  });
  c.on('connect', () => {
    lastErr = '';
    console.error(`kerb watch: connected to ${url}, base topic "${base}"`);
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
