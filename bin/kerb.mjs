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
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
