// Reading the kerb config file (YAML, or JSON as a YAML subset) and finding it: the gateway takes
// its settings from it, and every command takes the registry and state locations from it
// (host/paths.ts).
import fs from 'node:fs';
import YAML from 'yaml';
import { KerbError } from './errors.ts';

export type ConfigInput = Record<string, unknown>;

/** The config file used when neither --config nor $KERB_CONFIG names one (only if it exists). */
export const DEFAULT_CONFIG_FILE = '/etc/kerb/gateway.yaml';

export interface ConfigFileChoice {
  file: string | undefined;
  from: 'flag' | 'KERB_CONFIG' | 'default' | 'none';
}

/** --config, else $KERB_CONFIG, else DEFAULT_CONFIG_FILE when it exists, else none. */
export function findConfigFile(flag: string | undefined, env: NodeJS.ProcessEnv, exists: (f: string) => boolean = fs.existsSync): ConfigFileChoice {
  if (flag) return { file: flag, from: 'flag' };
  if (env.KERB_CONFIG) return { file: env.KERB_CONFIG, from: 'KERB_CONFIG' };
  if (exists(DEFAULT_CONFIG_FILE)) return { file: DEFAULT_CONFIG_FILE, from: 'default' };
  return { file: undefined, from: 'none' };
}

/** Reads a YAML (or JSON, a YAML subset) config file; errors name the file and line. */
export function readConfigFile(file: string): ConfigInput {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    const fix = code === 'EACCES'
      ? 'make it readable by this user (e.g. chmod 640 and group kerb) or run as the service user'
      : 'check the path given with --config or $KERB_CONFIG, or leave both unset to run without a config file';
    throw new KerbError('config', `cannot read config file ${file} (${why}); ${fix}`);
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new KerbError('config', `config file ${file} is not valid YAML/JSON: ${doc.errors[0]!.message}`);
  const v: unknown = doc.toJS();
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new KerbError('config', `config file ${file}: top level must be a mapping`);
  return v as ConfigInput;
}
