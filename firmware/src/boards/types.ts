// A board profile: which Espruino objects and pins the firmware uses on one board (wiring in
// docs/wiring.md). Plain data built at boot by the board's file; the build picks one board with
// the KERB_BOARD define so the others are dropped from the bundle.
import type { EspruinoI2C, EspruinoPin, EspruinoSerial, EspruinoSPI } from '../espruino.ts';

/** How the board measures its supply (Power.batteryMv). */
export const BATT_NONE = 0;
export const BATT_E_PERCENT = 1; // E.getBattery(): percent (Puck.js/Pixl.js), mapped to mV linearly
export const BATT_NRF_VOLTS = 2; // NRF.getBattery(): volts (nRF52)
export const BATT_DIVIDER = 3;   // analogRead(pin) × divider × vref

/** How the board sleeps between timer events (Power.allowDeepSleep). */
export const SLEEP_NONE = 0;
export const SLEEP_STM32 = 1; // setDeepSleep(1): stops the clocks, wakes on RTC timers/setWatch
export const SLEEP_NRF = 2;   // nRF52 sleeps by itself between events

export interface RadioPins {
  spi: EspruinoSPI;
  sck: EspruinoPin;
  miso: EspruinoPin;
  mosi: EspruinoPin;
  nss: EspruinoPin;
  /** Absent: RESET tied high (power-on reset only). */
  reset?: EspruinoPin;
  /** Absent: DIO0 not wired, RegIrqFlags is polled over SPI. */
  dio0?: EspruinoPin;
}

// The board's name is the KERB_BOARD define and whether it has `require("crypto").AES` is
// KERB_HW_AES (firmware/build/budgets.ts): compile-time facts are not carried in the bundle.
export interface BoardProfile {
  sleep: number;
  battery: number;
  batteryPin?: EspruinoPin;
  /** (R1 + R2) / R2 of the battery divider, × 1000. */
  batteryDividerMilli?: number; // divider boards only
  /** Low-battery threshold default for this board's supply (kerb.cfg lowBatteryMv overrides). */
  lowBatteryMv: number;
  /** ADC full scale in mV (3300 on STM32/nRF52 with VDD reference, 3300 nominal on ESP32). */
  adcRefMv?: number; // divider boards only
  i2c: EspruinoI2C;
  scl: EspruinoPin;
  sda: EspruinoPin;
  /** UART for the particulate sensor (9600 8N1); absent when the board has no pins left for it. */
  pmSerial?: EspruinoSerial;
  pmRx?: EspruinoPin;
  pmTx?: EspruinoPin;
  /** Microphone envelope input (ADC); absent when not fitted. */
  soundPin?: EspruinoPin;
  radio: RadioPins;
  /** Serial link to the Pi for the radio-bridge firmware (USB CDC where the board has it). */
  linkSerial: EspruinoSerial;
  /** Baud for linkSerial when it is a real UART; 0 for USB CDC (no setup; and the global USB
   * exists only on boards with native USB, so it is never referenced elsewhere). */
  linkBaud: number;
}
