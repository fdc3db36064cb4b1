// kerb payload constants (leaf file, plain `export const` so esbuild inlines them).
// Layouts: docs/protocol.md §2.

/** LoRaWAN FPorts used by kerb nodes (docs/architecture.md). */
export const FPORT_READINGS = 1;
export const FPORT_STATUS = 2;
export const FPORT_ALERT = 3;

/** Readings frame format version carried in the top 3 bits of byte 0. 0 is never valid. */
export const KERB_VERSION = 1;

/**
 * Reading kinds in on-air order. The order is part of the format: new kinds are only ever appended
 * (in extension groups), so an old decoder always finds the kinds it knows before the ones it does not.
 */
export const KIND_PM25 = 0;
export const KIND_PM10 = 1;
export const KIND_TEMP = 2;
export const KIND_RH = 3;
export const KIND_PRESSURE = 4;
export const KIND_NOISE = 5;
export const KIND_BATTERY = 6;
export const KIND_COUNT = 7;

/** Node status flags (Readings.status, status frame). Bit 7 of each on-air byte is a continuation bit,
 * so flags are numbered 0..6 in the first byte, 7..13 in the second (LEB128-style, docs §2.1). */
export const STATUS_PM_FAULT = 0x01;       // particulate sensor absent / checksum / timeout
export const STATUS_THP_FAULT = 0x02;      // temperature/humidity/pressure sensor (BME280) fault
export const STATUS_NOISE_FAULT = 0x04;    // sound-level input fault
export const STATUS_BATTERY_LOW = 0x08;    // low-battery mode active (interval stretched)
export const STATUS_CLAMPED = 0x10;        // at least one value was outside its field range and saturated
export const STATUS_REBOOTED = 0x20;       // first frame since boot
export const STATUS_PM_WARMUP = 0x40;      // PM reading taken before the fan warm-up completed
export const STATUS_SETTINGS_DEFAULT = 0x80; // stored settings unreadable, defaults in use
export const STATUS_RADIO_FAULT = 0x100;   // radio reported a hardware error since last frame
export const STATUS_STORE_FAULT = 0x200;   // flash write failed since last frame
/** Highest flag value the encoder carries: 4 groups of 7 bits. */
export const STATUS_MAX = 0x0fffffff;

/** Reset causes in the status frame (FPort 2). */
export const RESET_UNKNOWN = 0;
export const RESET_POWER_ON = 1;
export const RESET_WATCHDOG = 2;
export const RESET_SOFTWARE = 3;     // reboot requested (downlink command) or firmware update
export const RESET_BROWN_OUT = 4;
export const RESET_ERROR = 5;        // uncaught error / out of memory (E.on('errorFlag'))
export const RESET_PIN = 6;          // reset button / external pin

/** Status frame format version (byte 0 of FPort 2). */
export const STATUS_FRAME_VERSION = 1;
export const STATUS_FRAME_LEN = 17;
/** Alert frame format version (byte 0 of FPort 3). */
export const ALERT_FRAME_VERSION = 1;
export const ALERT_FRAME_LEN = 7;
export const ALERT_RISING = 0x01;

/** Error codes returned (never thrown) by the payload decoders. Range 40..59 (lorawan uses low numbers). */
export const PAYLOAD_ERR_TRUNCATED = 40;
export const PAYLOAD_ERR_VERSION = 41;
export const PAYLOAD_ERR_TRAILING = 42;
export const PAYLOAD_ERR_EMPTY = 43;
export const PAYLOAD_ERR_STATUS = 44;     // status flags longer than 4 groups
export const PAYLOAD_ERR_LENGTH = 45;     // fixed-length frame has the wrong length
export const PAYLOAD_ERR_VALUE = 46;      // field holds a value the format forbids
export const LPP_ERR_TRUNCATED = 50;
export const LPP_ERR_TYPE = 51;           // unknown LPP type: its length is unknown, so decoding stops
