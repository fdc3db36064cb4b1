// SX1276/77/78/79 LoRa-mode register map and bit fields (Semtech SX1276/77/78/79 datasheet
// rev. 7, §6.4 "LoRa Mode Register Map", Table 41). Leaf file of plain constants, so esbuild inlines them.

export const REG_FIFO = 0x00;
export const REG_OP_MODE = 0x01;
export const REG_FRF_MSB = 0x06;
export const REG_FRF_MID = 0x07;
export const REG_FRF_LSB = 0x08;
export const REG_PA_CONFIG = 0x09;
export const REG_OCP = 0x0b;
export const REG_LNA = 0x0c;
export const REG_FIFO_ADDR_PTR = 0x0d;
export const REG_FIFO_TX_BASE = 0x0e;
export const REG_FIFO_RX_BASE = 0x0f;
export const REG_FIFO_RX_CURRENT = 0x10;
export const REG_IRQ_FLAGS_MASK = 0x11;
export const REG_IRQ_FLAGS = 0x12;
export const REG_RX_NB_BYTES = 0x13;
export const REG_PKT_SNR = 0x19;
export const REG_PKT_RSSI = 0x1a;
export const REG_RSSI = 0x1b;
export const REG_MODEM_CONFIG1 = 0x1d;
export const REG_MODEM_CONFIG2 = 0x1e;
export const REG_SYMB_TIMEOUT_LSB = 0x1f;
export const REG_PREAMBLE_MSB = 0x20;
export const REG_PREAMBLE_LSB = 0x21;
export const REG_PAYLOAD_LENGTH = 0x22;
export const REG_MAX_PAYLOAD_LENGTH = 0x23;
export const REG_MODEM_CONFIG3 = 0x26;
export const REG_DETECT_OPTIMIZE = 0x31;
export const REG_INVERT_IQ = 0x33;
export const REG_DETECTION_THRESHOLD = 0x37;
export const REG_SYNC_WORD = 0x39;
export const REG_INVERT_IQ2 = 0x3b;
export const REG_DIO_MAPPING1 = 0x40;
export const REG_VERSION = 0x42;
export const REG_PA_DAC = 0x4d;

/** RegVersion of SX1276/77/78/79 silicon. */
export const SX127X_VERSION = 0x12;

// RegOpMode (§6.4, Table 41): bit 7 LongRangeMode (only writable in SLEEP), bits 2..0 Mode.
export const OPMODE_LORA = 0x80;
export const MODE_SLEEP = 0;
export const MODE_STDBY = 1;
export const MODE_FSTX = 2;
export const MODE_TX = 3;
export const MODE_FSRX = 4;
export const MODE_RX_CONTINUOUS = 5;
export const MODE_RX_SINGLE = 6;
export const MODE_CAD = 7;

// RegIrqFlags: write 1 to clear (§6.4).
export const IRQ_RX_TIMEOUT = 0x80;
export const IRQ_RX_DONE = 0x40;
export const IRQ_PAYLOAD_CRC_ERROR = 0x20;
export const IRQ_VALID_HEADER = 0x10;
export const IRQ_TX_DONE = 0x08;

// RegDioMapping1 bits 7..6 select DIO0 (§4.1.6 Table 18 / Table 63): 00 RxDone, 01 TxDone.
export const DIO0_RX_DONE = 0x00;
export const DIO0_TX_DONE = 0x40;

/** LoRaWAN public-network sync word (0x34); private networks use 0x12. */
export const SYNC_WORD_LORAWAN = 0x34;

/** Fstep = FXOSC / 2^19 = 32 MHz / 524288 ≈ 61.035 Hz (§4.1.4, RegFrf). */
export const FXOSC_HZ = 32000000;
export const FRF_DIVISOR = 524288;

/** RSSI offset for the high-frequency port (862–1020 MHz): RSSI = −157 + PacketRssi (§5.5.5). */
export const RSSI_OFFSET_HF = -157;
/** Low-frequency port (≤ 525 MHz): −164. */
export const RSSI_OFFSET_LF = -164;
