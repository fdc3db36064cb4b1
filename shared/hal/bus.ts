// Narrow bus interfaces, one per hardware boundary, passed in: drivers receive their bus in the
// constructor and touch no globals, so the simulator can hand them a virtual bus with a virtual
// chip behind it.

export interface I2cBus {
  /** Write bytes to a 7-bit address. Returns 0 on ACK, non-zero status on NACK/bus error. */
  write(addr: number, data: Uint8Array): number;
  /** Read len bytes from a 7-bit address. Returns null on NACK/bus error. */
  read(addr: number, len: number): Uint8Array | null;
}

export interface SpiBus {
  /** Full-duplex transfer with chip-select asserted for the whole transfer. */
  transfer(data: Uint8Array): Uint8Array;
}

export interface UartPort {
  write(data: Uint8Array): void;
  /** Register the single receive callback (replaces any previous one). */
  onData(cb: (chunk: Uint8Array) => void): void;
}

export interface AnalogIn {
  /** Read the pin as a fraction of the ADC reference, 0..1. */
  read(): number;
}

export interface DigitalPin {
  write(high: boolean): void;
  read(): boolean;
}
