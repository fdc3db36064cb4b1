// Frame counter and settings across reboots and power cuts; downlink commands.
import { eu868SubBand } from '../../../shared/lorawan/dutycycle.ts';
import { nodeInfo } from '../../../shared/node/info.ts';
import { describe, it, expect } from 'vitest';
import { makeNode, STREET, DEV_ADDR, NWK, APP, Receiver, downlink, session } from '../../helpers/node.ts';
import { VirtualClock } from '../../../sim/clock.ts';
import { createVirtualStreetNode, VirtualStore } from '../../../sim/devices/index.ts';
import type { StreetEnv } from '../../../sim/devices/index.ts';
import { decodeReadings, decodeStatusFrame, decodeAlert } from '../../../shared/payload/kerb.ts';
import { STATUS_REBOOTED, KIND_PM25, KIND_NOISE } from '../../../shared/payload/constants.ts';
import { CMD_ERR_UNKNOWN, CMD_ERR_VALUE, CMD_OK, STATUS_CMD_REJECTED, REC_FCNT_A, REC_FCNT_B, C_WORDS } from '../../../shared/node/constants.ts';
import { encodeWords, decodeWords } from '../../../shared/node/persist.ts';

/** Counter record → { reserved, bootCount } (shared/node: words reserved-lo, reserved-hi, boots). */
function decodeCounter(b: Uint8Array | null): { reserved: number; bootCount: number } | null {
  const w = decodeWords(b, C_WORDS);
  return w ? { reserved: w[0] + w[1] * 65536, bootCount: w[2] } : null;
}
import { sealFrame } from '../../../shared/lorawan/session.ts';
import { portableAes } from '../../../shared/lorawan/aes.ts';

const MIN = 60_000;
const RX2 = 869525000;

function bootFrom(clock: VirtualClock, store: VirtualStore, rx: Receiver, config: Record<string, number> = {}) {
  return createVirtualStreetNode({
    clock, env: () => STREET, devAddr: DEV_ADDR, nwkSKey: NWK, appSKey: APP, store,
    onUplink: (ev) => rx.push(ev), config: { intervalS: 60, ...config },
  });
}

describe('frame counter persistence', () => {
  it('survives reboots and power cuts, never repeats, and writes flash once per block', () => {
    const clock = new VirtualClock(0);
    const rx = new Receiver(); // throws on a MIC failure: a reused or wrong counter breaks the test
    let store = new VirtualStore();
    let vn = bootFrom(clock, store, rx, { counterBlock: 8 });
    vn.start();
    let t = 0;
    for (let boot = 0; boot < 6; boot++) {
      clock.runUntil((t += (5 + boot * 3) * MIN + 17_000)); // odd times: cut mid-cycle too
      // Power cut: the node object is abandoned without stop(); only flash survives.
      const snap = store.snapshot();
      vn.stop();
      store = VirtualStore.restore(snap);
      vn = bootFrom(clock, store, rx, { counterBlock: 8 });
      vn.start();
    }
    clock.runUntil((t += 5 * MIN));
    const f = rx.ups.map((u) => u.fcnt32);
    for (let i = 1; i < f.length; i++) expect(f[i]).toBeGreaterThan(f[i - 1]);
    // Each reboot skips at most one block.
    for (let i = 1; i < f.length; i++) expect(f[i] - f[i - 1]).toBeLessThanOrEqual(8);
    expect(new Set(f).size).toBe(f.length);
    // Flash writes: one per 8 frames plus at most one per boot, on the last store.
    const a = decodeCounter(store.read(REC_FCNT_A));
    const b = decodeCounter(store.read(REC_FCNT_B));
    const last = !b || (a && a.reserved > b.reserved) ? a! : b;
    expect(last.bootCount).toBe(7);
    expect(last.reserved).toBeGreaterThan(f[f.length - 1]);
  });

  it('uses one flash write per 1024 frames by default (a day at one frame per minute)', () => {
    const { clock, vn, rx } = makeNode(() => STREET, { periods: { envMs: 1e12, noiseMs: 1e12 }, fitted: { pm: false } });
    vn.start();
    clock.runUntil(24 * 60 * MIN);
    expect(rx.ups.length).toBeGreaterThanOrEqual(1439);
    expect(vn.store.writesByName.get(REC_FCNT_A)! + (vn.store.writesByName.get(REC_FCNT_B) ?? 0)).toBe(2);
    expect(nodeInfo(vn.node).reserved).toBe(2048);
  });

  it('a first boot reads no record; a torn (unchecked) record counts as absent', () => {
    expect(decodeCounter(null)).toBeNull();
    const b = encodeWords([4096 & 0xffff, 4096 >>> 16, 3], C_WORDS);
    expect(b.length).toBe(7);
    expect(decodeCounter(b)).toEqual({ reserved: 4096, bootCount: 3 });
    expect(decodeCounter(encodeWords([0x5678, 0x1234, 1], C_WORDS))).toEqual({ reserved: 0x12345678, bootCount: 1 });
    b[2] ^= 0x10;
    expect(decodeCounter(b)).toBeNull();
    expect(decodeCounter(new Uint8Array(7).fill(0xff))).toBeNull();
    expect(decodeWords(encodeWords([1, 900, 250, 0, 750, 600], 6), 5)).toBeNull(); // wrong length
    expect(Array.from(decodeWords(encodeWords([1, 900, 250, 0, 750, 600], 6), 6)!)).toEqual([1, 900, 250, 0, 750, 600]);
  });

  it('settings persisted by a downlink are what the next boot uses; a corrupt record means defaults + flag', () => {
    const clock = new VirtualClock(0);
    const rx = new Receiver();
    const store = new VirtualStore();
    store.write('kerb.st', Uint8Array.from([1, 2, 3]));
    const vn = bootFrom(clock, store, rx, { intervalS: 60 });
    vn.start();
    clock.runUntil(MIN + 5000);
    expect((decodeReadings(rx.port(1)[0].plain) as { status: number }).status & 0x80).not.toBe(0); // STATUS_SETTINGS_DEFAULT
    expect(nodeInfo(vn.node).settings.intervalS).toBe(60);
  });
});

/** Runs until just after the next uplink and queues `dl` for its RX2 window. */
function sendDown(clock: VirtualClock, vn: ReturnType<typeof makeNode>['vn'], dl: Uint8Array, untilMs: number): void {
  vn.radio.queueDownlink(dl, RX2, 12);
  clock.runUntil(untilMs);
}

describe('downlink commands (FPort 10)', () => {
  it('set interval: applies at once and persists across reboot', () => {
    const { clock, vn, rx } = makeNode(() => STREET);
    vn.start();
    clock.runUntil(3 * MIN - 1000);
    sendDown(clock, vn, downlink(0, 10, Uint8Array.from([0x01, 120, 0])), 20 * MIN);
    expect(nodeInfo(vn.node).settings.intervalS).toBe(120);
    expect(nodeInfo(vn.node).downFcnt).toBe(0);
    const ups = rx.port(1).filter((u) => u.ev.startMs > 5 * MIN);
    for (let i = 1; i < ups.length; i++) expect(Math.round((ups[i].ev.startMs - ups[i - 1].ev.startMs) / 1000)).toBe(120);
    vn.reboot();
    expect(nodeInfo(vn.node).settings.intervalS).toBe(120);
    const n = rx.ups.length;
    clock.runUntil(30 * MIN);
    expect(rx.ups.length - n).toBe(5); // 10 min at 120 s
    // The stored downlink counter survives too: a replay of frame 0 is rejected after reboot.
    const before = nodeInfo(vn.node).downlinks;
    sendDown(clock, vn, downlink(0, 10, Uint8Array.from([0x01, 30, 0])), 33 * MIN);
    expect(nodeInfo(vn.node).downlinks).toBe(before);
    expect(nodeInfo(vn.node).settings.intervalS).toBe(120);
  });

  it('does not act on a downlink whose counter it could not write to flash', () => {
    const { clock, vn } = makeNode(() => STREET);
    vn.start();
    clock.runUntil(3 * MIN - 1000);
    vn.store.failWrites = true; // flash full / failing
    sendDown(clock, vn, downlink(0, 10, Uint8Array.from([0x01, 120, 0])), 10 * MIN);
    expect(nodeInfo(vn.node).settings.intervalS).not.toBe(120);
    expect(nodeInfo(vn.node).downFcnt).toBe(-1);
    vn.store.failWrites = false;
    // Once flash works again the same (still fresh) frame is accepted and applied.
    sendDown(clock, vn, downlink(0, 10, Uint8Array.from([0x01, 120, 0])), 20 * MIN);
    expect(nodeInfo(vn.node).settings.intervalS).toBe(120);
    expect(nodeInfo(vn.node).downFcnt).toBe(0);
  });

  it('set threshold → an immediate, rate-limited alert frame on FPort 3', () => {
    let noise = 55;
    const env = (): StreetEnv => ({ ...STREET, noiseDb: noise });
    const { clock, vn, rx } = makeNode(env, { periods: { noiseMs: 10_000 }, config: { intervalS: 300 } });
    vn.start();
    clock.runUntil(5 * MIN - 1000);
    // noise alert at 70.0 dB, hold-off 10 min
    sendDown(clock, vn, downlink(0, 10, Uint8Array.from([0x02, KIND_NOISE, 700 & 255, 700 >> 8, 0x05, 0x58, 0x02])), 6 * MIN);
    expect(nodeInfo(vn.node).settings.noiseAlertDeciDb).toBe(700);
    expect(nodeInfo(vn.node).settings.alertHoldoffS).toBe(600);
    noise = 74;
    const rise = clock.now();
    clock.runUntil(7 * MIN);
    const alerts = rx.port(3);
    expect(alerts.length).toBe(1);
    expect(alerts[0].ev.startMs - rise).toBeLessThan(12_000); // next noise sample, not next report
    expect(decodeAlert(alerts[0].plain)).toEqual({ kind: KIND_NOISE, rising: true, value: 740, threshold: 700 });
    // Noise flapping across the threshold every 20 s: at most one alert per 10 min.
    for (let k = 0; k < 60; k++) {
      noise = k % 2 ? 74 : 60;
      clock.advance(20_000);
    }
    const all = rx.port(3);
    for (let i = 1; i < all.length; i++) expect(all[i].ev.startMs - all[i - 1].ev.startMs).toBeGreaterThanOrEqual(600_000);
    expect(all.length).toBeGreaterThanOrEqual(2);
  });

  it('PM2.5 threshold alerts when the PM sample crosses it', () => {
    let pm = 10;
    const { clock, vn, rx } = makeNode(() => ({ ...STREET, pm25: pm }));
    vn.start();
    clock.runUntil(2 * MIN - 1000);
    sendDown(clock, vn, downlink(0, 10, Uint8Array.from([0x02, KIND_PM25, 250, 0])), 3 * MIN);
    pm = 41;
    clock.runUntil(5 * MIN);
    const a = rx.port(3).map((u) => decodeAlert(u.plain));
    expect(a).toEqual([{ kind: KIND_PM25, rising: true, value: 410, threshold: 250 }]);
  });

  it('request status → FPort 2 status frame with the live settings and boot count', () => {
    const { clock, vn, rx } = makeNode(() => STREET, { config: { intervalS: 60, fwVersion: [1, 2, 3], pm25AlertDeciUgm3: 350 } });
    vn.start();
    clock.runUntil(2 * MIN - 1000);
    // The status frame waits for the 1 % sub-band to free up (~100 × the readings frame's airtime).
    sendDown(clock, vn, downlink(5, 10, Uint8Array.from([0x03])), 2 * MIN + 40_000);
    const st = rx.port(2);
    expect(st.length).toBe(1);
    const s = decodeStatusFrame(st[0].plain);
    expect(s).toMatchObject({ fwMajor: 1, fwMinor: 2, fwPatch: 3, reportIntervalS: 60, pm25AlertDeciUgm3: 350, bootCount: 1, status: 0 });
    expect((s as { uptimeS: number }).uptimeS).toBe(Math.floor(st[0].ev.startMs / 1000));
    // The status frame waits for the duty cycle of its sub-band (1 %: 99·T after a frame of T there).
    const sameBand = rx.port(1).filter((u) => eu868SubBand(u.ev.params.freqHz) === eu868SubBand(st[0].ev.params.freqHz)).slice(-1)[0];
    if (sameBand) expect(st[0].ev.startMs - sameBand.ev.startMs).toBeGreaterThanOrEqual(sameBand.ev.toaMs * 100 - 1e-6);
  });

  it('confirmed downlink is ACKed in the next uplink', () => {
    const { clock, vn, rx } = makeNode(() => STREET);
    vn.start();
    clock.runUntil(MIN - 1000);
    sendDown(clock, vn, downlink(0, 10, Uint8Array.from([0x03]), true), MIN + 30_000);
    const after = rx.ups.filter((u) => u.ev.startMs > MIN + 100);
    expect(after.length).toBe(1);
    expect(after[0].frame.ack).toBe(true);
    expect(after[0].frame.fport).toBe(2);
    clock.runUntil(3 * MIN);
    expect(rx.ups[rx.ups.length - 1].frame.ack).toBe(false);
  });

  it('reboot command reboots; the counter continues and the first frame says REBOOTED', () => {
    const { clock, vn, rx } = makeNode(() => STREET);
    vn.start();
    clock.runUntil(3 * MIN - 1000);
    sendDown(clock, vn, downlink(0, 10, Uint8Array.from([0x04, 0xb0])), 6 * MIN);
    expect(vn.power.reboots).toBe(1);
    expect(vn.boots).toBe(2);
    expect(nodeInfo(vn.node).bootCount).toBe(2);
    const f = rx.ups.map((u) => u.fcnt32);
    for (let i = 1; i < f.length; i++) expect(f[i]).toBeGreaterThan(f[i - 1]);
    const post = rx.port(1).filter((u) => u.ev.startMs > 3 * MIN + 5000);
    const r = decodeReadings(post[0].plain) as { status: number };
    expect(r.status & STATUS_REBOOTED).not.toBe(0);
    expect(post[0].fcnt32).toBe(1024);
    // a reboot without the guard byte is refused
    const dn = nodeInfo(vn.node).downFcnt;
    sendDown(clock, vn, downlink(dn + 1, 10, Uint8Array.from([0x04, 0x00])), 8 * MIN);
    expect(vn.power.reboots).toBe(1);
    expect(nodeInfo(vn.node).lastCmdResult).toBe(CMD_ERR_VALUE);
  });

  it('rejects bad MIC, other devices, replays; an invalid command applies nothing and is flagged', () => {
    const { clock, vn, rx } = makeNode(() => STREET);
    vn.start();
    clock.runUntil(MIN - 1000);
    // wrong key
    const evil = { nwkSKey: portableAes(new Uint8Array(16)), appSKey: session.appSKey };
    const forged = sealFrame(evil, { mtype: 3, devAddr: DEV_ADDR, adr: false, adrAckReq: false, ack: false, fpending: false, fcnt: 1, fopts: new Uint8Array(0), fport: 10, payload: Uint8Array.from([0x01, 10, 0]), mic: 0 }, 1);
    sendDown(clock, vn, forged, 2 * MIN - 1000);
    // another device's frame
    const other = sealFrame(session, { mtype: 3, devAddr: 0x26011bdb, adr: false, adrAckReq: false, ack: false, fpending: false, fcnt: 2, fopts: new Uint8Array(0), fport: 10, payload: Uint8Array.from([0x01, 10, 0]), mic: 0 }, 2);
    sendDown(clock, vn, other, 3 * MIN - 1000);
    expect(nodeInfo(vn.node).downlinks).toBe(0);
    expect(nodeInfo(vn.node).settings.intervalS).toBe(60);
    // set interval + unknown opcode in one frame: nothing applied
    sendDown(clock, vn, downlink(7, 10, Uint8Array.from([0x01, 90, 0, 0x7f])), 4 * MIN - 1000);
    expect(nodeInfo(vn.node).downlinks).toBe(1);
    expect(nodeInfo(vn.node).lastCmdResult).toBe(CMD_ERR_UNKNOWN);
    expect(nodeInfo(vn.node).settings.intervalS).toBe(60);
    clock.runUntil(5 * MIN);
    const last = decodeReadings(rx.port(1).slice(-1)[0].plain) as { status: number };
    expect(last.status & STATUS_CMD_REJECTED).not.toBe(0);
    // replay of the accepted frame 7: rejected; frame 8 works and clears the flag
    sendDown(clock, vn, downlink(7, 10, Uint8Array.from([0x01, 90, 0])), 6 * MIN - 1000);
    expect(nodeInfo(vn.node).downlinks).toBe(1);
    sendDown(clock, vn, downlink(8, 10, Uint8Array.from([0x01, 90, 0])), 9 * MIN);
    expect(nodeInfo(vn.node).settings.intervalS).toBe(90);
    expect(nodeInfo(vn.node).lastCmdResult).toBe(CMD_OK);
    // interval below the 10 s floor is a value error
    sendDown(clock, vn, downlink(9, 10, Uint8Array.from([0x01, 5, 0])), 12 * MIN);
    expect(nodeInfo(vn.node).lastCmdResult).toBe(CMD_ERR_VALUE);
    expect(nodeInfo(vn.node).settings.intervalS).toBe(90);
  });

  it('takes a downlink in RX1 too (uplink channel and SF)', () => {
    const { clock, vn } = makeNode(() => STREET);
    vn.radio.onRxWindow = (w) => {
      if (w.params.freqHz !== RX2 && nodeInfo(vn.node).downlinks === 0) vn.radio.deliver(downlink(0, 10, Uint8Array.from([0x01, 45, 0])));
    };
    vn.start();
    clock.runUntil(2 * MIN);
    expect(nodeInfo(vn.node).settings.intervalS).toBe(45);
    expect(vn.radio.rxWindows).toBe(3); // RX1 got it: no RX2 after the first uplink
  });
});
