// Progress bar on stderr, only when it is a terminal, redrawn at most 10 times a second.
export class Progress {
  private last = 0;
  private shown = false;
  private readonly t0 = Date.now();
  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly label: string,
  ) {}

  update(frac: number): void {
    if (!this.out.isTTY) return;
    const now = Date.now();
    if (now - this.last < 100 && frac < 1) return;
    this.last = now;
    const w = 30;
    const n = Math.round(frac * w);
    const el = (now - this.t0) / 1000;
    const eta = frac > 0 ? (el * (1 - frac)) / frac : 0;
    this.out.write(`\r${this.label} [${'#'.repeat(n)}${'.'.repeat(w - n)}] ${(frac * 100).toFixed(0).padStart(3)} % ${el.toFixed(0)} s, eta ${eta.toFixed(0)} s `);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.out.write('\n');
    this.shown = false;
  }
}
