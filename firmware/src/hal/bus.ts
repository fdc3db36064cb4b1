// Thin wrappers from Espruino's I2C/SPI/Serial objects to shared/hal/bus.ts. Espruino throws on I2C
// NACK/timeouts; here that becomes a status code / null (Error subclasses do not work on Espruino),
// so a missing sensor is data for the driver, not a crash.
import type { AnalogIn, DigitalPin, I2cBus, SpiBus, UartPort } from '../../../shared/hal/bus.ts';
import type { EspruinoI2C, EspruinoPin, EspruinoSerial, EspruinoSPI } from '../espruino.ts';

declare function analogRead(pin: EspruinoPin): number;
declare function digitalWrite(pin: EspruinoPin, v: number): void;
declare function digitalRead(pin: EspruinoPin): number;

export const I2C_ERR_NACK = 1;

export function createI2c(i2c: EspruinoI2C, scl: EspruinoPin, sda: EspruinoPin): I2cBus {
  i2c.setup({ scl: scl, sda: sda }); // 100 kHz default: BME280 and friends are fine with it
  return {
    write: function (addr: number, data: Uint8Array) {
      try { i2c.writeTo(addr, data); return 0; } catch (e) { return I2C_ERR_NACK; }
    },
    read: function (addr: number, len: number) {
      try { return i2c.readFrom(addr, len); } catch (e) { return null; }
    },
  };
}

/** Mode 0, CS driven by SPI.send for the whole transfer (Espruino `send(data, nss)`). */
export function createSpi(spi: EspruinoSPI, sck: EspruinoPin, miso: EspruinoPin, mosi: EspruinoPin, nss: EspruinoPin): SpiBus {
  spi.setup({ sck: sck, miso: miso, mosi: mosi, baud: 1000000 }); // mode 0 is the default (SX127x §4.3)
  digitalWrite(nss, 1);
  return {
    transfer: function (data: Uint8Array) { return spi.send(data, nss); },
  };
}

/** Espruino delivers serial data as strings of bytes (char codes 0..255). */
export function createUart(serial: EspruinoSerial, baud: number, rx: EspruinoPin | undefined, tx: EspruinoPin | undefined): UartPort {
  if (rx && tx) serial.setup(baud, { rx: rx, tx: tx });
  else serial.setup(baud);
  return {
    write: function (data: Uint8Array) { serial.write(data); },
    onData: function (cb: (chunk: Uint8Array) => void) {
      serial.removeAllListeners('data');
      serial.on('data', function (s: string) {
        const b = new Uint8Array(s.length);
        for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
        cb(b);
      });
    },
  };
}

export function createAnalogIn(pin: EspruinoPin): AnalogIn {
  return { read: function () { return analogRead(pin); } };
}

export function createDigitalPin(pin: EspruinoPin): DigitalPin {
  return {
    write: function (high: boolean) { digitalWrite(pin, high ? 1 : 0); },
    read: function () { return digitalRead(pin) !== 0; },
  };
}
