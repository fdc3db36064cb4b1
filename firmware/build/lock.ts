// The console lock of a field build. `kerb flash` puts a few statements in front of the bundle in
// Storage `.bootcde` (never into the bundle in dist/, which may be committed or published), so they
// run first at every boot:
//   E.setPassword(pw); E.lockConsole();   every board (espruino.com/Reference#l_E_setPassword,
//                                         #l_E_lockConsole): console input is taken as a password
//                                         attempt until the right one is typed; Ctrl-C is ignored
//   NRF.setServices(undefined,{uart:false})  boards with Bluetooth (Puck.js): no Nordic UART service,
//                                         so no console over BLE at all (espruino.com/Reference#l_NRF_setServices)
// Espruino's console takes at most 20 characters as a password (src/jsinteractive.c: the password
// input line stops growing at 20), so the password is 20 characters from an alphabet without
// look-alikes (no 0/O, 1/l/I, i/o): 20 × log2(55) ≈ 115 bits from the OS CSPRNG.
import { randomInt } from 'node:crypto';

export const PASSWORD_ALPHABET = '23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ';
export const PASSWORD_LENGTH = 20;
const PASSWORD_RE = /^[23456789a-hjkmnp-zA-HJ-NP-Z]{20}$/;

/** Boards whose Espruino build has Bluetooth LE with the Nordic UART console. */
export const BLE_BOARDS = new Set(['puck']);

export function newConsolePassword(): string {
  let s = '';
  for (let i = 0; i < PASSWORD_LENGTH; i++) s += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return s;
}

export function isConsolePassword(s: unknown): s is string {
  return typeof s === 'string' && PASSWORD_RE.test(s);
}

/** The statements that lock the console, for the front of `.bootcde` (one line, ends in a newline). */
export function lockPrefix(board: string, password: string): string {
  if (!isConsolePassword(password)) throw new Error(`console password must be ${PASSWORD_LENGTH} characters of ${PASSWORD_ALPHABET}`);
  const ble = BLE_BOARDS.has(board) ? 'NRF.setServices(undefined,{uart:false});' : '';
  return `E.setPassword("${password}");E.lockConsole();${ble}\n`;
}
