// Downlinks for LoRaWAN class A devices (LoRaWAN 1.0.4 §3.3): a command can only reach a node in
// the receive windows that follow one of its uplinks. Commands wait in a durable queue until the
// device's next uplink; then the frame is sealed with the session's persisted FCntDown and handed to the
// radio that heard the uplink, timed for RX1 (uplink end + RECEIVE_DELAY1 on the radio clock, inverted
// IQ), on the RX1 channel and data rate of the gateway's region (shared/lorawan/region: the uplink
// frequency in EU868 and AS923, downlink channel = uplink channel mod 8 in US915; RX1DROffset 0),
// with the region's RX2 frequency and data rate as the fallback.
//
// Results: 'queued' once on disk; 'sent' when the radio reports the transmission; for confirmed
// downlinks 'acknowledged' when the device's next uplink carries ACK (§4.3.1.2), otherwise the
// command is sent again after later uplinks up to maxAttempts; 'expired' when expiresAt passes
// before it could be sent; 'failed' with a reason (too large for the data rate, radio errors,
// never acknowledged).
//
// Bounds: at most maxPerDevice commands wait per device and maxTotal in all; a command beyond
// either is refused with a 'failed' result that says so (a flood for one device cannot crowd out
// the others, nor grow the state without limit). Transaction ids are scoped per device.
//
// Storage: a snapshot (downlinks.json, {"version":2,"check":crc32,"downlinks":[...]}, replaced by
// write-fsync-rename) plus an append-only journal (downlinks.log): one line per changed command,
// `{"put": item}` or `{"del": [device, id]}`, a tab and the CRC32 of the JSON, fdatasync'ed with
// group commit. A change costs one short line, not a rewrite of the whole queue; the journal is
// folded into the snapshot at start-up and when it grows past a few times the queue. A line or
// snapshot that fails its check is dropped and counted (downlink_state_corrupt_total): losing a
// queued command costs a retry by its sender, never a wrong frame counter.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Downlink, DownlinkResult, Logger, Metrics, RxMeta } from './types.ts';
import { KerbError } from './types.ts';
import { writeFileAtomic, fsyncDir } from '../host/state-file.ts';
import type { CounterStore } from './counters.ts';
import type { DeviceInfo } from '../host/registry.ts';
import { sealFrame } from '../shared/lorawan/session.ts';
import type { DataFrame } from '../shared/lorawan/frame.ts';
import type { AesFactory } from '../shared/lorawan/aes.ts';
import { MTYPE_CONFIRMED_DOWN, MTYPE_UNCONFIRMED_DOWN } from '../shared/lorawan/constants.ts';
import { EU868 } from '../shared/lorawan/region/eu868.ts';
import { DR_NONE } from '../shared/lorawan/region/types.ts';
import type { Region } from '../shared/lorawan/region/types.ts';
import { dataRateOf, drBwHz, drSf, maxAppPayload, rx1DataRate, rx1FreqHz } from '../shared/lorawan/region/region.ts';
import { LINK_TX, LINK_TX_OK, LINK_TX_TOO_LATE, LINK_TX_TOO_EARLY, LINK_TX_BUSY, LINK_TX_HW, LINK_TX_INVALID, LINK_TX_DUTY_CYCLE } from '../shared/link/link.ts';
import type { TxRequest, TxResult } from '../shared/link/link.ts';

/** The largest FRMPayload any region allows (N at the fastest data rates, RP002-1.0.3 repeater compatible). */
export const MAX_DOWNLINK_PAYLOAD = 222;
/** LoRaWAN 1.0.4 §2.1 / RP002 RECEIVE_DELAY1. */
export const DEFAULT_RX1_DELAY_MS = 1000;
/** kerb nodes never receive RXParamSetupReq, so they keep the default RX1DROffset (LoRaWAN 1.0.4 §5.4). */
export const RX1_DR_OFFSET = 0;

/** A downlink window: frequency and LoRa data rate, or why there is none. */
export interface Window { freqHz: number; dr: number; sf: number; bwHz: number; maxPayload: number }

/** RX1 of an uplink heard at (freqHz, sf, bwHz) in region r; a string says why there is none. */
export function rx1Window(r: Region, up: { freqHz: number; sf: number; bwHz: number }): Window | string {
  const upDr = dataRateOf(r, up.sf, up.bwHz);
  if (upDr === DR_NONE) return `SF${up.sf}/${up.bwHz / 1000} kHz is no ${r.name} uplink data rate`;
  const freqHz = rx1FreqHz(r, up.freqHz);
  if (freqHz < 0) return `${up.freqHz} Hz is no ${r.name} uplink channel`;
  const dr = rx1DataRate(r, upDr, RX1_DR_OFFSET, r.downlinkDwell);
  if (dr === DR_NONE || drSf(r, dr) === 0) return `${r.name} defines no RX1 data rate for uplink DR${upDr}`;
  return { freqHz, dr, sf: drSf(r, dr), bwHz: drBwHz(r, dr), maxPayload: maxAppPayload(r, dr, r.downlinkDwell) };
}

/** RX2 of region r (its default frequency and data rate). */
export function rx2Window(r: Region): Window {
  return { freqHz: r.rx2Hz, dr: r.rx2Dr, sf: drSf(r, r.rx2Dr), bwHz: drBwHz(r, r.rx2Dr), maxPayload: maxAppPayload(r, r.rx2Dr, r.downlinkDwell) };
}

export function txStatusName(s: number): string {
  switch (s) {
    case LINK_TX_OK: return 'ok';
    case LINK_TX_TOO_LATE: return 'too late for the receive window';
    case LINK_TX_TOO_EARLY: return 'too early for the radio scheduler';
    case LINK_TX_BUSY: return 'radio busy';
    case LINK_TX_HW: return 'radio hardware error';
    case LINK_TX_INVALID: return 'transmit parameters rejected by the radio';
    case LINK_TX_DUTY_CYCLE: return 'duty-cycle limit';
    default: return `radio status ${s}`;
  }
}

/** What the downlink side needs of an accepted uplink. */
export interface UplinkForDownlink {
  confirmed: boolean;
  ack: boolean;
  meta: RxMeta;
  retransmission?: boolean;
  /** MAC commands for FOpts (gateway/mac.ts), ≤ 15 bytes. */
  mac?: Uint8Array;
  /** Send a downlink even with nothing in it (a sticky MAC answer must be stopped, LoRaWAN 1.0.4 §5.5). */
  needDownlink?: boolean;
}

/** A downlink as stored in the queue file. */
export interface Stored {
  id: string;
  deviceId: string;
  fport: number;
  payload: string;      // hex
  confirmed: boolean;
  expiresAt: number;
  queuedAt: number;
  attempts: number;     // transmissions tried so far
  /** queued: waits for an uplink; wait_ack: sent confirmed, waits for the ACK in the next uplink. */
  state: 'queued' | 'wait_ack';
  fcntDown?: number;
}

export interface DownlinkQueueOptions {
  stateDir: string;
  log: Logger;
  metrics: Metrics;
  counters: CounterStore;
  aes: AesFactory;
  lookup(deviceId: string): DeviceInfo | undefined;
  /** Sends a TxRequest through the named radio; false when that radio is not connected. */
  send(radioId: string, req: TxRequest): boolean;
  emit(r: DownlinkResult): void;
  rx1DelayMs?: number;
  /** Regional channel plan for the RX1/RX2 windows and payload limits. Default EU868. */
  region?: Region;
  /** Transmissions per command before 'failed' (radio errors, or confirmed and never acknowledged). Default 3. */
  maxAttempts?: number;
  /** Give up on a TxResult after the RX1 time plus this. Default 3000 ms. */
  txResultTimeoutMs?: number;
  /** Commands waiting per device before new ones are refused. Default 16. */
  maxPerDevice?: number;
  /** Commands waiting in all before new ones are refused. Default 1000. */
  maxTotal?: number;
  now?: () => number;
}

interface InFlight {
  txId: number;
  deviceId: string;
  item: Stored | undefined; // undefined for an empty ACK frame
  fcntDown: number;
  timer: NodeJS.Timeout;
  radioId: string;
  /** The same frame for RX2, tried when the radio cannot make RX1 (too late, busy, duty cycle). */
  rx2: TxRequest | undefined;
  /** RX2's delay after the uplink (RECEIVE_DELAY2, or JOIN_ACCEPT_DELAY2 for a Join-accept). */
  rx2DelayMs?: number;
  /** What an item-less frame is, for logs: an empty ACK, a Join-accept, MAC commands. */
  kind?: string;
}

function crcHex(text: string): string {
  return (zlib.crc32(Buffer.from(text, 'utf8')) >>> 0).toString(16).padStart(8, '0');
}

function keyOf(deviceId: string, id: string): string {
  return `${deviceId}\u0000${id}`;
}

function isStored(v: unknown): v is Stored {
  const o = v as Stored;
  return !!o && typeof o === 'object' && typeof o.id === 'string' && typeof o.deviceId === 'string' && typeof o.fport === 'number'
    && typeof o.payload === 'string' && typeof o.expiresAt === 'number' && typeof o.attempts === 'number' && (o.state === 'queued' || o.state === 'wait_ack');
}

/** The queued commands the state files hold, read without changing them (open() and `kerb device list`). */
export async function readDownlinkFiles(stateDir: string): Promise<{ items: Stored[]; corrupt: number; problems: string[] }> {
  const file = path.join(stateDir, 'downlinks.json');
  const logFile = path.join(stateDir, 'downlinks.log');
  let corrupt = 0;
  const problems: string[] = [];
  const found = new Map<string, Stored>();
  try {
    const doc = JSON.parse(await fsp.readFile(file, 'utf8')) as { version?: unknown; check?: unknown; downlinks?: unknown };
    const list = Array.isArray(doc.downlinks) ? doc.downlinks : [];
    if (doc.version !== 1 && doc.check !== crcHex(JSON.stringify(list))) {
      corrupt++;
      problems.push('downlink queue snapshot damaged (checksum mismatch); its commands are dropped');
    } else for (const i of list) if (isStored(i)) found.set(keyOf(i.deviceId, i.id), i);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
      corrupt++;
      problems.push(`downlink queue snapshot unreadable; its commands are dropped (${String(e)})`);
    }
  }
  let text = '';
  try {
    text = await fsp.readFile(logFile, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  for (const line of text.split('\n')) {
    if (!line) continue;
    const m = /^(.*)\t([0-9a-f]{8})$/.exec(line);
    if (!m || crcHex(m[1]!) !== m[2]) {
      corrupt++; // torn by a power cut, or damaged: either way that change is not trusted
      continue;
    }
    try {
      const r = JSON.parse(m[1]!) as { put?: unknown; del?: unknown };
      if (isStored(r.put)) found.set(keyOf(r.put.deviceId, r.put.id), r.put);
      else if (Array.isArray(r.del)) found.delete(keyOf(String(r.del[0]), String(r.del[1])));
    } catch {
      corrupt++;
    }
  }
  return { items: [...found.values()], corrupt, problems };
}

export class DownlinkQueue {
  private items: Stored[] = [];
  private readonly byKey = new Map<string, Stored>();
  private readonly perDevice = new Map<string, number>();
  /** Changes not yet journaled: the item's current state, or null when it left the queue. */
  private dirty = new Map<string, Stored | null>();
  private logFh: fsp.FileHandle | undefined;
  private logSize = 0;
  private logLines = 0;
  private inflight = new Map<number, InFlight>();
  private nextTxId = 1;
  private saving: Promise<void> | undefined;
  private saveAgain = false;
  private saveWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private expiryTimer: NodeJS.Timeout | undefined;
  private readonly file: string;
  private readonly logFile: string;
  private readonly now: () => number;
  private readonly claimed = new Set<Stored>();

  private readonly o: DownlinkQueueOptions;
  constructor(o: DownlinkQueueOptions) {
    this.o = o;
    this.file = path.join(o.stateDir, 'downlinks.json');
    this.logFile = path.join(o.stateDir, 'downlinks.log');
    this.now = o.now ?? Date.now;
    // Tx ids only need to be unique among in-flight requests; start at a random point so a radio
    // still holding a request from before a restart cannot match a new one.
    this.nextTxId = 1 + Math.floor(Math.random() * 0x7fffffff);
  }

  async open(): Promise<void> {
    await fsp.mkdir(this.o.stateDir, { recursive: true });
    const r = await readDownlinkFiles(this.o.stateDir);
    const corrupt = r.corrupt;
    for (const p of r.problems) this.o.log.error(p, { file: this.file });
    const found = r.items;
    if (corrupt) {
      this.o.metrics.inc('downlink_state_corrupt_total', undefined, corrupt);
      this.o.log.warn('downlink queue state had damaged or torn entries; dropped', { entries: corrupt });
    }
    for (const i of found) this.insert(i);
    await this.compact();
    this.logFh = await fsp.open(this.logFile, 'a', 0o600);
    this.logSize = (await this.logFh.stat()).size;
    if (this.items.length) this.o.log.info('downlink queue restored', { queued: this.items.length });
    this.expiryTimer = setInterval(() => this.expire(), 1000);
    this.expiryTimer.unref?.();
    this.gauge();
  }

  /** Writes the snapshot and empties the journal. */
  private async compact(): Promise<void> {
    const list = JSON.stringify(this.items);
    await writeFileAtomic(this.file, `{"version":2,"check":"${crcHex(list)}","downlinks":${list}}\n`);
    // Crash between the rename and the truncate: the journal replays onto the snapshot, harmless.
    if (this.logFh) await this.logFh.truncate(0);
    else if (fs.existsSync(this.logFile)) await fsp.truncate(this.logFile, 0);
    this.logSize = 0;
    this.logLines = 0;
    await fsyncDir(this.o.stateDir);
  }

  private insert(i: Stored): void {
    this.items.push(i);
    this.byKey.set(keyOf(i.deviceId, i.id), i);
    this.perDevice.set(i.deviceId, (this.perDevice.get(i.deviceId) ?? 0) + 1);
  }

  /** Marks an item changed: its state goes into the next journal write. */
  private touch(i: Stored): void {
    this.dirty.set(keyOf(i.deviceId, i.id), i);
  }

  async close(): Promise<void> {
    if (this.expiryTimer) clearInterval(this.expiryTimer);
    this.expiryTimer = undefined;
    for (const f of this.inflight.values()) clearTimeout(f.timer);
    this.inflight.clear();
    while (this.saving) await this.saving;
    if (this.dirty.size) await this.save().catch((e: unknown) => this.o.log.error('downlink queue save failed', { error: String(e) }));
    await this.logFh?.close();
    this.logFh = undefined;
  }

  /** Number of commands waiting for a device (queued or awaiting ACK). */
  pending(deviceId: string): number {
    return this.perDevice.get(deviceId) ?? 0;
  }

  list(deviceId?: string): Readonly<Stored>[] {
    return deviceId ? this.items.filter((i) => i.deviceId === deviceId) : this.items;
  }

  /** Validates and durably enqueues d; emits 'queued'. Rejects with KerbError on invalid input. */
  async add(d: Downlink): Promise<void> {
    if (!this.o.lookup(d.deviceId)) throw new KerbError('unknown_device', `downlink ${d.id}: no device '${d.deviceId}' in the registry`);
    if (!Number.isInteger(d.fport) || d.fport < 1 || d.fport > 223) throw new KerbError('invalid_fport', `downlink ${d.id}: fport must be 1..223 (got ${d.fport})`);
    if (d.payload.length > MAX_DOWNLINK_PAYLOAD) throw new KerbError('payload_too_large', `downlink ${d.id}: payload of ${d.payload.length} bytes exceeds ${MAX_DOWNLINK_PAYLOAD}`);
    if (this.byKey.has(keyOf(d.deviceId, d.id))) {
      throw new KerbError('duplicate_id', `downlink ${d.id}: a command with this id is already queued for ${d.deviceId}`);
    }
    const perDevice = this.o.maxPerDevice ?? 16;
    if (this.pending(d.deviceId) >= perDevice) {
      this.o.metrics.inc('downlink_refused_total', { reason: 'device_queue_full' });
      throw new KerbError('queue_full', `downlink ${d.id}: ${d.deviceId} already has ${perDevice} commands waiting (downlinks.maxPerDevice); wait for results before sending more`);
    }
    const total = this.o.maxTotal ?? 1000;
    if (this.items.length >= total) {
      this.o.metrics.inc('downlink_refused_total', { reason: 'queue_full' });
      throw new KerbError('queue_full', `downlink ${d.id}: the gateway already holds ${total} commands (downlinks.maxQueued); try again later`);
    }
    const now = this.now();
    if (!(d.expiresAt > now)) {
      this.result({ id: d.id, deviceId: d.deviceId, state: 'expired', at: now, reason: 'expiresAt is already in the past' });
      return;
    }
    const item: Stored = {
      id: d.id, deviceId: d.deviceId, fport: d.fport, payload: Buffer.from(d.payload).toString('hex'),
      confirmed: d.confirmed, expiresAt: d.expiresAt, queuedAt: now, attempts: 0, state: 'queued',
    };
    this.insert(item);
    this.touch(item);
    try {
      await this.save();
    } catch (e) {
      this.remove(item);
      throw e;
    }
    this.gauge();
    this.result({ id: d.id, deviceId: d.deviceId, state: 'queued', at: this.now() });
  }

  /**
   * Called for every accepted uplink, right after verification (RX1 is one second away). `delivered`
   * settles when the uplink is durably handed on: an ACK is only sent for an uplink that is safe.
   */
  async onUplink(dev: DeviceInfo, up: UplinkForDownlink, delivered: Promise<void>): Promise<void> {
    const now = this.now();
    let changed = this.expire(now, true);
    // §4.3.1.2: the device acknowledges a confirmed downlink by setting ACK in its next uplink. A
    // retransmitted uplink predates our downlink, so its ACK bit says nothing about it.
    const waiting = up.retransmission ? undefined : this.items.find((i) => i.deviceId === dev.id && i.state === 'wait_ack');
    if (waiting) {
      if (up.ack) {
        this.remove(waiting);
        this.result({ id: waiting.id, deviceId: dev.id, state: 'acknowledged', at: now, fcntDown: waiting.fcntDown });
      } else if (waiting.attempts >= this.maxAttempts) {
        this.remove(waiting);
        this.result({ id: waiting.id, deviceId: dev.id, state: 'failed', at: now, reason: `not acknowledged after ${waiting.attempts} transmissions`, fcntDown: waiting.fcntDown });
      } else {
        waiting.state = 'queued'; // the device missed it: send again in this uplink's window
        this.touch(waiting);
      }
      changed = true;
    }
    if (changed) await this.save().catch((e) => this.o.log.error('downlink queue save failed', { error: String(e) }));

    // A retransmitted (or replayed) confirmed uplink gets an empty ACK only: a queued command sent
    // with it would spend an attempt and an FCntDown on what may be an attacker's replay.
    const item = up.retransmission ? undefined
      : this.items.find((i) => i.deviceId === dev.id && i.state === 'queued' && !this.isInflight(i) && !this.claimed.has(i));
    // Claimed until it is in flight, so an uplink arriving during the awaits below cannot take it too.
    if (item) this.claimed.add(item);
    try {
      await this.sendAfterUplink(dev, up, delivered, item);
    } finally {
      if (item) this.claimed.delete(item);
      // The class A decision for this uplink is made (a TxRequest went out, or none will): the
      // simulator's lockstep waits on this to keep virtual time from passing RX1 too early.
      this.o.metrics.inc('downlink_decisions_total');
    }
  }

  private async sendAfterUplink(dev: DeviceInfo, up: UplinkForDownlink, delivered: Promise<void>, claimedItem: Stored | undefined): Promise<void> {
    let item = claimedItem;
    let ack = up.confirmed;
    if (ack) {
      // Only acknowledge what is durably accepted: an uplink still not on disk when the budget runs
      // out gets no ACK (the node retransmits it, and that retransmission is ACKed once committed);
      // a slow disk costs this ACK, never the promise behind it. A queued command still goes out.
      const budget = Math.max(0, (this.o.rx1DelayMs ?? DEFAULT_RX1_DELAY_MS) - 500);
      let timer: NodeJS.Timeout | undefined;
      const ok = await Promise.race([
        delivered.then(() => true, () => false),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(false), budget); timer.unref?.(); }),
      ]);
      clearTimeout(timer);
      if (!ok) ack = false;
    }
    if (item && !this.items.includes(item)) item = undefined; // expired while waiting
    let mac = up.mac ?? new Uint8Array(0);
    if (!item && !ack && mac.length === 0 && !up.needDownlink) return;
    const region = this.o.region ?? EU868;
    const w1 = rx1Window(region, up.meta);
    if (typeof w1 === 'string') {
      // Metadata the region cannot answer (a radio outside the plan): no window to aim at.
      this.o.metrics.inc('downlink_tx_results_total', { result: 'no_rx1' });
      this.o.log.warn('no RX1 window for this uplink; downlink not sent', { device: dev.id, region: region.name, reason: w1 });
      if (item) {
        this.remove(item);
        await this.save().catch(() => {});
        this.result({ id: item.id, deviceId: dev.id, state: 'failed', at: this.now(), reason: `no RX1 window: ${w1}` });
      }
      return;
    }
    if (item) {
      const max = w1.maxPayload;
      const len = item.payload.length / 2;
      // RP002: FOpts come out of the FRMPayload budget; the command wins, the MAC layer asks again.
      if (len + mac.length > max) mac = new Uint8Array(0);
      if (len > max) {
        this.remove(item);
        await this.save().catch(() => {});
        this.result({ id: item.id, deviceId: dev.id, state: 'failed', at: this.now(), reason: `payload of ${len} bytes exceeds ${max} bytes allowed at ${region.name} DR${w1.dr} (SF${w1.sf}/${w1.bwHz / 1000} kHz)` });
        return;
      }
    }
    let fcntDown: number;
    try {
      fcntDown = await this.o.counters.reserveDown(dev.sessionId, dev.id);
    } catch (e) {
      this.o.log.error('cannot reserve a downlink frame counter; not transmitting', { device: dev.id, error: String(e) });
      return;
    }
    const more = this.items.filter((i) => i.deviceId === dev.id && i.state === 'queued' && i !== item).length > 0;
    const frame: DataFrame = {
      mtype: item?.confirmed ? MTYPE_CONFIRMED_DOWN : MTYPE_UNCONFIRMED_DOWN,
      devAddr: dev.devAddr, adr: false, adrAckReq: false, ack, fpending: more, fcnt: fcntDown & 0xffff,
      fopts: mac,
      fport: item ? item.fport : -1,
      payload: item ? Uint8Array.from(Buffer.from(item.payload, 'hex')) : new Uint8Array(0),
      mic: 0,
    };
    const phy = sealFrame({ nwkSKey: this.o.aes(dev.nwkSKey), appSKey: this.o.aes(dev.appSKey) }, frame, fcntDown);
    const rx1 = this.o.rx1DelayMs ?? DEFAULT_RX1_DELAY_MS;
    const req: TxRequest = {
      type: LINK_TX, id: 0, payload: phy,
      freqHz: w1.freqHz, sf: w1.sf, bwHz: w1.bwHz, cr: 1,
      powerDbm: region.downlinkPowerDbm, invertIq: true,
      // The radio clock is a wrapping uint32 of µs.
      atUs: (up.meta.tsUs + rx1 * 1000) % 4294967296,
    };
    // RX2 (RECEIVE_DELAY2 = RECEIVE_DELAY1 + 1 s) on the region's RX2 defaults: the identical frame,
    // so no extra FCntDown. 13 bytes = MHDR, FHDR without FOpts, FPort, MIC.
    const w2 = rx2Window(region);
    const rx2: TxRequest | undefined = phy.length - 13 <= w2.maxPayload ? {
      type: LINK_TX, id: 0, payload: phy, freqHz: w2.freqHz, sf: w2.sf, bwHz: w2.bwHz, cr: 1,
      powerDbm: region.downlinkPowerDbm, invertIq: true, atUs: (up.meta.tsUs + (rx1 + 1000) * 1000) % 4294967296,
    } : undefined;
    if (item) {
      item.attempts++;
      this.touch(item);
    }
    const kind = item ? 'command' : ack ? 'ack' : 'mac';
    if (!this.transmit(req, { deviceId: dev.id, item, fcntDown, radioId: up.meta.radioId, rx2, kind: kind === 'mac' ? 'MAC' : undefined }, rx1)) return;
    this.o.metrics.inc('downlink_tx_requests_total', { kind });
    this.o.log.debug('downlink scheduled for RX1', { device: dev.id, id: item?.id, fcntDown, atUs: req.atUs, radio: up.meta.radioId, ack, fpending: more });
  }

  /**
   * Transmits a Join-accept (LoRaWAN 1.0.4 §6.2.6) in the join receive windows of the Join-request
   * heard with `meta`: RX1 at JOIN_ACCEPT_DELAY1 by the region's RX1 rule (RX1DROffset 0), RX2 at
   * JOIN_ACCEPT_DELAY2 on the region's RX2 defaults when the radio cannot make RX1. No frame
   * counter: a Join-accept has none. False when the radio is gone or the region has no RX1 window
   * for the request.
   */
  sendJoinAccept(deviceId: string, meta: RxMeta, phy: Uint8Array, delay1Ms: number, delay2Ms: number): boolean {
    const region = this.o.region ?? EU868;
    const w1 = rx1Window(region, meta);
    if (typeof w1 === 'string') {
      this.o.metrics.inc('downlink_tx_results_total', { result: 'no_rx1' });
      this.o.log.warn('no RX1 window for this Join-request; Join-accept not sent', { device: deviceId, region: region.name, reason: w1 });
      return false;
    }
    const w2 = rx2Window(region);
    const base = { type: LINK_TX, id: 0, payload: phy, powerDbm: region.downlinkPowerDbm, invertIq: true, cr: 1 } as const;
    const req: TxRequest = { ...base, freqHz: w1.freqHz, sf: w1.sf, bwHz: w1.bwHz, atUs: (meta.tsUs + delay1Ms * 1000) % 4294967296 };
    const rx2: TxRequest = { ...base, freqHz: w2.freqHz, sf: w2.sf, bwHz: w2.bwHz, atUs: (meta.tsUs + delay2Ms * 1000) % 4294967296 };
    const sent = this.transmit(req, { deviceId, item: undefined, fcntDown: -1, radioId: meta.radioId, rx2, rx2DelayMs: delay2Ms, kind: 'Join-accept' }, delay1Ms);
    if (sent) this.o.metrics.inc('downlink_tx_requests_total', { kind: 'join_accept' });
    return sent;
  }

  /** Sends req (with a fresh id) and tracks it until its TxResult; false when the radio is gone. */
  private transmit(req: TxRequest, f: Omit<InFlight, 'txId' | 'timer'>, windowMs: number): boolean {
    const txId = this.nextTxId;
    this.nextTxId = (this.nextTxId % 0xfffffffe) + 1;
    req.id = txId;
    const timer = setTimeout(() => this.txDone(txId, undefined), windowMs + (this.o.txResultTimeoutMs ?? 3000));
    timer.unref?.();
    this.inflight.set(txId, { ...f, txId, timer });
    if (!this.o.send(f.radioId, req)) {
      this.txDone(txId, undefined, `radio ${f.radioId} not connected`);
      return false;
    }
    return true;
  }

  /** A TxResult from a radio, with the radio's own name for it when it has one (e.g. `TX_ACK TOO_LATE`). */
  onTxResult(r: TxResult, detail?: string): void {
    this.txDone(r.id, r, undefined, detail);
  }

  private isInflight(i: Stored): boolean {
    for (const f of this.inflight.values()) if (f.item === i) return true;
    return false;
  }

  private txDone(txId: number, r: TxResult | undefined, why?: string, detail?: string): void {
    const f = this.inflight.get(txId);
    if (!f) return;
    this.inflight.delete(txId);
    clearTimeout(f.timer);
    const now = this.now();
    const ok = r !== undefined && r.status === LINK_TX_OK;
    if (r && !ok && f.rx2 && (r.status === LINK_TX_TOO_LATE || r.status === LINK_TX_BUSY || r.status === LINK_TX_DUTY_CYCLE)) {
      this.o.metrics.inc('downlink_tx_results_total', { result: 'rx1_missed' });
      this.o.log.debug('RX1 not possible; trying RX2', { device: f.deviceId, reason: txStatusName(r.status), detail });
      this.transmit(f.rx2, { ...f, rx2: undefined }, f.rx2DelayMs ?? (this.o.rx1DelayMs ?? DEFAULT_RX1_DELAY_MS) + 1000);
      return;
    }
    const reason = why ?? (r ? txStatusName(r.status) + (detail ? `: ${detail}` : '') : 'no TxResult from the radio');
    this.o.metrics.inc('downlink_tx_results_total', { result: ok ? 'ok' : 'error' });
    const item = f.item;
    if (!item) {
      if (!ok) this.o.log.warn(`${f.kind ?? 'ACK'} downlink not transmitted`, { device: f.deviceId, reason });
      return;
    }
    if (!this.items.includes(item)) return; // removed meanwhile (expired)
    if (ok) {
      if (item.confirmed) {
        item.state = 'wait_ack';
        item.fcntDown = f.fcntDown;
        this.touch(item);
      } else this.remove(item);
      this.result({ id: item.id, deviceId: item.deviceId, state: 'sent', at: now, fcntDown: f.fcntDown });
    } else if (item.attempts >= this.maxAttempts) {
      this.remove(item);
      this.result({ id: item.id, deviceId: item.deviceId, state: 'failed', at: now, reason: `${reason} (after ${item.attempts} attempts)`, fcntDown: f.fcntDown });
    } else {
      this.o.log.warn('downlink transmission failed; will retry after the next uplink', { id: item.id, device: item.deviceId, reason });
    }
    this.save().catch((e) => this.o.log.error('downlink queue save failed', { error: String(e) }));
    this.gauge();
  }

  private get maxAttempts(): number { return this.o.maxAttempts ?? 3; }

  /** Expires overdue commands; returns true when something changed. */
  private expire(now = this.now(), noSave = false): boolean {
    const overdue = this.items.filter((i) => i.expiresAt <= now && !this.isInflight(i));
    if (!overdue.length) return false;
    for (const i of overdue) {
      this.remove(i);
      this.result({
        id: i.id, deviceId: i.deviceId, state: 'expired', at: now, fcntDown: i.fcntDown,
        reason: i.state === 'wait_ack' ? 'sent but not acknowledged before expiresAt' : 'no uplink from the device before expiresAt',
      });
    }
    if (!noSave) this.save().catch((e) => this.o.log.error('downlink queue save failed', { error: String(e) }));
    return true;
  }

  private remove(i: Stored): void {
    const k = this.items.indexOf(i);
    if (k < 0) return;
    this.items.splice(k, 1);
    const key = keyOf(i.deviceId, i.id);
    this.byKey.delete(key);
    const n = (this.perDevice.get(i.deviceId) ?? 1) - 1;
    if (n > 0) this.perDevice.set(i.deviceId, n);
    else this.perDevice.delete(i.deviceId);
    this.dirty.set(key, null);
    this.gauge();
  }

  private gauge(): void {
    this.o.metrics.set('downlinks_queued', this.items.length);
  }

  private result(r: DownlinkResult): void {
    this.o.metrics.inc('downlink_transitions_total', { state: r.state });
    if (r.state === 'failed' || r.state === 'expired') this.o.log.warn(`downlink ${r.state}`, { ...r });
    else this.o.log.info(`downlink ${r.state}`, { ...r });
    try {
      this.o.emit(r);
    } catch (e) {
      this.o.log.error('downlink result handler failed', { error: String(e) });
    }
  }

  /** Coalescing durable save: resolves once a write that includes the current state is on disk. */
  private save(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.saveWaiters.push({ resolve, reject }));
    if (this.saving) this.saveAgain = true;
    else this.saving = this.saveLoop();
    return p;
  }

  private async saveLoop(): Promise<void> {
    try {
      do {
        this.saveAgain = false;
        const waiters = this.saveWaiters;
        this.saveWaiters = [];
        const changes = this.dirty;
        this.dirty = new Map();
        try {
          let text = '\n'; // a fragment of a failed append ends here instead of swallowing our first line
          for (const [key, v] of changes) {
            const j = v ? JSON.stringify({ put: v }) : JSON.stringify({ del: key.split('\u0000') });
            text += `${j}\t${crcHex(j)}\n`;
          }
          if (!this.logFh) throw new Error('downlink queue not open');
          const buf = Buffer.from(text);
          try {
            for (let off = 0; off < buf.length; ) {
              const { bytesWritten } = await this.logFh.write(buf, off, buf.length - off);
              if (!(bytesWritten > 0)) throw new Error('downlink journal: write made no progress');
              off += bytesWritten;
            }
            await this.logFh.datasync();
          } catch (e) {
            await this.logFh.truncate(this.logSize).catch(() => undefined);
            throw e;
          }
          this.logSize += buf.length;
          this.logLines += changes.size;
          for (const w of waiters) w.resolve();
        } catch (e) {
          // Keep the changes for the next write (unless a newer change of the same item came meanwhile).
          for (const [k, v] of changes) if (!this.dirty.has(k)) this.dirty.set(k, v);
          for (const w of waiters) w.reject(e as Error);
        }
        if (this.logLines > Math.max(1000, 4 * this.items.length)) {
          await this.compact().catch((e: unknown) => this.o.log.error('downlink queue compaction failed (journal keeps growing)', { error: String(e) }));
        }
      } while (this.saveAgain || this.saveWaiters.length);
    } finally {
      this.saving = undefined;
    }
  }
}
