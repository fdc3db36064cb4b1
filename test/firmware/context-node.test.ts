// The exact sensor-node bundle (what `kerb flash` writes to .bootcde) booted in Node inside the
// Espruino-globals model (sim/espruino), wired to virtual twins: it must sample, transmit frames
// the gateway's decoder accepts, and keep its frame counter across reboots.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from '../../firmware/build/build.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { FlashModel } from '../../sim/espruino/flash.ts';
import { EspruinoBoard, BOARD_MODELS } from '../../sim/espruino/context.ts';
import { Sx127xTwin, type TwinTx } from '../../sim/devices/sx127x.ts';
import { VirtualI2cBus } from '../../sim/devices/i2c.ts';
import { VirtualBme280 } from '../../sim/devices/bme280.ts';
import { VirtualUart } from '../../sim/devices/uart.ts';
import { VirtualPms } from '../../sim/devices/pms.ts';
import { decodeFrame, type DataFrame } from '../../shared/lorawan/frame.ts';
import { openFrame } from '../../shared/lorawan/session.ts';
import { reconstructFcnt } from '../../shared/lorawan/fcnt.ts';
import { decodeReadings, type Readings } from '../../shared/payload/kerb.ts';
import { FPORT_READINGS } from '../../shared/payload/constants.ts';
import { nodeAes } from '../../host/crypto.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NWK = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
const APP = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const DEVADDR = 0x26011bda;
const bundles: Record<string, string> = {};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerb-fw-'));
  try {
    const items = await buildAll({ root, outDir: dir, boards: ['puck', 'pico', 'esp32'], entries: ['node'] });
    for (const it of items) {
      expect(it.result.buildErrors).toEqual([]);
      expect(it.result.violations).toEqual([]);
      bundles[it.board] = readFileSync(it.file, 'utf8');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface Rig {
  clock: VirtualClock;
  flash: FlashModel;
  board: EspruinoBoard;
  twin: Sx127xTwin;
  bme: VirtualBme280;
  sent: TwinTx[];
}

function rig(boardName: 'puck' | 'pico' | 'esp32'): Rig {
  const clock = new VirtualClock(0);
  const model = BOARD_MODELS[boardName]!;
  const flash = new FlashModel(model.storageBytes);
  flash.write('kerb.cfg', JSON.stringify({
    id: 'lamp-0001', devAddr: DEVADDR, nwkSKey: Array.from(NWK), appSKey: Array.from(APP),
    intervalS: 60, sf: 7, firstReportMs: 20000, counterBlock: 16,
  }));
  const twin = new Sx127xTwin(clock);
  const sent: TwinTx[] = [];
  twin.onTransmit = (tx) => sent.push(tx);
  const i2c = new VirtualI2cBus();
  const bme = new VirtualBme280(clock, () => ({ tempC: 21.5, rhPct: 55, pressureHpa: 1013.2 }));
  i2c.attach(0x76, bme);
  const uart = new VirtualUart(clock, 9600);
  new VirtualPms(clock, uart, () => ({ pm25Ugm3: 12.3, pm10Ugm3: 23.4 } as never));
  const board = new EspruinoBoard({
    clock, board: model, flash, i2c,
    spi: boardName === 'puck' ? { D30: twin } : boardName === 'pico' ? { B10: twin } : { D18: twin },
    uarts: boardName === 'puck' ? {} : { Serial2: uart },
    analog: boardName === 'pico' ? { A0: () => 0.05, A1: () => 3700 / 2 / 3300 } : boardName === 'esp32' ? { D36: () => 0.05, D35: () => 3700 / 2 / 3300 } : {},
    batteryMv: () => 3000,
  });
  return { clock, flash, board, twin, bme, sent };
}

/** The gateway's path: decodeFrame → FCnt reconstruction → openFrame (MIC + decrypt) → decodeReadings. */
function gatewayDecode(raw: Uint8Array, last32: number): { f: DataFrame; fcnt32: number; readings: Readings | null; port: number } {
  const f = decodeFrame(raw);
  if (typeof f === 'number') throw new Error(`decodeFrame error ${f}`);
  expect(f.devAddr).toBe(DEVADDR);
  const fcnt32 = reconstructFcnt(last32, f.fcnt);
  const plain = openFrame({ nwkSKey: nodeAes(NWK), appSKey: nodeAes(APP) }, raw, f, fcnt32);
  if (typeof plain === 'number') throw new Error(`openFrame error ${plain} (MIC)`);
  let readings: Readings | null = null;
  if (f.fport === FPORT_READINGS) {
    const r = decodeReadings(plain);
    if (typeof r === 'number') throw new Error(`decodeReadings error ${r}`);
    readings = r;
  }
  return { f, fcnt32, readings, port: f.fport };
}

describe('sensor-node bundle in the Espruino context model', () => {
  it('Puck.js: boots from .bootcde, samples the BME280, sends frames the gateway decodes; counter survives reboots', () => {
    const r = rig('puck');
    const ctx = r.board.flashAndBoot(bundles.puck!);
    expect(ctx.errors).toEqual([]);
    r.clock.advance(5 * 60_000);
    expect(r.board.ctx!.errors).toEqual([]);
    expect(r.sent.length).toBeGreaterThanOrEqual(3);
    let last = -1;
    const seen: number[] = [];
    let withTemp = 0;
    for (const tx of r.sent) {
      expect(tx).toMatchObject({ sf: 7, bwHz: 125000, invertIq: false, crcOn: true, syncWord: 0x34 });
      const d = gatewayDecode(tx.payload, last);
      expect(d.fcnt32).toBeGreaterThan(last);
      last = d.fcnt32;
      seen.push(d.fcnt32);
      if (d.readings?.tempDeciC !== undefined) {
        withTemp++;
        expect(Math.abs(d.readings.tempDeciC - 215)).toBeLessThanOrEqual(2);
        expect(Math.abs(d.readings.rhHalfPct! - 110)).toBeLessThanOrEqual(2);
        expect(Math.abs(d.readings.pressureDeciHpa! - 10132)).toBeLessThanOrEqual(3);
        expect(d.readings.batteryMv).toBe(3000);
        expect(d.readings.pm25DeciUgm3).toBeUndefined(); // a Puck has no particulate sensor
      }
    }
    expect(withTemp).toBeGreaterThanOrEqual(1);
    expect(r.board.ctx!.kicks).toBeGreaterThan(0); // the healthy loop kicks the watchdog

    // Two power cycles: the same flash, a fresh interpreter. The counter must never repeat.
    for (let boot = 0; boot < 2; boot++) {
      const before = r.sent.length;
      r.board.reboot('power-cycle');
      r.clock.advance(3 * 60_000);
      expect(r.board.ctx!.errors).toEqual([]);
      expect(r.sent.length).toBeGreaterThan(before);
      for (const tx of r.sent.slice(before)) {
        const d = gatewayDecode(tx.payload, last);
        expect(seen).not.toContain(d.fcnt32);
        expect(d.fcnt32).toBeGreaterThan(last);
        last = d.fcnt32;
        seen.push(d.fcnt32);
      }
    }
    expect(r.board.history.map((h) => h.reason)).toEqual(['power-on', 'power-cycle', 'power-cycle']); // no watchdog resets
    // Counter persistence does not rewrite flash per frame.
    expect((r.flash.fileWrites.get('kerb.fa') ?? 0) + (r.flash.fileWrites.get('kerb.fb') ?? 0)).toBeLessThan(seen.length);
  });

  it('Puck.js: a missing BME280 leaves temperature out and the node keeps reporting', () => {
    const r = rig('puck');
    r.bme.faults.absent = true;
    r.board.flashAndBoot(bundles.puck!);
    r.clock.advance(4 * 60_000);
    expect(r.board.ctx!.errors).toEqual([]);
    expect(r.sent.length).toBeGreaterThanOrEqual(2);
    let last = -1;
    let readingsFrames = 0;
    for (const tx of r.sent) {
      const d = gatewayDecode(tx.payload, last);
      last = d.fcnt32;
      if (d.readings) {
        readingsFrames++;
        expect(d.readings.tempDeciC).toBeUndefined();
        expect(d.readings.status! & 0x02).toBe(0x02); // STATUS_THP_FAULT
      }
    }
    expect(readingsFrames).toBeGreaterThanOrEqual(1);
  });

  for (const bn of ['pico', 'esp32'] as const) it(`${bn === 'pico' ? 'Espruino Pico' : 'ESP32'}: PM sensor on Serial2, microphone and battery divider on the ADC`, () => {
    const r = rig(bn);
    r.board.flashAndBoot(bundles[bn]!);
    r.clock.advance(5 * 60_000);
    expect(r.board.ctx!.errors).toEqual([]);
    expect(r.sent.length).toBeGreaterThanOrEqual(2);
    let last = -1;
    const all: Readings[] = [];
    for (const tx of r.sent) {
      const d = gatewayDecode(tx.payload, last);
      last = d.fcnt32;
      if (d.readings) all.push(d.readings);
    }
    expect(all.length).toBeGreaterThanOrEqual(1);
    const withPm = all.filter((x) => x.pm25DeciUgm3 !== undefined);
    expect(withPm.length).toBeGreaterThanOrEqual(1);
    expect(Math.abs(withPm[0]!.pm25DeciUgm3! - 123)).toBeLessThanOrEqual(10);
    expect(all.some((x) => x.tempDeciC !== undefined && Math.abs(x.tempDeciC - 215) <= 2)).toBe(true);
    expect(all.some((x) => x.batteryMv !== undefined && Math.abs(x.batteryMv - 3700) <= 30)).toBe(true);
    expect(r.board.ctx!.deepSleep).toBe(bn === 'pico' ? 1 : 0); // STM32 only: setDeepSleep(1) between events
  });

  it('Puck.js: a radio that does not answer is a fault, not a hang; the node recovers when it answers', () => {
    const r = rig('puck');
    r.twin.absent = true;
    r.board.flashAndBoot(bundles.puck!);
    r.clock.advance(4 * 60_000);
    expect(r.sent).toHaveLength(0);
    expect(r.board.ctx!.errors).toEqual([]);
    expect(r.board.history).toHaveLength(1); // no watchdog reset: the loop stayed healthy
    expect(r.board.ctx!.output.join('\n')).toContain('radio not found');
    r.twin.absent = false;
    r.clock.advance(3 * 60_000);
    expect(r.sent.length).toBeGreaterThanOrEqual(1);
    const flags = r.sent.map((tx) => gatewayDecode(tx.payload, -1)).filter((d) => d.readings).map((d) => d.readings!.status ?? 0);
    expect(flags.some((f) => (f & 0x100) !== 0)).toBe(true); // STATUS_RADIO_FAULT reported once it can be
  });

  it('refuses to start without a provisioning file and says so', () => {
    const r = rig('puck');
    r.flash.erase('kerb.cfg');
    const ctx = r.board.flashAndBoot(bundles.puck!);
    r.clock.advance(120_000);
    expect(r.sent).toHaveLength(0);
    expect(ctx.output.join('\n')).toContain('no kerb.cfg');
  });
});
