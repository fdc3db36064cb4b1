// Configuration of Semtech UDP packet forwarder radios (docs/gateway.md "Concentrator gateways
// (Semtech UDP)"): `radios: [{type: udp, port: 1700, host: 127.0.0.1, allow: [127.0.0.1]}]`.
// Kept apart from gateway/config.ts, which hands every entry with `type: udp` here.
import { isIP } from 'node:net';

export interface UdpRadioConfig {
  type: 'udp';
  /** Address to bind. Default 127.0.0.1: lora_pkt_fwd usually runs on the same host. */
  host: string;
  /** UDP port for both up and down (lora_pkt_fwd serv_port_up/serv_port_down). Default 1700. */
  port: number;
  /** Source addresses accepted; others are dropped and counted. '*' accepts any. Default loopback. */
  allow: string[];
  /** The forwarder's stat_interval (s); silent for 3× this it is reported down. Default 30. */
  statIntervalS: number;
}

const KEYS = new Set(['type', 'host', 'port', 'allow', 'statIntervalS']);

function show(v: unknown): string {
  return JSON.stringify(v) ?? String(v);
}

/** Validates one `type: udp` radio entry; problems go to errors, each naming the key. */
export function parseUdpRadio(o: Record<string, unknown>, key: string, errors: string[]): UdpRadioConfig | undefined {
  const before = errors.length;
  for (const k of Object.keys(o)) if (!KEYS.has(k)) errors.push(`${key}.${k}: unknown key (a udp radio takes type, host, port, allow, statIntervalS)`);
  const host = o.host === undefined ? '127.0.0.1' : o.host;
  if (typeof host !== 'string' || !isIP(host)) errors.push(`${key}.host: must be an IP address to bind, like 127.0.0.1 or 0.0.0.0, got ${show(o.host)}`);
  const port = o.port === undefined ? 1700 : typeof o.port === 'string' ? Number(o.port) : o.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) errors.push(`${key}.port: must be an integer 0..65535 (0 = any free port), got ${show(o.port)}`);
  let allow: string[] = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];
  if (o.allow !== undefined) {
    const list = typeof o.allow === 'string' ? o.allow.split(',').map((s) => s.trim()).filter(Boolean) : o.allow;
    if (!Array.isArray(list) || list.some((a) => typeof a !== 'string' || (a !== '*' && !isIP(a)))) {
      errors.push(`${key}.allow: must be a list of IP addresses (or "*" for any), got ${show(o.allow)}`);
    } else allow = list as string[];
  }
  const st = o.statIntervalS === undefined ? 30 : typeof o.statIntervalS === 'string' ? Number(o.statIntervalS) : o.statIntervalS;
  if (typeof st !== 'number' || !(st > 0) || st > 3600) errors.push(`${key}.statIntervalS: must be a number of seconds 0..3600, got ${show(o.statIntervalS)}`);
  if (errors.length > before) return undefined;
  return { type: 'udp', host: host as string, port: port as number, allow, statIntervalS: st as number };
}
