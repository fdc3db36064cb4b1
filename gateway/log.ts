// Structured logger: one JSON object per line on stderr (journald and `jq` read it as is).
// Levels debug < info < warn < error; `child()` adds fixed fields (component, radio, ...).
import type { Logger } from './types.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface LogSink {
  write(line: string): unknown;
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

export function createLogger(opts: { level?: LogLevel; sink?: LogSink; fields?: Record<string, unknown> } = {}): KerbLogger {
  const state = { min: LOG_LEVELS.indexOf(opts.level ?? 'info') };
  const sink: LogSink = opts.sink ?? process.stderr;
  function make(base: Record<string, unknown>): KerbLogger {
    function emit(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
      if (LOG_LEVELS.indexOf(level) < state.min) return;
      const rec: Record<string, unknown> = { t: new Date().toISOString(), level, msg, ...base };
      if (fields) for (const k of Object.keys(fields)) rec[k] = serialise(fields[k]);
      let line: string;
      try {
        line = JSON.stringify(rec);
      } catch {
        line = JSON.stringify({ t: rec.t, level, msg, unserialisable: true });
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
