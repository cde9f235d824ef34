import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets never reach a log line: the redact paths cover
 * the places they travel (MQTT passwords, bearer tokens).
 */
export function createLogger(level: string, options: LoggerOptions = {}): Logger {
  return pino({
    level,
    redact: { paths: ['password', 'secret', 'token', 'req.headers.authorization', '*.password', '*.secret', '*.token'], censor: '[redacted]' },
    ...options,
  });
}
