// The exact `kerb flash` image of the sensor node, booted from Storage on the REAL Espruino
// interpreter (host build with the board's JsVar count), with the chip stand-ins of
// sim/espruino-host/standins.js in .boot0. Uplinks are checked with lora-packet (an independent
// LoRaWAN implementation): MIC, counter, decryption, and readings that match what the stand-in
// chips were told the environment is. Needs KERB_ESPRUINO_DIR (README "Running the firmware on the
// real interpreter"); under CI a missing interpreter fails the file instead of skipping it.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { findInterpreter, BOARD_VARS, type Interpreter } from '../../../sim/espruino-host/interpreter.ts';
import { EspruinoDevice, type TxEvent } from '../../../sim/espruino-host/device.ts';
import { buildPrelude, DEFAULT_ENV } from '../../../sim/espruino-host/prelude.ts';
import { kerbFlashImage, provision } from '../../../sim/espruino-host/provision.ts';
import { decodeReadings } from '../../../shared/payload/kerb.ts';
import { STATUS_THP_FAULT, STATUS_REBOOTED } from '../../../shared/payload/constants.ts';

const lp = createRequire(import.meta.url)('lora-packet') as typeof import('lora-packet').default;
const root = fileURLToPath(new URL('../../..', import.meta.url));
const NWK = '2B7E151628AED2A6ABF7158809CF4F3C';
const APP = '000102030405060708090A0B0C0D0E0F';
const REGISTRY = JSON.stringify({ devices: [{ id: 'lamp-0001', devAddr: '26011BDA', nwkSKey: NWK, appSKey: APP }] });
// Short interval and SF7 so a run takes seconds; the first report 3 s after start.
const SETTINGS = { intervalS: 5, sf: 7, firstReportMs: 3000 };

const board = 'pico';
const found = findInterpreter(BOARD_VARS[board]!);
const missing = typeof found === 'string' ? found : null;
if (missing && !process.env.CI) console.warn(`test/sim/espruino-host: skipped, ${missing}`);

interface Up { fcnt: number; port: number; plain: Buffer }

function open(tx: TxEvent): Up {
  const pkt = lp.fromWire(Buffer.from(tx.payload));
  const fcnt16 = pkt.getFCnt()!;
  expect(pkt.getBuffers().DevAddr?.toString('hex')).toBe('26011bda');
  // 32-bit counters stay below 2^16 here: the MSB half is zero.
  expect(lp.verifyMIC(pkt, Buffer.from(NWK, 'hex'), undefined, Buffer.alloc(2))).toBe(true);
  const plain = lp.decrypt(pkt, Buffer.from(APP, 'hex'), Buffer.from(NWK, 'hex'), Buffer.alloc(2)) as Buffer;
  return { fcnt: fcnt16, port: pkt.getFPort()!, plain };
}

describe.skipIf(missing !== null && !process.env.CI)(`${board} sensor node on the real Espruino interpreter`, () => {
  let dev: EspruinoDevice;

  beforeAll(async () => {
    if (missing) throw new Error(`CI needs the Espruino host build: ${missing}`);
    dev = new EspruinoDevice(found as Interpreter);
    const img = await kerbFlashImage({ root, board, entry: 'node', deviceId: 'lamp-0001', registryText: REGISTRY, settings: SETTINGS });
    await provision(dev, buildPrelude(board, 'node', dev.chanPath), img.upload);
  }, 180000);

  afterAll(async () => {
    await dev?.dispose();
  });

  it('boots from Storage and sends uplinks lora-packet verifies, with the stand-in chips\' readings', async () => {
    await dev.powerOn();
    await dev.waitFor(() => dev.txs.length >= 2, 60000, 'two uplinks');
    const ups = dev.txs.map(open);
    expect(ups[0]!.fcnt).toBe(0);
    expect(ups[1]!.fcnt).toBe(1);
    const r = decodeReadings(new Uint8Array(ups[0]!.plain));
    expect(typeof r).toBe('object');
    const rd = r as Exclude<typeof r, number>;
    expect(ups[0]!.port).toBe(1);
    // BME280: the driver's integer compensation of the stand-in's ADC counts.
    expect(rd.tempDeciC).toBe(Math.round(DEFAULT_ENV.tempC * 10));
    expect(Math.abs(rd.pressureDeciHpa! - DEFAULT_ENV.pressureHpa * 10)).toBeLessThanOrEqual(1);
    expect(Math.abs(rd.rhHalfPct! - DEFAULT_ENV.rhPct * 2)).toBeLessThanOrEqual(1);
    // Microphone and battery divider through analogRead.
    expect(Math.abs(rd.noiseDeciDb! - DEFAULT_ENV.noiseDb * 10)).toBeLessThanOrEqual(1);
    expect(Math.abs(rd.batteryMv! - DEFAULT_ENV.batteryMv)).toBeLessThanOrEqual(10);
    expect(rd.status! & STATUS_REBOOTED).toBe(STATUS_REBOOTED);
    const tx = dev.txs[0]!;
    expect([tx.sf, tx.bwHz, tx.invertIq, tx.crc, tx.syncWord]).toEqual([7, 125000, false, true, 0x34]);
    expect([868100000, 868300000, 868500000].some((f) => Math.abs(f - tx.freqHz) < 100)).toBe(true);
  }, 120000);

  it('a BME280 that stops answering is a status flag, not a crash', async () => {
    const before = dev.txs.length;
    await dev.eval('KH.bme.absent=1');
    await dev.waitFor(() => dev.txs.slice(before).map(open).some((u) => u.port === 1 && ((decodeReadings(new Uint8Array(u.plain)) as { status: number }).status & STATUS_THP_FAULT) !== 0), 60000, 'an uplink flagging the THP fault');
    const flagged = dev.txs.slice(before).map(open).find((u) => u.port === 1 && ((decodeReadings(new Uint8Array(u.plain)) as { status: number }).status & STATUS_THP_FAULT) !== 0)!;
    expect((decodeReadings(new Uint8Array(flagged.plain)) as { tempDeciC?: number }).tempDeciC).toBeUndefined();
    await dev.eval('KH.bme.absent=0');
  }, 90000);

  it('frame counters never repeat across an interpreter restart', async () => {
    const mem = await dev.memory();
    expect(mem.usage).toBeLessThan(mem.total);
    await dev.powerOff();
    const before = dev.txs.length;
    await dev.powerOn();
    await dev.waitFor(() => dev.txs.length >= before + 1, 60000, 'an uplink after the restart');
    const all = dev.txs.map(open).map((u) => u.fcnt);
    for (let i = 1; i < all.length; i++) expect(all[i]!).toBeGreaterThan(all[i - 1]!);
    const first = open(dev.txs[before]!);
    expect((decodeReadings(new Uint8Array(first.plain)) as { status: number }).status & STATUS_REBOOTED).toBe(STATUS_REBOOTED);
  }, 120000);
});
