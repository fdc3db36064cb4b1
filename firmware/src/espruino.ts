// Types of the Espruino globals kerb's firmware uses (Espruino 2v29 reference,
// https://www.espruino.com/Reference). Only what we call is typed, so using anything else is a type
// error: a second guard next to the post-bundle subset checker. The globals themselves are
// declared with `declare const` inside each module that touches them (module-scoped, so these
// declarations never leak into the Node tsconfig, whose @types/node defines setTimeout etc.).

export interface EspruinoPin {
  read(): boolean;
  write(v: boolean): void;
  mode(m: string): void;
}

export interface EspruinoSerial {
  setup(baud: number, opts?: { rx?: EspruinoPin; tx?: EspruinoPin }): void;
  write(data: string | Uint8Array | number[]): void;
  on(ev: 'data', cb: (data: string) => void): void;
  removeAllListeners(ev?: string): void;
}

export interface EspruinoI2C {
  setup(opts: { scl: EspruinoPin; sda: EspruinoPin; bitrate?: number }): void;
  writeTo(addr: number, data: Uint8Array | number[] | number): void;
  readFrom(addr: number, len: number): Uint8Array;
}

export interface EspruinoSPI {
  setup(opts: { sck: EspruinoPin; miso: EspruinoPin; mosi: EspruinoPin; baud?: number; mode?: number }): void;
  /** With an array/typed array argument, returns a Uint8Array of the same length (2v29). */
  send(data: Uint8Array, nss?: EspruinoPin): Uint8Array;
}

export interface EspruinoE {
  getTemperature(): number;
  getBattery(): number;
  enableWatchdog(timeoutS: number, isAuto?: boolean): void;
  kickWatchdog(): void;
  reboot(): void;
  getErrorFlags(): string[];
  on(ev: string, cb: (arg?: unknown) => void): void;
  CRC32(data: Uint8Array | string): number;
}

export interface EspruinoStorage {
  write(name: string, data: string | Uint8Array, offset?: number, size?: number): boolean;
  read(name: string, offset?: number, length?: number): string | undefined;
  readArrayBuffer(name: string): ArrayBuffer | undefined;
  readJSON(name: string, noExceptions: boolean): unknown;
  erase(name: string): void;
  getFree(): number;
  compact(): void;
}

export interface EspruinoAes {
  encrypt(message: ArrayBuffer | Uint8Array, key: ArrayBuffer, options?: { mode?: string; iv?: Uint8Array }): ArrayBuffer;
}

export interface EspruinoCrypto {
  AES: EspruinoAes | undefined;
}

export interface EspruinoNRF {
  getBattery(): number;
}
