// The exact radio-bridge bundle in the Espruino context model: packets on the air come out of
// USB as link RxPacket frames; a link TxRequest makes the SX127x twin transmit at the requested
// radio-clock time; TxResult and Status come back.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildAll } from '../../firmware/build/build.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { FlashModel } from '../../sim/espruino/flash.ts';
import { EspruinoBoard, BOARD_MODELS } from '../../sim/espruino/context.ts';
import { Sx127xTwin } from '../../sim/devices/sx127x.ts';
import {
  createDeframer, encodeLinkMessage, LINK_RX, LINK_TX, LINK_TX_RESULT, LINK_STATUS, LINK_TX_OK, LINK_TX_TOO_LATE,
  type LinkMessage, type RxPacket, type TxResult,
} from '../../shared/link/link.ts';
import { timeOnAirMs } from '../../shared/lorawan/airtime.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
let bundle = '';
let esp32Bundle = '';

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerb-fw-'));
  try {
    const items = await buildAll({ root, outDir: dir, boards: ['pico', 'esp32'], entries: ['bridge'] });
    for (const it of items) expect(it.problems).toEqual([]);
    bundle = readFileSync(items[0]!.file, 'utf8');
    esp32Bundle = readFileSync(items[1]!.file, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function rig() {
  const clock = new VirtualClock(1000);
  const twin = new Sx127xTwin(clock);
  const board = new EspruinoBoard({ clock, board: BOARD_MODELS.pico!, flash: new FlashModel(49152), spi: { B10: twin } });
  // DIO0 of the twin is wired to A8 (docs/wiring.md, Pico).
  twin.onDio0(() => {
    board.ctx?.setPin('A8', true);
    board.ctx?.setPin('A8', false);
  });
  const msgs: LinkMessage[] = [];
  const errors: number[] = [];
  const deframer = createDeframer((m) => msgs.push(m), (e) => errors.push(e));
  const ctx = board.flashAndBoot(bundle);
  ctx.serial.USB!.onWrite = (b) => deframer.push(b);
  return { clock, twin, board, ctx, msgs, errors };
}

describe('radio-bridge bundle in the Espruino context model', () => {
  it('moves the console off USB, forwards a received packet as RxPacket with RSSI/SNR/timestamp', () => {
    const r = rig();
    expect(r.ctx.consoleDevice).toBe('LoopbackA');
    r.clock.advance(100);
    expect(r.twin.mode).toBe(5); // RXCONTINUOUS
    const payload = Uint8Array.from([0x40, 0xda, 0x1b, 0x01, 0x26, 0x00, 0x05, 0x00, 0x01, 0xaa, 0xbb, 0x11, 0x22, 0x33, 0x44]);
    const startMs = r.clock.now();
    expect(r.twin.airPacket({ payload, freqHz: 868100000, sf: 9, bwHz: 125000, invertIq: false, rssiDbm: -88, snrDb: 6.5 })).toBe(true);
    r.clock.advance(1000);
    const rx = r.msgs.filter((m) => m.type === LINK_RX) as RxPacket[];
    expect(rx).toHaveLength(1);
    expect(Array.from(rx[0]!.payload)).toEqual(Array.from(payload));
    expect(rx[0]).toMatchObject({ freqHz: 868100000, sf: 9, bwHz: 125000, cr: 1, snrDb: 6.5 });
    expect(Math.abs(rx[0]!.rssiDbm - -88)).toBeLessThanOrEqual(1);
    // tsUs = end of reception on the bridge's µs clock (getTime() since boot), from the DIO0 edge.
    const endUs = (startMs - 1000 + timeOnAirMs(9, 125000, 1, payload.length, 8, true, true)) * 1000;
    expect(Math.abs(rx[0]!.tsUs - endUs)).toBeLessThanOrEqual(1000);
    expect(r.errors).toEqual([]);
    expect(r.ctx.errors).toEqual([]);
  });

  it('transmits a TxRequest at atUs with inverted IQ, reports TxResult and resumes listening', () => {
    const r = rig();
    r.clock.advance(500);
    const nowUs = (r.clock.now() - 1000) * 1000;
    const atUs = nowUs + 1_000_000; // RX1: one second later
    const down = Uint8Array.from([0x60, 0xda, 0x1b, 0x01, 0x26, 0x20, 0x01, 0x00, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x05]);
    r.ctx.serial.USB!.inject(encodeLinkMessage({ type: LINK_TX, id: 4242, payload: down, freqHz: 868100000, sf: 9, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: true, atUs }));
    r.clock.advance(2000);
    expect(r.twin.sent).toHaveLength(1);
    const tx = r.twin.sent[0]!;
    expect(Array.from(tx.payload)).toEqual(Array.from(down));
    expect(tx).toMatchObject({ sf: 9, bwHz: 125000, invertIq: true, crcOn: false, powerDbm: 14 });
    expect(Math.abs((tx.atMs - 1000) * 1000 - atUs)).toBeLessThanOrEqual(1000); // on time within 1 ms
    const res = r.msgs.filter((m) => m.type === LINK_TX_RESULT) as TxResult[];
    expect(res).toHaveLength(1);
    expect(res[0]).toMatchObject({ id: 4242, status: LINK_TX_OK });
    expect(Math.abs(res[0]!.tsUs - atUs)).toBeLessThanOrEqual(1000);
    expect(r.twin.mode).toBe(5); // back to RXCONTINUOUS
  });

  it('refuses a TxRequest whose time has passed (LINK_TX_TOO_LATE) without transmitting', () => {
    const r = rig();
    r.clock.advance(5000);
    const atUs = (r.clock.now() - 1000) * 1000 - 200_000;
    r.ctx.serial.USB!.inject(encodeLinkMessage({ type: LINK_TX, id: 9, payload: Uint8Array.of(1, 2, 3), freqHz: 869525000, sf: 12, bwHz: 125000, cr: 1, powerDbm: 14, invertIq: true, atUs }));
    r.clock.advance(100);
    expect(r.twin.sent).toHaveLength(0);
    expect(r.msgs.filter((m) => m.type === LINK_TX_RESULT)).toEqual([expect.objectContaining({ id: 9, status: LINK_TX_TOO_LATE })]);
  });

  it('sends a Status heartbeat with counters every 10 s', () => {
    const r = rig();
    r.clock.advance(100);
    r.twin.airPacket({ payload: new Uint8Array(12), freqHz: 868100000, sf: 9, bwHz: 125000, invertIq: false, rssiDbm: -90, snrDb: 5 });
    r.clock.advance(1000);
    r.twin.airPacket({ payload: new Uint8Array(12), freqHz: 868100000, sf: 9, bwHz: 125000, invertIq: false, rssiDbm: -90, snrDb: 5, crcError: true });
    r.clock.advance(25_000);
    const st = r.msgs.filter((m) => m.type === LINK_STATUS);
    expect(st.length).toBeGreaterThanOrEqual(2);
    expect(st[st.length - 1]).toMatchObject({ rxOk: 1, rxBad: 1, txOk: 0, txFail: 0, fwVersion: 0x000100 });
    expect(r.ctx.kicks).toBeGreaterThanOrEqual(2);
    expect(r.board.history).toHaveLength(1); // never reset by the watchdog
  });

  it('ESP32: the link is Serial1 (its default console); the REPL moves off it and packets come out there', () => {
    const clock = new VirtualClock(0);
    const twin = new Sx127xTwin(clock);
    const board = new EspruinoBoard({ clock, board: BOARD_MODELS.esp32!, flash: new FlashModel(65536), spi: { D18: twin } });
    twin.onDio0(() => { board.ctx?.setPin('D26', true); board.ctx?.setPin('D26', false); });
    const msgs: LinkMessage[] = [];
    const deframer = createDeframer((m) => msgs.push(m), () => {});
    const ctx = board.flashAndBoot(esp32Bundle);
    ctx.serial.Serial1!.onWrite = (b) => deframer.push(b);
    expect(ctx.consoleDevice).toBe('LoopbackA');
    expect(ctx.serial.Serial1!.baud).toBe(115200);
    clock.advance(100);
    twin.airPacket({ payload: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), freqHz: 868100000, sf: 9, bwHz: 125000, invertIq: false, rssiDbm: -70, snrDb: 9 });
    clock.advance(1000);
    expect(msgs.filter((m) => m.type === LINK_RX)).toHaveLength(1);
    expect(ctx.errors).toEqual([]);
  });
});
