// The ingest side end to end on real parts: a socat pty pair, a test radio speaking the kerb serial
// link on one end, Ingest (serialport) on the other; frames built by lora-packet.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SerialPort } from 'serialport';
import { Ingest } from '../../gateway/ingest.ts';
import type { IngestOptions } from '../../gateway/ingest.ts';
import type { Uplink, DownlinkResult, LinkTransport } from '../../gateway/types.ts';
import { encodeLinkMessage, LINK_RX, LINK_TX_HW, LINK_TX_OK, LINK_TX_TOO_LATE } from '../../shared/link/link.ts';
import { openPtyPair } from '../helpers/pty.ts';
import type { PtyPair } from '../helpers/pty.ts';
import { TestRadio } from '../helpers/test-radio.ts';
import { MemLogger, MemMetrics, newDevice, tmpDir, writeRegistry, loraUplink, waitFor, lp } from '../helpers/ingest.ts';
import type { TestDevice } from '../helpers/ingest.ts';

const vectors = JSON.parse(fs.readFileSync(new URL('../vectors/payload-kerb.json', import.meta.url), 'utf8')) as {
  readings: { name: string; readings: Record<string, number>; hex: string }[];
};
const REF = vectors.readings.find((v) => v.name === 'reference message')!;
const REF_BYTES = Uint8Array.from(Buffer.from(REF.hex, 'hex'));

// Wider than ChirpStack's 200 ms so that a loaded CI machine cannot split one frame's receptions.
const DEDUP_MS = 400;
const msb = (n: number): Buffer => Buffer.from([(n >>> 16) & 255, n >>> 24]);

interface Rig {
  dir: string;
  stateDir: string;
  registryPath: string;
  pair: PtyPair;
  radio: TestRadio;
  ingest: Ingest;
  log: MemLogger;
  metrics: MemMetrics;
  uplinks: Uplink[];
  results: DownlinkResult[];
}

let rig: Rig;
let devA: TestDevice;
let devB: TestDevice;

function makeIngest(r: Pick<Rig, 'stateDir' | 'registryPath' | 'pair' | 'log' | 'metrics' | 'uplinks' | 'results'>, extra: Partial<IngestOptions> = {}): Ingest {
  const ingest = new Ingest({
    gatewayId: 'gw-test', stateDir: r.stateDir, registryPath: r.registryPath,
    radios: [{ path: r.pair.b }], log: r.log, metrics: r.metrics,
    heartbeatTimeoutMs: 2500, backoffMinMs: 100, backoffMaxMs: 800, registryPollMs: 200, dedupWindowMs: DEDUP_MS, ...extra,
  });
  ingest.onUplink(async (u) => { r.uplinks.push(u); });
  ingest.onDownlinkResult((res) => r.results.push(res));
  return ingest;
}

async function startRig(): Promise<Rig> {
  const dir = tmpDir('ingest');
  const stateDir = path.join(dir, 'state');
  const registryPath = path.join(dir, 'devices.json');
  writeRegistry(registryPath, [devA, devB]);
  const pair = await openPtyPair(path.join(dir, 'radio'), path.join(dir, 'gw'));
  const radio = new TestRadio({ path: pair.a });
  await radio.open();
  const base = { stateDir, registryPath, pair, log: new MemLogger(), metrics: new MemMetrics(), uplinks: [] as Uplink[], results: [] as DownlinkResult[] };
  const ingest = makeIngest(base);
  await ingest.start();
  await waitFor(() => base.metrics.get('radio_up', { radio: pair.b }) === 1, 10_000, 'radio up');
  return { dir, ...base, radio, ingest };
}

async function stopRig(r: Rig | undefined): Promise<void> {
  if (!r) return;
  await r.ingest.stop();
  await r.radio.close();
  await r.pair.close();
  fs.rmSync(r.dir, { recursive: true, force: true });
}

/** Restarts Ingest on the same state directory (a gateway restart). */
async function restartIngest(r: Rig): Promise<void> {
  await r.ingest.stop();
  r.ingest = makeIngest(r);
  await r.ingest.start();
  await waitFor(() => r.metrics.get('radio_up', { radio: r.pair.b }) === 1, 10_000, 'radio up after restart');
}

beforeEach(async () => {
  devA = newDevice('lamp-0001');
  devB = newDevice('lamp-0002');
  rig = await startRig();
});

afterEach(async () => {
  await stopRig(rig);
});

describe('uplinks from a serial radio', () => {
  it('decodes a lora-packet frame to the reference readings with the radio metadata', async () => {
    const rx = rig.radio.uplink(loraUplink(devA, 7, REF_BYTES), { rssiDbm: -101, snrDb: -3.5, freqHz: 868300000, sf: 9 });
    const u = await waitFor(() => rig.uplinks[0], 5000, 'uplink');
    expect(u.deviceId).toBe('lamp-0001');
    expect(u.devAddr).toBe(parseInt(devA.devAddr, 16));
    expect(u.fcnt).toBe(7);
    expect(u.fport).toBe(1);
    expect(u.confirmed).toBe(false);
    expect(Buffer.from(u.payload).toString('hex')).toBe(REF.hex);
    expect(u.readings).toEqual(REF.readings);
    expect(u.meta).toEqual({
      gatewayId: 'gw-test', radioId: rig.pair.b, rssiDbm: -101, snrDb: -3.5, freqHz: 868300000, sf: 9, bwHz: 125000, cr: 1, tsUs: rx.tsUs,
    });
    expect(rig.metrics.get('frames_received_total', { radio: rig.pair.b })).toBe(1);
  });

  it('reconstructs 32-bit frame counters across the 16-bit wrap, in order per device', async () => {
    for (const n of [65534, 65535, 65536, 65537, 70000]) rig.radio.uplink(loraUplink(devB, n, REF_BYTES));
    await waitFor(() => rig.uplinks.length === 5, 5000, '5 uplinks');
    expect(rig.uplinks.map((u) => u.fcnt)).toEqual([65534, 65535, 65536, 65537, 70000]);
  });

  it('rejects forged MICs, unknown devices and malformed frames, counts them and carries on', async () => {
    const good = loraUplink(devA, 1, REF_BYTES);
    const forged = good.slice();
    forged[forged.length - 1] ^= 0x01; // MIC
    const tampered = good.slice();
    tampered[10] ^= 0x80; // ciphertext: the MIC no longer matches
    const wrongKey = loraUplink({ ...devA, nwkSKey: randomBytes(16).toString('hex') }, 1, REF_BYTES);
    const stranger = loraUplink(newDevice('nobody', 'DEADBEEF'), 1, REF_BYTES);
    for (const f of [forged, tampered, wrongKey]) rig.radio.uplink(f);
    rig.radio.uplink(stranger);
    rig.radio.uplink(Uint8Array.from([0x40, 1, 2, 3])); // 4 bytes: too short for a data frame
    rig.radio.uplink(good);
    await waitFor(() => rig.uplinks.length === 1, 5000, 'the good uplink');
    await waitFor(() => rig.metrics.sum('frames_rejected_total') === 5, 5000, '5 rejections');
    expect(rig.metrics.get('frames_rejected_total', { reason: 'mic' })).toBe(3);
    expect(rig.metrics.get('frames_rejected_total', { reason: 'unknown_device' })).toBe(1);
    expect(rig.metrics.get('frames_rejected_total', { reason: 'malformed' })).toBe(1);
    expect(rig.uplinks[0].fcnt).toBe(1);
    // Rate-limited: three MIC failures, one log line (the rest go into the periodic summary).
    expect(rig.log.count(/frame rejected: mic/)).toBe(1);
  });

  it('rejects replays and stale counters, also after the gateway restarts', async () => {
    const f10 = loraUplink(devA, 10, REF_BYTES);
    rig.radio.uplink(f10);
    await waitFor(() => rig.uplinks.length === 1, 5000, 'first uplink');
    await new Promise((r) => setTimeout(r, DEDUP_MS + 100)); // past the de-duplication window
    rig.radio.uplink(f10); // replay
    rig.radio.uplink(loraUplink(devA, 9, REF_BYTES)); // stale
    await waitFor(() => rig.metrics.get('frames_rejected_total', { reason: 'replay' }) === 2, 5000, 'two replay rejections');

    await restartIngest(rig);
    rig.radio.uplink(f10);
    rig.radio.uplink(loraUplink(devA, 3, REF_BYTES));
    await waitFor(() => rig.metrics.get('frames_rejected_total', { reason: 'replay' }) === 4, 5000, 'replays rejected after restart');
    rig.radio.uplink(loraUplink(devA, 11, REF_BYTES));
    await waitFor(() => rig.uplinks.length === 2, 5000, 'next uplink after restart');
    expect(rig.uplinks.map((u) => u.fcnt)).toEqual([10, 11]);
  });

  it('survives garbage, truncated link frames and corrupted CRCs on the serial line', async () => {
    const pkt = encodeLinkMessage({
      type: LINK_RX, payload: loraUplink(devA, 1, REF_BYTES), rssiDbm: -90, snrDb: 5, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: 1,
    });
    rig.radio.writeRaw(Uint8Array.from(randomBytes(700)));     // noise (oversize frames, bad COBS/CRC)
    rig.radio.writeRaw(pkt.subarray(0, pkt.length - 6));       // truncated: resynchronised by the next 0x00
    const bad = pkt.slice();
    bad[5] ^= 0x55;                                            // CRC-16 mismatch
    rig.radio.writeRaw(bad);
    rig.radio.uplink(loraUplink(devA, 2, REF_BYTES));
    await waitFor(() => rig.uplinks.length === 1, 5000, 'uplink after garbage');
    expect(rig.uplinks[0].fcnt).toBe(2);
    expect(rig.metrics.sum('link_errors_total')).toBeGreaterThanOrEqual(2);
    expect(rig.metrics.get('radio_up', { radio: rig.pair.b })).toBe(1);
  });
});

describe('radio failures', () => {
  it('recovers when the pty disappears and comes back (unplug / replug), logging the outage once', async () => {
    await rig.radio.close();
    await rig.pair.close(); // unplug: socat gone, both links removed
    await waitFor(() => rig.metrics.get('radio_up', { radio: rig.pair.b }) === 0, 5000, 'radio down');
    await new Promise((r) => setTimeout(r, 1500)); // several reconnect attempts against a missing path
    const unavailable = rig.log.count(/radio unavailable/);
    expect(rig.log.count(/radio down/)).toBe(1);
    expect(unavailable).toBeLessThanOrEqual(1);

    rig.pair = await openPtyPair(rig.pair.a, rig.pair.b); // replug at the same path
    rig.radio = new TestRadio({ path: rig.pair.a });
    await rig.radio.open();
    await waitFor(() => rig.metrics.get('radio_up', { radio: rig.pair.b }) === 1, 10_000, 'radio up again');
    rig.radio.uplink(loraUplink(devA, 5, REF_BYTES));
    await waitFor(() => rig.uplinks.length === 1, 5000, 'uplink after replug');
    expect(rig.log.count(/radio down/)).toBe(1);
    expect(rig.log.count(/radio unavailable/)).toBe(unavailable);
  });

  it('detects a silent radio by its missing heartbeat and reconnects', async () => {
    rig.radio.setHeartbeat(false);
    await waitFor(() => rig.metrics.get('link_errors_total', { radio: rig.pair.b, reason: 'heartbeat' }) >= 1, 8000, 'heartbeat timeout');
    expect(rig.metrics.get('radio_up', { radio: rig.pair.b })).toBe(0);
    rig.radio.setHeartbeat(true);
    await waitFor(() => rig.metrics.get('radio_up', { radio: rig.pair.b }) === 1, 8000, 'radio up after heartbeat resumes');
    rig.radio.uplink(loraUplink(devA, 1, REF_BYTES));
    await waitFor(() => rig.uplinks.length === 1, 5000, 'uplink');
  });
});

describe('radio failures (continued)', () => {
  it('reports "cannot lock port" once while another process holds the radio, and takes it when freed', async () => {
    await rig.ingest.stop();
    const holder = new SerialPort({ path: rig.pair.b, baudRate: 115200, autoOpen: false, lock: true });
    await new Promise<void>((res, rej) => holder.open((e) => (e ? rej(e) : res())));
    try {
      rig.ingest = makeIngest(rig);
      await rig.ingest.start();
      await waitFor(() => rig.log.lines.find((l) => l.fields?.reason === 'serial_locked'), 5000, 'lock failure logged');
      await new Promise((r) => setTimeout(r, 1200)); // several retries
      const locked = rig.log.lines.filter((l) => l.fields?.reason === 'serial_locked');
      expect(locked.length).toBe(1);
      expect(String(locked[0].fields?.detail)).toMatch(/cannot lock port/);
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
    await waitFor(() => rig.metrics.get('radio_up', { radio: rig.pair.b }) === 1, 10_000, 'radio up once the port is free');
  });

  it('treats a line carrying only garbage as dead (wrong baud rate) and reopens it', async () => {
    rig.radio.setHeartbeat(false);
    const noise = setInterval(() => rig.radio.writeRaw(Uint8Array.from(randomBytes(64)).map((b) => b | 1)), 100);
    try {
      await waitFor(() => rig.metrics.get('link_errors_total', { radio: rig.pair.b, reason: 'garbage' }) >= 1, 8000, 'garbage detected');
    } finally {
      clearInterval(noise);
    }
    expect(rig.log.lines.find((l) => l.msg.includes('radio down'))?.fields?.reason).toBe('garbage');
    rig.radio.setHeartbeat(true);
    await waitFor(() => rig.metrics.get('radio_up', { radio: rig.pair.b }) === 1, 8000, 'radio up again');
  });
});

describe('class A downlinks', () => {
  it('sends a queued command in RX1 after the next uplink, encrypted with FCntDown, and reports it sent', async () => {
    const cmd = Uint8Array.from([0x01, 0x02, 0x58]);
    await rig.ingest.queueDownlink({ id: 'tx-1', deviceId: 'lamp-0001', fport: 10, payload: cmd, confirmed: false, expiresAt: Date.now() + 60_000 });
    expect(rig.results.map((r) => r.state)).toEqual(['queued']);
    expect(fs.existsSync(path.join(rig.stateDir, 'downlinks.json'))).toBe(true);

    const rx = rig.radio.uplink(loraUplink(devA, 20, REF_BYTES), { freqHz: 868500000, sf: 8 });
    const tx = await rig.radio.nextTx(5000);
    expect(tx.atUs).toBe((rx.tsUs + 1_000_000) % 4294967296);
    expect([tx.freqHz, tx.sf, tx.bwHz, tx.cr, tx.invertIq]).toEqual([868500000, 8, 125000, 1, true]);
    const pkt = lp.fromWire(Buffer.from(tx.payload));
    expect(pkt.getMType()).toBe('Unconfirmed Data Down');
    expect(pkt.getBuffers().DevAddr!.toString('hex').toUpperCase()).toBe(devA.devAddr);
    expect(pkt.getFPort()).toBe(10);
    expect(pkt.getFCnt()).toBe(0);
    expect(pkt.getFCtrlACK()).toBe(false);
    expect(lp.verifyMIC(pkt, Buffer.from(devA.nwkSKey, 'hex'), undefined, msb(0))).toBe(true);
    expect([...lp.decrypt(pkt, Buffer.from(devA.appSKey, 'hex'), Buffer.from(devA.nwkSKey, 'hex'), msb(0))]).toEqual([...cmd]);
    await waitFor(() => rig.results.find((r) => r.state === 'sent'), 5000, 'sent');
    expect(rig.results.find((r) => r.state === 'sent')).toMatchObject({ id: 'tx-1', deviceId: 'lamp-0001', fcntDown: 0 });
  });

  it('confirmed command: FPending while more wait, acknowledged by the next uplink; FCntDown survives a restart', async () => {
    await rig.ingest.queueDownlink({ id: 'c-1', deviceId: 'lamp-0002', fport: 10, payload: Uint8Array.from([1]), confirmed: true, expiresAt: Date.now() + 60_000 });
    await rig.ingest.queueDownlink({ id: 'c-2', deviceId: 'lamp-0002', fport: 11, payload: Uint8Array.from([2]), confirmed: false, expiresAt: Date.now() + 60_000 });
    rig.radio.uplink(loraUplink(devB, 1, REF_BYTES, { confirmed: true }));
    const t1 = lp.fromWire(Buffer.from((await rig.radio.nextTx()).payload));
    expect(t1.getMType()).toBe('Confirmed Data Down');
    expect(t1.getFCtrlACK()).toBe(true); // acknowledges the confirmed uplink
    expect(t1.getFCtrlFPending()).toBe(true); // c-2 still waiting
    expect(t1.getFCnt()).toBe(0);
    await waitFor(() => rig.results.find((r) => r.id === 'c-1' && r.state === 'sent'), 5000, 'c-1 sent');

    await restartIngest(rig);
    rig.radio.uplink(loraUplink(devB, 2, REF_BYTES, { ack: true }));
    await waitFor(() => rig.results.find((r) => r.id === 'c-1' && r.state === 'acknowledged'), 5000, 'c-1 acknowledged');
    const t2 = lp.fromWire(Buffer.from((await rig.radio.nextTx()).payload));
    expect(t2.getFPort()).toBe(11);
    expect(t2.getFCnt()).toBe(1); // the persisted downlink counter moved on across the restart
    expect(t2.getFCtrlFPending()).toBe(false);
    expect([...lp.decrypt(t2, Buffer.from(devB.appSKey, 'hex'), Buffer.from(devB.nwkSKey, 'hex'), msb(1))]).toEqual([2]);
  });

  it('answers a confirmed uplink with an empty ACK when nothing is queued', async () => {
    rig.radio.uplink(loraUplink(devA, 3, REF_BYTES, { confirmed: true }));
    const pkt = lp.fromWire(Buffer.from((await rig.radio.nextTx()).payload));
    expect(pkt.getMType()).toBe('Unconfirmed Data Down');
    expect(pkt.getFCtrlACK()).toBe(true);
    expect(pkt.getFPort()).toBe(null);
    expect(lp.verifyMIC(pkt, Buffer.from(devA.nwkSKey, 'hex'), undefined, msb(0))).toBe(true);
    expect(rig.results).toEqual([]);
  });

  it('acknowledges a retransmitted confirmed uplink again without republishing it, a bounded number of times', async () => {
    const f = loraUplink(devA, 40, REF_BYTES, { confirmed: true });
    rig.radio.uplink(f);
    expect(lp.fromWire(Buffer.from((await rig.radio.nextTx()).payload)).getFCtrlACK()).toBe(true);
    await waitFor(() => rig.uplinks.length === 1, 5000, 'uplink');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, DEDUP_MS + 100)); // past the de-duplication window: a new reception
      rig.radio.uplink(f); // the node missed our ACK and retries with the same FCnt
      const ack = lp.fromWire(Buffer.from((await rig.radio.nextTx()).payload));
      expect(ack.getFCtrlACK()).toBe(true);
      expect(ack.getFCnt()).toBe(i + 1); // each ACK is a new downlink frame
    }
    expect(rig.metrics.get('frames_retransmitted_total')).toBe(3);
    await new Promise((r) => setTimeout(r, DEDUP_MS + 100));
    rig.radio.uplink(f); // beyond the bound: a plain replay
    await waitFor(() => rig.metrics.get('frames_rejected_total', { reason: 'replay' }) === 1, 5000, 'replay');
    expect(rig.uplinks.length).toBe(1);
    expect(rig.radio.txRequests.length).toBe(0);
  });

  it('expires commands that outlive expiresAt, and fails them after repeated radio errors', async () => {
    await rig.ingest.queueDownlink({ id: 'e-1', deviceId: 'lamp-0001', fport: 10, payload: Uint8Array.from([9]), confirmed: false, expiresAt: Date.now() + 300 });
    await waitFor(() => rig.results.find((r) => r.id === 'e-1' && r.state === 'expired'), 5000, 'expired');

    rig.radio.txStatus = LINK_TX_HW;
    await rig.ingest.queueDownlink({ id: 'f-1', deviceId: 'lamp-0001', fport: 10, payload: Uint8Array.from([9]), confirmed: false, expiresAt: Date.now() + 60_000 });
    for (let n = 1; n <= 3; n++) {
      rig.radio.uplink(loraUplink(devA, n, REF_BYTES));
      await rig.radio.nextTx();
      await waitFor(() => rig.metrics.get('downlink_tx_results_total', { result: 'error' }) === n, 5000, `tx error ${n}`);
    }
    const f = await waitFor(() => rig.results.find((r) => r.id === 'f-1' && r.state === 'failed'), 5000, 'failed');
    expect(f.reason).toMatch(/hardware/);
  });

  it('falls back to RX2 (869.525 MHz SF12, +2 s) with the same frame when the radio cannot make RX1', async () => {
    rig.radio.answer = (tx) => (tx.freqHz === 869525000 ? LINK_TX_OK : LINK_TX_TOO_LATE);
    await rig.ingest.queueDownlink({ id: 'r-1', deviceId: 'lamp-0001', fport: 10, payload: Uint8Array.from([7, 7]), confirmed: false, expiresAt: Date.now() + 60_000 });
    const rx = rig.radio.uplink(loraUplink(devA, 30, REF_BYTES), { freqHz: 868300000, sf: 7 });
    const t1 = await rig.radio.nextTx();
    const t2 = await rig.radio.nextTx();
    expect(t1.atUs).toBe((rx.tsUs + 1_000_000) % 4294967296);
    expect([t2.freqHz, t2.sf, t2.bwHz, t2.invertIq]).toEqual([869525000, 12, 125000, true]);
    expect(t2.atUs).toBe((rx.tsUs + 2_000_000) % 4294967296);
    expect(Buffer.from(t2.payload).equals(Buffer.from(t1.payload))).toBe(true);
    const sent = await waitFor(() => rig.results.find((r) => r.id === 'r-1' && r.state === 'sent'), 5000, 'sent in RX2');
    expect(sent.fcntDown).toBe(0);
  });

  it('refuses commands for unknown devices and bad ports before queueing', async () => {
    await expect(rig.ingest.queueDownlink({ id: 'x', deviceId: 'nope', fport: 10, payload: new Uint8Array(1), confirmed: false, expiresAt: Date.now() + 1000 })).rejects.toThrow(/no device/);
    await expect(rig.ingest.queueDownlink({ id: 'y', deviceId: 'lamp-0001', fport: 0, payload: new Uint8Array(1), confirmed: false, expiresAt: Date.now() + 1000 })).rejects.toThrow(/fport/);
  });
});

describe('registry hot reload and several radios', () => {
  it('accepts a device added to the file without a restart, and keeps the old registry when the file turns invalid', async () => {
    const devC = newDevice('lamp-0003');
    rig.radio.uplink(loraUplink(devC, 1, REF_BYTES));
    await waitFor(() => rig.metrics.get('frames_rejected_total', { reason: 'unknown_device' }) === 1, 5000, 'unknown');
    writeRegistry(rig.registryPath, [devA, devB, devC]);
    await waitFor(() => rig.ingest.registry.get('lamp-0003'), 5000, 'reload');
    rig.radio.uplink(loraUplink(devC, 2, REF_BYTES));
    await waitFor(() => rig.uplinks.find((u) => u.deviceId === 'lamp-0003'), 5000, 'uplink from the new device');

    writeRegistry(rig.registryPath, [devA, { ...devB, nwkSKey: 'xyz' }]);
    await waitFor(() => rig.log.lines.find((l) => l.msg.includes('invalid') && JSON.stringify(l.fields).includes('devices[1] (lamp-0002).nwkSKey: must be 32 hex digits')), 5000, 'invalid registry logged');
    expect(rig.ingest.registry.list().map((d) => d.id)).toEqual(['lamp-0001', 'lamp-0002', 'lamp-0003']);
    expect(rig.ingest.reload()).toBe(false);
    rig.radio.uplink(loraUplink(devC, 3, REF_BYTES));
    await waitFor(() => rig.uplinks.filter((u) => u.deviceId === 'lamp-0003').length === 2, 5000, 'old registry still in force');
  });

  it('merges receptions of one frame by a serial and an in-process radio, keeping the best RSSI', async () => {
    // An in-process radio (as the simulator attaches): a LinkTransport fed directly with link bytes.
    let feed: (b: Uint8Array) => void = () => {};
    const t: LinkTransport = {
      name: 'sim-0', write: () => {}, onData: (cb) => { feed = cb; }, onClose: () => {}, close: () => {},
    };
    rig.ingest.attachTransport(t);
    const frame = loraUplink(devA, 4, REF_BYTES);
    rig.radio.uplink(frame, { rssiDbm: -110 });
    feed(encodeLinkMessage({ type: LINK_RX, payload: frame, rssiDbm: -72, snrDb: 9, freqHz: 868100000, sf: 7, bwHz: 125000, cr: 1, tsUs: 5 }));
    await waitFor(() => rig.uplinks.length === 1, 5000, 'one uplink');
    await new Promise((r) => setTimeout(r, DEDUP_MS + 200));
    expect(rig.uplinks.length).toBe(1);
    expect(rig.uplinks[0].meta.rssiDbm).toBe(-72);
    expect(rig.uplinks[0].meta.radioId).toBe('sim-0');
    expect(rig.metrics.get('frames_duplicate_total')).toBe(1);
    expect(rig.metrics.sum('frames_rejected_total')).toBe(0);
  });
});
