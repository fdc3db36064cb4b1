// Power and health services of the board.

export interface Power {
  /** Battery voltage in millivolts, or -1 when the board cannot measure it. */
  batteryMv(): number;
  /** Allow the MCU to deep-sleep between timer events where the board supports it. */
  allowDeepSleep(on: boolean): void;
  /** Kick the hardware watchdog; only a healthy main loop calls this. */
  kickWatchdog(): void;
  reboot(): void;
}
