// LoRaWAN 1.0.x (ITU-T Y.4480) constants as kerb uses them. Leaf file of plain `export const` so
// esbuild inlines them into the device bundle (no enums, which it cannot inline). Section numbers:
// LoRaWAN 1.0.4 spec.

// §4.2.1 MHDR.MType (bits 7..5)
export const MTYPE_JOIN_REQUEST = 0;
export const MTYPE_JOIN_ACCEPT = 1;
export const MTYPE_UNCONFIRMED_UP = 2;
export const MTYPE_UNCONFIRMED_DOWN = 3;
export const MTYPE_CONFIRMED_UP = 4;
export const MTYPE_CONFIRMED_DOWN = 5;
export const MTYPE_PROPRIETARY = 7;
// §4.2.2 MHDR.Major (bits 1..0): only LoRaWAN R1 exists; bits 4..2 are RFU and must be 0.
export const MAJOR_LORAWAN_R1 = 0;

// Dir byte of the B0 and A_i blocks (§4.3.3.1, §4.4): uplink 0, downlink 1. For data frames it is
// also MType & 1.
export const DIR_UP = 0;
export const DIR_DOWN = 1;

// §4.3.1 FCtrl. On uplinks bit 4 is ClassB (RFU before 1.0.2); on downlinks it is FPending, and
// bit 6 (ADRACKReq on uplinks) is RFU.
export const FCTRL_ADR = 0x80;
export const FCTRL_ADR_ACK_REQ = 0x40;
export const FCTRL_ACK = 0x20;
export const FCTRL_FPENDING = 0x10;
export const FCTRL_FOPTS_LEN = 0x0f;

// MHDR(1) + DevAddr(4) + FCtrl(1) + FCnt(2) + MIC(4): a data frame with no FOpts and no FPort.
export const FRAME_MIN_LEN = 12;
// The LoRa PHY length field is one byte (SX127x RegPayloadLength), so nothing longer is on air.
export const FRAME_MAX_LEN = 255;
export const FPORT_MAC = 0;
export const MIC_LEN = 4;

// Status codes (never thrown). errors.ts turns them into text.
export const ERR_TOO_SHORT = 1;        // fewer than FRAME_MIN_LEN bytes
export const ERR_TOO_LONG = 2;         // more than FRAME_MAX_LEN bytes
export const ERR_NOT_DATA_FRAME = 3;   // MType is join/proprietary/rejoin, not 2..5
export const ERR_MAJOR_VERSION = 4;    // Major != LoRaWAN R1
export const ERR_MHDR_RFU = 5;         // RFU bits 4..2 of MHDR set
export const ERR_FOPTS_OVERRUN = 6;    // FOptsLen runs into the MIC
export const ERR_FOPTS_WITH_PORT0 = 7; // §4.3.1.6: MAC commands in both FOpts and FPort 0 payload
export const ERR_MIC = 8;              // MIC mismatch: wrong keys, wrong FCnt32 or corrupted frame
export const ERR_FCNT_MISMATCH = 9;    // the 32-bit FCnt given does not end in the 16 bits on air
export const ERR_FCNT_EXHAUSTED = 10;  // no 32-bit FCnt above the last one: session must be re-keyed
export const ERR_NOT_JOIN_REQUEST = 11; // MType is not 0 (Join-request)
export const ERR_NOT_JOIN_ACCEPT = 12;  // MType is not 1 (Join-accept)
export const ERR_JOIN_LENGTH = 13;      // Join-request not 23 bytes, Join-accept not 17 or 33 (§6.2.5, §6.2.6)
