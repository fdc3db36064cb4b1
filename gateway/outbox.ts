// Durable outbox: every uplink accepted from ingest is written to an append-only segment file and
// fdatasync'ed before append() resolves (ingest commits the frame counter only after that), and it
// leaves the outbox only when the broker has acknowledged it (PUBACK for QoS 1).
//
// On disk (directory <stateDir>/outbox):
//   seg-<first seq, 16 digits>.kob   records [u32 len][u32 crc32(body)][body], little-endian;
//                                    body = u8 version(1) | u8 flags (bit0 retain, bits1-2 qos) |
//                                    u32 seq hi | u32 seq lo | f64 accepted-at ms | u16 topic len |
//                                    topic (UTF-8) | payload
//   ack                              JSON {"ackedThrough": n}: every seq ≤ n was acknowledged
// Recovery: a torn tail (power cut mid-write) fails the length or CRC check and is truncated; all
// records after the persisted ack are delivered again. The ack file is written lazily (≤ ackDelayMs
// after a PUBACK), so a crash can repeat at most that window: duplicates are always whole copies of
// the same (device, frame counter) message, in the original order.
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
  log?: Logger;
  metrics?: Metrics;
}

interface Segment {
  first: number;
  last: number; // last seq written (first - 1 when empty)
  path: string;
  size: number; // bytes durably written
  count: number;
}

interface PendingAppend {
  records: Buffer[];
  firstSeq: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

const HEADER = 8;
const BODY_FIXED = 1 + 1 + 4 + 4 + 8 + 2;
const VERSION = 1;
const MAX_RECORD = 16 * 1024 * 1024;
const READ_CHUNK = 64 * 1024;

function crc32(b: Uint8Array): number {
  return zlib.crc32(b) >>> 0;
}

function segName(first: number): string {
  return `seg-${String(first).padStart(16, '0')}.kob`;
}

export function encodeRecord(seq: number, m: OutboxMessage): Buffer {
  const topic = Buffer.from(m.topic, 'utf8');
  if (topic.length > 0xffff) throw new KerbError('outbox_topic', 'topic too long');
  const bodyLen = BODY_FIXED + topic.length + m.payload.length;
  const buf = Buffer.allocUnsafe(HEADER + bodyLen);
  let o = HEADER;
  buf[o++] = VERSION;
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
  buf.writeUInt32LE(bodyLen, 0);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 4);
  return buf;
}

/** Parses one record at `off`; returns the entry and its total length, or null if incomplete/corrupt. */
export function decodeRecord(buf: Buffer, off: number, end: number): { entry: OutboxEntry; len: number } | 'short' | 'corrupt' {
  if (end - off < HEADER) return 'short';
  const bodyLen = buf.readUInt32LE(off);
  if (bodyLen < BODY_FIXED || bodyLen > MAX_RECORD) return 'corrupt';
  if (end - off < HEADER + bodyLen) return 'short';
  const body = buf.subarray(off + HEADER, off + HEADER + bodyLen);
  if (crc32(body) !== buf.readUInt32LE(off + 4)) return 'corrupt';
  if (body[0] !== VERSION) return 'corrupt';
  const flags = body[1]!;
  const seq = body.readUInt32LE(2) * 2 ** 32 + body.readUInt32LE(6);
  const at = body.readDoubleLE(10);
  const tl = body.readUInt16LE(18);
  if (BODY_FIXED + tl > bodyLen) return 'corrupt';
  const topic = body.toString('utf8', BODY_FIXED, BODY_FIXED + tl);
  const payload = new Uint8Array(body.subarray(BODY_FIXED + tl)); // copy: the read buffer is reused
  return {
    entry: { seq, topic, payload, at, retain: (flags & 1) !== 0, qos: ((flags >> 1) & 3) as 0 | 1 | 2 },
    len: HEADER + bodyLen,
  };
}

export class Outbox {
  private segs: Segment[] = [];
  private nextSeq = 1;
  private ackedThrough = 0;
  private readonly ackedAbove = new Set<number>();
  private readonly voided = new Set<number>(); // seqs whose write failed: never counted in depth
  // Seq ranges [from, to] found missing between segments at open() (a failed write, a torn or lost
  // segment): nothing to deliver there, so the ack pointer steps over them. Sorted, disjoint.
  private gaps: [number, number][] = [];
  private depthCount = 0;
  private writeFh: fsp.FileHandle | undefined;
  private queue: PendingAppend[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private opened = false;
  // read cursor
  private rSeg = 0;
  private rOff = 0;
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
  private readonly listeners: (() => void)[] = [];
  private readonly segBytes: number;
  private readonly segMessages: number;
  dropped = 0;

  private readonly opts: OutboxOptions;
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

  /** Called whenever newly durable records can be taken. */
  onReadable(cb: () => void): void {
    this.listeners.push(cb);
  }

  async open(): Promise<void> {
    const { dir } = this.opts;
    await fsp.mkdir(dir, { recursive: true });
    try {
      const j = JSON.parse(await fsp.readFile(path.join(dir, 'ack'), 'utf8')) as { ackedThrough?: unknown };
      if (typeof j.ackedThrough === 'number' && Number.isSafeInteger(j.ackedThrough) && j.ackedThrough >= 0) this.ackedThrough = j.ackedThrough;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.opts.log?.warn('outbox ack file unreadable; redelivering all stored messages', { err: e });
    }
    this.ackWritten = this.ackedThrough;
    const names = (await fsp.readdir(dir)).filter((n) => /^seg-\d{16}\.kob$/.test(n)).sort();
    for (const name of names) {
      const seg = await this.scan(path.join(dir, name), Number(name.slice(4, 20)));
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
    // came ahead of the lazy ack write. Between segments: a write that failed (never acknowledged to
    // ingest) or a torn segment tail.
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
        this.gaps.push([a.last + 1, b.first - 1]);
      }
    }
    let maxSeq = this.ackedThrough;
    for (const s of this.segs) {
      maxSeq = Math.max(maxSeq, s.last);
      this.depthCount += Math.max(0, s.last - Math.max(s.first - 1, this.ackedThrough));
    }
    this.nextSeq = maxSeq + 1;
    this.opened = true;
    this.gauges();
    if (this.ackedThrough !== this.ackWritten) await this.writeAck();
    if (this.depthCount) this.opts.log?.info('outbox recovered', { depth: this.depthCount, segments: this.segs.length, ackedThrough: this.ackedThrough });
  }

  /** Validates a segment and truncates a torn or corrupt tail. */
  private async scan(p: string, first: number): Promise<Segment> {
    const data = await fsp.readFile(p);
    let off = 0;
    let last = first - 1;
    let count = 0;
    for (;;) {
      const r = decodeRecord(data, off, data.length);
      if (typeof r === 'string') break;
      if (r.entry.seq !== last + 1 && count > 0) break; // out of sequence: treat as corrupt tail
      if (count === 0 && r.entry.seq !== first) break;
      last = r.entry.seq;
      count++;
      off += r.len;
    }
    if (off < data.length) {
      this.opts.log?.warn('outbox segment has a torn or corrupt tail; truncating', { file: p, kept: off, size: data.length });
      await fsp.truncate(p, off);
    }
    return { first, last, path: p, size: off, count };
  }

  /** Resolves once every message is durably on disk (group commit with concurrent appends). */
  append(msgs: OutboxMessage[]): Promise<void> {
    if (!this.opened || this.closed) return Promise.reject(new KerbError('outbox_closed', 'outbox is not open'));
    if (!msgs.length) return Promise.resolve();
    const firstSeq = this.nextSeq;
    const records = msgs.map((m) => encodeRecord(this.nextSeq++, m));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, firstSeq, resolve, reject });
      this.kickWriter();
    });
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
      const bufs = batch.flatMap((b) => b.records);
      const n = bufs.length;
      const firstSeq = batch[0]!.firstSeq;
      const t0 = performance.now();
      try {
        let seg = this.segs[this.segs.length - 1];
        if (!this.writeFh || !seg || seg.size >= this.segBytes || seg.count >= this.segMessages || seg.last + 1 !== firstSeq) {
          seg = await this.rotate(firstSeq);
        }
        const buf = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
        try {
          await this.writeFh!.write(buf, 0, buf.length, seg.size);
          if (this.opts.fsync !== false) await this.writeFh!.datasync();
        } catch (e) {
          // Undo a partial write so the segment stays parseable, then start a fresh segment.
          await this.writeFh!.truncate(seg.size).catch(() => undefined);
          await this.writeFh!.close().catch(() => undefined);
          this.writeFh = undefined;
          throw e;
        }
        seg.size += buf.length;
        seg.count += n;
        seg.last = firstSeq + n - 1;
        this.depthCount += n;
        this.opts.metrics?.observe('outbox_fsync_seconds', (performance.now() - t0) / 1000);
        this.opts.metrics?.inc('outbox_appended_total', undefined, n);
        this.enforceLimits();
        this.gauges();
        for (const b of batch) b.resolve();
        for (const l of this.listeners) l();
      } catch (e) {
        // These seqs never became durable and were never acknowledged to ingest: skip them.
        for (let q = firstSeq; q < firstSeq + n; q++) {
          this.ackedAbove.add(q);
          this.voided.add(q);
        }
        this.advanceAck();
        const err = new KerbError('outbox_write', `outbox write failed: ${(e as Error).message}`);
        this.opts.log?.error('outbox write failed', { err: e, messages: n });
        for (const b of batch) b.reject(err);
      }
    }
  }

  private async rotate(first: number): Promise<Segment> {
    if (this.writeFh) await this.writeFh.close();
    const p = path.join(this.opts.dir, segName(first));
    this.writeFh = await fsp.open(p, 'w');
    const seg: Segment = { first, last: first - 1, path: p, size: 0, count: 0 };
    this.segs.push(seg);
    // The new directory entry must survive a power cut too.
    const d = await fsp.open(this.opts.dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    return seg;
  }

  private enforceLimits(): void {
    while ((this.depthCount > this.opts.maxMessages || this.bytes > this.opts.maxBytes) && this.segs.length > 1) {
      const seg = this.segs.shift()!;
      const lost = Math.max(0, seg.last - Math.max(seg.first - 1, this.ackedThrough));
      let inSet = 0;
      for (const q of this.ackedAbove) if (q >= seg.first && q <= seg.last && q > this.ackedThrough) inSet++;
      const droppedNow = Math.max(0, lost - inSet);
      if (seg.last > this.ackedThrough) {
        for (const q of [...this.ackedAbove]) if (q <= seg.last) this.ackedAbove.delete(q);
        for (const q of [...this.voided]) if (q <= seg.last) this.voided.delete(q);
        this.depthCount -= lost;
        this.ackedThrough = seg.last;
        this.advanceAck();
      }
      this.dropped += droppedNow;
      this.opts.metrics?.inc('outbox_dropped_total', undefined, droppedNow);
      this.opts.log?.warn('outbox full: dropped oldest segment', { messages: droppedNow, maxBytes: this.opts.maxBytes, maxMessages: this.opts.maxMessages });
      if (this.rSeg > 0) this.rSeg--;
      else this.rOff = 0;
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

  /**
   * Up to `max` durable messages after the ones already taken, in append order. Messages stay in
   * the outbox until ack(seq).
   */
  take(max: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    while (out.length < max && this.rSeg < this.segs.length) {
      const seg = this.segs[this.rSeg]!;
      if (this.rOff >= seg.size) {
        if (this.rSeg === this.segs.length - 1) break; // caught up with the writer
        this.rSeg++;
        this.rOff = 0;
        continue;
      }
      if (this.rFdPath !== seg.path) {
        this.closeReader();
        this.rFd = fs.openSync(seg.path, 'r');
        this.rFdPath = seg.path;
      }
      let start: number;
      let got: number;
      let cached = false;
      if (this.rOff >= this.rBufStart && this.rOff < this.rBufStart + this.rBufLen) {
        start = this.rOff - this.rBufStart;
        got = this.rBufLen;
        cached = true;
      } else {
        const want = Math.min(seg.size - this.rOff, READ_CHUNK);
        if (this.rBuf.length < want) this.rBuf = Buffer.alloc(want);
        got = fs.readSync(this.rFd!, this.rBuf, 0, want, this.rOff);
        this.rBufStart = this.rOff;
        this.rBufLen = got;
        start = 0;
      }
      let off = start;
      let progressed = false;
      let reread = false;
      while (out.length < max && off < got) {
        const r = decodeRecord(this.rBuf, off, got);
        if (r === 'short') {
          if (off === start && cached) {
            reread = true; // the record runs past what is cached: read from here
            break;
          }
          if (off === 0) {
            // A record larger than the chunk: grow the buffer and read it whole.
            const len = HEADER + this.rBuf.readUInt32LE(0);
            this.rBuf = Buffer.alloc(len);
            got = fs.readSync(this.rFd!, this.rBuf, 0, len, this.rOff);
            this.rBufLen = got;
            continue;
          }
          break;
        }
        if (r === 'corrupt') {
          // Validated at open and written by us since: only a disk fault gets here. Skip the segment.
          this.opts.log?.error('outbox segment unreadable after open; skipping rest of segment', { file: seg.path, offset: this.rOff + off - start });
          off = start + seg.size - this.rOff;
          progressed = true;
          break;
        }
        off += r.len;
        progressed = true;
        if (r.entry.seq > this.ackedThrough && !this.ackedAbove.has(r.entry.seq)) out.push(r.entry);
      }
      if (reread) {
        this.rBufLen = 0;
        continue;
      }
      off -= start;
      this.rOff += off;
      if (!progressed) break;
    }
    return out;
  }

  /** Forget what was taken but not acknowledged: the next take() starts again after the last ack. */
  rewind(): void {
    this.rSeg = 0;
    this.rOff = 0;
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
      if (!this.voided.delete(this.ackedThrough)) this.depthCount--;
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

  private async writeAck(): Promise<void> {
    if (this.ackWriting) await this.ackWriting;
    if (this.ackWritten === this.ackedThrough) return;
    const value = this.ackedThrough;
    this.ackWriting = (async () => {
      const tmp = path.join(this.opts.dir, 'ack.tmp');
      // Durable before any segment goes: after a power cut a stale ack file next to deleted
      // segments would leave a hole below the pointer (open() copes, but only by guessing).
      const fh = await fsp.open(tmp, 'w');
      try {
        await fh.writeFile(JSON.stringify({ ackedThrough: value }));
        if (this.opts.fsync !== false) await fh.sync();
      } finally {
        await fh.close();
      }
      await fsp.rename(tmp, path.join(this.opts.dir, 'ack'));
      if (this.opts.fsync !== false) {
        const d = await fsp.open(this.opts.dir, 'r');
        try {
          await d.sync();
        } finally {
          await d.close();
        }
      }
      this.ackWritten = value;
      // Segments wholly acknowledged can go (never the one being written).
      while (this.segs.length > 1 && this.segs[0]!.last <= value) {
        const seg = this.segs.shift()!;
        if (this.rSeg > 0) this.rSeg--;
        else this.rOff = 0;
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
    await this.writeAck();
    this.closeReader();
    await this.writeFh?.close();
    this.writeFh = undefined;
  }
}
