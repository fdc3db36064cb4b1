// Virtual flash Store. Besides keeping records it models the wear of Espruino's journaling Storage
// (src/jswrap_storage.c in github.com/espruino/Espruino: rewriting a file appends a new copy; the
// old one is trash until compaction, which erases pages): each write appends header + data to a log
// of `capacityBytes`; when the log is full, compaction erases every page once and rewrites the live
// records. Counters expose writes, erases and per-page erase cycles for the wear tests and
// docs/node.md's arithmetic. snapshot()/restore give "the same flash after a reboot"; failWrites is
// the flash-full/fault switch.
import type { Store } from '../../shared/hal/store.ts';

/** Espruino StorageFile header: 4-byte size + 28-byte name (2v00+), data rounded up to 4 bytes. */
export const STORAGE_HEADER_BYTES = 32;

export interface StoreSnapshot {
  records: [string, Uint8Array][];
}

export class VirtualStore implements Store {
  private records = new Map<string, Uint8Array>();
  writes = 0;
  erases = 0;
  bytesWritten = 0;
  /** Page erase cycles so far, per page (compaction erases all pages of the area). */
  pageEraseCycles = 0;
  failWrites = false;
  readonly writesByName = new Map<string, number>();
  private logBytes = 0;
  readonly capacityBytes: number;

  /** capacityBytes: the free Storage area the journal cycles through (Puck.js: 40 KB minus code). */
  constructor(capacityBytes = 20480, snapshot?: StoreSnapshot) {
    this.capacityBytes = capacityBytes;
    if (snapshot) for (const [k, v] of snapshot.records) this.records.set(k, v.slice());
  }

  read(name: string): Uint8Array | null {
    const v = this.records.get(name);
    return v ? v.slice() : null;
  }

  write(name: string, data: Uint8Array): number {
    if (this.failWrites) return 1;
    const cost = STORAGE_HEADER_BYTES + ((data.length + 3) & ~3);
    if (this.logBytes + cost > this.capacityBytes) {
      this.pageEraseCycles++;
      let live = 0;
      for (const [k, v] of this.records) if (k !== name) live += STORAGE_HEADER_BYTES + ((v.length + 3) & ~3);
      this.logBytes = live;
      this.bytesWritten += live;
    }
    this.logBytes += cost;
    this.bytesWritten += cost;
    this.writes++;
    this.writesByName.set(name, (this.writesByName.get(name) ?? 0) + 1);
    this.records.set(name, data.slice());
    return 0;
  }

  erase(name: string): void {
    this.erases++;
    this.records.delete(name);
  }

  names(): string[] {
    return [...this.records.keys()];
  }

  /** A copy of the flash contents, e.g. to boot a node again "after a power cut". */
  snapshot(): StoreSnapshot {
    return { records: [...this.records].map(([k, v]) => [k, v.slice()] as [string, Uint8Array]) };
  }

  static restore(s: StoreSnapshot, capacityBytes = 20480): VirtualStore {
    return new VirtualStore(capacityBytes, s);
  }
}
