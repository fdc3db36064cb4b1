// ESP32 (TTGO LoRa32 v1-style wiring: SX1276 on VSPI with NSS 18, RST 14, DIO0 26; 520 KB RAM,
// 16383 JsVars, crypto with AES except on the IDF4 build).
import type { EspruinoI2C, EspruinoPin, EspruinoSerial, EspruinoSPI } from '../espruino.ts';
import { BATT_DIVIDER, SLEEP_NONE, type BoardProfile } from './types.ts';

declare const I2C1: EspruinoI2C;
declare const SPI1: EspruinoSPI;
declare const Serial1: EspruinoSerial;
declare const Serial2: EspruinoSerial;
declare const D5: EspruinoPin, D14: EspruinoPin, D16: EspruinoPin, D17: EspruinoPin, D18: EspruinoPin, D19: EspruinoPin;
declare const D21: EspruinoPin, D22: EspruinoPin, D26: EspruinoPin, D27: EspruinoPin, D35: EspruinoPin, D36: EspruinoPin;

export function esp32Board(): BoardProfile {
  return {
    // ESP32.deepSleep(us) resets the chip (RAM lost): not a between-cycles sleep, so none here.
    sleep: SLEEP_NONE,
    battery: BATT_DIVIDER, batteryPin: D35, batteryDividerMilli: 2000, adcRefMv: 3300,
    lowBatteryMv: 3400, // single Li-ion cell through the divider
    i2c: I2C1, scl: D22, sda: D21,
    pmSerial: Serial2, pmRx: D16, pmTx: D17,
    soundPin: D36,
    radio: { spi: SPI1, sck: D5, miso: D19, mosi: D27, nss: D18, reset: D14, dio0: D26 },
    linkSerial: Serial1, linkBaud: 115200,
  };
}
