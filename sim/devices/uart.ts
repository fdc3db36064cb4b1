// Virtual UART: the MCU side implements UartPort for the driver; the device side (a virtual sensor)
// gets the driver's bytes synchronously and sends bytes back, delivered after their wire time at the
// configured baud rate (10 bits per byte, 8N1), so timeouts in drivers are exercised honestly.
import type { UartPort } from '../../shared/hal/bus.ts';
import type { Clock } from '../../shared/hal/clock.ts';

export class VirtualUart implements UartPort {
  private rx: ((chunk: Uint8Array) => void) | null = null;
  private device: ((data: Uint8Array) => void) | null = null;
  /** Wire cut: nothing passes in either direction. */
  disconnected = false;
  bytesToDevice = 0;
  bytesFromDevice = 0;

  private readonly clock: Clock;
  readonly baud: number;

  constructor(clock: Clock, baud: number) {
    this.clock = clock;
    this.baud = baud;
  }

  // ---- MCU side (UartPort) ----
  write(data: Uint8Array): void {
    if (this.disconnected) return;
    this.bytesToDevice += data.length;
    // The twin consumes the bytes during the call (its own receive buffer), so no copy is needed.
    if (this.device) this.device(data);
  }

  onData(cb: (chunk: Uint8Array) => void): void {
    this.rx = cb;
  }

  // ---- device side ----
  /** The virtual device's receive handler: the array is only valid during the call (copy to keep). */
  onDeviceData(cb: (data: Uint8Array) => void): void {
    this.device = cb;
  }

  /**
   * Device transmits: the bytes arrive at the MCU after their wire time. The twin hands over the
   * array (it must not change it afterwards: the twins send freshly built frames).
   */
  deviceSend(data: Uint8Array): void {
    if (this.disconnected) return;
    const ms = (data.length * 10 * 1000) / this.baud;
    const due = this.clock.now() + ms;
    if (due >= this.lastDue) {
      // Arrivals in send order (the usual case): one queue and one bound callback instead of a
      // closure per chunk. The clock runs equal times in scheduling order, so the queue head is
      // always the chunk whose timer fires.
      this.lastDue = due;
      this.q.push(data);
      this.clock.setTimeout(this.deliverHead, ms);
      return;
    }
    this.clock.setTimeout(() => this.deliver(data), ms);
  }

  private q: Uint8Array[] = [];
  private qHead = 0;
  private lastDue = -Infinity;

  private readonly deliverHead = (): void => {
    const d = this.q[this.qHead]!;
    this.q[this.qHead++] = EMPTY;
    if (this.qHead === this.q.length) {
      this.q.length = 0;
      this.qHead = 0;
    }
    this.deliver(d);
  };

  private deliver(bytes: Uint8Array): void {
    if (this.disconnected) return;
    this.bytesFromDevice += bytes.length;
    if (this.rx) this.rx(bytes);
  }
}

const EMPTY = new Uint8Array(0);
