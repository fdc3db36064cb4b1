// Time is a dependency passed in: node logic never touches global timers, so the simulator can
// run thousands of nodes on one virtual clock and the firmware can back this with Espruino timers.

export type TimerHandle = number;

export interface Clock {
  /** Monotonic milliseconds (may be fractional). Not wall-clock time. */
  now(): number;
  /** Run cb once after ms. Returns a handle for clear(). */
  setTimeout(cb: () => void, ms: number): TimerHandle;
  clearTimeout(h: TimerHandle): void;
}
