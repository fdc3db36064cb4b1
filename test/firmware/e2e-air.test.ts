// Both firmwares together, each the exact bundle in its own Espruino context, on one virtual
// clock: Puck.js node → SX127x twin → air → SX127x twin → Pico radio bridge → USB link → a minimal
// "gateway" here (deframer + the gateway's verify path) → TxRequest at RX1 (tsUs + 1 s) → bridge →
// air → node's RX1 window. The downlink changes the reporting interval; the node applies it and
// keeps it across a reboot (settings persisted in flash).
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
import { createDeframer, encodeLinkMessage, LINK_RX, LINK_TX, LINK_TX_RESULT, LINK_TX_OK, type LinkMessage, type RxPacket } from '../../shared/link/link.ts';
import { decodeFrame } from '../../shared/lorawan/frame.ts';
import { openFrame, sealFrame } from '../../shared/lorawan/session.ts';
import { reconstructFcnt } from '../../shared/lorawan/fcnt.ts';
import { MTYPE_UNCONFIRMED_DOWN } from '../../shared/lorawan/constants.ts';
import { nodeAes } from '../../host/crypto.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const NWK = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
const APP = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const DEVADDR = 0x26011bda;
const session = { nwkSKey: nodeAes(NWK), appSKey: nodeAes(APP) };
const bundles: Record<string, string> = {};

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kerb-fw-'));
  try {
    for (const [board, entry] of [['puck', 'node'], ['pico', 'bridge']] as const) {
      const [it] = await buildAll({ root, outDir: dir, boards: [board], entries: [entry] });
      expect(it!.problems).toEqual([]);
      bundles[`${board}-${entry}`] = readFileSync(it!.file, 'utf8');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('node bundle ⇄ air ⇄ bridge bundle ⇄ link', () => {
  it('uplinks reach the link, a RX1 downlink changes the interval, and the change survives a reboot', () => {
    const clock = new VirtualClock(0);
    // ---- the street node (Puck.js) ----
    const nodeFlash = new FlashModel(BOARD_MODELS.puck!.storageBytes);
    nodeFlash.write('kerb.cfg', JSON.stringify({ id: 'lamp-0001', devAddr: DEVADDR, nwkSKey: Array.from(NWK), appSKey: Array.from(APP), intervalS: 60, sf: 9, firstReportMs: 15000 }));
    const nodeTwin = new Sx127xTwin(clock);
    const i2c = new VirtualI2cBus();
    i2c.attach(0x76, new VirtualBme280(clock, () => ({ tempC: 18, rhPct: 70, pressureHpa: 1001 })));
    const node = new EspruinoBoard({ clock, board: BOARD_MODELS.puck!, flash: nodeFlash, i2c, spi: { D30: nodeTwin }, batteryMv: () => 2950 });
    // ---- the radio bridge (Pico) ----
    const bridgeTwin = new Sx127xTwin(clock);
    const bridge = new EspruinoBoard({ clock, board: BOARD_MODELS.pico!, flash: new FlashModel(49152), spi: { B10: bridgeTwin } });
    bridgeTwin.onDio0(() => { bridge.ctx?.setPin('A8', true); bridge.ctx?.setPin('A8', false); });
    // ---- the air: each transmission reaches the other radio ----
    const uplinks: TwinTx[] = [];
    nodeTwin.onTransmit = (tx) => {
      uplinks.push(tx);
      bridgeTwin.airPacket({ payload: tx.payload, freqHz: tx.freqHz, sf: tx.sf, bwHz: tx.bwHz, invertIq: tx.invertIq, rssiDbm: -101, snrDb: 4.5 });
    };
    bridgeTwin.onTransmit = (tx) => {
      nodeTwin.airPacket({ payload: tx.payload, freqHz: tx.freqHz, sf: tx.sf, bwHz: tx.bwHz, invertIq: tx.invertIq, rssiDbm: -95, snrDb: 6 });
    };
    // ---- a minimal gateway on the link ----
    const heard: { fcnt32: number; port: number; atMs: number }[] = [];
    const results: LinkMessage[] = [];
    let last32 = -1;
    let downFcnt = 0;
    let sentDownlink = false;
    const deframer = createDeframer((m) => {
      if (m.type === LINK_TX_RESULT) results.push(m);
      if (m.type !== LINK_RX) return;
      const rx = m as RxPacket;
      const f = decodeFrame(rx.payload);
      if (typeof f === 'number') throw new Error(`bad frame ${f}`);
      const fcnt32 = reconstructFcnt(last32, f.fcnt);
      expect(typeof openFrame(session, rx.payload, f, fcnt32)).not.toBe('number'); // MIC ok
      last32 = fcnt32;
      heard.push({ fcnt32, port: f.fport, atMs: clock.now() });
      if (!sentDownlink) {
        sentDownlink = true;
        // FPort 10 command CMD_SET_INTERVAL (0x01) = 30 s, u16 LE; RX1 = same channel and SF.
        const down = sealFrame(session, {
          mtype: MTYPE_UNCONFIRMED_DOWN, devAddr: DEVADDR, adr: false, adrAckReq: false, ack: false, fpending: false,
          fcnt: downFcnt, fopts: new Uint8Array(0), fport: 10, payload: Uint8Array.of(0x01, 30, 0), mic: 0,
        }, downFcnt);
        downFcnt++;
        bridge.ctx!.serial.USB!.inject(encodeLinkMessage({
          type: LINK_TX, id: 77, payload: down, freqHz: rx.freqHz, sf: rx.sf, bwHz: rx.bwHz, cr: rx.cr,
          powerDbm: 14, invertIq: true, atUs: (rx.tsUs + 1_000_000) % 4294967296,
        }));
      }
    }, (e) => { throw new Error(`link error ${e}`); });

    bridge.flashAndBoot(bundles['pico-bridge']!);
    bridge.ctx!.serial.USB!.onWrite = (b) => deframer.push(b);
    node.flashAndBoot(bundles['puck-node']!);

    // A single-channel bridge hears the node's uplinks on 868.1 MHz only (the node hops over
    // three EU868 channels): run until the downlink has gone out and a few more uplinks came.
    for (let i = 0; i < 40 && !(results.length && heard.length >= 3); i++) clock.advance(60_000);
    expect(node.ctx!.errors).toEqual([]);
    expect(bridge.ctx!.errors).toEqual([]);
    expect(heard.length).toBeGreaterThanOrEqual(1);
    expect(results).toEqual([expect.objectContaining({ id: 77, status: LINK_TX_OK })]);
    // The node received the downlink in RX1 and applied the command.
    const dl = bridgeTwin.sent[0]!;
    const up = uplinks.filter((u) => u.atMs < dl.atMs).pop()!;
    expect(dl.atMs - (up.atMs + up.toaMs)).toBeCloseTo(1000, 0); // RX1: 1 s after the uplink ended

    // Before the downlink the node reported every 60 s.
    const t0 = uplinks.filter((u) => u.atMs <= dl.atMs).map((u) => u.atMs);
    for (let i = 1; i < t0.length; i++) expect(t0[i]! - t0[i - 1]!).toBeGreaterThan(55_000);
    // Interval is now 30 s: uplinks after the downlink are ~30 s apart (duty cycle permitting).
    const after = () => uplinks.filter((u) => u.atMs > dl.atMs).map((u) => u.atMs);
    clock.advance(5 * 60_000);
    const t1 = after();
    const gaps1 = t1.slice(1).map((t, i) => t - t1[i]!);
    expect(gaps1.length).toBeGreaterThanOrEqual(4);
    for (const g of gaps1) expect(g).toBeLessThan(45_000);

    // Power-cycle the node: the interval from the downlink must survive.
    const before = uplinks.length;
    node.reboot('power-cycle');
    clock.advance(5 * 60_000);
    const t2 = uplinks.slice(before).map((u) => u.atMs);
    const gaps2 = t2.slice(1).map((t, i) => t - t2[i]!);
    expect(gaps2.length).toBeGreaterThanOrEqual(4);
    for (const g of gaps2) expect(g).toBeLessThan(45_000);
    expect(node.ctx!.errors).toEqual([]);
  });
});
