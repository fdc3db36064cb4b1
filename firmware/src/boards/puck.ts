// Puck.js v2 (nRF52832, 64 KB RAM, 2630 JsVars, 40 KB Storage, crypto with AES). The tightest
// board: the sensor-node bundle budget (20 KB) is set by it. Six usable pads (D1, D2, D28..D31;
// docs/wiring.md): four go to the SX127x (software-routed SPI; RESET tied high, DIO0 not wired so
// IRQ flags are polled), two to I2C for the BME280. No pads are left for the particulate UART or
// a microphone: a Puck node reports temperature/humidity/pressure and battery only.
import type { EspruinoI2C, EspruinoPin, EspruinoSerial, EspruinoSPI } from '../espruino.ts';
import { BATT_NRF_VOLTS, SLEEP_NRF, type BoardProfile } from './types.ts';

declare const I2C1: EspruinoI2C;
declare const SPI1: EspruinoSPI;
declare const Serial1: EspruinoSerial;
declare const D1: EspruinoPin, D2: EspruinoPin;
declare const D28: EspruinoPin, D29: EspruinoPin, D30: EspruinoPin, D31: EspruinoPin;

export function puckBoard(): BoardProfile {
  return {
    sleep: SLEEP_NRF,
    battery: BATT_NRF_VOLTS,
    lowBatteryMv: 2600, // CR2032 coin cell: 3.0 V nominal, ~2.6 V near its end
    i2c: I2C1, scl: D28, sda: D29,
    // No pmSerial / soundPin: no pads left (see above).
    radio: { spi: SPI1, sck: D1, miso: D2, mosi: D31, nss: D30 }, // RESET tied high, DIO0 polled
    // A Puck.js has no USB: as a bridge it would talk over Serial1 (pads D28/D29) at 115200.
    linkSerial: Serial1, linkBaud: 115200,
  };
}
