import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Secrets never reach a log line: the redact paths cover
 * the places they travel (MQTT passwords, bearer tokens). Lines go to stdout
 * unless a destination is given.
 */
export function createLogger(level: string, options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const settings: LoggerOptions = {
    level,
    redact: { paths: ['password', 'secret', 'token', 'req.headers.authorization', '*.password', '*.secret', '*.token'], censor: '[redacted]' },
    ...options,
  };
  return destination ? pino(settings, destination) : pino(settings);
}
