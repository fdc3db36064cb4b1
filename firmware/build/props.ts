// Property names the bundles may shorten (esbuild `mangleProps`). Property names are not touched by
// identifier minification, and on Espruino they cost twice: bytes in the image at every use, and
// JsVars in RAM for every object that carries them (a name of 8 or more characters takes one more
// variable, docs/firmware.md "Heap on the real interpreter"). Only names that live entirely inside
// one bundle are listed: never a name the interpreter defines (`write`, `read`, `reboot`,
// `kickWatchdog`, `erase`, `setup`, `send`, `length` …), never a field of a JSON file the device
// reads (kerb.cfg: `devAddr`, `nwkSKey`, `intervalS`, `pm25AlertDeciUgm3`, `resetCause` …;
// kerb.brg: `freqHz`, `sf`, `bwHz`, `cr`), never a Readings field (the payload codec reaches those
// through a table of strings). test/firmware/build/props.test.ts checks the list against the
// Espruino typings and the config fields.
/** kerb.cfg fields used all over the image (session keys, DevAddr): shortened all the same, because
 * firmware/src/config.ts reads them by their quoted JSON names and copies them over. */
export const CONFIG_COPIED: readonly string[] = ['devAddr', 'nwkSKey', 'appSKey'];

export const MANGLE_PROPS: readonly string[] = [
  // shared/lorawan DataFrame, Aes, DutyCycle
  'mtype', 'adr', 'adrAckReq', 'ack', 'fpending', 'fcnt', 'fopts', 'fport', 'payload', 'mic',
  'encryptBlock', 'subBand', 'nextFreeMs', 'record', 'dutyCycle',
  // shared/hal: Clock, Power, Radio, Sensor, buses
  'setTimeout', 'clearTimeout', 'allowDeepSleep', 'powerDbm', 'invertIq', 'transmit', 'receive',
  'listen', 'stopListen', 'rssiDbm', 'snrDb', 'slots', 'faultFlag', 'warmupMs', 'periodMs', 'sample',
  'onData',
  // shared/payload status frame and alert arguments
  'fwMajor', 'fwMinor', 'fwPatch', 'uptimeS', 'reportIntervalS', 'bootCount', 'rising', 'threshold',
  // shared/node deps, firmware/src radio options and the BME280 driver's fields
  'aesFactory', 'sensors', 'pollMs', 'irq', 'tempCentiC', 'pressurePa', 'rhQ10', 'measure', 'reading',
  // kerb.cfg fields that firmware/src/config.ts reads by quoted name and copies to the short one
  ...CONFIG_COPIED,
];

export function mangleRegExp(names: readonly string[] = MANGLE_PROPS): RegExp {
  return new RegExp(`^(?:${names.join('|')})$`);
}
