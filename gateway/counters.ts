// Persisted LoRaWAN frame counters (LoRaWAN 1.0.4 §4.3.1.5): the last accepted uplink FCnt and the
// next downlink FCnt of every session, so that a frame replayed after a gateway restart is still
// rejected and a downlink counter is never reused (reuse would repeat the AES-CTR keystream).
//
// Storage: a snapshot (fcnt.json, replaced atomically) plus an append-only log (fcnt.log) of JSON
// lines, one per changed session, fdatasync'ed before a commit resolves. Commits that arrive while
// a sync is in flight share the next one (group commit), so the cost is one fsync per batch rather
// than per frame. The log is folded into the snapshot at start-up (which also drops a line torn by
// a power cut) and whenever it grows past compactEvery lines.
//
// Integrity: the snapshot carries a CRC32 of its sessions and every log line ends in a tab and the
// CRC32 of its JSON, so a flipped byte that still parses cannot silently lower a counter (which would
// reopen replays). A snapshot that fails its check, a whole log line that fails its check, or a
// snapshot missing beside state that proves the gateway ran before, stops the start with a clear
// error; `acceptLoss` (`kerb gateway --accept-counter-loss`) accepts it explicitly: the damaged file
// is set aside and what is intact is used. A log line cut short by a power cut (no CRC at its end)
// is still just dropped: its commit never resolved. Files of older versions (no CRC) are read and
// rewritten in the new form.
//
// Counters are keyed by session (a fingerprint of DevAddr + NwkSKey, the MIC's inputs; registry.ts),
// not by device id: a renamed device keeps its counters, a device with a new DevAddr or NwkSKey
// starts a new session at 0, switching back finds the old counters again (no replay window), and
// rotating only the AppSKey keeps the counters (old frames still pass the MIC). Ids written by
// older versions also hashed the AppSKey; adoptLegacy() folds them into the current ids.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { Logger } from './types.ts';
import { KerbError } from './types.ts';
import { writeFileAtomic, fsyncDir } from '../host/state-file.ts';

export interface SessionCounters {
  /** Last accepted (and delivered) uplink FCnt, 32 bits; -1 for a fresh session. */
  up: number;
  /** Next downlink FCnt to use. */
  down: number;
  /** Device id when last written (for humans reading the file). */
  id: string;
  /** When the last uplink was committed, ms since the epoch (absent in files of older versions). */
  t?: number;
}

interface Entry extends SessionCounters {
  /** Highest FCnt accepted in memory (verified, delivery may still be in flight); >= up. */
  seen: number;
}

export interface CounterStoreOptions {
  dir: string;
  log: Logger;
  /** Fold the log into the snapshot after this many lines. Default 10000. */
  compactEvery?: number;
  /** Start even though the counter files fail their integrity check (operator's explicit decision). */
  acceptLoss?: boolean;
  /** Files whose presence proves the gateway ran here before (a missing snapshot is then a loss). */
  evidence?: string[];
}

function crcHex(text: string): string {
  return (zlib.crc32(Buffer.from(text, 'utf8')) >>> 0).toString(16).padStart(8, '0');
}

/** One log line: JSON, a tab, CRC32 of the JSON in hex. */
export function counterLine(rec: Record<string, unknown>): string {
  const j = JSON.stringify(rec);
  return `${j}\t${crcHex(j)}`;
}

/** The snapshot's text: the sessions' JSON is what the check covers. */
export function counterSnapshot(sessions: Record<string, SessionCounters>): string {
  const j = JSON.stringify(sessions);
  return `{"version":2,"check":"${crcHex(j)}","sessions":${j}}\n`;
}

const SNAPSHOT = 'fcnt.json';
const LOG = 'fcnt.log';

/** What the counter files hold, read without changing them (open() and `kerb device list`). */
export interface CounterFiles {
  /** The snapshot's sessions; undefined when there is no snapshot file. */
  snapshot: Record<string, SessionCounters> | undefined;
  /** Intact log lines, oldest first. */
  records: ({ s: string } & Partial<SessionCounters>)[];
  /** What fails its check (damaged snapshot, damaged log lines): the start stops on these. */
  problems: string[];
  /** Log lines cut short by a power cut (never committed): dropped. */
  torn: number;
}

export async function readCounterFiles(dir: string): Promise<CounterFiles> {
  const snapshotPath = path.join(dir, SNAPSHOT);
  const logPath = path.join(dir, LOG);
  const problems: string[] = [];
  let snapshot: Record<string, SessionCounters> | undefined;
  let snapText: string | undefined;
  try {
    snapText = await fsp.readFile(snapshotPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (snapText !== undefined) {
    snapshot = {};
    try {
      const doc = JSON.parse(snapText) as { version?: unknown; check?: unknown; sessions?: Record<string, SessionCounters> };
      if (!doc || typeof doc !== 'object' || (doc.sessions !== undefined && (typeof doc.sessions !== 'object' || doc.sessions === null))) throw new Error('not a counter snapshot');
      if (doc.version !== 1 || doc.check !== undefined) {
        if (typeof doc.check !== 'string' || doc.check !== crcHex(JSON.stringify(doc.sessions ?? {}))) throw new Error('checksum mismatch');
      }
      snapshot = doc.sessions ?? {};
    } catch (e) {
      // The snapshot is only ever replaced by rename, so this is not a torn write.
      problems.push(`${snapshotPath} is damaged (${(e as Error).message})`);
    }
  }
  let logText = '';
  try {
    logText = await fsp.readFile(logPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const records: CounterFiles['records'] = [];
  let torn = 0;
  let bad = 0;
  for (const line of logText.split('\n')) {
    if (!line) continue;
    const m = /^(.*)\t([0-9a-f]{8})$/.exec(line);
    let json = line;
    if (m) {
      if (crcHex(m[1]!) !== m[2]) {
        bad++; // a whole line (its CRC is there) whose bytes changed
        continue;
      }
      json = m[1]!;
    }
    try {
      records.push(JSON.parse(json) as { s: string } & SessionCounters);
    } catch {
      torn++; // a line cut by a power failure mid-append: its commit never resolved
    }
  }
  if (bad) problems.push(`${logPath} has ${bad} damaged line${bad > 1 ? 's' : ''}`);
  return { snapshot, records, problems, torn };
}

/** Folds one record into the map: counters and times only move forward, so replaying is idempotent. */
export function mergeCounters(into: Map<string, SessionCounters & { seen?: number }>, sid: unknown, c: Partial<SessionCounters>): void {
  if (typeof sid !== 'string') return;
  const up = typeof c.up === 'number' ? c.up : -1;
  const down = typeof c.down === 'number' ? c.down : 0;
  const t = typeof c.t === 'number' ? c.t : undefined;
  const e = into.get(sid);
  if (!e) {
    const n: SessionCounters & { seen?: number } = { up, down, seen: up, id: String(c.id ?? '') };
    if (t !== undefined) n.t = t;
    into.set(sid, n);
  } else {
    e.up = Math.max(e.up, up);
    e.seen = Math.max(e.seen ?? -1, e.up);
    e.down = Math.max(e.down, down);
    if (t !== undefined && (e.t === undefined || t > e.t)) e.t = t;
    if (c.id) e.id = String(c.id);
  }
}

/** The sessions the files hold (snapshot, then log), read-only; for tools beside a running gateway. */
export async function readCounters(dir: string): Promise<{ sessions: Map<string, SessionCounters>; problems: string[] }> {
  const f = await readCounterFiles(dir);
  const m = new Map<string, SessionCounters & { seen?: number }>();
  for (const [sid, c] of Object.entries(f.snapshot ?? {})) mergeCounters(m, sid, c);
  for (const r of f.records) mergeCounters(m, r.s, r);
  return { sessions: m, problems: f.problems };
}

export class CounterStore {
  private entries = new Map<string, Entry>();
  private dirty = new Set<string>();
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;
  private logFh: fsp.FileHandle | undefined;
  private logLines = 0;
  /** Bytes of fcnt.log known to be whole lines: a failed append is cut back to this length. */
  private logSize = 0;
  private closed = false;

  private readonly opts: CounterStoreOptions;
  constructor(opts: CounterStoreOptions) {
    this.opts = opts;
  }

  private get snapshotPath(): string { return path.join(this.opts.dir, SNAPSHOT); }
  private get logPath(): string { return path.join(this.opts.dir, LOG); }

  async open(): Promise<void> {
    await fsp.mkdir(this.opts.dir, { recursive: true });
    const files = await readCounterFiles(this.opts.dir);
    const problems = files.problems;
    if (files.snapshot === undefined) {
      const proof = [this.logPath, ...(this.opts.evidence ?? [])].filter((f) => fs.existsSync(f));
      if (proof.length) problems.unshift(`${this.snapshotPath} is missing although ${proof.join(', ')} show${proof.length > 1 ? '' : 's'} the gateway ran here before`);
    }
    for (const [sid, c] of Object.entries(files.snapshot ?? {})) this.merge(sid, c);
    for (const r of files.records) this.merge(r.s, r);
    if (files.torn) this.opts.log.warn('frame-counter log had torn lines (power cut during a write); ignored', { lines: files.torn });
    if (problems.length) {
      const what = problems.join('; ');
      if (!this.opts.acceptLoss) {
        throw new KerbError('counters', `frame counters cannot be trusted: ${what}. Starting would reopen every affected session to replayed frames. Restore the files from a backup, or start once with --accept-counter-loss to continue with what is intact (a replay of an old frame may then be accepted once per device until it sends a newer one).`);
      }
      this.opts.log.error('frame counters damaged; continuing with what is intact because --accept-counter-loss was given', { problems });
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      for (const f of [this.snapshotPath, this.logPath]) await fsp.rename(f, `${f}.damaged-${stamp}`).catch(() => undefined);
    }
    await this.compact();
    this.logFh = await fsp.open(this.logPath, 'a', 0o600);
    this.logSize = (await this.logFh.stat()).size;
  }

  private merge(sid: string, c: Partial<SessionCounters>): void {
    mergeCounters(this.entries as Map<string, Entry>, sid, c);
  }

  /**
   * Carries counters persisted under the older session ids (which also hashed the AppSKey) over to
   * the current ids of the registry's devices, keeping the max of both. In memory only: the legacy
   * lines stay in the files, so this is repeated, idempotently, at every start and registry load.
   * A legacy entry whose AppSKey is no longer in the registry cannot be mapped (its id cannot be
   * recomputed) and stays unused; docs/registry.md says so.
   */
  adoptLegacy(devices: { id: string; sessionId: string; legacySessionId: string }[]): number {
    let n = 0;
    for (const d of devices) {
      const old = this.entries.get(d.legacySessionId);
      if (!old || d.legacySessionId === d.sessionId) continue;
      const cur = this.entries.get(d.sessionId);
      if (cur && cur.up >= old.up && cur.seen >= old.seen && cur.down >= old.down) continue;
      this.merge(d.sessionId, { up: old.up, down: old.down, id: cur?.id || old.id || d.id, t: old.t });
      const e = this.entries.get(d.sessionId)!;
      if (old.seen > e.seen) e.seen = old.seen;
      n++;
    }
    return n;
  }

  private entry(sessionId: string, deviceId: string): Entry {
    let e = this.entries.get(sessionId);
    if (!e) {
      e = { up: -1, down: 0, seen: -1, id: deviceId };
      this.entries.set(sessionId, e);
    }
    return e;
  }

  /** Last uplink FCnt accepted for the session (in memory, including deliveries still in flight); -1 if none. */
  lastUp(sessionId: string): number {
    return this.entries.get(sessionId)?.seen ?? -1;
  }

  /** Last uplink FCnt durably committed. */
  committedUp(sessionId: string): number {
    return this.entries.get(sessionId)?.up ?? -1;
  }

  /** Marks fcnt32 as accepted in memory, so a replay arriving while it is being delivered is rejected. */
  accept(sessionId: string, deviceId: string, fcnt32: number): void {
    const e = this.entry(sessionId, deviceId);
    if (fcnt32 > e.seen) e.seen = fcnt32;
  }

  /** Durably records fcnt32 as the last accepted uplink FCnt. Resolves once it is on disk. */
  commitUp(sessionId: string, deviceId: string, fcnt32: number): Promise<void> {
    const e = this.entry(sessionId, deviceId);
    if (fcnt32 <= e.up) return Promise.resolve();
    e.up = fcnt32;
    e.t = Date.now();
    if (fcnt32 > e.seen) e.seen = fcnt32;
    e.id = deviceId;
    return this.markDirty(sessionId);
  }

  /**
   * Takes the next downlink FCnt and durably records its successor before returning it, so no
   * value can be handed out twice even across a crash.
   */
  async reserveDown(sessionId: string, deviceId: string): Promise<number> {
    const e = this.entry(sessionId, deviceId);
    const fcnt = e.down;
    if (fcnt > 0xffffffff) throw new Error(`downlink frame counter exhausted for ${deviceId}: re-key the device`);
    e.down = fcnt + 1;
    e.id = deviceId;
    await this.markDirty(sessionId);
    return fcnt;
  }

  /** The next downlink FCnt that reserveDown() would return (for logs and tests). */
  peekDown(sessionId: string): number {
    return this.entries.get(sessionId)?.down ?? 0;
  }

  private markDirty(sid: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('counter store closed'));
    this.dirty.add(sid);
    const p = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.flushing) this.flushing = this.flushLoop();
    return p;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.dirty.size) {
        const sids = [...this.dirty];
        const waiters = this.waiters;
        this.dirty = new Set();
        this.waiters = [];
        try {
          // Every batch starts on a line of its own: if an earlier append was cut short and could not
          // be truncated away, its fragment ends at this '\n' instead of swallowing our first line
          // (open() skips empty lines and drops only the fragment as torn).
          let text = '\n';
          for (const sid of sids) {
            const e = this.entries.get(sid)!;
            const rec: Record<string, unknown> = { s: sid, id: e.id, up: e.up, down: e.down };
            if (e.t !== undefined) rec.t = e.t;
            text += counterLine(rec) + '\n';
          }
          if (!this.logFh) throw new Error('counter store not open');
          // One write() of the whole batch (the file is opened for append); FileHandle.appendFile
          // would go through writeFile's generic chunking for every batch.
          const buf = Buffer.from(text);
          try {
            for (let off = 0; off < buf.length; ) {
              const { bytesWritten } = await this.logFh.write(buf, off, buf.length - off);
              if (bytesWritten <= 0) throw new Error('frame-counter log: write made no progress');
              off += bytesWritten;
            }
            await this.logFh.datasync();
          } catch (e) {
            // A short write followed by ENOSPC/EIO leaves a partial line: cut the log back to its last
            // whole line so the next batch does not land glued to the fragment. If this fails too, the
            // leading '\n' of the next batch still keeps its lines intact.
            await this.logFh.truncate(this.logSize).catch((te: unknown) => {
              this.opts.log.warn('frame-counter log: could not truncate a failed append', { error: String(te) });
            });
            throw e;
          }
          this.logSize += buf.length;
          this.logLines += sids.length;
          for (const w of waiters) w.resolve();
        } catch (e) {
          for (const w of waiters) w.reject(e as Error);
          // Keep them dirty: the in-memory state is still right and the next commit writes it too.
          for (const sid of sids) this.dirty.add(sid);
          const pending = this.waiters;
          this.waiters = [];
          for (const w of pending) w.reject(e as Error);
          break;
        }
        if (this.logLines >= (this.opts.compactEvery ?? 10_000)) {
          try {
            await this.compact();
          } catch (e) {
            this.opts.log.error('frame-counter compaction failed (log keeps growing)', { error: String(e) });
          }
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  /** Writes the snapshot (committed values only) and empties the log. */
  private async compact(): Promise<void> {
    const sessions: Record<string, SessionCounters> = {};
    for (const [sid, e] of this.entries) sessions[sid] = e.t !== undefined ? { id: e.id, up: e.up, down: e.down, t: e.t } : { id: e.id, up: e.up, down: e.down };
    await writeFileAtomic(this.snapshotPath, counterSnapshot(sessions));
    // Crash between the rename and the truncate: the log replays onto the snapshot with max(), harmless.
    if (this.logFh) await this.logFh.truncate(0);
    else if (fs.existsSync(this.logPath)) await fsp.truncate(this.logPath, 0);
    this.logSize = 0;
    await fsyncDir(this.opts.dir);
    this.logLines = 0;
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    this.closed = true;
    await this.logFh?.close();
    this.logFh = undefined;
  }
}
