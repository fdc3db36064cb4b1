// Battery voltage through a resistor divider into an ADC pin:
//     V_bat = V_adc · (R_top + R_bottom) / R_bottom,   V_adc = fraction · V_ref
// e.g. a LiPo (4.2 V max) into a 3.3 V-referenced ADC through 100 kΩ / 100 kΩ (ratio 2) reads at
// most 2.1 V, inside the range. High divider values keep the drain small (≈ 21 µA at 4.2 V for
// 200 kΩ) but the ADC's sampling capacitor then needs a 100 nF cap at the pin to read accurately
// (STM32F401 datasheet §6.3.21 R_AIN limit; nRF52832 PS §37 SAADC acquisition time vs source
// resistance). Raw I/O (readRaw) is separate from conversion (batteryMvFrom).
import type { AnalogIn } from '../../../shared/hal/bus.ts';
import type { Sensor } from '../../../shared/hal/sensor.ts';
import { SENSOR_OK, SENSOR_ERR_ABSENT, SLOT_BATTERY, noPower } from '../../../shared/hal/sensor.ts';

/** Below this the divider is open or the cell absent: no cell chemistry kerb supports sits there. */
export const BATTERY_MIN_VALID_MV = 1000;
export const BATTERY_READS = 8;

/** mV from the ADC fraction, the reference in mV and the divider ratio ×1000 (e.g. 2000 for 1:1). */
export function batteryMvFrom(frac: number, vrefMv: number, ratioMilli: number): number {
  return Math.round((frac * vrefMv * ratioMilli) / 1000);
}

export class Battery {
  adc: AnalogIn;
  vrefMv: number;
  ratioMilli: number;

  constructor(adc: AnalogIn, vrefMv: number, ratioMilli: number) {
    this.adc = adc;
    this.vrefMv = vrefMv;
    this.ratioMilli = ratioMilli;
  }

  /** Mean of BATTERY_READS conversions, as a fraction of the reference. */
  readRaw(): number {
    let s = 0;
    for (let i = 0; i < BATTERY_READS; i++) s += this.adc.read();
    return s / BATTERY_READS;
  }

  /** Returns the battery voltage in mV, or -1 when the reading is implausible. */
  readMv(): number {
    const mv = batteryMvFrom(this.readRaw(), this.vrefMv, this.ratioMilli);
    return mv >= BATTERY_MIN_VALID_MV ? mv : -1;
  }
}

/** Node adapter: battery slot in mV. */
export function batterySensor(dev: Battery, faultFlag: number, periodMs: number): Sensor {
  return {
    slots: 1 << SLOT_BATTERY,
    faultFlag: faultFlag,
    warmupMs: 0,
    periodMs: periodMs,
    power: noPower,
    sample: function (out: Int32Array, done: (status: number) => void) {
      const mv = dev.readMv();
      out[SLOT_BATTERY] = mv;
      done(mv < 0 ? SENSOR_ERR_ABSENT : SENSOR_OK);
    },
  };
}
