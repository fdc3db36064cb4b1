// Durable outbox: every uplink accepted from ingest is written to an append-only segment file and
// fdatasync'ed before append() resolves (ingest commits the frame counter only after that), and it
// leaves the outbox only when the broker has acknowledged it (PUBACK for QoS 1).
//
// On disk (directory <stateDir>/outbox):
//   seg-<first seq, 16 digits>.kob   "KOBSEG2\n", then records
//                                    [u32 magic][u32 len][u32 crc32(len ‖ body)][body], little-endian;
//                                    body = u8 version(2) | u8 flags (bit0 retain, bits1-2 qos) |
//                                    u32 seq hi | u32 seq lo | f64 accepted-at ms | u16 topic len |
//                                    topic (UTF-8) | payload
//                                    (a file without the header holds version-1 records
//                                    [u32 len][u32 crc32(body)][body], still read, never written)
//   ack                              {"ackedThrough": n, "check": crc32 hex} padded to a fixed size
//                                    and overwritten in place: every seq ≤ n was acknowledged
// Recovery: a record is self-delimiting (the magic is a sync marker, length and CRC prove it), so
// a damaged record in the middle of a segment costs only itself: the reader skips to the next
// marker that starts a valid record, counts what it skipped (outbox_corrupt_records_total, from
// the sequence numbers on both sides) and keeps everything after it. A torn tail (power cut
// mid-write) has no valid record after it and is truncated. All records after the persisted ack
// are delivered again; the ack file is written lazily (≤ ackDelayMs after a PUBACK), so a crash can
// repeat at most that window: duplicates are always whole copies of the same (device, frame
// counter) message, in the original order.
//
// A write is acknowledged to ingest only once every byte is on disk and synced (short writes are
// continued, a write that makes no progress is an error). A failed write is cut back off the
// segment and its sequence numbers are reused, so a failure leaves no gap and no empty file. While
// the disk cannot be written (ENOSPC and friends) the outbox is "unwritable": append() refuses at
// once (ingest then does not commit the frame counter, so the node's next frame is accepted later),
// the state is logged once when entered and once when left, publishing continues (acknowledged
// segments are deleted, which frees space) and a probe leaves the state by itself when space is back.
//
// Memory: only counters and a small read buffer; payloads are read back from the segment files when
// the publisher takes them, so an hour of broker outage costs disk, not RAM.
//
// Overflow (maxBytes / maxMessages): drop oldest, a whole segment at a time (each segment holds at
// most 1/8 of either limit), counted in outbox_dropped_total.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { KerbError, type Logger, type Metrics } from './types.ts';

export interface OutboxMessage {
  topic: string;
  payload: Uint8Array;
  qos?: 0 | 1 | 2;
  retain?: boolean;
  at: number; // ms since epoch the message was accepted (latency metric)
}

export interface OutboxEntry extends OutboxMessage {
  seq: number;
  qos: 0 | 1 | 2;
  retain: boolean;
}

export interface OutboxOptions {
  dir: string;
  maxBytes: number;
  maxMessages: number;
  /** fdatasync after each write batch (default true). Off only for benchmarks that say so. */
  fsync?: boolean;
  ackDelayMs?: number;
  /** Free bytes the disk must have again before an outbox left unwritable by ENOSPC accepts uplinks. Default 64 KiB. */
  minFreeBytes?: number;
  /** How often the unwritable state is probed. Default 500 ms. */
  probeMs?: number;
  /** First retry after a write error other than a full disk (doubling to 30 s while it persists). Default 1000 ms. */
  retryMs?: number;
  log?: Logger;
  metrics?: Metrics;
}

/** Why the outbox cannot take new messages (reported by /health). */
export interface OutboxFault {
  code: string;
  reason: string;
  since: number;
}

interface Segment {
  first: number;
  last: number; // last seq written (first - 1 when empty)
  path: string;
  size: number; // bytes durably written (header included)
  count: number;
  version: 1 | 2;
  /** Damaged byte ranges found so far: start offset → offset of the next valid record. */
  skips: Map<number, number>;
}

interface PendingAppend {
  msgs: OutboxMessage[];
  resolve: () => void;
  reject: (e: Error) => void;
}

type Decoded = { entry: OutboxEntry; len: number } | 'short' | 'corrupt';

export const SEGMENT_HEADER = Buffer.from('KOBSEG2\n', 'latin1');
const MAGIC = 0xc3a5524b; // bytes 4B 52 A5 C3 on disk: rare in text and in CBOR
const HEADER_V1 = 8;
const HEADER_V2 = 12;
const BODY_FIXED = 1 + 1 + 4 + 4 + 8 + 2;
const MAX_RECORD = 16 * 1024 * 1024;
const READ_CHUNK = 64 * 1024;
const ACK_SIZE = 96;
const SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

function crc32(b: Uint8Array, seed?: number): number {
  return zlib.crc32(b, seed) >>> 0;
}

function segName(first: number): string {
  return `seg-${String(first).padStart(16, '0')}.kob`;
}

function encodeBody(buf: Buffer, o: number, version: number, seq: number, m: OutboxMessage, topic: Buffer): void {
  buf[o++] = version;
  buf[o++] = (m.retain ? 1 : 0) | ((m.qos ?? 1) << 1);
  buf.writeUInt32LE(Math.floor(seq / 2 ** 32), o);
  buf.writeUInt32LE(seq >>> 0, o + 4);
  o += 8;
  buf.writeDoubleLE(m.at, o);
  o += 8;
  buf.writeUInt16LE(topic.length, o);
  o += 2;
  topic.copy(buf, o);
  o += topic.length;
  buf.set(m.payload, o);
}

function topicBytes(m: OutboxMessage): Buffer {
  const topic = Buffer.from(m.topic, 'utf8');
  if (topic.length > 0xffff) throw new KerbError('outbox_topic', 'topic too long');
  return topic;
}

/** One record in the current (version 2) format. */
export function encodeRecord(seq: number, m: OutboxMessage): Buffer {
  const topic = topicBytes(m);
  const bodyLen = BODY_FIXED + topic.length + m.payload.length;
  const buf = Buffer.allocUnsafe(HEADER_V2 + bodyLen);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(bodyLen, 4);
  encodeBody(buf, HEADER_V2, 2, seq, m, topic);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_V2), crc32(buf.subarray(4, 8))), 8);
  return buf;
}

/** One record in the version 1 format (segments written by older gateways; tests of the migration). */
export function encodeLegacyRecord(seq: number, m: OutboxMessage): Buffer {
  const topic = topicBytes(m);
  const bodyLen = BODY_FIXED + topic.length + m.payload.length;
  const buf = Buffer.allocUnsafe(HEADER_V1 + bodyLen);
  encodeBody(buf, HEADER_V1, 1, seq, m, topic);
  buf.writeUInt32LE(bodyLen, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER_V1)), 4);
  return buf;
}

function decodeBody(body: Buffer, version: number): OutboxEntry | undefined {
  if (body[0] !== version) return undefined;
  const flags = body[1]!;
  const tl = body.readUInt16LE(18);
  if (BODY_FIXED + tl > body.length) return undefined;
  return {
    seq: body.readUInt32LE(2) * 2 ** 32 + body.readUInt32LE(6),
    at: body.readDoubleLE(10),
    topic: body.toString('utf8', BODY_FIXED, BODY_FIXED + tl),
    payload: new Uint8Array(body.subarray(BODY_FIXED + tl)), // copy: the read buffer is reused
    retain: (flags & 1) !== 0,
    qos: ((flags >> 1) & 3) as 0 | 1 | 2,
  };
}

/** Parses one record of `version` at `off`: the entry and its total length, or why not. */
export function decodeRecord(buf: Buffer, off: number, end: number, version: 1 | 2 = 2): Decoded {
  const hdr = version === 2 ? HEADER_V2 : HEADER_V1;
  if (end - off < hdr) return 'short';
  if (version === 2 && buf.readUInt32LE(off) !== MAGIC) return 'corrupt';
  const lenAt = version === 2 ? off + 4 : off;
  const bodyLen = buf.readUInt32LE(lenAt);
  if (bodyLen < BODY_FIXED || bodyLen > MAX_RECORD) return 'corrupt';
  if (end - off < hdr + bodyLen) return 'short';
  const body = buf.subarray(off + hdr, off + hdr + bodyLen);
  const want = version === 2 ? crc32(body, crc32(buf.subarray(lenAt, lenAt + 4))) : crc32(body);
  if (want !== buf.readUInt32LE(version === 2 ? off + 8 : off + 4)) return 'corrupt';
  const entry = decodeBody(body, version);
  return entry ? { entry, len: hdr + bodyLen } : 'corrupt';
}

/** Offset of the first valid version-2 record at or after `from`, or -1. */
export function resync(buf: Buffer, from: number, end: number): number {
  const marker = Buffer.allocUnsafe(4);
  marker.writeUInt32LE(MAGIC, 0);
  let p = from;
  for (;;) {
    p = buf.indexOf(marker, p);
    if (p < 0 || p >= end) return -1;
    if (typeof decodeRecord(buf, p, end) !== 'string') return p;
    p++;
  }
}

function errCode(e: unknown): string {
  const c = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof c === 'string' ? c : 'EIO';
}

/** Writes all of buf at pos, continuing short writes; a write that makes no progress is an error. */
async function writeAll(fh: fsp.FileHandle, buf: Buffer, pos: number): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, pos + off);
    if (!(bytesWritten > 0)) throw Object.assign(new Error(`short write: ${off} of ${buf.length} bytes`), { code: 'ENOSPC' });
    off += bytesWritten;
  }
}

function ackText(n: number): string {
  const j = JSON.stringify({ ackedThrough: n, check: crc32(Buffer.from(String(n))).toString(16).padStart(8, '0') });
  return j.padEnd(ACK_SIZE - 1, ' ') + '\n';
}

export class Outbox {
  private readonly opts: OutboxOptions;
  private segs: Segment[] = [];
  private nextSeq = 1;
  private ackedThrough = 0;
  private readonly ackedAbove = new Set<number>();
  // Seq ranges [from, to] with no record to deliver (lost to corruption, a segment lost between
  // others, or a failed write of an older version): the ack pointer steps over them. Sorted, disjoint.
  private gaps: [number, number][] = [];
  private depthCount = 0;
  private writeFh: fsp.FileHandle | undefined;
  private queue: PendingAppend[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private opened = false;
  private faultState: OutboxFault | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private faultRetryMs = 0;
  private faultRetryAt = 0;
  // read cursor
  private rSeg = 0;
  private rOff = 0;
  private rPrevSeq = 0; // seq of the last record read in the current segment
  private rFd: number | undefined;
  private rFdPath = '';
  private rBuf = Buffer.alloc(READ_CHUNK);
  // rBuf holds bytes [rBufStart, rBufStart + rBufLen) of the segment rFdPath (durable bytes only,
  // which never change): a take() of a few records reuses them instead of reading 64 KiB again.
  private rBufStart = 0;
  private rBufLen = 0;
  private ackTimer: NodeJS.Timeout | undefined;
  private ackWritten = 0;
  private ackWriting: Promise<void> | undefined;
  private ackFh: fsp.FileHandle | undefined;
  private readonly listeners: (() => void)[] = [];
  private readonly segBytes: number;
  private readonly segMessages: number;
  dropped = 0;
  corrupt = 0;

  constructor(opts: OutboxOptions) {
    this.opts = opts;
    if (!(opts.maxBytes > 0) || !(opts.maxMessages > 0)) throw new KerbError('outbox_limits', 'outbox limits must be positive');
    this.segBytes = Math.max(4096, Math.min(4 * 1024 * 1024, Math.floor(opts.maxBytes / 8)));
    this.segMessages = Math.max(1, Math.ceil(opts.maxMessages / 8));
  }

  /** Messages not yet acknowledged by the broker (including in-flight ones). */
  get depth(): number {
    return this.depthCount;
  }

  get bytes(): number {
    return this.segs.reduce((s, g) => s + g.size, 0);
  }

  get acked(): number {
    return this.ackedThrough;
  }

  /** Set while the outbox cannot write (new messages are refused); undefined when healthy. */
  get fault(): OutboxFault | undefined {
    return this.faultState;
  }

  /** Called whenever newly durable records can be taken. */
  onReadable(cb: () => void): void {
    this.listeners.push(cb);
  }

  async open(): Promise<void> {
    const { dir } = this.opts;
    await fsp.mkdir(dir, { recursive: true });
    this.ackedThrough = await this.readAck();
    this.ackWritten = this.ackedThrough;
    const names = (await fsp.readdir(dir)).filter((n) => /^seg-\d{16}\.kob$/.test(n)).sort();
    const gaps: [number, number][] = [];
    for (const name of names) {
      const seg = await this.scan(path.join(dir, name), Number(name.slice(4, 20)), gaps);
      // Empty segments hold nothing (a write that failed and was undone); the writer starts a fresh one.
      if (seg.last <= this.ackedThrough || seg.count === 0) {
        await fsp.rm(seg.path, { force: true });
        continue;
      }
      this.segs.push(seg);
    }
    // Seqs with no record on disk can never be delivered, so they must not hold the ack pointer back
    // (else everything above them is redelivered on every restart and no segment is ever deleted).
    // Below the first surviving record: acknowledged, or dropped by overflow, before a crash that
    // came ahead of the lazy ack write. Between segments: a write that failed in an older version,
    // a torn or lost segment. Inside a segment: records lost to corruption (scan()).
    const first = this.segs[0];
    if (first && first.first - 1 > this.ackedThrough) {
      this.opts.log?.info('outbox: no records below the first segment; treating them as acknowledged', { ackedThrough: this.ackedThrough, firstSeq: first.first });
      this.ackedThrough = first.first - 1;
    }
    for (let i = 1; i < this.segs.length; i++) {
      const a = this.segs[i - 1]!;
      const b = this.segs[i]!;
      if (b.first > a.last + 1) {
        this.opts.log?.warn('outbox: sequence gap between segments; skipping it', { from: a.last + 1, to: b.first - 1 });
        gaps.push([a.last + 1, b.first - 1]);
      }
    }
    this.gaps = gaps.filter((g) => g[1] > this.ackedThrough).sort((x, y) => x[0] - y[0]);
    let maxSeq = this.ackedThrough;
    for (const s of this.segs) maxSeq = Math.max(maxSeq, s.last);
    this.nextSeq = maxSeq + 1;
    this.opened = true;
    this.opts.metrics?.set('outbox_writable', 1);
    this.gauges();
    if (this.ackedThrough !== this.ackWritten) await this.writeAck();
    if (this.depthCount) this.opts.log?.info('outbox recovered', { depth: this.depthCount, segments: this.segs.length, ackedThrough: this.ackedThrough });
  }

  private async readAck(): Promise<number> {
    let text: string;
    try {
      text = await fsp.readFile(path.join(this.opts.dir, 'ack'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.log?.warn('outbox ack file unreadable; redelivering all stored messages', { err: e });
      return 0;
    }
    try {
      const j = JSON.parse(text) as { ackedThrough?: unknown; check?: unknown };
      const n = j.ackedThrough;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw new Error('no ackedThrough');
      // Files of older versions have no check; a damaged one that still parses must not skip messages.
      if (j.check !== undefined && j.check !== crc32(Buffer.from(String(n))).toString(16).padStart(8, '0')) throw new Error('check mismatch');
      return n;
    } catch (e) {
      this.opts.log?.warn('outbox ack file damaged; redelivering all stored messages (consumers see duplicates, nothing is lost)', { err: String(e) });
      return 0;
    }
  }

  /**
   * Validates a segment: skips damaged records (remembering where, and the seqs lost, in `gaps`),
   * truncates a torn or corrupt tail, counts the live records into depth.
   */
  private async scan(p: string, first: number, gaps: [number, number][]): Promise<Segment> {
    const data = await fsp.readFile(p);
    const v2 = data.length >= SEGMENT_HEADER.length && data.subarray(0, SEGMENT_HEADER.length).equals(SEGMENT_HEADER);
    const seg: Segment = { first, last: first - 1, path: p, size: 0, count: 0, version: v2 || data.length === 0 ? 2 : 1, skips: new Map() };
    let off = v2 ? SEGMENT_HEADER.length : 0;
    let lost = 0;
    while (off < data.length) {
      const r = decodeRecord(data, off, data.length, seg.version);
      if (typeof r !== 'string' && r.entry.seq > seg.last) {
        const q = r.entry.seq;
        if (q > seg.last + 1) {
          // Records between the last good one and this one were destroyed.
          gaps.push([seg.last + 1, q - 1]);
          lost += q - seg.last - 1;
        }
        seg.last = q;
        seg.count++;
        if (q > this.ackedThrough) this.depthCount++;
        off += r.len;
        continue;
      }
      const next = seg.version === 2 ? resync(data, off + 1, data.length) : -1;
      if (next < 0) {
        // Nothing valid after it: a torn tail (power cut mid-write) or a damaged last record.
        if (r === 'corrupt' || typeof r !== 'string') lost++;
        this.opts.log?.warn('outbox segment has a torn or corrupt tail; truncating', { file: p, kept: off, size: data.length });
        await fsp.truncate(p, off);
        break;
      }
      this.opts.log?.error('outbox segment has a damaged record; skipping it and keeping what follows', { file: p, offset: off, resumeAt: next });
      seg.skips.set(off, next);
      off = next;
    }
    seg.size = Math.min(off, data.length);
    if (lost) this.countCorrupt(lost);
    return seg;
  }

  private countCorrupt(n: number): void {
    this.corrupt += n;
    this.opts.metrics?.inc('outbox_corrupt_records_total', undefined, n);
  }

  /**
   * Resolves once every message is durably on disk (group commit with concurrent appends). Rejects
   * at once with KerbError('outbox_unwritable') while the disk cannot be written.
   */
  append(msgs: OutboxMessage[]): Promise<void> {
    if (!this.opened || this.closed) return Promise.reject(new KerbError('outbox_closed', 'outbox is not open'));
    if (!msgs.length) return Promise.resolve();
    if (this.faultState) return Promise.reject(this.faultError());
    for (const m of msgs) topicBytes(m);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ msgs, resolve, reject });
      this.kickWriter();
    });
  }

  private faultError(): KerbError {
    return new KerbError('outbox_unwritable', `outbox cannot write (${this.faultState?.reason ?? 'unknown'}); message refused`);
  }

  private kickWriter(): void {
    if (this.writing) return;
    this.writing = this.writeLoop().finally(() => {
      this.writing = undefined;
      // An append that arrived after the loop's last check but before this callback.
      if (this.queue.length) this.kickWriter();
    });
  }

  private async writeLoop(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0);
      if (this.faultState) {
        const err = this.faultError();
        for (const b of batch) b.reject(err);
        continue;
      }
      // Seqs are given at write time, so a failed write leaves no hole: the next batch reuses them.
      const firstSeq = this.nextSeq;
      const bufs: Buffer[] = [];
      for (const b of batch) for (const m of b.msgs) bufs.push(encodeRecord(firstSeq + bufs.length, m));
      const n = bufs.length;
      const t0 = performance.now();
      let seg: Segment | undefined;
      try {
        seg = this.segs[this.segs.length - 1];
        const reuse = seg && this.writeFh && seg.count === 0 && seg.first === firstSeq && seg.version === 2;
        if (!reuse && (!this.writeFh || !seg || seg.version !== 2 || seg.size >= this.segBytes || seg.count >= this.segMessages || seg.last + 1 !== firstSeq)) {
          seg = await this.rotate(firstSeq);
        }
        if (seg!.size === 0) bufs.unshift(SEGMENT_HEADER);
        const buf = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
        try {
          await writeAll(this.writeFh!, buf, seg!.size);
          if (this.opts.fsync !== false) await this.writeFh!.datasync();
        } catch (e) {
          // Cut a partial write back off so the segment stays parseable; the next write goes to the
          // same place anyway (positional writes), so a failed cut costs nothing either.
          await this.writeFh!.truncate(seg!.size).catch(() => undefined);
          throw e;
        }
        seg!.size += buf.length;
        seg!.count += n;
        seg!.last = firstSeq + n - 1;
        this.nextSeq = firstSeq + n;
        this.depthCount += n;
        this.faultRetryMs = 0;
        this.opts.metrics?.observe('outbox_fsync_seconds', (performance.now() - t0) / 1000);
        this.opts.metrics?.inc('outbox_appended_total', undefined, n);
        this.enforceLimits();
        this.gauges();
        for (const b of batch) b.resolve();
        for (const l of this.listeners) l();
      } catch (e) {
        // Nothing of the batch is acknowledged to ingest (its frame counters stay uncommitted).
        this.enterFault(e);
        const err = new KerbError('outbox_unwritable', `outbox write failed: ${(e as Error).message}`);
        for (const b of batch) b.reject(err);
      }
    }
  }

  private enterFault(e: unknown): void {
    if (this.faultState) return;
    const code = errCode(e);
    const space = SPACE_CODES.has(code);
    this.faultState = { code, reason: space ? `disk full (${code})` : `write error (${code}: ${(e as Error).message})`, since: Date.now() };
    this.faultRetryMs = space ? 0 : Math.min(30_000, Math.max(this.opts.retryMs ?? 1000, this.faultRetryMs * 2));
    this.faultRetryAt = Date.now() + this.faultRetryMs;
    this.opts.metrics?.set('outbox_writable', 0);
    this.opts.log?.error('outbox cannot write: refusing new uplinks until it can (held messages are still published)', { reason: this.faultState.reason, depth: this.depthCount });
    if (!this.probeTimer && !this.closed) {
      this.probeTimer = setInterval(() => void this.probe(), this.opts.probeMs ?? 500);
      this.probeTimer.unref?.();
    }
  }

  private async probe(): Promise<void> {
    const f = this.faultState;
    if (!f) return;
    if (SPACE_CODES.has(f.code)) {
      try {
        const st = await fsp.statfs(this.opts.dir);
        if (st.bavail * st.bsize < (this.opts.minFreeBytes ?? 64 * 1024)) return;
      } catch {
        return;
      }
    } else if (Date.now() < this.faultRetryAt) return;
    if (this.faultState !== f) return;
    this.faultState = undefined;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    this.opts.metrics?.set('outbox_writable', 1);
    this.opts.log?.info('outbox writable again; accepting uplinks', { was: f.reason, forS: Math.round((Date.now() - f.since) / 1000) });
  }

  private async rotate(first: number): Promise<Segment> {
    const old = this.writeFh;
    this.writeFh = undefined;
    await old?.close().catch(() => undefined);
    const p = path.join(this.opts.dir, segName(first));
    const fh = await fsp.open(p, 'w');
    const seg: Segment = { first, last: first - 1, path: p, size: 0, count: 0, version: 2, skips: new Map() };
    // An empty segment left by an earlier failed write with the same first seq is replaced, not kept beside.
    const tail = this.segs[this.segs.length - 1];
    if (tail && tail.path === p) this.segs.pop();
    this.segs.push(seg);
    this.writeFh = fh;
    // The new directory entry must survive a power cut too.
    const d = await fsp.open(this.opts.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    return seg;
  }

  /** Seqs in [from, to] that are gaps (no record). */
  private gapSeqs(from: number, to: number): number {
    let n = 0;
    for (const [a, b] of this.gaps) {
      const lo = Math.max(a, from);
      const hi = Math.min(b, to);
      if (hi >= lo) n += hi - lo + 1;
    }
    return n;
  }

  private enforceLimits(): void {
    while ((this.depthCount > this.opts.maxMessages || this.bytes > this.opts.maxBytes) && this.segs.length > 1) {
      const seg = this.segs.shift()!;
      const from = Math.max(seg.first, this.ackedThrough + 1);
      const lost = Math.max(0, seg.last - from + 1 - this.gapSeqs(from, seg.last));
      let inSet = 0;
      for (const q of this.ackedAbove) if (q >= from && q <= seg.last) inSet++;
      const droppedNow = Math.max(0, lost - inSet);
      if (seg.last > this.ackedThrough) {
        for (const q of [...this.ackedAbove]) if (q <= seg.last) this.ackedAbove.delete(q);
        this.depthCount -= lost;
        this.ackedThrough = seg.last;
        this.advanceAck();
      }
      this.dropped += droppedNow;
      this.opts.metrics?.inc('outbox_dropped_total', undefined, droppedNow);
      this.opts.log?.warn('outbox full: dropped oldest segment', { messages: droppedNow, maxBytes: this.opts.maxBytes, maxMessages: this.opts.maxMessages });
      if (this.rSeg > 0) this.rSeg--;
      else this.setReadPos(0);
      this.closeReader();
      fs.rm(seg.path, { force: true }, () => undefined);
      this.scheduleAckWrite();
    }
  }

  private closeReader(): void {
    if (this.rFd !== undefined) fs.closeSync(this.rFd);
    this.rFd = undefined;
    this.rFdPath = '';
    this.rBufLen = 0;
  }

  private setReadPos(off: number): void {
    this.rOff = off;
    this.rPrevSeq = 0;
  }

  /** Reads [pos, pos + want) of seg (clipped to its durable size) into rBuf. */
  private load(seg: Segment, pos: number, want: number): void {
    if (this.rFdPath !== seg.path) {
      this.closeReader();
      this.rFd = fs.openSync(seg.path, 'r');
      this.rFdPath = seg.path;
    }
    const n = Math.max(0, Math.min(want, seg.size - pos));
    if (this.rBuf.length < n) this.rBuf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const r = fs.readSync(this.rFd!, this.rBuf, got, n - got, pos + got);
      if (r <= 0) break; // the file is shorter than we wrote: a damaged disk; the caller skips
      got += r;
    }
    this.rBufStart = pos;
    this.rBufLen = got;
  }

  /**
   * Up to `max` durable messages after the ones already taken, in append order. Messages stay in
   * the outbox until ack(seq). Damaged records are skipped and counted; every call makes progress.
   */
  take(max: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    while (out.length < max && this.rSeg < this.segs.length) {
      const seg = this.segs[this.rSeg]!;
      if (this.rOff === 0 && seg.version === 2 && seg.size > 0) this.rOff = SEGMENT_HEADER.length;
      if (this.rPrevSeq === 0) this.rPrevSeq = seg.first - 1;
      if (this.rOff >= seg.size) {
        if (this.rSeg === this.segs.length - 1) break; // caught up with the writer
        this.rSeg++;
        this.setReadPos(0);
        continue;
      }
      const skip = seg.skips.get(this.rOff);
      if (skip !== undefined) {
        this.rOff = skip; // damage found (and counted) before
        continue;
      }
      const hdr = seg.version === 2 ? HEADER_V2 : HEADER_V1;
      const cachedEnd = this.rBufStart + this.rBufLen;
      if (this.rFdPath !== seg.path || this.rOff < this.rBufStart || this.rOff + hdr > cachedEnd) this.load(seg, this.rOff, READ_CHUNK);
      let r = decodeRecord(this.rBuf, this.rOff - this.rBufStart, this.rBufLen, seg.version);
      if (r === 'short' && this.rBufStart + this.rBufLen < seg.size) {
        // The record runs past what is cached: read it whole from here.
        const lenAt = this.rOff - this.rBufStart + (seg.version === 2 ? 4 : 0);
        const need = this.rBufLen - (this.rOff - this.rBufStart) >= hdr ? hdr + this.rBuf.readUInt32LE(lenAt) : READ_CHUNK;
        this.load(seg, this.rOff, Math.max(READ_CHUNK, Math.min(need, HEADER_V2 + MAX_RECORD)));
        r = decodeRecord(this.rBuf, 0, this.rBufLen, seg.version);
      }
      if (typeof r === 'string' || r.entry.seq <= this.rPrevSeq) {
        this.skipDamaged(seg);
        continue;
      }
      this.rOff += r.len;
      this.rPrevSeq = r.entry.seq;
      if (r.entry.seq > this.ackedThrough && !this.ackedAbove.has(r.entry.seq)) out.push(r.entry);
    }
    return out;
  }

  /**
   * A record that was valid when written (or at open) no longer is: the disk changed under us. Skip
   * to the next valid record of the segment (or its end), and let the ack pointer pass the seqs lost.
   */
  private skipDamaged(seg: Segment): void {
    const at = this.rOff;
    let next = -1;
    if (seg.version === 2) {
      const data = Buffer.alloc(Math.max(0, seg.size - at));
      try {
        const fd = fs.openSync(seg.path, 'r');
        try {
          fs.readSync(fd, data, 0, data.length, at);
        } finally {
          fs.closeSync(fd);
        }
        const p = resync(data, 1, data.length);
        if (p > 0) next = at + p;
      } catch {
        next = -1;
      }
    }
    let nextSeq = seg.last + 1;
    if (next > 0) {
      this.load(seg, next, READ_CHUNK);
      const r = decodeRecord(this.rBuf, 0, this.rBufLen, 2);
      if (typeof r !== 'string') nextSeq = r.entry.seq;
    }
    const target = next > 0 ? next : seg.size;
    seg.skips.set(at, target);
    const lostFrom = this.rPrevSeq + 1;
    const lostTo = nextSeq - 1;
    this.opts.log?.error('outbox record damaged after it was written; skipping it', { file: seg.path, offset: at, resumeAt: target, seqs: lostTo >= lostFrom ? [lostFrom, lostTo] : [] });
    if (lostTo >= lostFrom) {
      this.countCorrupt(lostTo - lostFrom + 1);
      for (let q = lostFrom; q <= lostTo; q++) if (q > this.ackedThrough) this.ackedAbove.add(q);
      this.advanceAck();
    }
    this.rOff = target;
  }

  /** Forget what was taken but not acknowledged: the next take() starts again after the last ack. */
  rewind(): void {
    this.rSeg = 0;
    this.setReadPos(0);
    this.closeReader();
  }

  ack(seq: number): void {
    if (seq <= this.ackedThrough || this.ackedAbove.has(seq)) return;
    this.ackedAbove.add(seq);
    this.opts.metrics?.inc('outbox_delivered_total');
    this.advanceAck();
  }

  private advanceAck(): void {
    const before = this.ackedThrough;
    for (;;) {
      while (this.gaps.length && this.gaps[0]![1] <= this.ackedThrough) this.gaps.shift();
      const g = this.gaps[0];
      if (g && g[0] <= this.ackedThrough + 1) {
        this.ackedThrough = g[1]; // no records there: nothing to subtract from depth
        this.gaps.shift();
        continue;
      }
      if (!this.ackedAbove.has(this.ackedThrough + 1)) break;
      this.ackedAbove.delete(this.ackedThrough + 1);
      this.ackedThrough++;
      this.depthCount--;
    }
    if (this.ackedThrough !== before) {
      this.gauges();
      this.scheduleAckWrite();
    }
  }

  private scheduleAckWrite(): void {
    if (this.ackTimer || this.closed) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      void this.writeAck();
    }, this.opts.ackDelayMs ?? 100);
  }

  /**
   * Persists the ack pointer by overwriting the fixed-size ack file in place: that needs no new
   * disk block, so acknowledged segments can still be deleted (freeing space) when the disk is full.
   * Created once through write-fsync-rename.
   */
  private async persistAck(value: number): Promise<void> {
    const file = path.join(this.opts.dir, 'ack');
    const data = Buffer.from(ackText(value));
    if (!this.ackFh) {
      try {
        const fh = await fsp.open(file, 'r+');
        if ((await fh.stat()).size === ACK_SIZE) this.ackFh = fh;
        else await fh.close();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
    if (!this.ackFh) {
      const tmp = path.join(this.opts.dir, 'ack.tmp');
      const fh = await fsp.open(tmp, 'w', 0o600);
      try {
        await writeAll(fh, data, 0);
        if (this.opts.fsync !== false) await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, file);
      if (this.opts.fsync !== false) {
        const d = await fsp.open(this.opts.dir, 'r');
        try {
          await d.sync();
        } finally {
          await d.close();
        }
      }
      this.ackFh = await fsp.open(file, 'r+');
      return;
    }
    await writeAll(this.ackFh, data, 0);
    if (this.opts.fsync !== false) await this.ackFh.datasync();
  }

  private async writeAck(): Promise<void> {
    if (this.ackWriting) await this.ackWriting;
    if (this.ackWritten === this.ackedThrough) return;
    const value = this.ackedThrough;
    this.ackWriting = (async () => {
      // Durable before any segment goes: after a power cut a stale ack file next to deleted
      // segments would leave a hole below the pointer (open() copes, but only by guessing).
      await this.persistAck(value);
      this.ackWritten = value;
      // Segments wholly acknowledged can go (never the one being written).
      while (this.segs.length > 1 && this.segs[0]!.last <= value) {
        const seg = this.segs.shift()!;
        if (this.rSeg > 0) this.rSeg--;
        else this.setReadPos(0);
        if (this.rFdPath === seg.path) this.closeReader();
        await fsp.rm(seg.path, { force: true });
      }
      this.gauges();
    })()
      .catch((e) => this.opts.log?.warn('outbox ack write failed', { err: e }))
      .finally(() => (this.ackWriting = undefined));
    await this.ackWriting;
  }

  private gauges(): void {
    this.opts.metrics?.set('outbox_depth', this.depthCount);
    this.opts.metrics?.set('outbox_bytes', this.bytes);
  }

  /** Finishes pending writes, persists the ack pointer and closes files. */
  async close(): Promise<void> {
    if (this.closed) return;
    while (this.writing) await this.writing;
    this.closed = true;
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
    await this.writeAck();
    this.closeReader();
    await this.writeFh?.close().catch(() => undefined);
    this.writeFh = undefined;
    await this.ackFh?.close().catch(() => undefined);
    this.ackFh = undefined;
  }
}
