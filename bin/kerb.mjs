#!/usr/bin/env node
// Entry point for the `kerb` command. The sources are TypeScript; Node (22.18+, 24) strips the
// types as it loads them, so the same tree runs on a Raspberry Pi without a build step. An older
// Node would fail with ERR_UNKNOWN_FILE_EXTENSION, which says nothing about the fix: say it here.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18) || major === 23) {
  console.error(`kerb: needs Node 22.18+ or 24 (this is ${process.version}); ` +
    'run `npm run kerb -- …` or `npx kerb …`, which use the Node 24 bundled as a dependency');
  process.exit(1);
}
// V8's code cache and Node's type-stripped sources, kept on disk (KERB_COMPILE_CACHE or Node's
// NODE_COMPILE_CACHE, else the OS temporary folder) and keyed by each file's content: from the
// second start on, the TypeScript stripper (a WebAssembly module, ~25 MiB resident) is never loaded
// and nothing is compiled twice. An unwritable folder only means no cache.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.(process.env.KERB_COMPILE_CACHE || undefined);
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
