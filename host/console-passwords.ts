// Where `kerb flash` keeps the console password of each locked board: in the device registry, next
// to the keys it protects (the file is 0600 already). A sensor node's password is its entry's
// `consolePassword`; a radio bridge is no LoRaWAN device, so bridges get a top-level
// `"bridges": {"<name>": {"consolePassword": "…"}}` map. Writes follow `kerb device`'s rule: under
// the registry's lock file, validated, replaced atomically (host/state-file.ts).
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { validateRegistry } from './registry.ts';
import { writeFileAtomic, withLockFile } from './state-file.ts';

export type ConsoleOwner = { device: string } | { bridge: string };

type Doc = { devices?: Record<string, unknown>[]; bridges?: Record<string, Record<string, unknown>> };

export function ownerName(o: ConsoleOwner): string {
  return 'device' in o ? `device '${o.device}'` : `bridge '${o.bridge}'`;
}

/** The stored password of a board, or undefined. */
export function readConsolePassword(registryText: string, o: ConsoleOwner): string | undefined {
  let doc: Doc;
  try {
    doc = JSON.parse(registryText) as Doc;
  } catch {
    return undefined;
  }
  const v = 'device' in o ? doc.devices?.find((d) => d.id === o.device)?.consolePassword : doc.bridges?.[o.bridge]?.consolePassword;
  return typeof v === 'string' ? v : undefined;
}

/** Stores (replaces) a board's console password in the registry file. */
export async function storeConsolePassword(file: string, o: ConsoleOwner, password: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  await withLockFile(file + '.lock', async () => {
    let doc: Doc = { devices: [] };
    try {
      doc = JSON.parse(await fsp.readFile(file, 'utf8')) as Doc;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`${file}: cannot store the console password: ${(e as Error).message}`);
    }
    if ('device' in o) {
      const d = doc.devices?.find((x) => x.id === o.device);
      if (!d) throw new Error(`${file}: device '${o.device}' is gone from the registry; its console password is ${password}`);
      d.consolePassword = password;
    } else {
      doc.bridges = doc.bridges ?? {};
      doc.bridges[o.bridge] = { ...(doc.bridges[o.bridge] ?? {}), consolePassword: password };
    }
    const r = validateRegistry(doc);
    if (r.errors.length) throw new Error(`${file}: invalid after storing the console password (${r.errors.join('; ')}); the password is ${password}`);
    await writeFileAtomic(file, JSON.stringify(doc, null, 2) + '\n', 0o600);
  });
}
