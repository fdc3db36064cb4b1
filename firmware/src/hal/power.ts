// Power over E/NRF/analogRead per board profile. Watchdog: E.enableWatchdog(s, false) means only
// E.kickWatchdog() resets it (isAuto=false), so a stuck main loop reboots the board.
import type { Power } from '../../../shared/hal/power.ts';
import type { Sensor } from '../../../shared/hal/sensor.ts';
import { SENSOR_OK, SENSOR_ERR_ABSENT, SLOT_BATTERY, noPower } from '../../../shared/hal/sensor.ts';
import { BATTERY_MIN_VALID_MV } from '../drivers/battery.ts';
import type { EspruinoE, EspruinoNRF, EspruinoPin } from '../espruino.ts';
import { BATT_DIVIDER, BATT_E_PERCENT, BATT_NRF_VOLTS, SLEEP_STM32, type BoardProfile } from '../boards/types.ts';

declare const E: EspruinoE;
declare const NRF: EspruinoNRF;
declare function analogRead(pin: EspruinoPin): number;
declare function setDeepSleep(on: number): void;

/** Li-ion/alkaline span used to map E.getBattery()'s percent back to millivolts. */
const PCT_EMPTY_MV = 2000;
const PCT_FULL_MV = 3000;

/** Build-time battery method (folds the other branches away); Node tests use the profile's. */
declare const KERB_BATT: number;

export function createEspruinoPower(b: BoardProfile, watchdogS: number): Power {
  E.enableWatchdog(watchdogS, false);
  // The profile's few fields this needs, then the profile let go: the closures below would keep it
  // (and every pin and port object it names) alive for as long as the node runs.
  // (A literal 3 = BATT_DIVIDER, so a build for another method folds the divider's fields away.)
  const battery = typeof KERB_BATT !== 'undefined' ? 0 : b.battery;
  const div = (typeof KERB_BATT === 'undefined' || KERB_BATT === 3) && b.batteryPin
    ? { pin: b.batteryPin, ref: b.adcRefMv || 3300, milli: b.batteryDividerMilli || 1000 } : null;
  const stm32 = b.sleep === SLEEP_STM32;
  b = null as unknown as BoardProfile;
  return {
    batteryMv: function () {
      const kind = typeof KERB_BATT !== 'undefined' ? KERB_BATT : battery;
      if (kind === BATT_NRF_VOLTS) return Math.round(NRF.getBattery() * 1000);
      if (kind === BATT_E_PERCENT) return Math.round(PCT_EMPTY_MV + (PCT_FULL_MV - PCT_EMPTY_MV) * E.getBattery() / 100);
      if (kind === BATT_DIVIDER && div) return Math.round(analogRead(div.pin) * div.ref * div.milli / 1000);
      return -1;
    },
    allowDeepSleep: function (on: boolean) {
      // nRF52 sleeps by itself between events; ESP32's deepSleep resets the chip, so only STM32
      // boards have a switch.
      if (stm32) setDeepSleep(on ? 1 : 0);
    },
    kickWatchdog: function () { E.kickWatchdog(); },
    reboot: function () { E.reboot(); },
  };
}

/**
 * Battery slot for boards whose firmware measures the supply itself (NRF.getBattery on nRF52,
 * E.getBattery on Puck/Pixl): no ADC averaging needed, so the divider driver (drivers/battery.ts)
 * stays out of those bundles. Same plausibility floor as that driver.
 */
export function powerBatterySensor(power: Power, periodMs: number): Sensor {
  return {
    slots: 1 << SLOT_BATTERY,
    faultFlag: 0,
    warmupMs: 0,
    periodMs: periodMs,
    power: noPower,
    sample: function (out: Int32Array, done: (status: number) => void) {
      const mv = power.batteryMv();
      out[SLOT_BATTERY] = mv;
      done(mv < BATTERY_MIN_VALID_MV ? SENSOR_ERR_ABSENT : SENSOR_OK);
    },
  };
}
