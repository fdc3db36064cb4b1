// Composition root of the street-sensor firmware (architecture.md): picks the Espruino HALs, the
// board's pins, the drivers present on this board, and hands them to shared/node's createNode.
import { createNode, type SensorNode } from '../../shared/node/node.ts';
import type { Sensor } from '../../shared/hal/sensor.ts';
import type { Radio, RadioParams } from '../../shared/hal/radio.ts';
import { STATUS_PM_FAULT, STATUS_THP_FAULT, STATUS_NOISE_FAULT } from '../../shared/payload/constants.ts';
import { picoBoard } from './boards/pico.ts';
import { puckBoard } from './boards/puck.ts';
import { esp32Board } from './boards/esp32.ts';
import { createEspruinoClock } from './hal/clock.ts';
import { createStorageStore } from './hal/store.ts';
import { createEspruinoPower, powerBatterySensor } from './hal/power.ts';
import { createI2c, createSpi, createUart, createAnalogIn, createDigitalPin } from './hal/bus.ts';
import { createIrqLine } from './hal/irq.ts';
import { boardAes } from './hal/aes.ts';
import { createSx127x, pulseReset } from './radio/sx127x.ts';
import { createBme280, bme280Sensor, BME280_ADDR_PRIMARY } from './drivers/bme280.ts';
import { Pms, pmsSensor } from './drivers/pms.ts';
import { SoundLevel, soundSensor, SOUND_READS } from './drivers/sound.ts';
import { Battery, batterySensor } from './drivers/battery.ts';
import { readNodeConfig } from './config.ts';

declare function print(s: string): void;
declare const KERB_BOARD: string;
declare const KERB_FW_MAJOR: number;
declare const KERB_FW_MINOR: number;
declare const KERB_FW_PATCH: number;
declare const KERB_HAS_DIO0: boolean;
declare const KERB_HAS_RESET: boolean;
declare const KERB_BATT: number;
declare const KERB_HAS_PM: boolean;
declare const KERB_HAS_SOUND: boolean;

/** Hardware watchdog: far above the longest healthy loop pass (a SF12 uplink + RX2 ≈ 5 s). */
const WATCHDOG_S = 60;
/** Microphone calibration: ADC envelope fraction at 94 dB SPL (docs/firmware.md). */
const SOUND_CAL_FRAC_94 = 0.25;

/** Module level, not a closure in main(): a closure would keep main()'s whole scope (the parsed
 * kerb.cfg, the board profile) alive for as long as the node runs. */
function logLine(m: string): void {
  print('kerb: ' + m);
}

declare const process: { memory(): unknown } | undefined;

/**
 * A garbage collection before every transmission. Sealing a frame leaves short-lived buffers (the
 * encoded frame, counter blocks, one ArrayBuffer per AES block) that the interpreter frees only
 * when it is next idle, after the transmission and its receive windows: collected here they never
 * add to the node's high-water mark (docs/firmware.md "Shrinking the node"). process.memory()
 * runs the collection (Espruino reference: process.memory(gc), gc defaults to true).
 */
function collectBeforeTransmit(radio: Radio): void {
  const tx = radio.transmit;
  radio.transmit = function (p: RadioParams, payload: Uint8Array, done: (status: number) => void) {
    if (typeof process !== 'undefined') process.memory();
    tx(p, payload, done);
  };
}

function main(): SensorNode | null {
  // The board's profile chosen in place (boards/index.ts boardProfile() does the same), so the
  // image keeps no selector function once the define has folded it.
  const b = KERB_BOARD === 'pico' ? picoBoard() : KERB_BOARD === 'esp32' ? esp32Board() : puckBoard();
  const config = readNodeConfig();
  if (!config) {
    print('kerb: no kerb.cfg'); // provision with `kerb flash --device <id>`
    return null;
  }
  const aes = boardAes();
  if (!aes) {
    print('kerb: no AES'); // firmware without AES: build with KERB_HW_AES=false
    return null;
  }
  const clock = createEspruinoClock();
  const power = createEspruinoPower(b, WATCHDOG_S);
  const r = b.radio;
  const radio = createSx127x({
    spi: createSpi(r.spi, r.sck, r.miso, r.mosi, r.nss),
    clock: clock,
    irq: KERB_HAS_DIO0 && r.dio0 ? createIrqLine(r.dio0) : null,
    pollMs: 10,
  });
  collectBeforeTransmit(radio);
  if (KERB_HAS_RESET && r.reset) pulseReset(createDigitalPin(r.reset));

  // Sampling periods: the BME280 sleeps between forced measurements (cheap, once a minute); the
  // fan-driven PM sensor and the battery once per report; the microphone envelope every 10 s.
  const reportMs = (config.intervalS || 300) * 1000;
  const sensors: Sensor[] = [];
  sensors.push(bme280Sensor(createBme280(createI2c(b.i2c, b.scl, b.sda), clock, BME280_ADDR_PRIMARY), STATUS_THP_FAULT, 60000));
  if (KERB_HAS_PM && b.pmSerial) sensors.push(pmsSensor(new Pms(createUart(b.pmSerial, 9600, b.pmRx, b.pmTx), clock), STATUS_PM_FAULT, reportMs));
  if (KERB_HAS_SOUND && b.soundPin) sensors.push(soundSensor(new SoundLevel(createAnalogIn(b.soundPin), SOUND_CAL_FRAC_94, SOUND_READS), STATUS_NOISE_FAULT, 10000));
  // Battery: a resistor divider on an ADC pin goes through the averaging driver; boards whose
  // firmware measures the supply (NRF.getBattery) use the power HAL directly.
  // (A literal 3 = BATT_DIVIDER: esbuild folds define-vs-literal while bundling, so the unused
  // driver is tree-shaken; a comparison with the imported constant would fold only afterwards.)
  if (KERB_BATT === 3 && b.batteryPin) sensors.push(batterySensor(new Battery(createAnalogIn(b.batteryPin), b.adcRefMv || 3300, b.batteryDividerMilli || 1000), 0, reportMs));
  else sensors.push(powerBatterySensor(power, reportMs));

  config.fwVersion = [KERB_FW_MAJOR, KERB_FW_MINOR, KERB_FW_PATCH];
  if (config.lowBatteryMv === undefined) config.lowBatteryMv = b.lowBatteryMv;
  // Wake at least twice per watchdog period so an idle-but-healthy node is never reset.
  config.maxSleepMs = WATCHDOG_S * 500;
  const node = createNode({
    clock: clock, radio: radio, store: createStorageStore(), power: power, sensors: sensors,
    aesFactory: aes,
    log: logLine,
  }, config);
  // §7.2.2: 5 ms after reset before the first SPI access.
  clock.setTimeout(function () {
    if (radio.init() !== 0) print('kerb: radio not found');
    power.allowDeepSleep(true);
    node.start();
  }, 10);
  return node;
}

main();
