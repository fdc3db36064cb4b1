// Rate-limited logging for events that can arrive at radio speed (bad MICs, unknown devices,
// garbage on the serial line): the first occurrence of a key is logged at once with its details,
// later ones are counted and summarised once per period. Memory: one entry per distinct key.
import type { Logger } from './types.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';

interface Slot { count: number; last: Record<string, unknown> | undefined; msg: string; level: Level }

export class RateLog {
  private slots = new Map<string, Slot>();
  private timer: NodeJS.Timeout | undefined;

  private readonly log: Logger;
  private readonly periodMs: number;
  constructor(log: Logger, periodMs = 60_000) {
    this.log = log;
    this.periodMs = periodMs;
  }

  note(key: string, level: Level, msg: string, fields?: Record<string, unknown>): void {
    const s = this.slots.get(key);
    if (!s) {
      this.slots.set(key, { count: 0, last: undefined, msg, level });
      this.log[level](msg, { ...fields, note: `further '${key}' events are summarised every ${Math.round(this.periodMs / 1000)} s` });
      this.arm();
      return;
    }
    s.count++;
    s.last = fields;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flush(), this.periodMs);
    this.timer.unref?.();
  }

  /** Logs the summaries now (also called by the timer). Keys with nothing new are forgotten, so the next event logs at once again. */
  flush(): void {
    for (const [key, s] of this.slots) {
      if (s.count === 0) {
        this.slots.delete(key);
        continue;
      }
      this.log[s.level](`${s.msg} (${s.count} more in the last ${Math.round(this.periodMs / 1000)} s)`, { ...s.last, key, count: s.count });
      s.count = 0;
      s.last = undefined;
    }
    if (!this.slots.size && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  stop(): void {
    this.flush();
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
