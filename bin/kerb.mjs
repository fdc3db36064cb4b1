#!/usr/bin/env node
// Entry point for the `kerb` command. The sources are TypeScript; Node (22.18+, 24) strips the
// types as it loads them, so the same tree runs on a Raspberry Pi without a build step.
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
