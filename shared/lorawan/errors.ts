// Human-readable names for the ERR_* status codes of constants.ts (gateway logs, `kerb decode`).
// A switch rather than a table so the device bundle can drop it when unused.
import {
  ERR_TOO_SHORT, ERR_TOO_LONG, ERR_NOT_DATA_FRAME, ERR_MAJOR_VERSION, ERR_MHDR_RFU, ERR_FOPTS_OVERRUN,
  ERR_FOPTS_WITH_PORT0, ERR_MIC, ERR_FCNT_MISMATCH, ERR_FCNT_EXHAUSTED, ERR_NOT_JOIN_REQUEST, ERR_NOT_JOIN_ACCEPT,
  ERR_JOIN_LENGTH,
} from './constants.ts';

export function errorName(code: number): string {
  switch (code) {
    case ERR_TOO_SHORT: return 'frame too short';
    case ERR_TOO_LONG: return 'frame too long (over 255 bytes)';
    case ERR_NOT_DATA_FRAME: return 'not a data frame (MType is not 2..5)';
    case ERR_MAJOR_VERSION: return 'unsupported major version (not LoRaWAN R1)';
    case ERR_MHDR_RFU: return 'MHDR RFU bits set';
    case ERR_FOPTS_OVERRUN: return 'FOpts length runs past the end of the frame';
    case ERR_FOPTS_WITH_PORT0: return 'FOpts present with FPort 0';
    case ERR_MIC: return 'MIC mismatch (wrong keys or corrupted frame)';
    case ERR_FCNT_MISMATCH: return '32-bit FCnt does not match the 16 bits on air';
    case ERR_FCNT_EXHAUSTED: return 'frame counter exhausted (beyond 2^32 - 1)';
    case ERR_NOT_JOIN_REQUEST: return 'not a Join-request (MType is not 0)';
    case ERR_NOT_JOIN_ACCEPT: return 'not a Join-accept (MType is not 1)';
    case ERR_JOIN_LENGTH: return 'join frame of the wrong length (Join-request 23 bytes, Join-accept 17 or 33)';
    default: return 'error ' + code;
  }
}
