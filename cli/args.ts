// The one argument parser of every `kerb` command: options are declared once with their help text,
// so `--help` lists exactly what the parser accepts, and every command words its usage errors the
// same way (exit status 2): an unknown option gets a did-you-mean, a missing or malformed value
// names the option and what it expects.
import { KerbError } from '../host/errors.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Placeholder for the value in --help, e.g. FILE, N, URL. */
  value?: string;
  help: string;
}

export interface CommandSpec {
  /** 'kerb sim', 'kerb device add'. */
  name: string;
  /** What follows the name in the usage line, e.g. '--scenario FILE [options]'. */
  usage: string;
  /** One or more sentences saying what the command does. */
  summary: string;
  options: Record<string, OptionSpec>;
  /** Positional arguments: allowed at all (decode's frame, device ids, benchmark names). */
  positionals?: boolean;
  /** Full command lines, each shown after `  $ `. */
  examples: string[];
  /** Extra text after the options (exit status, environment, notes). */
  notes?: string;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

export interface Parsed {
  values: Values;
  positionals: string[];
  /** `--help` or `-h` was given: print helpText() and exit 0 whatever else is on the line. */
  help: boolean;
}

/** A mistake on the command line: printed as `<command>: <message>`, exit status 2. */
export class UsageError extends KerbError {
  constructor(message: string) {
    super('usage', message);
  }
}

// Levenshtein distance, for a did-you-mean on mistyped commands and options.
function distance(a: string, b: string): number {
  let prev: number[] = [];
  for (let j = 0; j <= b.length; j++) prev.push(j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The candidate nearest to `name`, if it is near enough to be a typo of it. */
export function suggest(name: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', short: 'h', help: 'this text' };

function allOptions(spec: CommandSpec): Record<string, OptionSpec> {
  return { ...spec.options, help: HELP_OPTION };
}

/** `-3.7` is a value (a longitude), not an option. */
function looksLikeOption(a: string): boolean {
  return a.length > 1 && a.startsWith('-') && !/^-\d/.test(a);
}

/** Parses argv against the spec; throws UsageError with the wording every command shares. */
export function parse(spec: CommandSpec, argv: string[]): Parsed {
  const opts = allOptions(spec);
  const byShort = new Map<string, string>();
  for (const [name, o] of Object.entries(opts)) if (o.short) byShort.set(o.short, name);
  const values: Values = {};
  const positionals: string[] = [];
  const longNames = Object.keys(opts).map((n) => `--${n}`);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!looksLikeOption(a)) {
      if (!spec.positionals) throw new UsageError(`unexpected argument '${a}' (${spec.name} takes no arguments besides its options)`);
      positionals.push(a);
      continue;
    }
    let name: string | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) inline = a.slice(eq + 1);
      if (!(name in opts)) {
        const near = suggest(`--${name}`, longNames);
        throw new UsageError(`unknown option '--${name}'${near ? `; did you mean '${near}'?` : ''}`);
      }
    } else {
      name = byShort.get(a.slice(1, 2));
      if (!name || a.length > 2) {
        const near = suggest(a, [...longNames, ...[...byShort.keys()].map((s) => `-${s}`)]);
        throw new UsageError(`unknown option '${a}'${near ? `; did you mean '${near}'?` : ''}`);
      }
    }
    const o = opts[name]!;
    const shown = `--${name}`;
    let v: string | boolean;
    if (o.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`option '${shown}' takes no value (got '${a}')`);
      v = true;
    } else if (inline !== undefined) {
      v = inline;
    } else {
      const next = argv[i + 1];
      if (next === undefined || looksLikeOption(next)) throw new UsageError(`option '${shown}' needs a value: ${o.value ?? 'VALUE'} (${o.help})`);
      v = next;
      i++;
    }
    if (o.multiple) ((values[name] ??= []) as string[]).push(v as string);
    else values[name] = v;
  }
  return { values, positionals, help: values.help === true };
}

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const w of text.split(' ')) {
    if (cur && cur.length + 1 + w.length > width) {
      out.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  out.push(cur);
  return out;
}

/** The --help text: usage, summary, every option with its description, and examples. */
export function helpText(spec: CommandSpec): string {
  const opts = allOptions(spec);
  const left = (name: string, o: OptionSpec): string => `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}${o.multiple ? ' ...' : ''}`;
  const width = Math.min(32, Math.max(...Object.entries(opts).map(([n, o]) => left(n, o).length)) + 2);
  const lines = [`usage: ${spec.name} ${spec.usage}`, '', spec.summary, '', 'options:'];
  const pad = ' '.repeat(width + 2);
  for (const [n, o] of Object.entries(opts)) {
    const l = left(n, o);
    const text = wrap(o.help, 100 - pad.length);
    if (l.length + 2 > width) lines.push(`  ${l}`, ...text.map((t) => pad + t));
    else lines.push(`  ${l.padEnd(width)}${text[0]}`, ...text.slice(1).map((t) => pad + t));
  }
  if (spec.notes) lines.push('', spec.notes);
  lines.push('', spec.examples.length > 1 ? 'examples:' : 'example:', ...spec.examples.map((e) => `  $ ${e}`));
  return lines.join('\n');
}

/** Prints a usage error the same way for every command; returns the exit status (2). */
export function usageFailure(spec: CommandSpec, e: Error): number {
  console.error(`${spec.name}: ${e.message}\nRun '${spec.name} --help' for its options.`);
  return 2;
}

/**
 * Parses argv; on --help prints the help (plus `extraHelp`, e.g. the resolved paths) and returns 0;
 * on a usage error prints it and returns 2. Otherwise returns the parsed arguments.
 */
export function parseOrExit(spec: CommandSpec, argv: string[], extraHelp?: (p: Parsed) => string): Parsed | number {
  let p: Parsed;
  try {
    p = parse(spec, argv);
  } catch (e) {
    if (e instanceof UsageError) {
      // --help anywhere still wins over a mistake elsewhere on the line.
      if (argv.includes('--help') || argv.includes('-h')) {
        console.log(helpText(spec));
        return 0;
      }
      return usageFailure(spec, e);
    }
    throw e;
  }
  if (p.help) {
    const extra = extraHelp?.(p);
    console.log(extra ? `${helpText(spec)}\n\n${extra}` : helpText(spec));
    return 0;
  }
  return p;
}

// Typed values: each names the option and says what it expects.

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : [];
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

/** A finite number, optionally within [min, max]. */
export function num(p: Parsed, name: string, limits: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  const s = str(p, name);
  if (s === undefined) return undefined;
  const n = Number(s);
  const lo = limits.min ?? -Infinity;
  const hi = limits.max ?? Infinity;
  const kind = limits.integer ? 'an integer' : 'a number';
  const range = Number.isFinite(lo) && Number.isFinite(hi) ? ` ${lo}..${hi}` : Number.isFinite(lo) ? ` ≥ ${lo}` : Number.isFinite(hi) ? ` ≤ ${hi}` : '';
  if (s.trim() === '' || !Number.isFinite(n) || (limits.integer && !Number.isInteger(n)) || n < lo || n > hi) {
    throw new UsageError(`option '--${name}' expects ${kind}${range}, got '${s}'`);
  }
  return n;
}

/** The UsageError for a subcommand that does not exist, with a did-you-mean. */
export function unknownSubcommand(command: string, given: string, known: string[]): UsageError {
  const near = suggest(given, known);
  return new UsageError(`unknown subcommand '${given}'${near ? `; did you mean '${near}'?` : ''} (${command} ${known.join('|')})`);
}
