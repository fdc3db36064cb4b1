// Virtual I2C bus (fake at the bus, never by module mocking). Devices see raw transactions exactly as a driver
// issues them; the bus-wide `stuck` switch models SDA held low (every transaction fails).
import type { I2cBus } from '../../shared/hal/bus.ts';

export interface I2cDevice {
  /** A write transaction addressed to this device; false = NACK. */
  write(data: Uint8Array): boolean;
  /** A read transaction; null = NACK. */
  read(len: number): Uint8Array | null;
}

export const I2C_NACK = 1;
export const I2C_BUS_ERROR = 2;

export class VirtualI2cBus implements I2cBus {
  private devices: { addr: number; dev: I2cDevice }[] = [];
  /** SDA stuck low: every transaction fails with a bus error. */
  stuck = false;
  transactions = 0;

  attach(addr: number, dev: I2cDevice): void {
    this.detach(addr);
    this.devices.push({ addr, dev });
  }

  detach(addr: number): void {
    this.devices = this.devices.filter((d) => d.addr !== addr);
  }

  private find(addr: number): I2cDevice | null {
    for (const d of this.devices) if (d.addr === addr) return d.dev;
    return null;
  }

  write(addr: number, data: Uint8Array): number {
    this.transactions++;
    if (this.stuck) return I2C_BUS_ERROR;
    const d = this.find(addr);
    if (!d) return I2C_NACK;
    return d.write(data) ? 0 : I2C_NACK;
  }

  read(addr: number, len: number): Uint8Array | null {
    this.transactions++;
    if (this.stuck) return null;
    const d = this.find(addr);
    return d ? d.read(len) : null;
  }
}
