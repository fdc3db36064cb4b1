// Persistent storage as the node needs it: small named records in flash. Modelled on Espruino's
// Storage (names up to 28 chars, rewriting a file journals and wears flash): callers must avoid
// rewriting on every frame (see the frame-counter scheme in shared/node).

export interface Store {
  /** Returns the stored bytes or null when absent. */
  read(name: string): Uint8Array | null;
  /** Write (replace) a record. Returns 0 on success, non-zero status when flash is full/failed. */
  write(name: string, data: Uint8Array): number;
  erase(name: string): void;
}
