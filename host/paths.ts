// Where the device registry and the gateway's state live: one rule for every kerb command (gateway,
// device, flash, decode, keys), so a registry written by `kerb device add` is the one the gateway
// serves and `kerb flash` reads.
//
//   state directory: --state-dir, else $KERB_STATE_DIR (or the older $KERB_GATEWAY_STATE_DIR),
//                    else gateway.stateDir in the config file, else $XDG_STATE_HOME/kerb or
//                    ~/.local/state/kerb (a path a developer can write without root; the systemd
//                    unit sets KERB_STATE_DIR=/var/lib/kerb).
//   registry:        --registry, else $KERB_REGISTRY (or the older $KERB_GATEWAY_REGISTRY), else
//                    gateway.registry in the config file, else devices.json in the state directory.
//
// A relative path on the command line or in the environment is relative to the current directory;
// in the config file a relative stateDir is relative to the config file's folder and a relative
// registry is a file in the state directory (so `registry: devices.json` means what it says).
import * as os from 'node:os';
import * as path from 'node:path';
import { KerbError } from './errors.ts';
import { findConfigFile, readConfigFile, type ConfigFileChoice } from './config-file.ts';

export const REGISTRY_FILE = 'devices.json';

export interface PathInputs {
  /** Command-line values, exactly as typed. */
  flags: { stateDir?: string; registry?: string };
  env: NodeJS.ProcessEnv;
  /** The config file's `gateway.stateDir` / `gateway.registry`, and the file's name. */
  config?: { file?: string; stateDir?: unknown; registry?: unknown };
  cwd: string;
  /** The home directory, for the default when $XDG_STATE_HOME is unset. */
  home: string;
}

export interface ResolvedPath {
  path: string;
  /** Where the value came from, in the words --help prints: 'flag --registry', 'KERB_REGISTRY', ... */
  from: string;
}

export interface ResolvedPaths {
  stateDir: ResolvedPath;
  registry: ResolvedPath;
  /** Deprecated variables that were used: printed to stderr by the commands. */
  warnings: string[];
}

/** $XDG_STATE_HOME/kerb, or ~/.local/state/kerb (the XDG Base Directory default for state). */
export function defaultStateDir(env: NodeJS.ProcessEnv, home: string): string {
  const xdg = env.XDG_STATE_HOME;
  // The XDG spec says a relative value is invalid and must be ignored.
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'kerb');
  return path.join(home, '.local', 'state', 'kerb');
}

function configString(v: unknown, key: string, file: string | undefined): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new KerbError('config', `${key}${file ? ` (${file})` : ''}: must be a path, got ${JSON.stringify(v)}`);
  return v;
}

/** Applies the rule above. Pure: everything it looks at is in `i`. */
export function resolvePaths(i: PathInputs): ResolvedPaths {
  const warnings: string[] = [];
  const env = i.env;
  const cfgFile = i.config?.file;
  const cfgDir = cfgFile ? path.dirname(path.resolve(i.cwd, cfgFile)) : i.cwd;
  const cfgState = configString(i.config?.stateDir, 'gateway.stateDir', cfgFile);
  const cfgRegistry = configString(i.config?.registry, 'gateway.registry', cfgFile);

  let stateDir: ResolvedPath;
  if (i.flags.stateDir) stateDir = { path: path.resolve(i.cwd, i.flags.stateDir), from: 'flag --state-dir' };
  else if (env.KERB_STATE_DIR) stateDir = { path: path.resolve(i.cwd, env.KERB_STATE_DIR), from: 'KERB_STATE_DIR' };
  else if (env.KERB_GATEWAY_STATE_DIR) {
    stateDir = { path: path.resolve(i.cwd, env.KERB_GATEWAY_STATE_DIR), from: 'KERB_GATEWAY_STATE_DIR (deprecated)' };
    warnings.push('KERB_GATEWAY_STATE_DIR is deprecated; set KERB_STATE_DIR instead');
  } else if (cfgState) stateDir = { path: path.resolve(cfgDir, cfgState), from: `gateway.stateDir in ${cfgFile ?? 'the configuration'}` };
  else stateDir = { path: defaultStateDir(env, i.home), from: 'default' };

  let registry: ResolvedPath;
  if (i.flags.registry) registry = { path: path.resolve(i.cwd, i.flags.registry), from: 'flag --registry' };
  else if (env.KERB_REGISTRY) registry = { path: path.resolve(i.cwd, env.KERB_REGISTRY), from: 'KERB_REGISTRY' };
  else if (env.KERB_GATEWAY_REGISTRY) {
    registry = { path: path.resolve(i.cwd, env.KERB_GATEWAY_REGISTRY), from: 'KERB_GATEWAY_REGISTRY (deprecated)' };
    warnings.push('KERB_GATEWAY_REGISTRY is deprecated; set KERB_REGISTRY instead');
  } else if (cfgRegistry) registry = { path: path.resolve(stateDir.path, cfgRegistry), from: `gateway.registry in ${cfgFile ?? 'the configuration'}` };
  else registry = { path: path.join(stateDir.path, REGISTRY_FILE), from: `default (${REGISTRY_FILE} in the state directory)` };
  return { stateDir, registry, warnings };
}

export interface CommandPaths extends ResolvedPaths {
  config: ConfigFileChoice;
}

/**
 * The rule as a command applies it: finds and reads the config file (--config where the command has
 * it, else $KERB_CONFIG, else /etc/kerb/gateway.yaml if present) and resolves both paths.
 */
export function commandPaths(flags: { stateDir?: string; registry?: string; config?: string }, env: NodeJS.ProcessEnv = process.env): CommandPaths {
  const config = findConfigFile(flags.config, env);
  let section: Record<string, unknown> = {};
  if (config.file) {
    const doc = readConfigFile(config.file);
    const g = doc.gateway;
    if (g !== undefined && (g === null || typeof g !== 'object' || Array.isArray(g))) throw new KerbError('config', `gateway (${config.file}): must be a mapping`);
    section = (g ?? {}) as Record<string, unknown>;
  }
  const r = resolvePaths({
    flags: { stateDir: flags.stateDir, registry: flags.registry },
    env,
    config: { file: config.file, stateDir: section.stateDir, registry: section.registry },
    cwd: process.cwd(),
    home: os.homedir(),
  });
  return { ...r, config };
}

/** The rule in words, for every command's --help. */
export const PATH_RULE = `Where the registry and state live (the same rule in every kerb command):
  state directory  --state-dir (kerb gateway), else $KERB_STATE_DIR ($KERB_GATEWAY_STATE_DIR is
                   read as a deprecated alias), else gateway.stateDir in the config file, else
                   $XDG_STATE_HOME/kerb or ~/.local/state/kerb
  registry         --registry, else $KERB_REGISTRY ($KERB_GATEWAY_REGISTRY deprecated), else
                   gateway.registry in the config file, else devices.json in the state directory
  config file      --config (kerb gateway), else $KERB_CONFIG, else /etc/kerb/gateway.yaml if present
  A relative path given as a flag or in the environment is relative to the current directory; in
  the config file, stateDir is relative to the file's folder and registry to the state directory.`;

/** PATH_RULE plus what it resolves to right now (or why it cannot be resolved). */
export function describePaths(flags: { stateDir?: string; registry?: string; config?: string }, env: NodeJS.ProcessEnv = process.env): string {
  let now: string;
  try {
    const p = commandPaths(flags, env);
    now = [
      `  config file      ${p.config.file ? `${path.resolve(p.config.file)} (${p.config.from === 'flag' ? 'flag --config' : p.config.from})` : 'none'}`,
      `  state directory  ${p.stateDir.path} (${p.stateDir.from})`,
      `  registry         ${p.registry.path} (${p.registry.from})`,
    ].join('\n');
  } catch (e) {
    now = `  cannot resolve: ${(e as Error).message}`;
  }
  return `${PATH_RULE}\nResolved now:\n${now}`;
}

/** The value of `--name X` / `--name=X` in argv (last one wins), for --help to show resolved paths. */
export function flagValue(argv: string[], name: string): string | undefined {
  let v: string | undefined;
  for (let k = 0; k < argv.length; k++) {
    const a = argv[k]!;
    if (a === name && k + 1 < argv.length) v = argv[++k];
    else if (a.startsWith(name + '=')) v = a.slice(name.length + 1);
  }
  return v;
}
