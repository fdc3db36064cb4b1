// The region tables against the RP002-1.0.3 tables transcribed in test/vectors/lorawan-regions.json,
// entry by entry, and those transcriptions against LoRaMac-node's (an independent implementation).
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { EU868 } from '../../../shared/lorawan/region/eu868.ts';
import { US915 } from '../../../shared/lorawan/region/us915.ts';
import { AS923_1 } from '../../../shared/lorawan/region/as923.ts';
import { regionByName, REGIONS } from '../../../shared/lorawan/region/all.ts';
import { CFLIST_CHANNEL_MASK, CFLIST_FREQUENCIES, DR_NONE } from '../../../shared/lorawan/region/types.ts';
import type { Region } from '../../../shared/lorawan/region/types.ts';
import {
  channelAllowsDr, dataRateOf, drBwHz, drSf, maxAppPayload, rx1DataRate, rx1FreqHz, subBandMask, txPowerDbm, uplinkChannelOf,
} from '../../../shared/lorawan/region/region.ts';
import { createDutyCycleFor } from '../../../shared/lorawan/dutycycle.ts';

type Rows = Record<string, number[]>;
interface Plan {
  defaultChannelsMHz?: number[]; defaultChannelDrs?: number[]; extraChannelsMHz?: number[];
  dataRates: Record<string, string>;
  maxPayloadRepeater: Rows; maxPayloadNoRepeater: Rows; maxPayloadRepeaterDwell?: Rows; maxPayloadNoRepeaterDwell?: Rows;
  rx1DrOffsets: number; rx1: Rows; rx1DownlinkDwell?: Rows; rx2: { MHz: number; dr: number };
  txPowerDbm: number[]; cfListType: number; dutyCycleSubBands: { fromMHz: number; toMHz: number; percent: number }[]; dwellTimeMs: number;
  uplink125kHz?: { count: number; firstMHz: number; stepMHz: number; lastMHz: number; drs: number[] };
  uplink500kHz?: { count: number; firstMHz: number; stepMHz: number; lastMHz: number; drs: number[] };
  downlink500kHz?: { count: number; firstMHz: number; stepMHz: number; lastMHz: number; drs: number[] };
  subBand2Channels?: number[];
}
const V = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '../../vectors/lorawan-regions.json'), 'utf8')) as {
  regions: Record<string, Plan>; loramacNode: Record<string, Record<string, unknown>>;
};

const hz = (mhz: number): number => Math.round(mhz * 1e6);
const BY_NAME: Record<string, Region> = { EU868, US915, 'AS923-1': AS923_1 };

function ladder(l: { count: number; firstMHz: number; stepMHz: number; lastMHz: number }): number[] {
  const out: number[] = [];
  for (let i = 0; i < l.count; i++) out.push(hz(l.firstMHz) + i * Math.round(l.stepMHz * 1e6));
  expect(out[out.length - 1]).toBe(hz(l.lastMHz));
  return out;
}

describe('region tables match RP002-1.0.3 (test/vectors/lorawan-regions.json)', () => {
  for (const [name, plan] of Object.entries(V.regions)) {
    const r = BY_NAME[name]!;
    describe(name, () => {
      it('is found by name', () => {
        expect(regionByName(name)).toBe(r);
        expect(regionByName(name.toLowerCase())).toBe(r);
        expect(REGIONS).toContain(r);
      });

      it('data rates: SF and bandwidth of every LoRa DR, and nothing at the others', () => {
        for (let dr = 0; dr < 16; dr++) {
          const want = plan.dataRates[String(dr)];
          if (want) {
            const m = /^SF(\d+)BW(\d+)$/.exec(want)!;
            expect([dr, drSf(r, dr), drBwHz(r, dr)]).toEqual([dr, Number(m[1]), Number(m[2]) * 1000]);
          } else expect([dr, drSf(r, dr), drBwHz(r, dr)]).toEqual([dr, 0, 0]);
        }
      });

      it('maximum payload M and N per DR (repeater compatible)', () => {
        for (let dr = 0; dr < 16; dr++) {
          const mn = plan.maxPayloadRepeater[String(dr)];
          if (mn && plan.dataRates[String(dr)]) {
            expect([dr, r.maxMacPayload[dr], maxAppPayload(r, dr, false)]).toEqual([dr, mn[0], mn[1]]);
            expect(mn[0] - mn[1]).toBe(8);
          } else if (!plan.dataRates[String(dr)] && !mn) expect([dr, maxAppPayload(r, dr, false)]).toEqual([dr, -1]);
        }
        if (plan.maxPayloadRepeaterDwell) {
          for (let dr = 0; dr < 8; dr++) {
            const mn = plan.maxPayloadRepeaterDwell[String(dr)];
            expect([dr, maxAppPayload(r, dr, true)]).toEqual([dr, mn ? mn[1] : -1]);
          }
        } else expect(r.maxMacPayloadDwell).toBeNull();
      });

      it('RX1 data rate for every uplink DR and RX1DROffset', () => {
        expect(r.rx1OffsetCount).toBe(plan.rx1DrOffsets);
        for (const [up, row] of Object.entries(plan.rx1)) {
          expect(row).toHaveLength(plan.rx1DrOffsets);
          row.forEach((down, off) => expect([up, off, rx1DataRate(r, Number(up), off, false)]).toEqual([up, off, down]));
        }
        if (plan.rx1DownlinkDwell) {
          for (const [up, row] of Object.entries(plan.rx1DownlinkDwell)) {
            row.forEach((down, off) => expect([up, off, rx1DataRate(r, Number(up), off, true)]).toEqual([up, off, down]));
          }
        } else expect(rx1DataRate(r, 0, 0, true)).toBe(rx1DataRate(r, 0, 0, false));
        expect(rx1DataRate(r, 0, plan.rx1DrOffsets, false)).toBe(DR_NONE);
        expect(rx1DataRate(r, 15, 0, false)).toBe(DR_NONE);
      });

      it('RX2, TX power steps, CFList type, dwell time', () => {
        expect([r.rx2Hz, r.rx2Dr]).toEqual([hz(plan.rx2.MHz), plan.rx2.dr]);
        expect(Array.from({ length: r.txPowerSteps + 1 }, (_, i) => txPowerDbm(r, i))).toEqual([...plan.txPowerDbm, NaN]);
        expect(r.cfListType).toBe(plan.cfListType);
        expect(r.dwellTimeMs).toBe(plan.dwellTimeMs);
      });

      it('duty-cycle sub-bands', () => {
        if (!plan.dutyCycleSubBands.length) {
          expect(r.dutyCycle).toBeNull();
          return;
        }
        const t = r.dutyCycle!;
        expect(t.length / 4).toBe(plan.dutyCycleSubBands.length);
        const dc = createDutyCycleFor(t);
        plan.dutyCycleSubBands.forEach((b, i) => {
          expect(t[i * 4 + 1]).toBeGreaterThanOrEqual(hz(b.toMHz) - 1);
          expect(t[i * 4 + 1]).toBeLessThanOrEqual(hz(b.toMHz));
          expect(t[i * 4]).toBe(hz(b.fromMHz));
          expect(dc.dutyCycle(i) * 100).toBeCloseTo(b.percent, 9);
          // a frequency just inside each band belongs to it
          expect(dc.subBand(hz(b.fromMHz) + 1000)).toBe(i);
        });
      });

      it('channels: frequencies, DR ranges, default and join channels', () => {
        if (plan.defaultChannelsMHz) {
          const defaults = plan.defaultChannelsMHz.map(hz);
          const extra = (plan.extraChannelsMHz ?? []).map(hz);
          expect(Array.from(r.uplinkHz)).toEqual([...defaults, ...extra]);
          expect(Array.from(r.defaultMask)).toEqual([...defaults.map(() => 1), ...extra.map(() => 0)]);
          expect(Array.from(r.joinMask)).toEqual(Array.from(r.defaultMask));
          for (let ch = 0; ch < r.uplinkHz.length; ch++) {
            for (let dr = 0; dr < 8; dr++) expect([ch, dr, channelAllowsDr(r, ch, dr)]).toEqual([ch, dr, dr >= plan.defaultChannelDrs![0]! && dr <= plan.defaultChannelDrs![1]!]);
          }
          expect(r.downlinkHz.length).toBe(0);
          for (const f of defaults) expect(rx1FreqHz(r, f)).toBe(f);
        } else {
          const up = [...ladder(plan.uplink125kHz!), ...ladder(plan.uplink500kHz!)];
          expect(Array.from(r.uplinkHz)).toEqual(up);
          expect(Array.from(r.defaultMask)).toEqual(up.map(() => 1));
          expect(Array.from(r.downlinkHz)).toEqual(ladder(plan.downlink500kHz!));
          for (let ch = 0; ch < 72; ch++) {
            const drs = ch < 64 ? plan.uplink125kHz!.drs : plan.uplink500kHz!.drs;
            for (let dr = 0; dr < 16; dr++) expect([ch, dr, channelAllowsDr(r, ch, dr)]).toEqual([ch, dr, dr >= drs[0]! && dr <= drs[1]!]);
            // RX1 channel = uplink channel mod 8
            expect([ch, rx1FreqHz(r, up[ch]!)]).toEqual([ch, r.downlinkHz[ch % 8]]);
          }
          const sb2 = subBandMask(r, 2)!;
          expect(Array.from(sb2).flatMap((v, i) => (v ? [i] : []))).toEqual(plan.subBand2Channels);
          expect(Array.from(r.kerbMask)).toEqual(Array.from(sb2));
          expect(rx1FreqHz(r, 902400000)).toBe(-1);
        }
        for (let ch = 0; ch < r.uplinkHz.length; ch++) expect(uplinkChannelOf(r, r.uplinkHz[ch]!)).toBe(ch);
        expect(r.cfListType === CFLIST_FREQUENCIES || r.cfListType === CFLIST_CHANNEL_MASK).toBe(true);
      });
    });
  }

  it('dataRateOf finds the uplink DR of an (SF, BW) and refuses others', () => {
    expect(dataRateOf(EU868, 12, 125000)).toBe(0);
    expect(dataRateOf(EU868, 7, 250000)).toBe(6);
    expect(dataRateOf(US915, 8, 500000)).toBe(4);
    expect(dataRateOf(US915, 12, 500000)).toBe(8);
    expect(dataRateOf(US915, 12, 125000)).toBe(DR_NONE);
    expect(dataRateOf(AS923_1, 10, 125000)).toBe(2);
  });

  it('subBandMask exists only for the 72-channel plan', () => {
    expect(subBandMask(EU868, 1)).toBeNull();
    expect(subBandMask(US915, 0)).toBeNull();
    expect(subBandMask(US915, 9)).toBeNull();
    expect(Array.from(subBandMask(US915, 8)!).flatMap((v, i) => (v ? [i] : []))).toEqual([56, 57, 58, 59, 60, 61, 62, 63, 71]);
  });
});

describe('the RP002 transcription agrees with LoRaMac-node', () => {
  const L = V.loramacNode;
  const notRep = (rows: Rows, n: number): number[] => Array.from({ length: n }, (_, dr) => rows[String(dr)]?.[1] ?? 0);
  const sfOf = (plan: Plan, dr: number): number => Number(/^SF(\d+)/.exec(plan.dataRates[String(dr)] ?? 'SF0')![1]);

  it('EU868', () => {
    const p = V.regions.EU868!;
    const l = L.EU868!;
    expect(p.defaultChannelsMHz!.map(hz)).toEqual(l.channels);
    expect(p.defaultChannelDrs).toEqual([l.channelDrMin, l.channelDrMax]);
    expect(Array.from({ length: 7 }, (_, dr) => sfOf(p, dr))).toEqual((l.Datarates as number[]).slice(0, 7));
    expect(notRep(p.maxPayloadNoRepeater, 8)).toEqual(l.MaxPayloadOfDatarate);
    expect([hz(p.rx2.MHz), p.rx2.dr, p.txPowerDbm[0], p.txPowerDbm.length, p.rx1DrOffsets - 1]).toEqual([l.RX_WND_2_FREQ, l.RX_WND_2_DR, l.DEFAULT_MAX_EIRP, l.TX_POWER_STEPS, l.MAX_RX1_DR_OFFSET]);
    // LoRaMac-node orders its bands differently (it merges and renumbers); compare the set of duty cycles.
    expect(p.dutyCycleSubBands.map((b) => Math.round(100 / b.percent)).sort()).toEqual([...(l.BANDS_DUTY_CYCLE_DENOMINATORS as number[])].sort());
  });

  it('US915', () => {
    const p = V.regions.US915!;
    const l = L.US915!;
    expect(Array.from({ length: 16 }, (_, dr) => sfOf(p, dr))).toEqual(l.Datarates);
    expect(notRep(p.maxPayloadNoRepeater, 16)).toEqual(l.MaxPayloadOfDatarate);
    expect([0, 1, 2, 3, 4].map((dr) => p.rx1[String(dr)])).toEqual(l.DatarateOffsets);
    expect([hz(p.downlink500kHz!.firstMHz), hz(p.downlink500kHz!.lastMHz), Math.round(p.downlink500kHz!.stepMHz * 1e6)]).toEqual([l.FIRST_RX1_CHANNEL, l.LAST_RX1_CHANNEL, l.STEPWIDTH_RX1_CHANNEL]);
    expect(p.uplink125kHz!.count + p.uplink500kHz!.count).toBe(l.MAX_NB_CHANNELS);
    expect([hz(p.rx2.MHz), p.rx2.dr, p.txPowerDbm[0], p.txPowerDbm.length]).toEqual([l.RX_WND_2_FREQ, l.RX_WND_2_DR, l.DEFAULT_MAX_ERP, l.TX_POWER_STEPS]);
  });

  it('AS923-1', () => {
    const p = V.regions['AS923-1']!;
    const l = L['AS923-1']!;
    expect(p.defaultChannelsMHz!.map(hz)).toEqual(l.channels);
    expect(Array.from({ length: 7 }, (_, dr) => sfOf(p, dr))).toEqual((l.Datarates as number[]).slice(0, 7));
    expect(notRep(p.maxPayloadNoRepeater, 8)).toEqual(l.MaxPayloadOfDatarateDwell0);
    expect(notRep(p.maxPayloadNoRepeaterDwell!, 8)).toEqual(l.MaxPayloadOfDatarateDwell1);
    expect(Array.from({ length: 8 }, (_, dr) => p.rx1[String(dr)])).toEqual(l.EffectiveRx1DrOffsetDownlinkDwell0);
    expect(Array.from({ length: 8 }, (_, dr) => p.rx1DownlinkDwell![String(dr)])).toEqual(l.EffectiveRx1DrOffsetDownlinkDwell1);
    expect([hz(p.rx2.MHz), p.rx2.dr, p.txPowerDbm[0], p.txPowerDbm.length]).toEqual([l.RX_WND_2_FREQ, l.RX_WND_2_DR, l.DEFAULT_MAX_EIRP, l.TX_POWER_STEPS]);
    expect([AS923_1.defaultDr, AS923_1.dwellTimeMs > 0 ? 1 : 0, AS923_1.downlinkDwell ? 1 : 0]).toEqual([l.DEFAULT_DATARATE, l.DEFAULT_UPLINK_DWELL_TIME, l.DEFAULT_DOWNLINK_DWELL_TIME]);
  });
});
