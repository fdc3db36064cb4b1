// The ADR algorithm against ChirpStack's own unit tests for it (chirpstack/src/adr/default.rs
// `mod test`, ported case by case), plus what a fleet needs from it: a device heard with margin
// climbs off SF12 step by step, one that is barely heard stays, and power goes up only on a full
// history.
import { describe, it, expect } from 'vitest';
import {
  defaultAdr, idealTxPowerIndexAndDr, nbTransFor, packetLossPct, pushHistory, requiredSnrForSf, ADR_HISTORY,
  INSTALLATION_MARGIN_DB,
} from '../../gateway/adr.ts';
import type { AdrRequest, AdrUplink } from '../../gateway/adr.ts';

const TEMPLATE: AdrRequest = {
  adr: true, dr: 0, txPowerIndex: 0, nbTrans: 1, maxTxPowerIndex: 0, requiredSnrForDr: 0, installationMargin: 0, maxDr: 0, history: [],
};
const up = (o: Partial<AdrUplink>): AdrUplink => ({ fcnt: 0, maxSnr: 0, txPowerIndex: 0, ...o });

describe('ChirpStack default ADR, its own test cases', () => {
  it('packet loss: 2 FCnt gaps over 20 uplinks = 10 %', () => {
    const h: AdrUplink[] = [];
    for (let i = 0; i < 20; i++) h.push(up({ fcnt: i < 5 ? i : i < 10 ? i + 1 : i + 2 }));
    expect(packetLossPct(h)).toBe(10);
    expect(packetLossPct(h.slice(1))).toBe(0); // fewer than 20: not judged
  });

  it.each([[4.99, 3, 2], [9.99, 2, 2], [30, 3, 3]])('NbTrans at %d %% loss, current %d → %d', (loss, cur, want) => {
    expect(nbTransFor(cur, loss)).toBe(want);
  });

  it.each([
    ['nothing to do', 0, 1, 3, 5, 5, 1, 3],
    ['one step: one step data-rate increase', 1, 1, 4, 5, 5, 1, 5],
    ['one step: one step tx-power decrease', 1, 1, 5, 5, 5, 2, 5],
    ['two steps: two steps data-rate increase', 2, 1, 3, 5, 5, 1, 5],
    ['two steps: one step data-rate increase, one step tx-power decrease', 2, 1, 4, 5, 5, 2, 5],
    ['two step tx-power decrease', 2, 1, 5, 5, 5, 3, 5],
    ['two steps: one step tx-power decrease', 2, 5, 5, 5, 5, 5, 5],
    ['one negative step: one step power increase', -1, 1, 5, 5, 5, 0, 5],
    ['one negative step: nothing to do (adr engine will not decrease dr)', -1, 0, 4, 5, 5, 0, 4],
    ['10 negative steps, should not adjust anything', -10, 0, 4, 5, 5, 0, 4],
  ] as const)('%s', (_n, nStep, p, dr, maxP, maxDr, wantP, wantDr) => {
    expect(idealTxPowerIndexAndDr(nStep, p, dr, maxP, maxDr)).toEqual({ txPowerIndex: wantP, dr: wantDr });
  });

  it('handle: ADR off keeps everything; max DR exceeded lowers the DR; margin raises it', () => {
    expect(defaultAdr({ ...TEMPLATE, adr: false, dr: 5, maxDr: 4, maxTxPowerIndex: 5 })).toEqual({ dr: 5, txPowerIndex: 0, nbTrans: 1 });
    expect(defaultAdr({ ...TEMPLATE, dr: 5, maxDr: 4, maxTxPowerIndex: 5, history: [up({ maxSnr: 0 })] })).toEqual({ dr: 4, txPowerIndex: 0, nbTrans: 1 });
    expect(defaultAdr({ ...TEMPLATE, dr: 0, maxDr: 5, maxTxPowerIndex: 5, requiredSnrForDr: -20, history: [up({ maxSnr: -15 })] }))
      .toEqual({ dr: 1, txPowerIndex: 0, nbTrans: 1 });
  });

  it('required SNR per SF (config.rs) and the history window (uplink/data.rs)', () => {
    expect([7, 8, 9, 10, 11, 12].map(requiredSnrForSf)).toEqual([-7.5, -10, -12.5, -15, -17.5, -20]);
    expect(() => requiredSnrForSf(13)).toThrow(/SF13/);
    let h: AdrUplink[] = [];
    for (let i = 0; i < 25; i++) h = pushHistory(h, up({ fcnt: i }));
    h = pushHistory(h, up({ fcnt: 24, maxSnr: 99 }));
    expect(h.map((x) => x.fcnt)).toEqual(Array.from({ length: ADR_HISTORY }, (_, i) => i + 5));
    expect(h.some((x) => x.maxSnr === 99)).toBe(false);
  });
});

describe('ADR for an EU868 fleet (DR0 = SF12 … DR5 = SF7, TXPower 0..7)', () => {
  const eu = (dr: number, p: number, snrs: number[]): AdrRequest => ({
    adr: true, dr, txPowerIndex: p, nbTrans: 1, maxTxPowerIndex: 7, requiredSnrForDr: requiredSnrForSf(12 - dr),
    installationMargin: INSTALLATION_MARGIN_DB, maxDr: 5, history: snrs.map((s, i) => up({ fcnt: i, maxSnr: s, txPowerIndex: p })),
  });

  it('a node heard at +5 dB at SF12 has 15 dB of margin: five steps to SF7 (3 dB per step, truncated)', () => {
    // margin = 5 − (−20) − 10 = 15 → 5 steps: DR0 → DR5
    expect(defaultAdr(eu(0, 0, [5]))).toEqual({ dr: 5, txPowerIndex: 0, nbTrans: 1 });
    // 14.9 dB → 4 steps
    expect(defaultAdr(eu(0, 0, [4.9])).dr).toBe(4);
  });

  it('a node just above the floor stays at SF12; one below gets more power only on a full history', () => {
    expect(defaultAdr(eu(0, 0, [-9]))).toEqual({ dr: 0, txPowerIndex: 0, nbTrans: 1 });
    expect(defaultAdr(eu(0, 3, [-16]))).toEqual({ dr: 0, txPowerIndex: 3, nbTrans: 1 });
    expect(defaultAdr(eu(0, 3, Array(20).fill(-16) as number[]))).toEqual({ dr: 0, txPowerIndex: 1, nbTrans: 1 });
  });

  it('applied round after round, DR goes first, then TX power, and both stop at their limits', () => {
    // The SNR is held at 12 dB (this model does not lower it with TX power). Round 1: 12 − (−20) − 10
    // = 22 dB → 7 steps: DR0 → DR5, then TXPower index 0 → 2.
    let dr = 0;
    let p = 0;
    for (let round = 0; round < 5; round++) {
      const r = defaultAdr(eu(dr, p, [12]));
      dr = r.dr;
      p = r.txPowerIndex;
    }
    // At DR5 (SF7, floor −7.5): 12 + 7.5 − 10 = 9.5 → 3 steps, all TX power once the DR is at max.
    expect(dr).toBe(5);
    expect(p).toBe(7);
  });
});
