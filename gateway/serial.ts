// A LinkTransport over a serial port (node-serialport 13), opened by path. Stable udev names such
// as /dev/serial/by-id/usb-…-if00-port0 are symlinks: the port is opened through the link, and the
// resolved device is kept for logs. The radio manager (radios.ts) owns reconnection; this class
// only turns one open port into bytes in, bytes out and exactly one onClose.
import * as fs from 'node:fs';
import { SerialPort } from 'serialport';
import type { LinkTransport } from './types.ts';
import { KerbError } from './types.ts';

export const DEFAULT_BAUD = 115200;

/** Maps an open() failure to a KerbError with an actionable message. */
export function classifyOpenError(path: string, err: Error): KerbError {
  const m = err.message || String(err);
  if (/cannot lock port/i.test(m) || /resource temporarily unavailable/i.test(m)) {
    return new KerbError('serial_locked', `${path}: cannot lock port — another process has it open (ModemManager, a second gateway, screen/minicom?). ` +
      'Find it with `fuser -v ' + path + '` and stop it, or mask ModemManager for this adapter.');
  }
  if (/ENOENT|no such file/i.test(m)) return new KerbError('serial_not_found', `${path}: no such device (unplugged, or wrong path; see ls -l /dev/serial/by-id/)`);
  if (/EACCES|permission denied/i.test(m)) {
    return new KerbError('serial_permission', `${path}: permission denied — add the gateway user to the dialout group (sudo usermod -aG dialout $USER)`);
  }
  if (/EBUSY|busy/i.test(m)) return new KerbError('serial_busy', `${path}: device busy`);
  return new KerbError('serial_open', `${path}: ${m}`);
}

export class SerialTransport implements LinkTransport {
  private dataCbs: ((chunk: Uint8Array) => void)[] = [];
  private closeCbs: ((err?: Error) => void)[] = [];
  private closed = false;

  readonly name: string;
  readonly device: string;
  private readonly port: SerialPort;
  private constructor(name: string, device: string, port: SerialPort) {
    this.name = name;
    this.device = device;
    this.port = port;
    port.on('data', (b: Buffer) => {
      const u = new Uint8Array(b.buffer, b.byteOffset, b.length);
      for (const cb of this.dataCbs) cb(u);
    });
    // node-serialport emits 'close' with err.disconnected on an unplug it notices, and 'error' for a
    // read that failed otherwise (a pty whose other end went away reads EIO): both end this port.
    port.on('close', (err?: Error) => this.finish(err ?? undefined));
    port.on('error', (err: Error) => this.finish(err));
  }

  /** Opens path. Rejects with a KerbError (serial_locked, serial_not_found, serial_permission, …). */
  static open(path: string, baudRate = DEFAULT_BAUD, name = path): Promise<SerialTransport> {
    let device = path;
    try {
      device = fs.realpathSync(path);
    } catch (e) {
      return Promise.reject(classifyOpenError(path, e as Error));
    }
    // lock: true takes an exclusive flock (TIOCEXCL) so two gateways cannot share one radio.
    // hupcl: false keeps DTR up on close, so closing/reopening does not reset boards whose reset
    // line hangs off DTR (Arduino-style bridges) in the middle of a reconnect.
    const port = new SerialPort({ path, baudRate, autoOpen: false, lock: true, hupcl: false });
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (err) {
          reject(classifyOpenError(path, err));
          return;
        }
        resolve(new SerialTransport(name, device, port));
      });
    });
  }

  get isOpen(): boolean { return !this.closed; }

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    this.port.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length), (err) => {
      if (err) this.finish(err);
    });
  }

  onData(cb: (chunk: Uint8Array) => void): void { this.dataCbs.push(cb); }
  onClose(cb: (err?: Error) => void): void { this.closeCbs.push(cb); }

  close(): void {
    if (this.closed) return;
    this.finish();
  }

  private finish(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    if (this.port.isOpen) {
      this.port.close(() => { /* already reported */ });
    }
    this.port.removeAllListeners('data');
    // Keep an error listener: a late 'error' from the stream must not become an uncaught exception.
    this.port.on('error', () => {});
    for (const cb of this.closeCbs) cb(err);
  }
}
