// Sensor-node constants (leaf file of plain `export const`, so esbuild inlines them). Behaviour: docs/node.md;
// downlink command encoding: docs/protocol.md §4.

/** Store record names (Espruino Storage names ≤ 28 chars). Two counter copies, written alternately. */
export const REC_FCNT_A = 'kerb.fa';
export const REC_FCNT_B = 'kerb.fb';
export const REC_SETTINGS = 'kerb.st';
export const REC_DOWN = 'kerb.dn';

/**
 * Settings words (a Uint16Array in RAM; record REC_SETTINGS = SETTINGS_VERSION then these words).
 * Thresholds are in Readings units (µg/m³ × 10, dB × 10); 0 = alert off.
 */
export const S_INTERVAL = 0;
export const S_PM25 = 1;
export const S_PM10 = 2;
export const S_NOISE = 3;
export const S_HOLDOFF = 4;
export const S_COUNT = 5;
export const SETTINGS_VERSION = 1;

/** Counter record words: reserved counter (low, high 16 bits), boot count. */
export const C_WORDS = 3;

/** Statistics words (NodeInfo). */
export const ST_UPLINKS = 0;
export const ST_DOWNLINKS = 1;
export const ST_SAMPLES = 2;
export const ST_SAMPLE_FAULTS = 3;
export const ST_STORE_WRITES = 4;
export const ST_DROPPED = 5;
export const ST_COUNT = 6;

/** SensorNode.info() entries. */
export const I_FCNT = 0;        // next uplink frame counter
export const I_RESERVED = 1;    // counters below this are reserved in flash
export const I_DOWN = 2;        // last accepted downlink counter, -1 for none
export const I_BOOT = 3;        // boot count
export const I_INTERVAL_MS = 4; // effective reporting interval (low-battery stretch included)
export const I_LOW = 5;         // 1 in low-battery mode
export const I_CMD = 6;         // result of the last command frame (CMD_*)
export const I_SETTINGS = 7;    // Uint16Array of S_COUNT settings words
export const I_STATS = 8;       // Uint32Array of ST_COUNT statistics words

/** applyCommands() effect bits, returned above the result code (result | fx << 8). */
export const FX_SETTINGS = 1;
export const FX_STATUS = 2;
export const FX_REBOOT = 4;

/** FPort carrying downlink commands. */
export const FPORT_COMMAND = 10;

/** Downlink commands (docs/protocol.md §4). */
export const CMD_SET_INTERVAL = 0x01;   // u16 LE seconds
export const CMD_SET_THRESHOLD = 0x02;  // u8 kind (KIND_PM25/PM10/NOISE), u16 LE value (0 = off)
export const CMD_REQUEST_STATUS = 0x03;
export const CMD_REBOOT = 0x04;         // u8 0xB0 guard byte
export const CMD_SET_HOLDOFF = 0x05;    // u16 LE seconds between alert frames
export const CMD_REBOOT_GUARD = 0xb0;

/** Command results (status frame flag STATUS_CMD_REJECTED is raised on anything but CMD_OK). */
export const CMD_OK = 0;
export const CMD_ERR_UNKNOWN = 1;
export const CMD_ERR_LENGTH = 2;
export const CMD_ERR_VALUE = 3;

/** Interval bounds for CMD_SET_INTERVAL: below 10 s the 1 % duty cycle cannot keep up at SF12. */
export const MIN_INTERVAL_S = 10;
export const MAX_INTERVAL_S = 65535;

/**
 * Status flag for a rejected downlink command. The next free bit after shared/payload's STATUS_*
 * (which end at 0x200); it travels in the readings' LEB128 status and the status frame's u16.
 */
export const STATUS_CMD_REJECTED = 0x400;

/** LoRaWAN 1.0.4 §3.3 / RP002-1.0.3 §2.1.7 (EU868): class A receive windows. */
export const RX1_DELAY_MS = 1000;
export const RX2_DELAY_MS = 2000;
export const RX2_FREQ_HZ = 869525000;
export const RX2_SF = 12;
export const LORA_BW_HZ = 125000;
export const LORA_CR = 1;              // 4/5
export const LORA_PREAMBLE = 8;
/** Receive window: 12 symbols (enough to lock an 8-symbol preamble) plus timing slack. */
export const RX_WINDOW_SYMBOLS = 12;
export const RX_WINDOW_SLACK_MS = 20;

/** Sensors are sampled this long before the report they feed, so the read completes in time. */
export const SAMPLE_LEAD_MS = 2000;
/** Leave low-battery mode only this far above the threshold (hysteresis). */
export const LOW_BATTERY_HYST_MV = 100;

// Defaults (overridden by NodeConfig, and by settings persisted from downlinks).
export const DEFAULT_INTERVAL_S = 300;
export const DEFAULT_SF = 9;
export const DEFAULT_TX_POWER_DBM = 14;
export const DEFAULT_HOLDOFF_S = 900;
export const DEFAULT_LOW_BATTERY_MV = 3300;
export const DEFAULT_LOW_BATTERY_FACTOR = 4;
/** Frame counters reserved per flash write (docs/node.md: the 10-year wear arithmetic). */
export const DEFAULT_COUNTER_BLOCK = 1024;
