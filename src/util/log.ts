// Logging: one Logger per Node (no global state), with prefixes per component and per peer.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  time: number; // seconds since epoch
  level: LogLevel;
  prefix: string;
  msg: string;
}
export type LogSink = (rec: LogRecord) => void;

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  /** A logger that prefixes each line with `prefix` (for example `peer 02ab…`). */
  child(prefix: string): Logger;
}

export function isLogLevel(s: string): s is LogLevel {
  return s in ORDER;
}

/** A logger writing records at `level` or above to every sink. */
export function createLogger(opts: { level?: LogLevel; sinks?: LogSink[]; prefix?: string; now?: () => number } = {}): Logger {
  const min = ORDER[opts.level ?? 'info'];
  const sinks = opts.sinks ?? [];
  const now = opts.now ?? (() => Date.now() / 1000);
  const make = (prefix: string): Logger => {
    const emit = (level: LogLevel, msg: string) => {
      if (ORDER[level] < min) return;
      const rec: LogRecord = { time: now(), level, prefix, msg };
      for (const s of sinks) s(rec);
    };
    return {
      debug: (m) => emit('debug', m),
      info: (m) => emit('info', m),
      warn: (m) => emit('warn', m),
      error: (m) => emit('error', m),
      child: (p) => make(prefix ? `${prefix} ${p}` : p),
    };
  };
  return make(opts.prefix ?? '');
}

/** Format a record as Core Lightning does: `<ISO time> <LEVEL> <prefix>: <msg>`. */
export function formatLogRecord(r: LogRecord): string {
  const iso = new Date(r.time * 1000).toISOString();
  return `${iso} ${r.level.toUpperCase().padEnd(5)} ${r.prefix ? r.prefix + ': ' : ''}${r.msg}`;
}

/** A sink that keeps the last `max` records in memory (tests assert on log lines). */
export function memorySink(max = 10_000): LogSink & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const sink = ((r: LogRecord) => {
    records.push(r);
    if (records.length > max) records.splice(0, records.length - max);
  }) as LogSink & { records: LogRecord[] };
  sink.records = records;
  return sink;
}

/** A logger that drops everything. */
export const nullLogger: Logger = createLogger({ sinks: [] });
