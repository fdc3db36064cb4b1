// One board on the real Espruino interpreter (host build): a working directory whose
// ./espruino.flash is the board's Storage, the interpreter process (one process = one power-on),
// its console on stdin/stdout exactly as the firmware sees it, and a second channel — a
// pseudo-terminal made by socat and opened by the stand-ins as Serial6 — over which the chip
// stand-ins (standins.js, Storage .boot0) report what the firmware does to them and take the
// host's packets, sensor values and probes. The console may be locked or moved by the firmware;
// the channel is not.
//
// Power-off is `quit()` (the interpreter ignores SIGTERM; E.on('kill') handlers run). A process
// that does not end after it is killed by its pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Interpreter } from './interpreter.ts';
import type { AirPacket as TwinAirPacket } from '../devices/sx127x.ts';

export interface TxEvent {
  /** Start of the transmission on the interpreter's clock (getTime(), seconds). */
  t: number;
  toaS: number;
  freqHz: number;
  sf: number;
  bwHz: number;
  cr: number;
  invertIq: boolean;
  crc: boolean;
  syncWord: number;
  powerDbm: number;
  payload: Uint8Array;
}

export interface BootInfo {
  /** getTime() when .boot0 finished. */
  t0: number;
  /** process.memory().usage after .boot0 (interpreter + stand-ins), before .bootcde ran. */
  baseUsage: number;
  total: number;
}

/** A packet on the air, as the simulator's SX127x twin takes it, timed on the interpreter's clock. */
export interface AirPacket extends Omit<TwinAirPacket, 'syncWord'> {
  /** Preamble start on the interpreter's clock (seconds). */
  at: number;
}

type Waiter = { test: () => boolean; resolve: () => void };

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export class EspruinoDevice {
  readonly dir: string;
  /** Everything the interpreter printed on its console (latin1), across boots. */
  console = '';
  /** Console output of the current boot only. */
  bootConsole = '';
  /** Channel lines of the current boot ("K ..."). */
  lines: string[] = [];
  /** Transmissions seen by the SX127x stand-in, across boots. */
  readonly txs: TxEvent[] = [];
  /** Bytes the bridge wrote to its link, current boot. */
  link: Buffer = Buffer.alloc(0);
  boot: BootInfo | null = null;
  boots = 0;
  private proc: ChildProcess | null = null;
  private chan: ChildProcess | null = null;
  private chanBuf = '';
  private nextId = 1;
  private replies = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  private waiters: Waiter[] = [];
  private exited: Promise<void> | null = null;
  private ownDir: boolean;
  private airId = 0;

  readonly interp: Interpreter;
  private readonly log: (l: string) => void;

  constructor(interp: Interpreter, dir?: string, log: (l: string) => void = () => {}) {
    this.interp = interp;
    this.log = log;
    this.ownDir = !dir;
    this.dir = dir ?? mkdtempSync(join(tmpdir(), 'kerb-espruino-'));
  }

  get chanPath(): string {
    return join(this.dir, 'chan');
  }

  get running(): boolean {
    return this.proc !== null;
  }

  private wake(): void {
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.test()) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Resolves when test() holds (checked on every console or channel event); rejects after ms. */
  waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w: Waiter = { test, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`timed out after ${ms} ms waiting for ${what}\n--- console (tail) ---\n${this.bootConsole.slice(-1500)}\n--- channel (tail) ---\n${this.lines.slice(-15).join('\n')}`));
      }, ms);
      this.waiters.push(w);
    });
  }

  /** The pseudo-terminal the console sits behind after powerOn({ consolePty: true }). */
  get ttyPath(): string {
    return join(this.dir, 'tty');
  }

  private async spawnInterpreter(consolePty = false): Promise<ChildProcess> {
    const p = spawn(this.interp.command, [...this.interp.prefix], { cwd: this.dir, stdio: ['pipe', 'pipe', 'pipe'] });
    // Behind a pty the console is a serial port as on a board, for a program that opens it by
    // path (kerb flash): socat joins the pty to the interpreter's stdin/stdout through this
    // process, which still sees (this.console) and owns (powerOff) everything.
    let tty: ChildProcess | null = null;
    if (consolePty) {
      rmSync(this.ttyPath, { force: true });
      tty = spawn('socat', [`pty,raw,echo=0,link=${this.ttyPath}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
      tty.stdin!.on('error', () => {});
      tty.stdout!.on('data', (d: Buffer) => p.stdin!.write(d));
      p.on('exit', () => tty!.kill());
      const t0 = Date.now();
      while (!existsSync(this.ttyPath)) {
        if (Date.now() - t0 > 10000) throw new Error('socat did not create the console pty');
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    this.bootConsole = '';
    const take = (d: Buffer): void => {
      const s = d.toString('latin1');
      this.console += s;
      this.bootConsole += s;
      if (tty) tty.stdin!.write(d);
      this.wake();
    };
    p.stdout!.on('data', take);
    p.stderr!.on('data', take);
    p.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => p.on('exit', () => {
      if (this.proc === p) this.proc = null;
      resolve();
      this.wake();
    }));
    this.proc = p;
    return p;
  }

  /** Power on without stand-ins or channel: the board as it comes, for the provisioning upload. */
  async startBare(): Promise<void> {
    if (this.proc) throw new Error('interpreter already running');
    await this.spawnInterpreter();
    await this.waitFor(() => this.bootConsole.includes('>'), 60000, 'the interpreter prompt');
  }

  /**
   * Power on: the interpreter boots from Storage (.boot0 stand-ins, then .bootcde). consolePty puts
   * its console behind a pseudo-terminal at ttyPath instead of this process's pipes.
   */
  async powerOn(opts: { consolePty?: boolean } = {}): Promise<BootInfo> {
    if (this.proc) throw new Error('interpreter already running');
    this.lines = [];
    this.link = Buffer.alloc(0);
    this.boot = null;
    this.chanBuf = '';
    rmSync(this.chanPath, { force: true });
    const chan = spawn('socat', [`pty,raw,echo=0,link=${this.chanPath}`, 'STDIO'], { stdio: ['pipe', 'pipe', 'pipe'] });
    chan.stdin!.on('error', () => {});
    chan.stdout!.on('data', (d: Buffer) => this.onChannel(d.toString('latin1')));
    this.chan = chan;
    const t0 = Date.now();
    while (!existsSync(this.chanPath)) {
      if (Date.now() - t0 > 10000) throw new Error('socat did not create the channel pty');
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.spawnInterpreter(opts.consolePty);
    this.boots++;
    await this.waitFor(() => this.boot !== null || this.proc === null, 60000, 'the stand-ins to boot (K boot)');
    if (!this.boot) throw new Error(`the interpreter exited while booting:\n${this.bootConsole.slice(-1500)}`);
    return this.boot;
  }

  private onChannel(s: string): void {
    this.chanBuf += s;
    let i: number;
    while ((i = this.chanBuf.indexOf('\n')) >= 0) {
      const line = this.chanBuf.slice(0, i).replace(/\r$/, '');
      this.chanBuf = this.chanBuf.slice(i + 1);
      if (!line.startsWith('K ')) continue;
      this.lines.push(line);
      this.log(line.length > 200 ? `${line.slice(0, 200)}…` : line);
      const f = line.split(' ');
      const tag = f[1];
      if (tag === 'boot') this.boot = { t0: Number(f[2]), baseUsage: Number(f[3]), total: Number(f[4]) };
      else if (tag === 'tx') {
        this.txs.push({
          t: Number(f[2]), toaS: Number(f[3]), freqHz: Number(f[4]), sf: Number(f[5]), bwHz: Number(f[6]), cr: Number(f[7]),
          invertIq: f[8] === '1', crc: f[9] === '1', syncWord: Number(f[10]), powerDbm: Number(f[11]),
          payload: new Uint8Array(Buffer.from(f[12] ?? '', 'hex')),
        });
      } else if (tag === 'ln') this.link = Buffer.concat([this.link, Buffer.from(f[2] ?? '', 'hex')]);
      else if (tag === 'r' || tag === 'e') {
        const id = Number(f[2]);
        const rest = f.slice(3).join(' ');
        const p = this.replies.get(id);
        if (p) {
          this.replies.delete(id);
          if (tag === 'r') p.ok(rest === 'undefined' || rest === '' ? undefined : JSON.parse(rest));
          else p.fail(new Error(`on the device: ${rest}`));
        }
      }
    }
    this.wake();
  }

  /** Evaluates one line of JavaScript in the running interpreter (through the stand-ins' channel). */
  eval<T = unknown>(js: string, ms = 20000): Promise<T> {
    if (!this.chan || !this.proc) return Promise.reject(new Error('device is not powered'));
    if (js.includes('\n')) return Promise.reject(new Error('eval takes one line'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(id);
        reject(new Error(`no answer to '${js.slice(0, 80)}' within ${ms} ms\n${this.bootConsole.slice(-800)}`));
      }, ms);
      this.replies.set(id, {
        ok: (v) => { clearTimeout(timer); resolve(v as T); },
        fail: (e) => { clearTimeout(timer); reject(e); },
      });
      this.chan!.stdin!.write(`${id} ${js}\n`);
    });
  }

  /** Types into the firmware's console (stdin). */
  consoleWrite(s: string): void {
    if (!this.proc) throw new Error('device is not powered');
    this.proc.stdin!.write(Buffer.from(s, 'latin1'));
  }

  /** Puts a packet on the air at the SX127x stand-in; returns its id for the K lock/rxdone/missed lines. */
  air(p: AirPacket): Promise<unknown> {
    const id = ++this.airId;
    return this.eval(`KH.air(${id},"${hex(p.payload)}",${p.freqHz},${p.sf},${p.bwHz},${p.invertIq ? 1 : 0},${p.rssiDbm},${p.snrDb},${p.at},${p.crcError ? 1 : 0})`).then(() => id);
  }

  /** Bytes from the gateway into the bridge's link port. */
  linkWrite(b: Uint8Array): Promise<unknown> {
    return this.eval(`KH.ln("${hex(b)}")`);
  }

  /** process.memory() after a garbage collection, from a timer (so the firmware is idle). */
  memory(): Promise<{ usage: number; total: number; peak: number; samples: number }> {
    return this.eval('[process.memory().usage,process.memory().total,KH.pk,KH.ps]').then((v) => {
      const a = v as number[];
      return { usage: a[0]!, total: a[1]!, peak: a[2]!, samples: a[3]! };
    });
  }

  /** Power off with quit(); kills the process (by its pid) if it does not end. */
  async powerOff(ms = 15000): Promise<void> {
    const p = this.proc;
    if (p) {
      if (this.chan) this.chan.stdin!.write(`0 quit()\n`);
      else p.stdin!.write('\x10quit()\n');
      const done = this.exited!;
      const killed = await Promise.race([done.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), ms))]);
      if (killed) {
        p.kill('SIGKILL');
        await done;
      }
      p.stdin!.destroy();
    }
    this.proc = null;
    if (this.chan) {
      const c = this.chan;
      this.chan = null;
      c.stdin!.end();
      const gone = new Promise<void>((r) => c.on('exit', () => r()));
      if (c.exitCode === null && c.signalCode === null) {
        const t = setTimeout(() => c.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(t);
      }
    }
    for (const [, r] of this.replies) r.fail(new Error('device powered off'));
    this.replies.clear();
  }

  /** Power off and remove the working directory (when this object made it). */
  async dispose(): Promise<void> {
    await this.powerOff();
    if (this.ownDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
