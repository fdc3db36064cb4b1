// Bundle size budgets in bytes: device code size is an output, measured on every build and held to
// a budget so growth is noticed. Puck.js sensor node ≤ 20 KB is a hard requirement: half of its 40
// KB Storage, leaving room for the key file, settings, the frame-counter blocks and journalling
// trash; code saved to .bootcde runs from flash, so the bundle costs Storage, not JsVars
// (docs/firmware.md). Other boards have 48 KB (Pico) and 896 KB (ESP32) of Storage; their budgets
// leave the same kind of headroom without being so loose that growth goes unnoticed.

export const ENTRIES = ['node', 'bridge', 'selftest'];

export const ENTRY_FILES: Record<string, string> = {
  node: 'firmware/src/main-node.ts',
  bridge: 'firmware/src/main-bridge.ts',
  selftest: 'firmware/src/selftest.ts',
};

export const BUDGETS: Record<string, Record<string, number>> = {
  puck: { node: 20 * 1024, bridge: 16 * 1024, selftest: 12 * 1024 },
  pico: { node: 32 * 1024, bridge: 16 * 1024, selftest: 12 * 1024 },
  esp32: { node: 32 * 1024, bridge: 24 * 1024, selftest: 12 * 1024 },
};

export const FW_VERSION = '0.1.0';

/**
 * Per-board compile-time capabilities (esbuild defines, folded so absent drivers drop out):
 * KERB_HW_AES: the board's firmware has require("crypto").AES, so the portable AES is left out
 * (2 KB); KERB_HAS_PM / KERB_HAS_SOUND: the board has pins for the particulate UART / microphone.
 */
export const BOARD_DEFINES: Record<string, Record<string, boolean | number>> = {
  puck: { KERB_HW_AES: true, KERB_HAS_PM: false, KERB_HAS_SOUND: false, KERB_HAS_DIO0: false, KERB_HAS_RESET: false, KERB_BATT: 2 /* BATT_NRF_VOLTS */ },
  pico: { KERB_HW_AES: true, KERB_HAS_PM: true, KERB_HAS_SOUND: true, KERB_HAS_DIO0: true, KERB_HAS_RESET: true, KERB_BATT: 3 /* BATT_DIVIDER */ },
  esp32: { KERB_HW_AES: true, KERB_HAS_PM: true, KERB_HAS_SOUND: true, KERB_HAS_DIO0: true, KERB_HAS_RESET: true, KERB_BATT: 3 /* BATT_DIVIDER */ },
};

/** Identifier minification is on for every bundle (the checker rejects an identifier named `of`). */
export const MINIFY_IDENTIFIERS = true;
