// Discrete-event virtual clock (style.md §3, after matter.js MockTime): callbacks run in time order,
// ties in scheduling order, so a seeded run is reproducible to the byte. O(log n) per timer.
// Hot path of every simulation (several events per uplink, millions per simulated fleet-day): a
// binary heap of small entries with hole-based sifting (no per-swap allocations), and cancellation
// through a set of cleared handles (no per-timer Map insert/delete: most timers are never cleared).
import type { Clock, TimerHandle } from '../shared/hal/clock.ts';

interface Entry {
  at: number;
  seq: number;
  cb: () => void;
}

export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private heap: Entry[] = [];
  /**
   * Handles cleared while (possibly) still pending. A handle cleared after its timer ran stays here
   * until the next prune, which keeps only handles still in the heap (amortised O(1) per clear).
   */
  private cleared = new Set<number>();

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const e: Entry = { at: this.t + (ms > 0 ? ms : 0), seq: ++this.seq, cb };
    this.push(e);
    return e.seq;
  }

  clearTimeout(h: TimerHandle): void {
    if (h > this.seq || h <= 0) return;
    this.cleared.add(h);
    if (this.cleared.size > 1024 && this.cleared.size > this.heap.length) this.prune();
  }

  /** Number of timers still pending (O(n); for tests and diagnostics). */
  get pending(): number {
    let n = 0;
    for (const e of this.heap) if (!this.cleared.has(e.seq)) n++;
    return n;
  }

  /** Time of the next pending timer, or Infinity. */
  nextAt(): number {
    this.dropCancelled();
    return this.heap.length ? this.heap[0]!.at : Infinity;
  }

  /** Run the next due timer (advancing time to it). Returns false when none is pending. */
  step(): boolean {
    this.dropCancelled();
    const e = this.pop();
    if (!e) return false;
    if (e.at > this.t) this.t = e.at;
    e.cb();
    return true;
  }

  /** Advance time by ms, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.runUntil(this.t + ms);
  }

  /** Run every timer due at or before `until`, then set time to `until`. */
  runUntil(until: number): void {
    const h = this.heap;
    for (;;) {
      if (this.cleared.size) this.dropCancelled();
      if (!h.length || h[0]!.at > until) break;
      const e = this.pop()!;
      if (e.at > this.t) this.t = e.at;
      e.cb();
    }
    if (until > this.t) this.t = until;
  }

  private dropCancelled(): void {
    const h = this.heap;
    const c = this.cleared;
    while (h.length && c.size && c.has(h[0]!.seq)) {
      c.delete(h[0]!.seq);
      this.pop();
    }
  }

  private prune(): void {
    const live = new Set<number>();
    for (const e of this.heap) if (this.cleared.has(e.seq)) live.add(e.seq);
    this.cleared = live;
  }

  private push(e: Entry): void {
    const h = this.heap;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const q = h[p]!;
      if (q.at < e.at || (q.at === e.at && q.seq < e.seq)) break;
      h[i] = q;
      i = p;
    }
    h[i] = e;
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    const n = h.length;
    if (!n) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    const m = n - 1;
    if (m > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        let c = l;
        let ce = h[l]!;
        const r = l + 1;
        if (r < m) {
          const re = h[r]!;
          if (re.at < ce.at || (re.at === ce.at && re.seq < ce.seq)) {
            c = r;
            ce = re;
          }
        }
        if (last.at < ce.at || (last.at === ce.at && last.seq < ce.seq)) break;
        h[i] = ce;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
