// DIO0 edge watch over Espruino's setWatch: the callback's e.time is the getTime() of the edge,
// captured in the pin interrupt, so a bridge timestamps receptions to the µs rather than to the
// next poll.
import type { IrqLine } from '../radio/sx127x.ts';
import type { EspruinoPin } from '../espruino.ts';

declare function setWatch(cb: (e: { state: boolean; time: number }) => void, pin: EspruinoPin, opts: { repeat: boolean; edge: string }): number;
declare function clearWatch(id: number): void;

export function createIrqLine(pin: EspruinoPin): IrqLine {
  let id = -1;
  return {
    watch: function (cb: (tMs: number) => void) {
      if (id >= 0) clearWatch(id);
      id = setWatch(function (e) { cb(e.time * 1000); }, pin, { repeat: true, edge: 'rising' });
    },
    unwatch: function () {
      if (id >= 0) clearWatch(id);
      id = -1;
    },
  };
}
