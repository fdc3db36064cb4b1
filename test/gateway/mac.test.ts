// The network MAC layer: NetworkMac alone (answers, DevStatusReq timing, ADR decisions, LinkADRAns
// bookkeeping), then through the real ingest path on a pty radio with frames built by lora-packet,
// the MAC answers read back from the downlink the radio was asked to send.
import { describe, it, expect, afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NetworkMac, gpsTime, eu868Dr } from '../../gateway/mac.ts';
import { uplinkToSenml } from '../../gateway/senml.ts';
import type { UplinkMacInput } from '../../gateway/mac.ts';
import { Ingest } from '../../gateway/ingest.ts';
import type { Uplink } from '../../gateway/types.ts';
import { validateRegistry } from '../../host/registry.ts';
import type { DeviceInfo } from '../../host/registry.ts';
import { decodeMac, encodeMac } from '../../shared/lorawan/mac.ts';
import { DIR_DOWN, DIR_UP } from '../../shared/lorawan/constants.ts';
import { openPtyPair } from '../helpers/pty.ts';
import type { PtyPair } from '../helpers/pty.ts';
import { TestRadio } from '../helpers/test-radio.ts';
import { MemLogger, MemMetrics, tmpDir, writeRegistry, waitFor, lp, newDevice } from '../helpers/ingest.ts';
import type { TestDevice } from '../helpers/ingest.ts';

const DEV_T = newDevice('lamp-mac');
const DEV: DeviceInfo = validateRegistry({ devices: [DEV_T] }).devices[0]!;
const META = { gatewayId: 'gw', radioId: 'r', rssiDbm: -100, snrDb: 5, freqHz: 868100000, sf: 12, bwHz: 125000, cr: 1, tsUs: 0 };

function input(o: Partial<UplinkMacInput>): UplinkMacInput {
  return { dev: DEV, fopts: new Uint8Array(0), fport: 1, payload: new Uint8Array(0), adrBit: false, fcnt32: 0, meta: META, gwCount: 1, maxSnrDb: 5, receivedAt: Date.UTC(2026, 11, 5, 12), ...o };
}

describe('NetworkMac', () => {
  it('answers LinkCheckReq (margin over the SF floor, gateway count) and DeviceTimeReq (GPS time), in FOpts or on FPort 0', () => {
    const m = new NetworkMac({ log: new MemLogger() });
    const req = encodeMac([{ cid: 2 }, { cid: 13 }], DIR_UP);
    for (const where of [{ fopts: req }, { fport: 0, payload: req }]) {
      const r = m.onUplink(input({ ...where, maxSnrDb: 5.4, gwCount: 2, receivedAt: Date.UTC(2026, 11, 5, 12, 0, 0, 500) }));
      // SF12 floor −20 dB: 5.4 + 20 = 25.4 → 25 dB
      expect(decodeMac(r.fopts, DIR_DOWN)).toEqual([{ cid: 2, margin: 25, gwCnt: 2 }, { cid: 13, gpsSeconds: 1480507218, fraction: 128 }]);
    }
    expect(m.onUplink(input({ fopts: req, maxSnrDb: -30 })).fopts[1]).toBe(0); // below the floor: margin 0
  });

  it('GPS time counts from 1980-01-06 with 18 leap seconds; EU868 data rates', () => {
    expect(gpsTime(Date.UTC(1980, 0, 6))).toEqual({ gpsSeconds: 18, fraction: 0 });
    expect(gpsTime(Date.UTC(2026, 11, 5, 12, 0, 0, 250))).toEqual({ gpsSeconds: 1480507218, fraction: 64 });
    expect([12, 11, 10, 9, 8, 7].map((sf) => eu868Dr(sf, 125000))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(eu868Dr(7, 250000)).toBe(6);
    expect(eu868Dr(7, 500000)).toBe(-1);
  });

  it('passes DevStatusAns on, asks DevStatusReq one interval after first hearing a device, then every interval', () => {
    const m = new NetworkMac({ log: new MemLogger(), devStatusIntervalMs: 1000 });
    const t0 = 1_000_000;
    expect(m.onUplink(input({ receivedAt: t0 })).fopts.length).toBe(0);
    expect(m.onUplink(input({ receivedAt: t0 + 999 })).fopts.length).toBe(0);
    expect(decodeMac(m.onUplink(input({ receivedAt: t0 + 1000 })).fopts, DIR_DOWN)).toEqual([{ cid: 6 }]);
    expect(m.onUplink(input({ receivedAt: t0 + 1500 })).fopts.length).toBe(0);
    const r = m.onUplink(input({ fopts: Uint8Array.from([0x06, 0xfe, 0x3e]), receivedAt: t0 + 1600 }));
    expect(r.devStatus).toEqual({ battery: 254, marginDb: -2 });
  });

  it('ADR history starts again after an acknowledged change and after a data-rate change (as ChirpStack does)', () => {
    const m = new NetworkMac({ log: new MemLogger() });
    const sf7 = { ...META, sf: 7 };
    // 20 + 7.5 − 10 = 17.5 dB → 5 steps of TX power at DR5
    expect(m.onUplink(input({ adrBit: true, fcnt32: 1, maxSnrDb: 20, meta: sf7 })).adr).toEqual({ dr: 5, txPowerIndex: 5, nbTrans: 1 });
    // Acknowledged: the 20 dB heard at full power no longer counts; 2 dB now → no further step.
    expect(m.onUplink(input({ adrBit: true, fcnt32: 2, maxSnrDb: 2, meta: sf7, fopts: Uint8Array.from([0x03, 0x07]) })).adr).toBeUndefined();
    expect(m.radioSettings('lamp-mac')).toEqual({ txPowerIndex: 5, nbTrans: 1 });
    // The device fell back to DR4 by itself (ADR_ACK fallback): full power assumed, history anew.
    m.onUplink(input({ adrBit: true, fcnt32: 3, maxSnrDb: -20, meta: { ...META, sf: 8 } }));
    expect(m.radioSettings('lamp-mac')).toEqual({ txPowerIndex: 0, nbTrans: 1 });
  });

  it('sticky answers (RXParamSetupAns, RXTimingSetupAns, DlChannelAns) ask for a downlink', () => {
    const m = new NetworkMac({ log: new MemLogger() });
    for (const b of [[0x05, 0x07], [0x08], [0x0a, 0x03]]) expect(m.onUplink(input({ fopts: Uint8Array.from(b) })).needDownlink).toBe(true);
    expect(m.onUplink(input({ fopts: Uint8Array.from([0x04]) })).needDownlink).toBe(false);
  });

  it('ADR: a device at SF12 with margin gets a LinkADRReq; its LinkADRAns confirms power and NbTrans; a refusal is logged', () => {
    const log = new MemLogger();
    const m = new NetworkMac({ log });
    expect(m.onUplink(input({ adrBit: false, maxSnrDb: 5 })).adr).toBeUndefined();
    const r = m.onUplink(input({ adrBit: true, fcnt32: 1, maxSnrDb: 5 }));
    // 5 − (−20) − 10 = 15 dB → 5 steps: DR0 → DR5
    expect(r.adr).toEqual({ dr: 5, txPowerIndex: 0, nbTrans: 1 });
    expect(decodeMac(r.fopts, DIR_DOWN)).toEqual([{ cid: 3, dataRate: 5, txPower: 0, chMask: 7, chMaskCntl: 0, nbTrans: 1 }]);
    // At SF7 with 12 dB: 12 + 7.5 − 10 = 9.5 → 3 steps of TX power.
    const r2 = m.onUplink(input({ adrBit: true, fcnt32: 2, maxSnrDb: 12, meta: { ...META, sf: 7 }, fopts: Uint8Array.from([0x03, 0x07]) }));
    expect(r2.adr).toEqual({ dr: 5, txPowerIndex: 3, nbTrans: 1 });
    m.onUplink(input({ adrBit: true, fcnt32: 3, maxSnrDb: 2.6, meta: { ...META, sf: 7 }, fopts: Uint8Array.from([0x03, 0x07]) }));
    expect(m.radioSettings('lamp-mac')).toEqual({ txPowerIndex: 3, nbTrans: 1 });
    const r4 = m.onUplink(input({ adrBit: true, fcnt32: 4, maxSnrDb: 30, meta: { ...META, sf: 7 } }));
    expect(r4.adr!.txPowerIndex).toBe(7);
    m.onUplink(input({ adrBit: true, fcnt32: 5, maxSnrDb: 0, meta: { ...META, sf: 7 }, fopts: Uint8Array.from([0x03, 0x06]) }));
    expect(m.radioSettings('lamp-mac')).toEqual({ txPowerIndex: 3, nbTrans: 1 });
    expect(log.count(/refused LinkADRReq/)).toBe(1);
  });
});

describe('MAC commands through the gateway', () => {
  let dir = '';
  let pair: PtyPair | undefined;
  let radio: TestRadio | undefined;
  let ingest: Ingest | undefined;
  afterEach(async () => {
    await ingest?.stop();
    await radio?.close();
    await pair?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function uplink(dev: TestDevice, fcnt: number, fopts: Uint8Array, adr: boolean): Uint8Array {
    const p = lp.fromFields({
      MType: 'Unconfirmed Data Up', DevAddr: Buffer.from(dev.devAddr, 'hex'), FCnt: fcnt, FCtrl: { ADR: adr }, FOpts: Buffer.from(fopts),
      FPort: 1, payload: Buffer.from([0x2f, 0xe0]),
    }, Buffer.from(dev.appSKey, 'hex'), Buffer.from(dev.nwkSKey, 'hex'));
    return Uint8Array.from(p.getPHYPayload()!);
  }

  it('answers LinkCheckReq and DeviceTimeReq, publishes DevStatusAns, and sends ADR in the FOpts of the RX1 downlink', async () => {
    dir = tmpDir('mac');
    const registryPath = path.join(dir, 'devices.json');
    writeRegistry(registryPath, [DEV_T]);
    pair = await openPtyPair(path.join(dir, 'radio'), path.join(dir, 'gw'));
    radio = new TestRadio({ path: pair.a });
    await radio.open();
    const metrics = new MemMetrics();
    const uplinks: Uplink[] = [];
    ingest = new Ingest({ gatewayId: 'gw', stateDir: path.join(dir, 'state'), registryPath, radios: [{ path: pair.b }], log: new MemLogger(), metrics, heartbeatTimeoutMs: 2500 });
    ingest.onUplink(async (u) => { uplinks.push(u); });
    await ingest.start();
    await waitFor(() => metrics.get('radio_up', { radio: pair!.b }) === 1, 10_000, 'radio up');

    const before = Date.now();
    const rx = radio.uplink(uplink(DEV_T, 1, Uint8Array.from([0x02, 0x0d, 0x06, 0x20, 0x05]), true), { sf: 12, snrDb: 5 });
    const tx = await radio.nextTx(5000);
    expect(tx.atUs).toBe((rx.tsUs + 1_000_000) % 4294967296);
    const p = lp.fromWire(Buffer.from(tx.payload));
    expect(lp.verifyMIC(p, Buffer.from(DEV_T.nwkSKey, 'hex'))).toBe(true);
    const cmds = decodeMac(Uint8Array.from(p.FOpts!), DIR_DOWN);
    expect(cmds.map((c) => c.cid)).toEqual([2, 13, 3]);
    expect(cmds[0]).toEqual({ cid: 2, margin: 25, gwCnt: 1 });
    const t = cmds[1]!.gpsSeconds! + cmds[1]!.fraction! / 256;
    expect(t).toBeGreaterThanOrEqual(gpsTime(before).gpsSeconds);
    expect(t).toBeLessThanOrEqual(gpsTime(Date.now()).gpsSeconds + 1);
    expect(cmds[2]).toMatchObject({ cid: 3, dataRate: 5, txPower: 0 });
    const u = await waitFor(() => uplinks[0], 5000, 'uplink');
    expect(u.devStatus).toEqual({ battery: 32, marginDb: 5 });
    const senml = uplinkToSenml(u);
    expect(senml.filter((r) => r.n?.startsWith('devstatus_'))).toEqual([{ n: 'devstatus_battery', v: 32 }, { n: 'devstatus_margin', u: 'dB', v: 5 }]);
    expect(metrics.get('downlink_tx_requests_total', { kind: 'mac' })).toBe(1);
  });
});
