// Runs an exact firmware bundle (the file `kerb flash` writes to .bootcde) in Node inside node:vm,
// with models of the Espruino globals it uses, wired to virtual twins on a VirtualClock.
//
// Modelled after the Espruino 2v29 reference (espruino.com/Reference); where behaviour is a guess
// the comment says "GUESS". Built-ins Espruino lacks (Map, Set, Symbol, Array.from...; see
// docs/device-subset.md) are deleted from the context, so a bundle that reaches for them
// fails here as it would on the board.
//
// One EspruinoContext = one boot. Reboot (E.reboot(), watchdog) = the host drops the context and
// boots a new one against the same FlashModel and twins (see bootFromFlash / EspruinoBoard).
import vm from 'node:vm';
import crypto from 'node:crypto';
import type { VirtualClock } from '../clock.ts';
import type { I2cBus, SpiBus } from '../../shared/hal/bus.ts';
import type { VirtualUart } from '../devices/uart.ts';
import { FlashModel } from './flash.ts';

export interface BoardModel {
  name: string;
  /** Espruino's BOARD string (process.env.BOARD). */
  board: string;
  pins: string[];
  /** Names of hardware serial ports; USB is added when hasUsb. */
  serials: string[];
  hasUsb: boolean;
  /** require("crypto") contents: 'aes' (SHA + AES), 'sha' (no AES), 'none' (module missing). */
  crypto: 'aes' | 'sha' | 'none';
  /** nRF52: NRF.getBattery() exists. */
  nrf: boolean;
  storageBytes: number;
  jsVars: number;
  /** Device the REPL is on at boot (board JSON info.default_console). */
  console: string;
}

function range(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`);
}

export const BOARD_MODELS: Record<string, BoardModel> = {
  puck: { name: 'puck', board: 'PUCKJS', pins: range('D', 32), serials: ['Serial1'], hasUsb: false, crypto: 'aes', nrf: true, storageBytes: 40960, jsVars: 2630, console: 'Bluetooth' },
  pico: { name: 'pico', board: 'PICO_R1_3', pins: [...range('A', 16), ...range('B', 16), ...range('C', 16)], serials: ['Serial1', 'Serial2'], hasUsb: true, crypto: 'aes', nrf: false, storageBytes: 49152, jsVars: 5100, console: 'USB' },
  esp32: { name: 'esp32', board: 'ESP32', pins: range('D', 40), serials: ['Serial1', 'Serial2'], hasUsb: false, crypto: 'aes', nrf: false, storageBytes: 917504, jsVars: 16383, console: 'Serial1' },
};

/** Built-ins Espruino does not have (docs/device-subset.md); removed from the context. */
const MISSING = {
  globals: ['Map', 'Set', 'WeakMap', 'WeakSet', 'WeakRef', 'FinalizationRegistry', 'Symbol', 'Proxy', 'Reflect', 'BigInt', 'BigInt64Array', 'BigUint64Array', 'Intl', 'SharedArrayBuffer', 'Atomics', 'globalThis', 'queueMicrotask', 'structuredClone'],
  statics: {
    Array: ['from', 'of'],
    Object: ['freeze', 'seal', 'is', 'isFrozen', 'isSealed', 'getOwnPropertySymbols', 'fromEntries'],
    Number: ['isInteger', 'isFinite', 'isNaN', 'isSafeInteger', 'EPSILON'],
    Math: ['trunc', 'log2', 'log10', 'hypot', 'clz32', 'imul', 'fround', 'cbrt', 'expm1', 'log1p'],
    Promise: ['race', 'allSettled', 'any'],
    Date: ['UTC'],
  } as Record<string, string[]>,
  protos: {
    Array: ['flat', 'flatMap', 'at', 'lastIndexOf', 'findLast', 'findLastIndex'],
    String: ['trimStart', 'trimEnd', 'matchAll', 'codePointAt', 'at', 'replaceAll'],
    Promise: ['finally'],
  } as Record<string, string[]>,
};

export interface SerialHost {
  /** Everything the firmware wrote, in order. */
  written: Uint8Array[];
  /** Bytes from the outside world to the firmware (delivered asynchronously, as Espruino's idle loop does). */
  inject(bytes: Uint8Array): void;
  /** Called on every firmware write. */
  onWrite: ((b: Uint8Array) => void) | null;
  baud: number;
  isConsole: boolean;
}

export interface ContextOptions {
  clock: VirtualClock;
  board: BoardModel;
  flash: FlashModel;
  /** Device on I2C1 (e.g. sim/devices/i2c.ts VirtualI2cBus with a VirtualBme280). */
  i2c?: I2cBus;
  /** SPI devices by chip-select pin name (e.g. { D30: sx127xTwin }). */
  spi?: Record<string, SpiBus>;
  /** Serial ports wired to a virtual UART device (D1's sim/devices/uart.ts). */
  uarts?: Record<string, VirtualUart>;
  /** analogRead sources by pin name: fraction 0..1. */
  analog?: Record<string, () => number>;
  /** Battery as the board reports it. */
  batteryMv?: () => number;
  dieTempC?: () => number;
  /** Virtual-time ms at which this boot happened (getTime() counts from here). */
  bootAtMs?: number;
  /** Why this boot happened: recorded for E.getErrorFlags/E.reset cause readers. */
  log?: (line: string) => void;
}

interface Timer {
  id: number;
  handle: number;
  cb: () => void;
  intervalMs: number;
}

export class EspruinoContext {
  readonly ctx: vm.Context;
  readonly output: string[] = [];
  readonly errors: string[] = [];
  readonly serial: Record<string, SerialHost> = {};
  readonly pinLevel: Record<string, boolean> = {};
  deepSleep = 0;
  watchdog: { timeoutS: number; auto: boolean; lastKickMs: number } | null = null;
  kicks = 0;
  /** Set when the firmware called E.reboot() or the watchdog fired; the host boots again. */
  rebootReason: 'reboot' | 'watchdog' | null = null;
  consoleDevice = 'USB';
  private timers = new Map<number, Timer>();
  private nextId = 1;
  private watches = new Map<number, { pin: string; cb: (e: { state: boolean; time: number; lastTime?: number }) => void; repeat: boolean; edge: string }>();
  private initHandlers: (() => void)[] = [];
  private dead = false;
  private readonly o: ContextOptions;
  private readonly bootAt: number;
  private wdTimer = -1;
  private CU8: Uint8ArrayConstructor;

  constructor(o: ContextOptions) {
    this.o = o;
    this.consoleDevice = o.board.console;
    this.bootAt = o.bootAtMs ?? o.clock.now();
    const sandbox: Record<string, unknown> = {};
    this.ctx = vm.createContext(sandbox, { name: `espruino-${o.board.name}`, codeGeneration: { strings: true, wasm: false } });
    this.CU8 = vm.runInContext('Uint8Array', this.ctx) as Uint8ArrayConstructor;
    this.stripMissingBuiltins();
    this.installGlobals(sandbox);
  }

  private stripMissingBuiltins(): void {
    const del = [
      ...MISSING.globals.map((g) => `delete this[${JSON.stringify(g)}];`),
      ...Object.entries(MISSING.statics).flatMap(([o, ks]) => ks.map((k) => `delete ${o}[${JSON.stringify(k)}];`)),
      ...Object.entries(MISSING.protos).flatMap(([o, ks]) => ks.map((k) => `delete ${o}.prototype[${JSON.stringify(k)}];`)),
      // Function.prototype.name is missing on Espruino; static look-ups like Array.prototype.slice
      // are undefined there but we cannot remove them without breaking the instance forms.
    ];
    vm.runInContext(del.join('\n'), this.ctx);
  }

  /** Milliseconds since this boot on the virtual clock. */
  uptimeMs(): number {
    return this.o.clock.now() - this.bootAt;
  }

  private toCtxBytes(b: Uint8Array): Uint8Array {
    const out = new this.CU8(b.length);
    out.set(b);
    return out;
  }

  private guard(where: string, fn: () => void): void {
    if (this.dead) return;
    try {
      fn();
    } catch (e) {
      // Espruino prints uncaught errors in callbacks and keeps the other timers running.
      const msg = `Uncaught ${where}: ${(e as Error)?.stack ?? String(e)}`;
      this.errors.push(msg);
      this.print(msg);
    }
  }

  private print(line: string): void {
    this.output.push(line);
    this.o.log?.(line);
  }

  private addTimer(cb: () => void, ms: number, interval: boolean): number {
    const id = this.nextId++;
    const t: Timer = { id, handle: -1, cb, intervalMs: interval ? Math.max(1, ms) : 0 };
    const arm = (delay: number): void => {
      t.handle = this.o.clock.setTimeout(() => {
        if (this.dead || !this.timers.has(id)) return;
        if (t.intervalMs) arm(t.intervalMs);
        else this.timers.delete(id);
        this.guard('in timer', t.cb);
      }, Math.max(0, delay));
    };
    this.timers.set(id, t);
    arm(ms || 0);
    return id;
  }

  private clearTimer(id: unknown): void {
    if (typeof id !== 'number') return;
    const t = this.timers.get(id);
    if (!t) return;
    this.o.clock.clearTimeout(t.handle);
    this.timers.delete(id);
  }

  /** Pending firmware timers (setTimeout/setInterval). */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Drive a pin from outside (e.g. the SX127x twin's DIO0); fires setWatch callbacks on edges. */
  setPin(name: string, level: boolean): void {
    const old = this.pinLevel[name] ?? false;
    this.pinLevel[name] = level;
    if (old === level) return;
    const time = this.uptimeMs() / 1000;
    for (const [id, w] of [...this.watches]) {
      if (w.pin !== name) continue;
      if (w.edge === 'rising' && !level) continue;
      if (w.edge === 'falling' && level) continue;
      if (!w.repeat) this.watches.delete(id);
      // Espruino queues watch events with the interrupt-time timestamp and runs them from the
      // idle loop: delivered on the next clock turn, e.time is the edge time.
      this.o.clock.setTimeout(() => this.guard('in setWatch', () => w.cb({ state: level, time })), 0);
    }
  }

  private installGlobals(g: Record<string, unknown>): void {
    const o = this.o;
    const self = this;
    const pinName = (p: unknown): string => (p && typeof p === 'object' && 'name' in (p as object) ? String((p as { name: string }).name) : String(p));

    // ---- pins ----
    class Pin {
      constructor(readonly name: string) {}
      read(): boolean { return self.pinLevel[this.name] ?? false; }
      write(v: unknown): void { self.setPinFromFirmware(this.name, !!v); }
      set(): void { this.write(true); }
      reset(): void { this.write(false); }
      mode(_m: string): void {}
      toString(): string { return this.name; }
    }
    for (const p of o.board.pins) g[p] = new Pin(p);
    g.Pin = Pin;
    g.digitalWrite = (p: unknown, v: unknown) => self.setPinFromFirmware(pinName(p), !!v);
    g.digitalRead = (p: unknown) => (self.pinLevel[pinName(p)] ? 1 : 0);
    g.analogRead = (p: unknown) => {
      const f = o.analog?.[pinName(p)];
      // GUESS: an unconnected ADC pin floats; Espruino returns whatever the ADC sees. Model: 0.
      return f ? Math.max(0, Math.min(1, f())) : 0;
    };
    g.setWatch = (cb: (e: { state: boolean; time: number }) => void, p: unknown, opts?: { repeat?: boolean; edge?: string } | boolean) => {
      const id = self.nextId++;
      const oo = typeof opts === 'object' && opts ? opts : {};
      self.watches.set(id, { pin: pinName(p), cb, repeat: !!oo.repeat, edge: oo.edge ?? 'both' });
      return id;
    };
    g.clearWatch = (id?: number) => {
      if (id === undefined) self.watches.clear();
      else self.watches.delete(id);
    };

    // ---- time ----
    g.getTime = () => self.uptimeMs() / 1000; // GUESS: no setTime() — seconds since boot
    g.setTimeout = (cb: () => void, ms?: number) => self.addTimer(cb, ms ?? 0, false);
    g.setInterval = (cb: () => void, ms?: number) => self.addTimer(cb, ms ?? 0, true);
    g.clearTimeout = (id: unknown) => self.clearTimer(id);
    g.clearInterval = (id: unknown) => self.clearTimer(id);
    g.changeInterval = (id: number, ms: number) => {
      const t = self.timers.get(id);
      if (t) t.intervalMs = ms;
    };
    g.setDeepSleep = (v: unknown) => { self.deepSleep = v ? 1 : 0; };

    // ---- console ----
    const fmt = (args: unknown[]): string => args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    g.print = (...a: unknown[]) => self.print(fmt(a));
    g.console = { log: (...a: unknown[]) => self.print(fmt(a)) };

    // ---- serial ports ----
    const names = [...o.board.serials, ...(o.board.hasUsb ? ['USB'] : []), 'LoopbackA', 'LoopbackB'];
    for (const n of names) g[n] = this.makeSerial(n);

    // ---- buses ----
    g.I2C1 = {
      setup: (_opts: unknown) => {},
      writeTo: (addr: number | { address: number }, ...data: unknown[]) => {
        const a = typeof addr === 'object' ? addr.address : addr;
        const bytes = flattenBytes(data);
        const bus = o.i2c;
        // Espruino throws on a NACK (message text: GUESS).
        if (!bus || bus.write(a, bytes) !== 0) throw new Error(`I2C got NACK from 0x${a.toString(16)}`);
      },
      readFrom: (addr: number | { address: number }, len: number) => {
        const a = typeof addr === 'object' ? addr.address : addr;
        const r = o.i2c?.read(a, len);
        if (!r) throw new Error(`I2C got NACK from 0x${a.toString(16)}`);
        return self.toCtxBytes(r);
      },
    };
    g.SPI1 = {
      setup: (_opts: unknown) => {},
      send: (data: unknown, nss?: unknown) => {
        const bytes = flattenBytes([data]);
        const cs = nss === undefined ? '' : pinName(nss);
        const dev = o.spi?.[cs];
        if (cs) self.setPinFromFirmware(cs, false);
        // Nothing selected/answering: MISO floats high (GUESS for the pull-up-less case).
        const r = dev ? dev.transfer(bytes) : new Uint8Array(bytes.length).fill(0xff);
        if (cs) self.setPinFromFirmware(cs, true);
        // Espruino returns a string for string input and a Uint8Array otherwise.
        if (typeof data === 'string') return String.fromCharCode(...r);
        if (typeof data === 'number') return r[0];
        return self.toCtxBytes(r);
      },
    };

    // ---- E ----
    const E: Record<string, unknown> = {
      getTemperature: () => o.dieTempC?.() ?? 25,
      getBattery: () => {
        const mv = o.batteryMv?.() ?? 3000;
        // GUESS: Puck.js maps ~2.0..3.0 V coin cell to 0..100 %.
        return Math.max(0, Math.min(100, Math.round((mv - 2000) / 10)));
      },
      enableWatchdog: (s: number, isAuto?: boolean) => {
        self.watchdog = { timeoutS: s, auto: isAuto !== false, lastKickMs: o.clock.now() };
        self.armWatchdog();
      },
      kickWatchdog: () => {
        self.kicks++;
        if (self.watchdog) {
          self.watchdog.lastKickMs = o.clock.now();
          self.armWatchdog();
        }
      },
      reboot: () => self.halt('reboot'),
      reset: () => self.halt('reboot'),
      on: (ev: string, cb: () => void) => {
        if (ev === 'init') self.initHandlers.push(cb);
      },
      getErrorFlags: () => [],
      CRC32: (d: unknown) => crc32(flattenBytes([d])),
    };
    g.E = E;
    if (o.board.nrf) g.NRF = { getBattery: () => (o.batteryMv?.() ?? 3000) / 1000 };
    g.process = { env: { VERSION: '2v29', BOARD: o.board.board }, memory: () => ({ total: o.board.jsVars }) };
    g.load = () => self.halt('reboot');
    // Espruino's atob/btoa work on binary strings (the espruino CLI's Storage uploads use atob).
    g.atob = (s: string) => Buffer.from(String(s), 'base64').toString('latin1');
    g.btoa = (s: string) => Buffer.from(String(s), 'latin1').toString('base64');
    g.reset = () => {};

    // ---- modules ----
    const storage = {
      write: (name: string, data: unknown, offset?: number, size?: number) => o.flash.write(name, data, offset, size),
      read: (name: string, offset?: number, length?: number) => o.flash.read(name, offset, length),
      readArrayBuffer: (name: string) => {
        const b = o.flash.readBytes(name);
        return b ? self.toCtxBytes(b).buffer : undefined;
      },
      readJSON: (name: string, noExceptions?: boolean) => {
        const s = o.flash.read(name);
        if (s === undefined) return undefined;
        try {
          return vm.runInContext(`JSON.parse(${JSON.stringify(s)})`, self.ctx);
        } catch (e) {
          if (noExceptions) return undefined;
          throw e;
        }
      },
      writeJSON: (name: string, v: unknown) => o.flash.write(name, JSON.stringify(v)),
      erase: (name: string) => o.flash.erase(name),
      list: () => o.flash.list(),
      getFree: () => o.flash.getFree(),
      compact: () => o.flash.compact(),
    };
    const cryptoMod = o.board.crypto === 'none' ? null : {
      AES: o.board.crypto === 'aes' ? {
        // Espruino libs/crypto/jswrap_crypto.c: ECB over whole 16-byte blocks, key an ArrayBuffer.
        encrypt: (msg: unknown, key: unknown, opts?: { mode?: string }) => {
          const mode = (opts?.mode ?? 'CBC').toUpperCase();
          if (mode !== 'ECB') throw new Error('model implements ECB only');
          const k = flattenBytes([key]);
          const m = flattenBytes([msg]);
          const c = crypto.createCipheriv(`aes-${k.length * 8}-ecb`, k, null);
          c.setAutoPadding(false);
          const out = Buffer.concat([c.update(m.subarray(0, m.length & ~15)), c.final()]);
          return self.toCtxBytes(out).buffer;
        },
      } : undefined,
      SHA1: (d: unknown) => self.toCtxBytes(crypto.createHash('sha1').update(flattenBytes([d])).digest()).buffer,
      SHA256: (d: unknown) => self.toCtxBytes(crypto.createHash('sha256').update(flattenBytes([d])).digest()).buffer,
    };
    g.require = (name: string) => {
      if (name === 'Storage') return storage;
      if (name === 'crypto' && cryptoMod) return cryptoMod;
      throw new Error(`Module ${name} not found`);
    };
  }

  private setPinFromFirmware(name: string, level: boolean): void {
    this.pinLevel[name] = level;
  }

  private makeSerial(name: string): Record<string, unknown> {
    const self = this;
    const host: SerialHost = {
      written: [],
      onWrite: null,
      baud: 9600,
      isConsole: name === this.consoleDevice,
      inject: (bytes: Uint8Array) => {
        const copy = bytes.slice();
        self.o.clock.setTimeout(() => deliver(copy), 0);
      },
    };
    this.serial[name] = host;
    const listeners: ((s: string) => void)[] = [];
    const deliver = (bytes: Uint8Array): void => {
      if (self.dead) return;
      // Bytes arriving on the console device go to the REPL, not to 'data' listeners.
      if (self.consoleDevice === name) {
        self.output.push(`[REPL input on ${name}: ${bytes.length} bytes]`);
        return;
      }
      const s = String.fromCharCode(...bytes);
      for (const l of listeners) self.guard(`in ${name}.on('data')`, () => l(s));
    };
    const uart = this.o.uarts?.[name];
    if (uart) uart.onData((chunk) => deliver(chunk));
    return {
      setup: (baud: number, _opts?: unknown) => { host.baud = baud; },
      write: (...data: unknown[]) => {
        const b = flattenBytes(data);
        if (self.consoleDevice === name) self.print(`[console ${name}] ${String.fromCharCode(...b)}`);
        host.written.push(b);
        host.onWrite?.(b);
        if (uart) uart.write(b);
      },
      print: (s: unknown) => {
        const b = flattenBytes([String(s)]);
        host.written.push(b);
        host.onWrite?.(b);
      },
      on: (ev: string, cb: (s: string) => void) => {
        if (ev === 'data') listeners.push(cb);
      },
      removeAllListeners: (ev?: string) => {
        if (!ev || ev === 'data') listeners.length = 0;
      },
      setConsole: (_force?: boolean) => {
        self.consoleDevice = name;
        for (const [n, h] of Object.entries(self.serial)) h.isConsole = n === name;
      },
    };
  }

  private armWatchdog(): void {
    const w = this.watchdog;
    if (!w) return;
    if (this.wdTimer >= 0) this.o.clock.clearTimeout(this.wdTimer);
    // isAuto=true: Espruino kicks it from its idle loop, i.e. it only fires if the interpreter
    // itself hangs, which a model cannot; only manual mode is enforced.
    if (w.auto) return;
    this.wdTimer = this.o.clock.setTimeout(() => {
      this.wdTimer = -1;
      if (!this.dead) this.halt('watchdog');
    }, w.timeoutS * 1000);
  }

  /** Stop everything this boot scheduled; the host decides whether to boot again. */
  halt(reason: 'reboot' | 'watchdog'): void {
    if (this.dead) return;
    this.rebootReason = reason;
    this.kill();
  }

  /** Power off: cancels every timer, watch and watchdog of this boot. */
  kill(): void {
    this.dead = true;
    for (const t of this.timers.values()) this.o.clock.clearTimeout(t.handle);
    this.timers.clear();
    this.watches.clear();
    if (this.wdTimer >= 0) this.o.clock.clearTimeout(this.wdTimer);
    this.wdTimer = -1;
  }

  get halted(): boolean {
    return this.dead;
  }

  /** Run a program (the bundle text) as Espruino runs .bootcde, then fire E.on('init'). */
  run(code: string, filename = '.bootcde'): void {
    this.guard('at load', () => {
      vm.runInContext(code, this.ctx, { filename });
    });
    for (const h of this.initHandlers) this.guard("in E.on('init')", h);
  }
}

function flattenBytes(parts: unknown[]): Uint8Array {
  const out: number[] = [];
  const add = (d: unknown): void => {
    if (d === undefined || d === null) return;
    if (typeof d === 'number') out.push(d & 0xff);
    else if (typeof d === 'string') for (let i = 0; i < d.length; i++) out.push(d.charCodeAt(i) & 0xff);
    else if (Object.prototype.toString.call(d) === '[object ArrayBuffer]') for (const x of new Uint8Array(d as ArrayBuffer)) out.push(x);
    else if (ArrayBuffer.isView(d)) {
      const v = d as ArrayBufferView;
      for (const x of new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) out.push(x);
    } else if (Array.isArray(d)) for (const x of d) add(x);
    else if (typeof d === 'object' && 'data' in (d as object)) {
      const o = d as { data: unknown; count?: number };
      for (let i = 0; i < (o.count ?? 1); i++) add(o.data);
    }
  };
  for (const p of parts) add(p);
  return Uint8Array.from(out);
}

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export interface BoardHarnessOptions extends Omit<ContextOptions, 'bootAtMs'> {
  /** Boot delay after a reboot (ms), like the bootloader + interpreter start. */
  rebootDelayMs?: number;
}

/**
 * A board that survives reboots: owns the flash, boots `.bootcde` from it (or a given program) in
 * a fresh context, and reboots when the firmware asks (E.reboot) or the watchdog fires.
 */
export class EspruinoBoard {
  ctx: EspruinoContext | null = null;
  boots = 0;
  readonly history: { atMs: number; reason: string }[] = [];
  private program = '';

  constructor(readonly o: BoardHarnessOptions) {}

  /** Power on running `code` (written to .bootcde first, as SAVE_ON_SEND does). */
  flashAndBoot(code: string): EspruinoContext {
    if (!this.o.flash.write('.bootcde', code)) throw new Error('bundle does not fit in Storage');
    return this.boot('power-on');
  }

  boot(reason: string): EspruinoContext {
    this.ctx?.kill();
    const code = this.o.flash.read('.bootcde');
    if (code === undefined) throw new Error('no .bootcde in flash');
    this.program = code;
    this.boots++;
    this.history.push({ atMs: this.o.clock.now(), reason });
    const ctx = new EspruinoContext({ ...this.o, bootAtMs: this.o.clock.now() });
    this.ctx = ctx;
    ctx.run(this.program);
    this.watch(ctx);
    return ctx;
  }

  /** Simulated reset button / power cycle. */
  reboot(reason = 'reset'): EspruinoContext {
    return this.boot(reason);
  }

  private watch(ctx: EspruinoContext): void {
    // Poll for a halt requested from inside (E.reboot / watchdog) once per virtual second.
    const check = (): void => {
      if (this.ctx !== ctx) return;
      if (ctx.halted && ctx.rebootReason) {
        const reason = ctx.rebootReason;
        this.o.clock.setTimeout(() => { if (this.ctx === ctx) this.boot(reason); }, this.o.rebootDelayMs ?? 100);
        return;
      }
      this.o.clock.setTimeout(check, 1000);
    };
    this.o.clock.setTimeout(check, 1000);
  }
}
