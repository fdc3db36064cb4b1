import { defineConfig } from 'vitest/config';

// `npm run soak`: long fault-injection runs against the real gateway process (not part of npm test).
export default defineConfig({
  test: {
    include: ['test/soak/**/*.soak.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
