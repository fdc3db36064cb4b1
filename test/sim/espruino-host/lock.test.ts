// The locked field image on the REAL Espruino interpreter (host build): the exact `kerb flash`
// output booted from Storage, with the console on the interpreter's stdin/stdout as on a board's
// USB or serial port. What it proves: after boot, JavaScript typed on the console is not run (no
// output of the expression, Storage stays unread), a wrong password keeps it shut, the password
// kerb flash generated opens it; on a Puck.js image the Bluetooth UART is switched off
// (NRF.setServices recorded by the stand-in). What it cannot prove: the Linux build has no
// Bluetooth, so that the Puck's radio really stops offering the console rests on the Espruino
// reference (NRF.setServices, uart:false) and is not exercised here.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { findInterpreter, BOARD_VARS, type Interpreter } from '../../../sim/espruino-host/interpreter.ts';
import { EspruinoDevice } from '../../../sim/espruino-host/device.ts';
import { buildPrelude } from '../../../sim/espruino-host/prelude.ts';
import { kerbFlashImage, provision, type FlashImage } from '../../../sim/espruino-host/provision.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const REGISTRY = JSON.stringify({ devices: [{ id: 'lamp-0001', devAddr: '26011BDA', nwkSKey: '2B7E151628AED2A6ABF7158809CF4F3C', appSKey: '000102030405060708090A0B0C0D0E0F' }] });
const SETTINGS = { intervalS: 5, sf: 7, firstReportMs: 3000 };

const pico = findInterpreter(BOARD_VARS.pico!);
const puck = findInterpreter(BOARD_VARS.puck!);
const missing = typeof pico === 'string' ? pico : typeof puck === 'string' ? puck : null;
if (missing && !process.env.CI) console.warn(`test/sim/espruino-host: skipped, ${missing}`);

/** Types a line on the console and waits until the interpreter has dealt with it. */
async function type(dev: EspruinoDevice, line: string): Promise<string> {
  const from = dev.bootConsole.length;
  dev.consoleWrite(`${line}\r`);
  // Either a refusal, a login, or the result of an expression, each followed by a prompt.
  await dev.waitFor(() => /(password>|\n>|Logged in\.[^]*>)\s*$/.test(dev.bootConsole.slice(from)), 60000, `the console to answer '${line.slice(0, 30)}'`);
  return dev.bootConsole.slice(from);
}

describe.skipIf(missing !== null && !process.env.CI)('locked kerb flash image on the real Espruino interpreter', () => {
  let dev: EspruinoDevice;
  let img: FlashImage;

  beforeAll(async () => {
    if (missing) throw new Error(`CI needs the Espruino host build: ${missing}`);
    dev = new EspruinoDevice(pico as Interpreter);
    img = await kerbFlashImage({ root, board: 'pico', entry: 'node', deviceId: 'lamp-0001', registryText: REGISTRY, settings: SETTINGS });
    await provision(dev, buildPrelude('pico', 'node', dev.chanPath), img.upload);
  }, 180000);

  afterAll(async () => {
    await dev?.dispose();
  });

  it('refuses typed JavaScript, keeps shut on a wrong password, opens with the right one', async () => {
    expect(img.password).toMatch(/^[2-9a-zA-Z]{20}$/);
    await dev.powerOn();
    // The node runs: it has booted from Storage past the lock.
    await dev.waitFor(() => dev.txs.length >= 1, 60000, 'an uplink');

    const expr = await type(dev, 'print("K"+"OPEN"+(6*7))');
    expect(expr).toContain('Invalid password');
    expect(expr).not.toContain('KOPEN42');
    const read = await type(dev, 'print(require("Storage").read("kerb.cfg"))');
    expect(read).toContain('Invalid password');
    expect(read).not.toContain('devAddr');
    // Ctrl-C does not break out either (src/jsinteractive.c jsiCtrlC).
    dev.consoleWrite('\x03');
    const wrong = await type(dev, img.password!.slice(0, 19) + (img.password!.endsWith('x') ? 'y' : 'x'));
    expect(wrong).toContain('Invalid password');
    expect(wrong).not.toContain('Logged in');
    const still = await type(dev, 'print(require("Storage").read("kerb.cfg"))');
    expect(still).not.toContain('devAddr');

    const login = await type(dev, img.password!);
    expect(login).toContain('Logged in.');
    const cfg = await type(dev, 'print(require("Storage").read("kerb.cfg"))');
    expect(cfg).toContain('"devAddrHex":"26011BDA"');
    // Lock again, as a maintainer leaves it.
    await type(dev, 'E.lockConsole()');
    const after = await type(dev, 'print("K"+"OPEN"+(6*7))');
    expect(after).not.toContain('KOPEN42');
    expect(dev.txs.length).toBeGreaterThanOrEqual(1);
  }, 180000);

  it('an --unlocked image leaves the console open', async () => {
    await dev.powerOff();
    // A fresh board: the locked one would take this upload as password attempts.
    const bench = new EspruinoDevice(pico as Interpreter);
    try {
      const open = await kerbFlashImage({ root, board: 'pico', entry: 'node', deviceId: 'lamp-0001', registryText: REGISTRY, settings: SETTINGS, unlocked: true });
      expect(open.password).toBeUndefined();
      await provision(bench, buildPrelude('pico', 'node', bench.chanPath), open.upload);
      await bench.powerOn();
      await bench.waitFor(() => bench.txs.length >= 1, 60000, 'an uplink');
      const expr = await type(bench, 'print("K"+"OPEN"+(6*7))');
      expect(expr).toContain('KOPEN42');
      expect(expr).not.toContain('password');
    } finally {
      await bench.dispose();
    }
  }, 240000);

  it('a Puck.js image switches the Bluetooth UART off', async () => {
    const pk = new EspruinoDevice(puck as Interpreter);
    try {
      const b = await kerbFlashImage({ root, board: 'puck', entry: 'bridge' });
      expect(b.password).toMatch(/^[2-9a-zA-Z]{20}$/);
      await provision(pk, buildPrelude('puck', 'bridge', pk.chanPath), b.upload);
      await pk.powerOn();
      await pk.waitFor(() => pk.lines.some((l) => l.startsWith('K nrf setServices')), 30000, 'NRF.setServices');
      expect(pk.lines.filter((l) => l.startsWith('K nrf setServices'))).toEqual(['K nrf setServices [null,{"uart":false}]']);
      // The bridge then moves its console off the link port (to LoopbackA), so nothing typed on
      // the port reaches the interpreter at all; the lock guards the console wherever it goes.
      await pk.waitFor(() => pk.bootConsole.includes('-> LoopbackA'), 30000, 'the console moving to LoopbackA');
      const from = pk.bootConsole.length;
      pk.consoleWrite('print("K"+"OPEN"+(6*7))\r');
      await pk.waitFor(() => pk.link.length > 0, 30000, 'a link frame');
      expect(pk.bootConsole.slice(from)).not.toContain('KOPEN42');
    } finally {
      await pk.dispose();
    }
  }, 240000);
});
