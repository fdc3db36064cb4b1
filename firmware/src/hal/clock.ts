// Clock over Espruino's timers. getTime() is seconds since boot as a float (µs resolution on
// STM32/nRF52 RTC); setTimeout/clearTimeout are the interpreter's own and survive deep sleep.
import type { Clock } from '../../../shared/hal/clock.ts';

declare function getTime(): number;
declare function setTimeout(cb: () => void, ms: number): number;
declare function clearTimeout(id: number): void;

export function createEspruinoClock(): Clock {
  return {
    now: function () { return getTime() * 1000; },
    // The interpreter's own functions, not wrappers: a wrapper is a function object that costs RAM
    // for as long as the node runs, and these ignore `this` (Espruino reference: setTimeout).
    setTimeout: setTimeout,
    clearTimeout: clearTimeout,
  };
}
