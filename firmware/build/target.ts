// What esbuild may emit for Espruino (checked against docs/device-subset.md, Espruino 2v29).
// `false` makes esbuild either lower the feature (`**` → Math.pow, `?.` → ternaries, `||=`) or
// refuse it with a build error (destructuring, default/rest parameters, async, generators): both
// keep syntax the interpreter cannot parse from reaching a board.

export const ESBUILD_TARGET = 'es2015';

export const SUPPORTED: Record<string, boolean> = {
  destructuring: false,
  'default-argument': false,
  'rest-argument': false,
  'object-rest-spread': false,
  'nested-rest-binding': false,
  'async-await': false,
  'async-generator': false,
  'for-await': false,
  generator: false,
  'exponent-operator': false,
  'optional-chain': false,
  'logical-assignment': false,
  'new-target': false,
  'import-meta': false,
  'dynamic-import': false,
  'top-level-await': false,
  bigint: false,
  decorators: false,
  using: false,
  // Class fields parse on 2v29 but lowering them (with useDefineForClassFields off) gives plain
  // constructor assignments, which also run on older firmware.
  'class-field': false,
  'class-static-field': false,
  'class-static-blocks': false,
  'class-private-field': false,
  'class-private-method': false,
  'class-private-accessor': false,
  'class-private-static-field': false,
  'class-private-static-method': false,
  'class-private-static-accessor': false,
  'class-private-brand-check': false,
  'unicode-escapes': false,
  'regexp-dot-all-flag': false,
  'regexp-lookbehind-assertions': false,
  'regexp-match-indices': false,
  'regexp-named-capture-groups': false,
  'regexp-set-notation': false,
  'regexp-sticky-and-unicode-flags': false,
  'regexp-unicode-property-escapes': false,
  // What Espruino does run (docs/device-subset.md "Language: what runs").
  arrow: true,
  class: true,
  'const-and-let': true,
  'for-of': true,
  'template-literal': true,
  'nullish-coalescing': true,
  'optional-catch-binding': true,
  'object-accessors': true,
  'object-extensions': true,
};

/** Espruino's built-in modules: `require("X")` stays a runtime call, never bundled. */
export const BUILTIN_MODULES = ['Storage', 'crypto', 'Flash', 'heatshrink', 'ESP32', 'NRF', 'Wifi', 'fs', 'tensorflow', 'neopixel'];
