/** The one way both programs log: pino, JSON lines, secrets redacted. */
import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

export interface LoggerConfig {
  level: string;
  name: string;
}

/** pino JSON on stdout; secrets are redacted wherever they appear in a logged object. */
export function createLogger(config: LoggerConfig, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: config.level,
    name: config.name,
    redact: {
      paths: ['apiKey', '*.apiKey', 'password', '*.password', 'secret', '*.secret', 'authorization', '*.authorization',
        'headers.authorization', 'headers["x-api-key"]', 'req.headers.authorization', 'req.headers["x-api-key"]'],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
