#!/usr/bin/env node
// Entry point for the `kerb` command. The sources are TypeScript; tsx compiles them on load so the
// same tree runs on a Raspberry Pi without a separate build step.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
