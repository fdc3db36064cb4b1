// Embedded MQTT broker (aedes) so `kerb gateway` works out of the box with no broker configured.
// It binds to loopback by default; if the port is taken (a real mosquitto already on 1883, say) it
// falls back to a free port and warns, naming the port and how to use the broker already there
// (mqtt.url) or another port (broker.port). A real broker is one setting away (mqtt.url).
//
// Access: one username/password, generated on first start and kept (mode 0600) in the state
// directory; the gateway itself logs in with it. Anonymous clients (only when allowed, which the
// configuration permits only on loopback) may subscribe to anything but not publish on protected
// topics: device commands (`<base>/device/+/down`), the request topic and every retained state the
// gateway owns (all of `<base>/…`, Home Assistant discovery). Bound beyond loopback, every client
// must log in.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import type { Logger } from './types.ts';

export interface BrokerAccess {
  username: string;
  password: string;
  /** Anonymous clients may connect (and publish only where isProtected says no). */
  allowAnonymous: boolean;
  isProtected(topic: string): boolean;
}

/**
 * The embedded broker's credentials: read from `file`, or generated and written there (0600) on
 * first start. `created` tells the caller to show them once.
 */
export function brokerCredentials(file: string): { username: string; password: string; created: boolean } {
  try {
    const j = JSON.parse(fs.readFileSync(file, 'utf8')) as { username?: unknown; password?: unknown };
    if (typeof j.username === 'string' && j.username && typeof j.password === 'string' && j.password.length >= 16) return { username: j.username, password: j.password, created: false };
    throw new Error('needs a username and a password of 16 characters or more');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: unusable broker credentials (${(e as Error).message}); fix the file or delete it to have new ones generated`);
  }
  const creds = { username: 'kerb', password: crypto.randomBytes(18).toString('base64url') };
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(creds) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { ...creds, created: true };
}

function same(a: string, b: Buffer | undefined): boolean {
  if (!b) return false;
  const x = crypto.createHash('sha256').update(a).digest();
  const y = crypto.createHash('sha256').update(b).digest();
  return crypto.timingSafeEqual(x, y);
}

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

function listen(server: net.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => {
      server.off('listening', onListening);
      reject(e);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve((server.address() as net.AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

export async function startEmbeddedBroker(host: string, port: number, log: Logger, access?: BrokerAccess): Promise<EmbeddedBroker> {
  const authed = new WeakSet<object>();
  // Loaded only when a configuration asks for the embedded broker (a gateway pointed at the city's
  // broker never pays its memory).
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker(access ? {
    authenticate: (client, username, password, done) => {
      if (username !== undefined && username !== '') {
        if (username === access.username && same(access.password, password)) {
          authed.add(client);
          return done(null, true);
        }
        log.warn('embedded broker: login refused (wrong username or password)', { clientId: client.id });
        return done(Object.assign(new Error('bad username or password'), { returnCode: 4 }), false);
      }
      if (access.allowAnonymous) return done(null, true);
      return done(Object.assign(new Error('not authorized'), { returnCode: 5 }), false);
    },
    authorizePublish: (client, packet, done) => {
      if (!client || authed.has(client) || !access.isProtected(packet.topic)) return done(null);
      log.warn('embedded broker: anonymous publish refused on a protected topic (log in with the broker credentials)', { clientId: client.id, topic: packet.topic.slice(0, 200) });
      return done(new Error('not authorized'));
    },
  } : {});
  const server = net.createServer(aedes.handle);
  let bound: number;
  try {
    bound = await listen(server, port, host);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw e;
    bound = await listen(server, 0, host);
    // Most often a mosquitto already runs here and `--mqtt-url` was forgotten: uplinks would go to a
    // broker nothing else subscribes to. Say so, and both ways out.
    const h0 = host.includes(':') ? `[${host}]` : host;
    log.warn(`port ${port} on ${host} is already taken (another MQTT broker, such as mosquitto, may be running there): ` +
      `the embedded broker listens on mqtt://${h0}:${bound} instead, which clients of the broker on port ${port} do not see. ` +
      `To publish into the broker on port ${port}, run kerb gateway --mqtt-url mqtt://${h0}:${port} (config mqtt.url); ` +
      `to give the embedded broker a fixed free port, use --broker-port N (config broker.port)`, { wanted: port, port: bound });
  }
  const h = host.includes(':') ? `[${host}]` : host;
  const url = `mqtt://${h}:${bound}`;
  log.info('embedded MQTT broker started (set mqtt.url to use a real broker)', { url });
  return {
    url,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => undefined);
        aedes.close(() => resolve());
      }),
  };
}
