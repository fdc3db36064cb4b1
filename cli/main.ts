// `kerb <subcommand>`: each subcommand lives in its own file and is imported only when used, so
// `kerb decode` does not load MQTT or serialport.

import { suggest } from './args.ts';

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  gateway: { summary: 'run the gateway (radio in, SenML-CBOR over MQTT out)', load: () => import('./gateway.ts') },
  sim: { summary: 'run a simulated fleet (virtual time) into the gateway', load: () => import('./sim.ts') },
  build: { summary: 'bundle firmware for Espruino boards', load: () => import('./build.ts') },
  flash: { summary: 'write a firmware bundle and device keys to a board', load: () => import('./flash.ts') },
  keys: { summary: 'generate session keys for a device', load: () => import('./keys.ts') },
  device: { summary: 'manage the device registry (device add ...)', load: () => import('./device.ts') },
  decode: { summary: 'decode and verify a LoRaWAN PHYPayload given in hex', load: () => import('./decode.ts') },
  watch: { summary: 'subscribe to the gateway topics and print decoded messages', load: () => import('./watch.ts') },
  bench: { summary: 'run the benchmarks and print figures', load: () => import('./bench.ts') },
};

export function usage(): string {
  const lines = ['usage: kerb <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(8)} ${c.summary}`);
  lines.push('', 'Run `kerb <command> --help` for the options of one command.');
  return lines.join('\n');
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (name === '--version' || name === '-V' || name === 'version') {
    console.log(`kerb ${await version()}`);
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    const near = suggest(name, Object.keys(commands));
    const hint = near ? `; did you mean '${near}'?` : '';
    console.error(`kerb: unknown command '${name}'${hint}\n\n${usage()}`);
    return 2;
  }
  let mod;
  try {
    mod = await cmd.load();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes(`cli/${name}.ts`)) {
      console.error(`kerb: '${name}' is not available in this build`);
      return 2;
    }
    throw e;
  }
  try {
    return await mod.run(argv.slice(1));
  } catch (e) {
    // A person reads this: the message names the problem; the stack only helps a developer.
    const err = e as Error;
    if (process.env.KERB_DEBUG) console.error(err?.stack ?? String(e));
    else console.error(`kerb ${name}: ${err?.message ?? String(e)}\n(set KERB_DEBUG=1 to see where it came from)`);
    return 1;
  }
}
