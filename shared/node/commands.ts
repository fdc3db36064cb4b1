// FPort 10 downlink commands (docs/protocol.md §4). The whole payload is validated before anything
// is applied, so a frame is applied entirely or not at all.
import {
  CMD_SET_INTERVAL, CMD_SET_THRESHOLD, CMD_REQUEST_STATUS, CMD_REBOOT, CMD_SET_HOLDOFF, CMD_REBOOT_GUARD,
  CMD_OK, CMD_ERR_UNKNOWN, CMD_ERR_LENGTH, CMD_ERR_VALUE, MIN_INTERVAL_S, MAX_INTERVAL_S,
} from './constants.ts';
import { KIND_PM25, KIND_PM10, KIND_NOISE } from '../payload/constants.ts';
import type { NodeSettings } from './persist.ts';

/** What a command frame asks for besides settings. */
export interface CommandEffects {
  settingsChanged: boolean;
  statusRequested: boolean;
  reboot: boolean;
}

/** Length of the command at p[i] including its opcode, or -1 for an unknown opcode. */
function cmdLen(op: number): number {
  if (op === CMD_SET_INTERVAL || op === CMD_SET_HOLDOFF) return 3;
  if (op === CMD_SET_THRESHOLD) return 4;
  if (op === CMD_REQUEST_STATUS) return 1;
  if (op === CMD_REBOOT) return 2;
  return -1;
}

/**
 * Applies the commands in p to s (a copy the caller commits on CMD_OK) and fx.
 * Returns CMD_OK or CMD_ERR_*; on error s and fx may be partly changed and must be discarded.
 */
export function applyCommands(p: Uint8Array, s: NodeSettings, fx: CommandEffects): number {
  let i = 0;
  if (p.length === 0) return CMD_ERR_LENGTH;
  while (i < p.length) {
    const op = p[i];
    const n = cmdLen(op);
    if (n < 0) return CMD_ERR_UNKNOWN;
    if (i + n > p.length) return CMD_ERR_LENGTH;
    const v16 = n >= 3 ? p[i + n - 2] | (p[i + n - 1] << 8) : 0;
    if (op === CMD_SET_INTERVAL) {
      if (v16 < MIN_INTERVAL_S || v16 > MAX_INTERVAL_S) return CMD_ERR_VALUE;
      s.intervalS = v16;
      fx.settingsChanged = true;
    } else if (op === CMD_SET_HOLDOFF) {
      s.alertHoldoffS = v16;
      fx.settingsChanged = true;
    } else if (op === CMD_SET_THRESHOLD) {
      const kind = p[i + 1];
      if (kind === KIND_PM25) s.pm25AlertDeciUgm3 = v16;
      else if (kind === KIND_PM10) s.pm10AlertDeciUgm3 = v16;
      else if (kind === KIND_NOISE) s.noiseAlertDeciDb = v16;
      else return CMD_ERR_VALUE;
      fx.settingsChanged = true;
    } else if (op === CMD_REQUEST_STATUS) {
      fx.statusRequested = true;
    } else {
      if (p[i + 1] !== CMD_REBOOT_GUARD) return CMD_ERR_VALUE;
      fx.reboot = true;
    }
    i += n;
  }
  return CMD_OK;
}
