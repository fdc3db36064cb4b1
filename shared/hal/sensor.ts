// The sensor boundary as the node application sees it, one narrow interface passed in: every driver
// (BME280, PMS, sound, battery) is wrapped in this one shape, so the node schedules, powers and
// aggregates sensors without knowing what they are, and a fault in one is a status code, never an
// exception.

/** Reading slots. Values are integers in the unit of the matching shared/payload Readings field. */
export const SLOT_PM25 = 0;      // pm25DeciUgm3
export const SLOT_PM10 = 1;      // pm10DeciUgm3
export const SLOT_TEMP = 2;      // tempDeciC
export const SLOT_RH = 3;        // rhHalfPct
export const SLOT_PRESSURE = 4;  // pressureDeciHpa
export const SLOT_NOISE = 5;     // noiseDeciDb
export const SLOT_BATTERY = 6;   // batteryMv
export const SLOT_COUNT = 7;
/** A slot value meaning "not measured" (never a valid reading in any unit). */
export const READING_ABSENT = -2147483648;

/** Sensor status codes (0 = a valid sample was written). */
export const SENSOR_OK = 0;
export const SENSOR_ERR_ABSENT = 1;    // no answer at all (NACK on address, no UART bytes)
export const SENSOR_ERR_BUS = 2;       // bus error mid-transaction (NACK on data, stuck bus)
export const SENSOR_ERR_CHECKSUM = 3;  // frame arrived but its checksum is wrong
export const SENSOR_ERR_STUCK = 4;     // raw values frozen for too many samples
export const SENSOR_ERR_RANGE = 5;     // value outside the part's physical range
export const SENSOR_ERR_TIMEOUT = 6;   // answer did not arrive in time
export const SENSOR_ERR_ID = 7;        // wrong chip id: a different part at that address
export const SENSOR_ERR_HW = 8;        // driver threw: treated like any other fault

export interface Sensor {
  /** Bitmask of (1 << SLOT_*) this sensor writes on SENSOR_OK. */
  slots: number;
  /** Node STATUS_* flag raised while this sensor is failing. */
  faultFlag: number;
  /**
   * Power-on to first valid sample (e.g. a PMS fan needs 30 s). Non-zero means the node powers the
   * sensor only for warm-up + sample and off again; 0 means it is always ready (self-sleeping parts).
   */
  warmupMs: number;
  /** Sampling period the driver suggests; the node may override it per sensor. */
  periodMs: number;
  /** Power the part up or down (fan/heater off); no-op for parts that sleep on their own. */
  power(on: boolean): void;
  /**
   * Take one sample, writing its slots into out. Calls done exactly once with SENSOR_OK or a
   * SENSOR_ERR_* code (synchronously or later through the driver's clock).
   */
  sample(out: Int32Array, done: (status: number) => void): void;
}

/** Sensor.power of parts that sleep on their own: one shared function instead of one per sensor
 * (each function object costs RAM on the device). */
export function noPower(): void {}
