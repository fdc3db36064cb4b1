import { describe, expect, it } from 'vitest';
import {
  createMacDevice, onDownlinkMac, uplinkMac, gpsNow, joinDutyCycle, nextJoinAtMs, ASK_LINK_CHECK, ASK_DEVICE_TIME, ADR_ACK_LIMIT, ADR_ACK_DELAY,
} from '../../../shared/lorawan/device-mac.ts';
import { decodeMac, encodeMac } from '../../../shared/lorawan/mac.ts';
import type { MacCommand } from '../../../shared/lorawan/mac.ts';
import { DIR_DOWN, DIR_UP } from '../../../shared/lorawan/constants.ts';
import { NetworkMac } from '../../../gateway/mac.ts';
import { validateRegistry } from '../../../host/registry.ts';
import { MemLogger, newDevice } from '../../helpers/ingest.ts';

const down = (cmds: MacCommand[]): Uint8Array => encodeMac(cmds, DIR_DOWN);
const upCmds = (b: Uint8Array): MacCommand[] => decodeMac(b, DIR_UP);

describe('device MAC layer (EU868)', () => {
  it('follows an acceptable LinkADRReq and answers 0x07; refuses an impossible one entirely', () => {
    const d = createMacDevice(0);
    onDownlinkMac(d, down([{ cid: 3, dataRate: 5, txPower: 2, chMask: 7, chMaskCntl: 0, nbTrans: 2 }]), 255, 0);
    expect([d.dr, d.txPower, d.nbTrans, d.chMask]).toEqual([5, 2, 2, 7]);
    expect(upCmds(uplinkMac(d, 0, true).fopts)).toEqual([{ cid: 3, status: 7 }]);
    // channel 5 is not defined: channel-mask NACK, nothing applied (§5.3)
    onDownlinkMac(d, down([{ cid: 3, dataRate: 1, txPower: 0, chMask: 0x20, chMaskCntl: 0, nbTrans: 1 }]), 255, 0);
    expect([d.dr, d.txPower]).toEqual([5, 2]);
    expect(upCmds(uplinkMac(d, 0, true).fopts)).toEqual([{ cid: 3, status: 6 }]);
    // DR 0xF / TXPower 0xF keep the current value (1.0.4); ChMaskCntl 6 = every defined channel on
    onDownlinkMac(d, down([{ cid: 3, dataRate: 15, txPower: 15, chMask: 0, chMaskCntl: 6, nbTrans: 0 }]), 255, 0);
    expect([d.dr, d.txPower, d.nbTrans, d.chMask]).toEqual([5, 2, 1, 7]);
    expect(upCmds(uplinkMac(d, 0, true).fopts)).toEqual([{ cid: 3, status: 7 }]);
    // DR 7 is beyond EU868 LoRa 125 kHz for kerb: DR NACK
    onDownlinkMac(d, down([{ cid: 3, dataRate: 7, txPower: 0, chMask: 7, chMaskCntl: 0, nbTrans: 1 }]), 255, 0);
    expect(upCmds(uplinkMac(d, 0, true).fopts)).toEqual([{ cid: 3, status: 5 }]);
  });

  it('sticky answers repeat in every uplink until a downlink arrives; ordinary ones go once', () => {
    const d = createMacDevice(0);
    onDownlinkMac(d, down([{ cid: 5, rx1DrOffset: 1, rx2DataRate: 3, freqHz: 869525000 }, { cid: 8, delay: 2 }, { cid: 6 }, { cid: 4, maxDutyCycle: 3 }]), 200, 7.6);
    expect([d.rx1DrOffset, d.rx2Dr, d.rxDelayS, d.maxDutyCycle]).toEqual([1, 3, 2, 3]);
    const first = upCmds(uplinkMac(d, 0, false).fopts);
    expect(first).toEqual([{ cid: 6, battery: 200, margin: 8 }, { cid: 4 }, { cid: 5, status: 7 }, { cid: 8 }]);
    expect(upCmds(uplinkMac(d, 0, false).fopts)).toEqual([{ cid: 5, status: 7 }, { cid: 8 }]);
    expect(upCmds(uplinkMac(d, 0, false).fopts)).toEqual([{ cid: 5, status: 7 }, { cid: 8 }]);
    onDownlinkMac(d, new Uint8Array(0), 200, 0);
    expect(uplinkMac(d, 0, false).fopts.length).toBe(0);
  });

  it('RXParamSetupReq out of band is refused and not applied; NewChannelReq defines channels 3..15 only', () => {
    const d = createMacDevice(0);
    onDownlinkMac(d, down([{ cid: 5, rx1DrOffset: 1, rx2DataRate: 3, freqHz: 915000000 }]), 255, 0);
    expect(d.rx2Hz).toBe(869525000);
    onDownlinkMac(d, down([{ cid: 7, chIndex: 3, freqHz: 867100000, minDr: 0, maxDr: 5 }, { cid: 7, chIndex: 1, freqHz: 867300000, minDr: 0, maxDr: 5 }]), 255, 0);
    expect(d.freqs[3]).toBe(867100000);
    expect(d.freqs[1]).toBe(868300000);
    expect(d.chMask).toBe(0xf);
    expect(upCmds(uplinkMac(d, 0, false).fopts)).toEqual([{ cid: 7, status: 3 }, { cid: 7, status: 2 }]);
  });

  it('asks LinkCheckReq and DeviceTimeReq, keeps the answers; GPS time counts on from the uplink end', () => {
    const d = createMacDevice(0);
    expect(upCmds(uplinkMac(d, ASK_LINK_CHECK | ASK_DEVICE_TIME, false).fopts)).toEqual([{ cid: 2 }, { cid: 13 }]);
    d.uplinkEndMs = 10_000;
    onDownlinkMac(d, down([{ cid: 2, margin: 20, gwCnt: 2 }, { cid: 13, gpsSeconds: 1480507218, fraction: 128 }]), 255, 0);
    expect([d.linkMargin, d.linkGwCnt]).toEqual([20, 2]);
    expect(gpsNow(d, 12_500)).toBe(1480507221);
  });

  it('ADR fallback: ADRACKReq from ADR_ACK_LIMIT uplinks without a downlink, then power, then DR steps every ADR_ACK_DELAY', () => {
    const d = createMacDevice(5);
    d.txPower = 3;
    const trace: [boolean, number, number][] = [];
    for (let i = 0; i < ADR_ACK_LIMIT + 4 * ADR_ACK_DELAY + 1; i++) {
      const r = uplinkMac(d, 0, true);
      trace.push([r.adrAckReq, d.txPower, d.dr]);
    }
    expect(trace[ADR_ACK_LIMIT - 1]).toEqual([false, 3, 5]);
    expect(trace[ADR_ACK_LIMIT]).toEqual([true, 3, 5]);
    expect(trace[ADR_ACK_LIMIT + ADR_ACK_DELAY]).toEqual([true, 0, 5]);
    expect(trace[ADR_ACK_LIMIT + 2 * ADR_ACK_DELAY]).toEqual([true, 0, 4]);
    expect(trace[ADR_ACK_LIMIT + 3 * ADR_ACK_DELAY]).toEqual([true, 0, 3]);
    onDownlinkMac(d, new Uint8Array(0), 255, 0);
    expect(uplinkMac(d, 0, true).adrAckReq).toBe(false);
  });

  it('join back-off (LoRaWAN 1.0.4 §7): 1 % the first hour, 0.1 % to hour 11, 0.01 % after', () => {
    expect([0, 3599_999, 3600_000, 11 * 3600_000 - 1, 11 * 3600_000].map(joinDutyCycle)).toEqual([0.01, 0.01, 0.001, 0.001, 0.0001]);
    expect(nextJoinAtMs(0, 1000, 1482)).toBe(1000 + 148_200);
    expect(nextJoinAtMs(0, 2 * 3600_000, 1482)).toBe(2 * 3600_000 + 1_482_000);
  });

  it('with the gateway\'s MAC layer: a device at SF12 is moved to SF7 and the gateway learns the power it applied', () => {
    const reg = validateRegistry({ devices: [newDevice('lamp-mac')] }).devices[0]!;
    const gw = new NetworkMac({ log: new MemLogger(), devStatusIntervalMs: 0 });
    const d = createMacDevice(0);
    const meta = { gatewayId: 'g', radioId: 'r', rssiDbm: -90, snrDb: 8, freqHz: 868100000, bwHz: 125000, cr: 1, tsUs: 0 };
    for (let fcnt = 0; fcnt < 2; fcnt++) {
      const up = uplinkMac(d, 0, true);
      const r = gw.onUplink({ dev: reg, fopts: up.fopts, fport: 1, payload: new Uint8Array(0), adrBit: true, fcnt32: fcnt, meta: { ...meta, sf: 12 - d.dr }, gwCount: 1, maxSnrDb: 8, receivedAt: fcnt * 1000 });
      onDownlinkMac(d, r.fopts, 255, 8);
    }
    // Round 1: 8 − (−20) − 10 = 18 dB → 6 steps: DR0 → DR5 and TXPower 1. Round 2, at SF7: the
    // LinkADRAns confirms TXPower 1 to the gateway; 8 + 7.5 − 10 = 5.5 dB → one more power step.
    expect(d.dr).toBe(5);
    expect(d.txPower).toBe(2);
    expect(gw.radioSettings('lamp-mac')).toEqual({ txPowerIndex: 1, nbTrans: 1 });
  });
});
