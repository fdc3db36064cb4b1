// Espruino Pico (STM32F401CD, 96 KB RAM, 5100 JsVars, 48 KB Storage, crypto with AES).
// Pin choices follow the Pico pinout (espruino.com/Pico): I2C1 on B8/B9, Serial2 on A2/A3,
// SPI1 on A5/A6/A7; all 3.3 V logic, the SX127x module is 3.3 V too.
import type { EspruinoI2C, EspruinoPin, EspruinoSerial, EspruinoSPI } from '../espruino.ts';
import { BATT_DIVIDER, SLEEP_STM32, type BoardProfile } from './types.ts';

declare const I2C1: EspruinoI2C;
declare const SPI1: EspruinoSPI;
declare const Serial2: EspruinoSerial;
declare const USB: EspruinoSerial;
declare const A0: EspruinoPin, A1: EspruinoPin, A2: EspruinoPin, A3: EspruinoPin, A5: EspruinoPin, A6: EspruinoPin, A7: EspruinoPin, A8: EspruinoPin;
declare const B1: EspruinoPin, B8: EspruinoPin, B9: EspruinoPin, B10: EspruinoPin;

export function picoBoard(): BoardProfile {
  return {
    sleep: SLEEP_STM32,
    battery: BATT_DIVIDER, batteryPin: A1, batteryDividerMilli: 2000, adcRefMv: 3300,
    lowBatteryMv: 3400, // single Li-ion cell through the divider
    i2c: I2C1, scl: B8, sda: B9,
    pmSerial: Serial2, pmRx: A3, pmTx: A2,
    soundPin: A0,
    radio: { spi: SPI1, sck: A5, miso: A6, mosi: A7, nss: B10, reset: B1, dio0: A8 },
    linkSerial: USB, linkBaud: 0,
  };
}
