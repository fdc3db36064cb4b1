// The one error class of the Node-side programs. `code` is machine-readable (tests and callers
// branch on it, e.g. 'config', 'usage', 'registry'); the message names the thing that is wrong and
// what to do about it, because it is printed to a person as is.
export class KerbError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'KerbError';
  }
}
