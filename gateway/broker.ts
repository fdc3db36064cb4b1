// Embedded MQTT broker (aedes) so `kerb gateway` works out of the box with no broker configured.
// It binds to loopback by default; if the port is taken (a real mosquitto already on 1883, say) it
// falls back to a free port and the URL is logged. A real broker is one setting away (mqtt.url).
import net from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from './types.ts';

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

export async function startEmbeddedBroker(host: string, port: number, log: Logger): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  let bound: number;
  try {
    bound = await listen(server, port, host);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw e;
    bound = await listen(server, 0, host);
    log.warn('embedded broker: port in use, using a free port instead', { wanted: port, port: bound });
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
