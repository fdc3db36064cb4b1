// Virtual Power: battery voltage from the environment, watchdog and deep-sleep bookkeeping, and a
// reboot hook the node assembly uses to boot a fresh node on the same flash.
import type { Power } from '../../shared/hal/power.ts';
import type { Clock } from '../../shared/hal/clock.ts';

export class VirtualPower implements Power {
  kicks = 0;
  lastKickAt = -1;
  /** Longest gap between two watchdog kicks so far (ms). */
  maxKickGapMs = 0;
  reboots = 0;
  deepSleepAllowed = false;
  /** Time spent with deep sleep allowed, for battery-life estimates (ms). */
  sleepMs = 0;
  private sleepSince = 0;
  /** Called on reboot(); the assembly stops the node and boots a new one. */
  onReboot: (() => void) | null = null;
  private readonly clock: Clock;
  private readonly mv: () => number;

  constructor(clock: Clock, batteryMv: () => number) {
    this.clock = clock;
    this.mv = batteryMv;
  }

  batteryMv(): number {
    return this.mv();
  }

  allowDeepSleep(on: boolean): void {
    const now = this.clock.now();
    if (this.deepSleepAllowed && !on) this.sleepMs += now - this.sleepSince;
    if (on && !this.deepSleepAllowed) this.sleepSince = now;
    this.deepSleepAllowed = on;
  }

  kickWatchdog(): void {
    const now = this.clock.now();
    if (this.lastKickAt >= 0 && now - this.lastKickAt > this.maxKickGapMs) this.maxKickGapMs = now - this.lastKickAt;
    this.lastKickAt = now;
    this.kicks++;
  }

  reboot(): void {
    this.reboots++;
    if (this.onReboot) this.onReboot();
  }
}
