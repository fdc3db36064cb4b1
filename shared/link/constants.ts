// Serial link constants (leaf file of plain `export const`, so esbuild inlines them). Layout:
// docs/protocol.md §3.

/** Link protocol version, carried in every Status message. */
export const LINK_PROTO_VERSION = 1;

/** Message types (first byte of the decoded frame). */
export const LINK_RX = 0x01;         // RxPacket, radio → gateway
export const LINK_TX = 0x02;         // TxRequest, gateway → radio
export const LINK_TX_RESULT = 0x03;  // TxResult, radio → gateway
export const LINK_STATUS = 0x04;     // Status heartbeat, radio → gateway

/** Frame delimiter. COBS guarantees it never appears inside a frame. */
export const LINK_DELIM = 0x00;
/** Largest LoRa payload (SX127x FIFO / RegPayloadLength). */
export const LINK_MAX_PAYLOAD = 255;
/** Decoded frame = type(1) seq(1) header(≤ 20) payload(≤ 255) crc(2) = 279 bytes at most. */
export const LINK_MAX_RAW = 279;
/** Largest encoded frame between delimiters: COBS adds one byte per 254 (279 + 2), rounded up. */
export const LINK_MAX_FRAME = 288;

/** Fixed header sizes (after type and seq, before the payload/CRC). */
export const LINK_RX_HDR = 17;
export const LINK_TX_HDR = 20;
export const LINK_TX_RESULT_LEN = 9;
export const LINK_STATUS_LEN = 25;

/** TxResult.status values. */
export const LINK_TX_OK = 0;
export const LINK_TX_TOO_LATE = 1;     // atUs already passed when the request arrived
export const LINK_TX_TOO_EARLY = 2;    // atUs too far ahead for the radio's scheduler
export const LINK_TX_BUSY = 3;         // another transmission is scheduled/in progress
export const LINK_TX_HW = 4;           // radio hardware error
export const LINK_TX_INVALID = 5;      // parameters out of range
export const LINK_TX_DUTY_CYCLE = 6;   // refused by the regulatory duty-cycle limit

/** Deframer error codes passed to onError (range 60..79; the other shared codecs use lower ranges). */
export const LINK_ERR_OVERSIZE = 60;   // no delimiter within LINK_MAX_FRAME bytes; frame dropped
export const LINK_ERR_COBS = 61;       // COBS code byte points past the end of the frame
export const LINK_ERR_SHORT = 62;      // decoded frame shorter than type + seq + crc
export const LINK_ERR_CRC = 63;        // CRC-16 mismatch
export const LINK_ERR_TYPE = 64;       // unknown message type
export const LINK_ERR_LENGTH = 65;     // body length wrong for the message type
