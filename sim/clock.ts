// Discrete-event virtual clock (time is a dependency, after matter.js MockTime): callbacks run in time order,
// ties in scheduling order, so a seeded run is reproducible to the byte. O(log n) per timer.
// Hot path of every simulation (several events per uplink, millions per simulated fleet-day): a
// binary heap of small entries with hole-based sifting (no per-swap allocations), and cancellation
// through a set of cleared handles (no per-timer Map insert/delete: most timers are never cleared).
import type { Clock, TimerHandle } from '../shared/hal/clock.ts';

const NO_CB = (): void => {};

export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  // The heap as parallel arrays (time, sequence number, callback) rather than one entry object per
  // timer: a fleet-day schedules tens of millions of timers, many living for minutes of virtual
  // time, and entry objects would be promoted to the old generation only to die there.
  private hAt = new Float64Array(1024);
  private hSeq = new Float64Array(1024);
  private hCb: (() => void)[] = [];
  private n = 0;
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
    const seq = ++this.seq;
    this.push(this.t + (ms > 0 ? ms : 0), seq, cb);
    return seq;
  }

  clearTimeout(h: TimerHandle): void {
    if (h > this.seq || h <= 0) return;
    this.cleared.add(h);
    if (this.cleared.size > 1024 && this.cleared.size > this.n) this.prune();
  }

  /** Number of timers still pending (O(n); for tests and diagnostics). */
  get pending(): number {
    let k = 0;
    for (let i = 0; i < this.n; i++) if (!this.cleared.has(this.hSeq[i]!)) k++;
    return k;
  }

  /** Time of the next pending timer, or Infinity. */
  nextAt(): number {
    this.dropCancelled();
    return this.n ? this.hAt[0]! : Infinity;
  }

  /** Run the next due timer (advancing time to it). Returns false when none is pending. */
  step(): boolean {
    this.dropCancelled();
    if (!this.n) return false;
    const at = this.hAt[0]!;
    const cb = this.pop();
    if (at > this.t) this.t = at;
    cb();
    return true;
  }

  /** Advance time by ms, running every timer that falls due on the way, in order. */
  advance(ms: number): void {
    this.runUntil(this.t + ms);
  }

  /** Run every timer due at or before `until`, then set time to `until`. */
  runUntil(until: number): void {
    for (;;) {
      if (this.cleared.size) this.dropCancelled();
      if (!this.n) break;
      const at = this.hAt[0]!;
      if (at > until) break;
      const cb = this.pop();
      if (at > this.t) this.t = at;
      cb();
    }
    if (until > this.t) this.t = until;
  }

  private dropCancelled(): void {
    const c = this.cleared;
    while (this.n && c.size && c.has(this.hSeq[0]!)) {
      c.delete(this.hSeq[0]!);
      this.pop();
    }
  }

  private prune(): void {
    const live = new Set<number>();
    for (let i = 0; i < this.n; i++) if (this.cleared.has(this.hSeq[i]!)) live.add(this.hSeq[i]!);
    this.cleared = live;
  }

  private grow(): void {
    const at = new Float64Array(this.hAt.length * 2);
    at.set(this.hAt);
    this.hAt = at;
    const seq = new Float64Array(this.hSeq.length * 2);
    seq.set(this.hSeq);
    this.hSeq = seq;
  }

  private push(at: number, seq: number, cb: () => void): void {
    if (this.n === this.hAt.length) this.grow();
    const A = this.hAt;
    const S = this.hSeq;
    const C = this.hCb;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = A[p]!;
      if (pa < at || (pa === at && S[p]! < seq)) break;
      A[i] = pa;
      S[i] = S[p]!;
      C[i] = C[p]!;
      i = p;
    }
    A[i] = at;
    S[i] = seq;
    C[i] = cb;
  }

  /** Removes the root (the caller checked n > 0) and returns its callback. */
  private pop(): () => void {
    const A = this.hAt;
    const S = this.hSeq;
    const C = this.hCb;
    const top = C[0]!;
    const m = --this.n;
    if (m > 0) {
      const la = A[m]!;
      const ls = S[m]!;
      const lc = C[m]!;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= m) break;
        let c = l;
        let ca = A[l]!;
        const r = l + 1;
        if (r < m) {
          const ra = A[r]!;
          if (ra < ca || (ra === ca && S[r]! < S[l]!)) {
            c = r;
            ca = ra;
          }
        }
        if (la < ca || (la === ca && ls < S[c]!)) break;
        A[i] = ca;
        S[i] = S[c]!;
        C[i] = C[c]!;
        i = c;
      }
      A[i] = la;
      S[i] = ls;
      C[i] = lc;
    }
    C[m] = NO_CB; // drop the reference so the closure can be collected
    return top;
  }
}
