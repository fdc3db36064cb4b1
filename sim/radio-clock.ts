// The simulated radios' µs clock: virtual ms since scenario start, as a uint32 µs counter that
// wraps every 71.6 minutes, like an SX127x bridge's timestamp or a concentrator's `tmst`.
const U32 = 4294967296;

export function tsUsOf(ms: number): number {
  return ((Math.round(ms * 1000) % U32) + U32) % U32;
}

/** The virtual ms at which radio-clock µs value atUs next occurs (or a past time if it just passed). */
export function virtualAt(atUs: number, nowMs: number): number {
  const nowUs = tsUsOf(nowMs);
  let d = (atUs - nowUs + U32) % U32;
  if (d > U32 / 2) d -= U32; // more than 35 min ahead: treat as "already passed"
  return nowMs + d / 1000;
}
