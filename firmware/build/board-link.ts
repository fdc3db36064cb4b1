// `kerb flash`'s own line to the board: it opens the port itself (a serial device or a pseudo-terminal
// through `serialport`, or tcp://host:port) and lends it to the espruino CLI through a loopback TCP
// relay. Two reasons: the CLI opens only the ports `serialport.list()` reports (it looks the path up
// in that list), which leaves out /dev/serial/by-id/ links and pseudo-terminals; and kerb must talk
// to the board before and after the CLI (unlock a locked console, read the written files back).
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { SerialPort } from 'serialport';

export interface BoardLink {
  readonly port: string;
  /** Everything the board sent since the link opened (latin1). */
  received: string;
  write(s: string): void;
  /** Resolves when test(received) holds; rejects with `what` after ms. */
  waitFor(test: (received: string) => boolean, ms: number, what: string): Promise<void>;
  /** A tcp://127.0.0.1:N address the espruino CLI can open; bytes are relayed to and from the board. */
  relay(): Promise<string>;
  close(): Promise<void>;
}

export class BoardPortError extends Error {}

function openSerial(path: string, baud: number): Promise<SerialPort> {
  const sp = new SerialPort({ path, baudRate: baud, autoOpen: false, hupcl: false });
  return new Promise((resolve, reject) => {
    sp.open((err) => (err ? reject(new BoardPortError(`cannot open ${path}: ${err.message}`)) : resolve(sp)));
  });
}

function openTcp(url: string): Promise<Socket> {
  const m = /^tcp:\/\/([^:/]*)(?::(\d+))?\/?$/.exec(url);
  if (!m) return Promise.reject(new BoardPortError(`${url}: expected tcp://host:port`));
  return new Promise((resolve, reject) => {
    const s = tcpConnect(Number(m[2] ?? 23), m[1] || 'localhost');
    s.once('connect', () => resolve(s));
    s.once('error', (e) => reject(new BoardPortError(`cannot connect to ${url}: ${e.message}`)));
  });
}

export async function openBoard(port: string, baud = 9600): Promise<BoardLink> {
  const dev: SerialPort | Socket = port.startsWith('tcp://') ? await openTcp(port) : await openSerial(port, baud);
  let waiters: { test: (r: string) => boolean; done: () => void }[] = [];
  let client: Socket | null = null;
  let server: Server | null = null;
  const link: BoardLink = {
    port,
    received: '',
    write(s: string): void {
      dev.write(Buffer.from(s, 'latin1'));
    },
    waitFor(test, ms, what): Promise<void> {
      if (test(link.received)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { test, done: (): void => { clearTimeout(t); resolve(); } };
        const t = setTimeout(() => {
          waiters = waiters.filter((x) => x !== w);
          reject(new Error(`${what}: nothing within ${ms / 1000} s`));
        }, ms);
        waiters.push(w);
      });
    },
    relay(): Promise<string> {
      return new Promise((resolve, reject) => {
        server = createServer((sock) => {
          // One client at a time: the CLI. A second connection is refused.
          if (client) return void sock.destroy();
          client = sock;
          sock.on('data', (d: Buffer) => dev.write(d));
          sock.on('error', () => {});
          sock.on('close', () => { client = null; });
        });
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          const a = server!.address();
          resolve(`tcp://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`);
        });
      });
    },
    async close(): Promise<void> {
      (client as Socket | null)?.destroy();
      if (server) await new Promise<void>((r) => server!.close(() => r()));
      await new Promise<void>((r) => {
        if (dev instanceof SerialPort) {
          if (!dev.isOpen) return r();
          dev.close(() => r());
        } else dev.end(() => r());
      });
    },
  };
  dev.on('data', (d: Buffer) => {
    link.received += d.toString('latin1');
    if (client) client.write(d);
    const still = [];
    for (const w of waiters) {
      if (w.test(link.received)) w.done();
      else still.push(w);
    }
    waiters = still;
  });
  dev.on('error', () => {});
  return link;
}
