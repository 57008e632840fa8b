import { pino, type Logger } from 'pino';
import { traceLogFields } from './tracing/log-fields.js';

export type { Logger };

/** What a log line never shows, wherever a logged object carries it (pino `redact`: at the top, one or two levels down). */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'set-cookie',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'secret',
  'previousSecret',
  'webhookSecret',
  'signingSecret',
  'password',
  'apiKey',
  'api_key',
  'AUTH_JWT_SECRET',
  'API_CURSOR_SECRET',
  'TEMPORAL_API_KEY',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'DATABASE_URL',
  'AMQP_URL',
];

export const REDACTED = '[redacted]';

export const REDACT_PATHS = SECRET_KEYS.flatMap((key) => {
  const k = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
  const dot = k.startsWith('[') ? '' : '.';
  return [k, `*${dot}${k}`, `*.*${dot}${k}`, `headers${dot}${k}`, `*.headers${dot}${k}`];
});

/** Structured JSON logs on stdout; one logger per process, children per component. Secrets and tokens are redacted. */
export function createLogger(level: string, name = 'vidproc', destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // trace_id and span_id of the active span (tracing on; none without a tracer provider).
    mixin: traceLogFields,
  };
  return destination ? pino(options, destination) : pino(options);
}
