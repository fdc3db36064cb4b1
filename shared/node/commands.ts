// FPort 10 downlink commands (docs/protocol.md §4). The whole payload is validated before anything
// is applied, so a frame is applied entirely or not at all.
import {
  CMD_SET_INTERVAL, CMD_SET_THRESHOLD, CMD_REQUEST_STATUS, CMD_REBOOT, CMD_SET_HOLDOFF, CMD_REBOOT_GUARD,
  CMD_OK, CMD_ERR_UNKNOWN, CMD_ERR_LENGTH, CMD_ERR_VALUE, MIN_INTERVAL_S, S_INTERVAL, S_HOLDOFF, S_PM25,
  S_PM10, S_NOISE, FX_SETTINGS, FX_STATUS, FX_REBOOT,
} from './constants.ts';
import { KIND_PM25, KIND_PM10, KIND_NOISE } from '../payload/constants.ts';

/** Settings word holding the alert threshold of reading kind k, or -1 when k has none. */
export function thresholdWord(k: number): number {
  return k === KIND_PM25 ? S_PM25 : k === KIND_PM10 ? S_PM10 : k === KIND_NOISE ? S_NOISE : -1;
}

/**
 * Applies the commands in p to s (a copy the caller commits only on CMD_OK). Returns
 * result | effects << 8: result CMD_OK or CMD_ERR_*, effects FX_* bits.
 */
export function applyCommands(p: Uint8Array, s: Uint16Array): number {
  let i = 0;
  let fx = 0;
  if (p.length === 0) return CMD_ERR_LENGTH;
  while (i < p.length) {
    const op = p[i];
    const n = op === CMD_SET_INTERVAL || op === CMD_SET_HOLDOFF ? 3 : op === CMD_SET_THRESHOLD ? 4
      : op === CMD_REQUEST_STATUS ? 1 : op === CMD_REBOOT ? 2 : 0;
    if (n === 0) return CMD_ERR_UNKNOWN;
    if (i + n > p.length) return CMD_ERR_LENGTH;
    const v = p[i + n - 2] | (p[i + n - 1] << 8);
    if (op === CMD_SET_INTERVAL) {
      if (v < MIN_INTERVAL_S) return CMD_ERR_VALUE;
      s[S_INTERVAL] = v;
      fx |= FX_SETTINGS;
    } else if (op === CMD_SET_HOLDOFF) {
      s[S_HOLDOFF] = v;
      fx |= FX_SETTINGS;
    } else if (op === CMD_SET_THRESHOLD) {
      const w = thresholdWord(p[i + 1]);
      if (w < 0) return CMD_ERR_VALUE;
      s[w] = v;
      fx |= FX_SETTINGS;
    } else if (op === CMD_REQUEST_STATUS) {
      fx |= FX_STATUS;
    } else {
      if (p[i + 1] !== CMD_REBOOT_GUARD) return CMD_ERR_VALUE;
      fx |= FX_REBOOT;
    }
    i += n;
  }
  return CMD_OK | (fx << 8);
}
