// Store over require("Storage") (Espruino flash filesystem). Every write() of a name appends a new
// copy and turns the old one into trash until compact() (journalling to spread flash wear;
// docs/device-subset.md, Storage): callers keep rewrites rare (the frame counter is reserved in
// blocks by shared/node). Names ≤ 28 chars.
import type { Store } from '../../../shared/hal/store.ts';
import type { EspruinoStorage } from '../espruino.ts';

declare function require(name: 'Storage'): EspruinoStorage;

export const STORE_ERR_FULL = 1;

export function createStorageStore(): Store {
  const s = require('Storage');
  return {
    read: function (name: string) {
      const ab = s.readArrayBuffer(name);
      if (ab === undefined) return null;
      // readArrayBuffer points into memory-mapped flash: copy, so a later write/compact of the
      // same file cannot change what the caller holds.
      const view = new Uint8Array(ab);
      const out = new Uint8Array(view.length);
      out.set(view);
      return out;
    },
    write: function (name: string, data: Uint8Array) {
      // Names > 28 chars make Storage throw, which lands in the catch below as a failed write.
      let ok = false;
      try {
        ok = s.write(name, data);
      } catch (e) {
        // Storage throws when flash is full even after its automatic compaction.
        ok = false;
      }
      return ok ? 0 : STORE_ERR_FULL;
    },
    erase: function (name: string) { s.erase(name); },
  };
}
