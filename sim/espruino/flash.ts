// Model of Espruino's Storage flash area (src/jsflash.c, as documented at espruino.com/Reference#
// Storage and in EspruinoTools' setStorageBufferFile): files are appended one after another, each
// with a 32-byte header and its data padded to 4 bytes. Writing a name again appends a new copy and
// turns the old one into trash (journalling) until compact() — which Espruino also runs by itself
// when a write does not fit. Writing with an offset into an existing file programs flash in place:
// flash can only clear bits (1→0), so the model ANDs and counts violations.
//
// Survives "reboots": the host keeps the FlashModel and boots a new context against it.
// Guesses (not verified against hardware): write() returning false (rather than throwing) when even
// after compaction the file does not fit; readArrayBuffer returning a copy rather than a view.

export const HEADER_BYTES = 32;

interface FileEntry {
  name: string;
  data: Uint8Array;
  /** Declared size (write with offset+size pre-allocates). */
  size: number;
  live: boolean;
}

function bytesOf(d: unknown): Uint8Array {
  if (typeof d === 'string') {
    const b = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i++) b[i] = d.charCodeAt(i) & 0xff;
    return b;
  }
  if (d instanceof ArrayBuffer || (d && Object.prototype.toString.call(d) === '[object ArrayBuffer]')) return new Uint8Array(d as ArrayBuffer).slice();
  if (ArrayBuffer.isView(d)) {
    const v = d as ArrayBufferView;
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength).slice();
  }
  if (Array.isArray(d)) return Uint8Array.from(d as number[]);
  return bytesOf(String(d));
}

export class FlashModel {
  private files: FileEntry[] = [];
  /** Totals for wear estimates. */
  bytesProgrammed = 0;
  fileWrites = new Map<string, number>();
  compactions = 0;
  /** In-place writes that tried to set a 0 bit back to 1 (real flash cannot). */
  bitViolations = 0;

  readonly capacity: number;
  constructor(capacity: number) {
    this.capacity = capacity;
  }

  private cost(size: number): number {
    return HEADER_BYTES + ((size + 3) & ~3);
  }

  used(): number {
    let u = 0;
    for (const f of this.files) u += this.cost(f.size);
    return u;
  }

  getFree(): number {
    return this.capacity - this.used();
  }

  trashBytes(): number {
    let t = 0;
    for (const f of this.files) if (!f.live) t += this.cost(f.size);
    return t;
  }

  private find(name: string): FileEntry | undefined {
    for (const f of this.files) if (f.live && f.name === name) return f;
    return undefined;
  }

  compact(): void {
    this.files = this.files.filter((f) => f.live);
    this.compactions++;
  }

  list(): string[] {
    return this.files.filter((f) => f.live).map((f) => f.name);
  }

  /** Storage.write(name, data[, offset, size]). */
  write(name: string, data: unknown, offset?: number, size?: number): boolean {
    if (typeof name !== 'string' || name.length === 0 || name.length > 28) throw new Error('Storage: invalid name');
    const bytes = bytesOf(data);
    const existing = this.find(name);
    if (offset !== undefined && offset > 0) {
      // In-place programming of a pre-allocated file (offset 0 or none creates a new file, as on
      // Espruino: the first chunk of a large write passes size, later chunks an offset).
      if (!existing) throw new Error(`Storage: file '${name}' not found for offset write`);
      for (let i = 0; i < bytes.length; i++) {
        const at = offset + i;
        if (at >= existing.size) return false;
        const old = existing.data[at]!;
        if ((old & bytes[i]!) !== bytes[i]) this.bitViolations++;
        existing.data[at] = old & bytes[i]!;
      }
      this.bytesProgrammed += bytes.length;
      return true;
    }
    const total = size !== undefined ? Math.max(size, bytes.length) : bytes.length;
    const need = this.cost(total);
    if (existing) existing.live = false; // old copy becomes trash
    if (this.getFree() < need) this.compact();
    if (this.getFree() < need) {
      if (existing) existing.live = true;
      return false;
    }
    const d = new Uint8Array(total).fill(0xff);
    d.set(bytes, offset ?? 0);
    this.files.push({ name, data: d, size: total, live: true });
    this.bytesProgrammed += need;
    this.fileWrites.set(name, (this.fileWrites.get(name) ?? 0) + 1);
    return true;
  }

  /** Raw bytes of a live file (a copy), or undefined. */
  readBytes(name: string): Uint8Array | undefined {
    const f = this.find(name);
    return f ? f.data.slice() : undefined;
  }

  /** Storage.read: a binary string (Espruino returns a string that points into flash). */
  read(name: string, offset = 0, length?: number): string | undefined {
    const f = this.find(name);
    if (!f) return undefined;
    const end = length === undefined ? f.size : Math.min(f.size, offset + length);
    let s = '';
    for (let i = offset; i < end; i++) s += String.fromCharCode(f.data[i]!);
    return s;
  }

  erase(name: string): void {
    const f = this.find(name);
    if (f) f.live = false;
  }
}
