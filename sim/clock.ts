// Discrete-event virtual clock (style.md §3, after matter.js MockTime): callbacks run in time order,
// ties in scheduling order, so a seeded run is reproducible to the byte. O(log n) per timer.
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
  private live = new Map<number, Entry>();

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimeout(cb: () => void, ms: number): TimerHandle {
    const e: Entry = { at: this.t + Math.max(0, ms), seq: ++this.seq, cb };
    this.live.set(e.seq, e);
    this.push(e);
    return e.seq;
  }

  clearTimeout(h: TimerHandle): void {
    this.live.delete(h);
  }

  /** Number of timers still pending. */
  get pending(): number {
    return this.live.size;
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
    this.live.delete(e.seq);
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
    for (;;) {
      const next = this.nextAt();
      if (next > until) break;
      this.step();
    }
    if (until > this.t) this.t = until;
  }

  private dropCancelled(): void {
    while (this.heap.length && !this.live.has(this.heap[0]!.seq)) this.pop();
  }

  private less(a: Entry, b: Entry): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): Entry | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
