// Structured logger on stderr. Two renderings of the same record: one JSON object per line
// (journald, `jq` and log shippers read it as is) and, when stderr is a terminal, one readable line
// per record (`12:00:01.234 WARN  mqtt connect failed component=mqtt code=ECONNREFUSED`).
// Levels debug < info < warn < error; `child()` adds fixed fields (component, radio, ...).
import type { Logger } from './types.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** `auto`: text when the sink is a terminal, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'text';
export const LOG_FORMATS: readonly LogFormat[] = ['auto', 'json', 'text'];

export interface LogSink {
  write(line: string): unknown;
  isTTY?: boolean;
}

export interface KerbLogger extends Logger {
  child(fields: Record<string, unknown>): KerbLogger;
  setLevel(level: LogLevel): void;
}

function serialise(v: unknown): unknown {
  if (v instanceof Error) {
    const e = v as Error & { code?: unknown };
    return e.code !== undefined ? { message: e.message, code: e.code } : { message: e.message };
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'bigint') return v.toString();
  return v;
}

/** A field value in a text line: bare when it is one plain word, else quoted or JSON. */
function textValue(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  if (v && typeof v === 'object' && 'message' in v && Object.keys(v).every((k) => k === 'message' || k === 'code')) {
    const e = v as { message: unknown; code?: unknown };
    return JSON.stringify(e.code !== undefined ? `${String(e.message)} (${String(e.code)})` : String(e.message));
  }
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return '(unserialisable)';
  }
}

const COLOURS: Record<LogLevel, string> = { debug: '\x1b[2m', info: '', warn: '\x1b[33m', error: '\x1b[31m' };

/** One human line: local time, level, message, then key=value fields. */
export function textLine(rec: Record<string, unknown>, colour = false): string {
  const t = new Date(String(rec.t));
  const p2 = (n: number) => String(n).padStart(2, '0');
  const time = Number.isNaN(t.getTime()) ? String(rec.t) : `${p2(t.getHours())}:${p2(t.getMinutes())}:${p2(t.getSeconds())}.${String(t.getMilliseconds()).padStart(3, '0')}`;
  const level = String(rec.level) as LogLevel;
  let head = `${level.toUpperCase().padEnd(5)} ${String(rec.msg)}`;
  if (colour && COLOURS[level]) head = `${COLOURS[level]}${head}\x1b[0m`;
  const fields = Object.keys(rec).filter((k) => k !== 't' && k !== 'level' && k !== 'msg').map((k) => `${k}=${textValue(rec[k])}`);
  return `${time} ${head}${fields.length ? ' ' + fields.join(' ') : ''}`;
}

/** The format `auto` resolves to for this sink. */
export function resolveLogFormat(format: LogFormat | undefined, sink: LogSink): 'json' | 'text' {
  if (format === 'json' || format === 'text') return format;
  return sink.isTTY ? 'text' : 'json';
}

export function createLogger(opts: { level?: LogLevel; format?: LogFormat; sink?: LogSink; fields?: Record<string, unknown> } = {}): KerbLogger {
  const state = { min: LOG_LEVELS.indexOf(opts.level ?? 'info') };
  const sink: LogSink = opts.sink ?? process.stderr;
  const text = resolveLogFormat(opts.format, sink) === 'text';
  // https://no-color.org: colour only on a terminal, and not when NO_COLOR is set.
  const colour = text && !!sink.isTTY && !process.env.NO_COLOR;
  function make(base: Record<string, unknown>): KerbLogger {
    function emit(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
      if (LOG_LEVELS.indexOf(level) < state.min) return;
      const rec: Record<string, unknown> = { t: new Date().toISOString(), level, msg, ...base };
      if (fields) for (const k of Object.keys(fields)) rec[k] = serialise(fields[k]);
      let line: string;
      if (text) line = textLine(rec, colour);
      else {
        try {
          line = JSON.stringify(rec);
        } catch {
          line = JSON.stringify({ t: rec.t, level, msg, unserialisable: true });
        }
      }
      sink.write(line + '\n');
    }
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
      setLevel: (level) => {
        state.min = LOG_LEVELS.indexOf(level);
      },
    };
  }
  return make(opts.fields ?? {});
}
