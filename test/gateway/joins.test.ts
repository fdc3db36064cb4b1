// OTAA through the real ingest path: a socat pty pair, a test radio speaking the kerb serial link,
// Join-requests and data frames built by lora-packet (an independent LoRaWAN implementation),
// which also opens the Join-accept the gateway sends and derives the session keys from it.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Ingest } from '../../gateway/ingest.ts';
import type { Uplink, DownlinkResult } from '../../gateway/types.ts';
import { LINK_TX_TOO_LATE, LINK_TX_OK } from '../../shared/link/link.ts';
import type { TxRequest } from '../../shared/link/link.ts';
import { EU868_RX2_FREQ } from '../../shared/lorawan/dutycycle.ts';
import { openPtyPair } from '../helpers/pty.ts';
import type { PtyPair } from '../helpers/pty.ts';
import { TestRadio } from '../helpers/test-radio.ts';
import { MemLogger, MemMetrics, tmpDir, writeRegistry, loraUplink, waitFor, lp, newDevice } from '../helpers/ingest.ts';

interface OtaaDev { id: string; devEui: string; joinEui: string; appKey: string }

interface Rig {
  dir: string; stateDir: string; registryPath: string; pair: PtyPair; radio: TestRadio; ingest: Ingest;
  log: MemLogger; metrics: MemMetrics; uplinks: Uplink[]; results: DownlinkResult[];
}

let rig: Rig;
let dev: OtaaDev;
const abp = newDevice('lamp-abp');

function makeIngest(r: Omit<Rig, 'ingest' | 'radio' | 'dir'>): Ingest {
  const ingest = new Ingest({
    gatewayId: 'gw-test', stateDir: r.stateDir, registryPath: r.registryPath, radios: [{ path: r.pair.b }], log: r.log, metrics: r.metrics,
    heartbeatTimeoutMs: 2500, backoffMinMs: 100, backoffMaxMs: 800, registryPollMs: 200, netId: 0x000001,
  });
  ingest.onUplink(async (u) => { r.uplinks.push(u); });
  ingest.onDownlinkResult((res) => r.results.push(res));
  return ingest;
}

async function restartIngest(r: Rig): Promise<void> {
  await r.ingest.stop();
  r.ingest = makeIngest(r);
  await r.ingest.start();
  await waitFor(() => r.metrics.get('radio_up', { radio: r.pair.b }) === 1, 10_000, 'radio up after restart');
}

beforeEach(async () => {
  dev = { id: 'lamp-otaa', devEui: '02' + randomBytes(7).toString('hex').toUpperCase(), joinEui: '0000000000000000', appKey: randomBytes(16).toString('hex').toUpperCase() };
  const dir = tmpDir('joins');
  const stateDir = path.join(dir, 'state');
  const registryPath = path.join(dir, 'devices.json');
  writeRegistry(registryPath, [dev, abp]);
  const pair = await openPtyPair(path.join(dir, 'radio'), path.join(dir, 'gw'));
  const radio = new TestRadio({ path: pair.a });
  await radio.open();
  const base = { stateDir, registryPath, pair, log: new MemLogger(), metrics: new MemMetrics(), uplinks: [] as Uplink[], results: [] as DownlinkResult[] };
  const ingest = makeIngest(base);
  await ingest.start();
  await waitFor(() => base.metrics.get('radio_up', { radio: pair.b }) === 1, 10_000, 'radio up');
  rig = { dir, ...base, radio, ingest };
});

afterEach(async () => {
  await rig.ingest.stop();
  await rig.radio.close();
  await rig.pair.close();
  fs.rmSync(rig.dir, { recursive: true, force: true });
});

function joinRequest(d: OtaaDev, devNonce: number, appKey = d.appKey): Uint8Array {
  const p = lp.fromFields({
    MType: 'Join Request', AppEUI: Buffer.from(d.joinEui, 'hex'), DevEUI: Buffer.from(d.devEui, 'hex'),
    DevNonce: Buffer.from([devNonce >> 8, devNonce & 0xff]),
  }, undefined, undefined, Buffer.from(appKey, 'hex'));
  return Uint8Array.from(p.getPHYPayload()!);
}

/** Opens a Join-accept with lora-packet and derives the session as a LoRaWAN 1.0.x device would. */
function openAccept(phy: Uint8Array, d: OtaaDev, devNonce: number): { devAddr: string; nwkSKey: string; appSKey: string; netId: string; rxDelay: number; rx2: number } {
  const key = Buffer.from(d.appKey, 'hex');
  const p = lp.fromWire(lp.decryptJoinAccept(lp.fromWire(Buffer.from(phy)), key));
  expect(p.isJoinAcceptMessage()).toBe(true);
  expect(lp.verifyMIC(p, undefined, key)).toBe(true);
  const k = lp.generateSessionKeys10(key, p.NetID!, p.AppNonce!, Buffer.from([devNonce >> 8, devNonce & 0xff]));
  return {
    devAddr: p.DevAddr!.toString('hex').toUpperCase(), nwkSKey: k.NwkSKey.toString('hex'), appSKey: k.AppSKey.toString('hex'),
    netId: p.NetID!.toString('hex'), rxDelay: p.getRxDelayDel()!, rx2: p.getDLSettingsRxTwoDataRate()!,
  };
}

async function join(devNonce: number, o: { sf?: number; freqHz?: number } = {}): Promise<{ tx: TxRequest; tsUs: number }> {
  const rx = rig.radio.uplink(joinRequest(dev, devNonce), { sf: o.sf ?? 10, freqHz: o.freqHz ?? 868300000 });
  const tx = await rig.radio.nextTx(5000);
  return { tx, tsUs: rx.tsUs };
}

describe('OTAA joins', () => {
  it('answers a Join-request in JOIN_ACCEPT_DELAY1 with a Join-accept lora-packet opens; the derived session then carries uplinks from FCnt 0', async () => {
    const { tx, tsUs } = await join(0);
    // RX1 of the join: JOIN_ACCEPT_DELAY1 = 5 s after the request ended, same channel and SF, inverted IQ.
    expect(tx.atUs).toBe((tsUs + 5_000_000) % 4294967296);
    expect({ freqHz: tx.freqHz, sf: tx.sf, bwHz: tx.bwHz, invertIq: tx.invertIq }).toEqual({ freqHz: 868300000, sf: 10, bwHz: 125000, invertIq: true });
    expect(tx.payload.length).toBe(17);
    const s = openAccept(tx.payload, dev, 0);
    expect(s.netId).toBe('000001');
    // NetID 000001 (type 0, NwkID 1): DevAddr 0x02000000..0x03FFFFFF.
    expect(parseInt(s.devAddr, 16) >>> 25).toBe(1);
    expect(s.rxDelay).toBe(1);
    expect(s.rx2).toBe(0);
    expect(rig.metrics.get('joins_accepted_total')).toBe(1);
    expect(rig.ingest.registry.list().map((d) => d.id).sort()).toEqual(['lamp-abp', 'lamp-otaa']);

    const session = { id: dev.id, devAddr: s.devAddr, nwkSKey: s.nwkSKey, appSKey: s.appSKey };
    rig.radio.uplink(loraUplink(session, 0, Uint8Array.from([0x2f, 0xe0])));
    const u = await waitFor(() => rig.uplinks[0], 5000, 'first uplink of the joined session');
    expect(u.deviceId).toBe('lamp-otaa');
    expect(u.fcnt).toBe(0);
    expect(u.devAddr).toBe(parseInt(s.devAddr, 16));
  });

  it('refuses a DevNonce it has seen, also after a restart; a higher one makes a new session and the old one stops working', async () => {
    const first = openAccept((await join(5)).tx.payload, dev, 5);
    const old = { id: dev.id, devAddr: first.devAddr, nwkSKey: first.nwkSKey, appSKey: first.appSKey };
    rig.radio.uplink(loraUplink(old, 0, Uint8Array.from([1])));
    await waitFor(() => rig.uplinks.length === 1, 5000, 'uplink of the first session');

    // Past the de-duplication window, so the identical request is a replay, not an echo of the first.
    await new Promise((r) => setTimeout(r, 400));
    for (const n of [5, 4]) rig.radio.uplink(joinRequest(dev, n));
    await waitFor(() => rig.metrics.get('joins_rejected_total', { reason: 'devnonce_replay' }) === 2, 5000, 'two replays refused');
    await restartIngest(rig);
    rig.radio.uplink(joinRequest(dev, 5));
    await waitFor(() => rig.metrics.get('joins_rejected_total', { reason: 'devnonce_replay' }) === 3, 5000, 'replay refused after restart');
    expect(rig.radio.txRequests.length).toBe(0);
    expect(rig.ingest.joins.lastDevNonce(dev.devEui)).toBe(5);
    // The session survived the restart.
    rig.radio.uplink(loraUplink(old, 1, Uint8Array.from([2])));
    await waitFor(() => rig.uplinks.length === 2, 5000, 'uplink of the first session after restart');

    const second = openAccept((await join(6)).tx.payload, dev, 6);
    expect(second.nwkSKey).not.toBe(first.nwkSKey);
    rig.radio.uplink(loraUplink(old, 2, Uint8Array.from([3])));
    const fresh = { id: dev.id, devAddr: second.devAddr, nwkSKey: second.nwkSKey, appSKey: second.appSKey };
    rig.radio.uplink(loraUplink(fresh, 0, Uint8Array.from([4])));
    await waitFor(() => rig.uplinks.length === 3, 5000, 'uplink of the new session');
    expect(rig.uplinks[2].fcnt).toBe(0);
    expect(Array.from(rig.uplinks[2].payload)).toEqual([4]);
    await waitFor(() => rig.metrics.sum('frames_rejected_total') === 1, 5000, 'old session refused');
  });

  it('falls back to RX2 (JOIN_ACCEPT_DELAY2, 869.525 MHz SF12) when the radio cannot make RX1', async () => {
    rig.radio.answer = (t) => (t.sf === 12 && t.freqHz === EU868_RX2_FREQ ? LINK_TX_OK : LINK_TX_TOO_LATE);
    const { tx, tsUs } = await join(1, { sf: 7 });
    expect(tx.sf).toBe(7);
    const tx2 = await rig.radio.nextTx(5000);
    expect({ freqHz: tx2.freqHz, sf: tx2.sf, atUs: tx2.atUs }).toEqual({ freqHz: EU868_RX2_FREQ, sf: 12, atUs: (tsUs + 6_000_000) % 4294967296 });
    expect(Buffer.from(tx2.payload).equals(Buffer.from(tx.payload))).toBe(true);
  });

  it('refuses unknown DevEUIs, forged MICs, a wrong JoinEUI and malformed requests without answering', async () => {
    rig.radio.uplink(joinRequest({ ...dev, devEui: '0200000000000001' }, 1));
    rig.radio.uplink(joinRequest(dev, 1, randomBytes(16).toString('hex')));
    rig.radio.uplink(joinRequest({ ...dev, joinEui: '70B3D57ED0000000' }, 1));
    rig.radio.uplink(joinRequest(dev, 1).subarray(0, 20));
    for (const reason of ['unknown_device', 'mic', 'joineui', 'malformed']) {
      await waitFor(() => rig.metrics.get('joins_rejected_total', { reason }) === 1, 5000, `rejected: ${reason}`);
    }
    expect(rig.radio.txRequests.length).toBe(0);
    expect(rig.ingest.joins.lastDevNonce(dev.devEui)).toBe(-1);
    // The forged request did not burn the DevNonce: the real one with the same value joins.
    const { tx } = await join(1);
    expect(openAccept(tx.payload, dev, 1).devAddr).toMatch(/^0[23]/);
  });
});
