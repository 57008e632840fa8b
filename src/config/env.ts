/**
 * Configuration, parsed once at startup from the environment. Bad config fails fast with a
 * message naming each variable that is wrong.
 */
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import type { StallPolicy } from '../domain/stall.js';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** A switch: `true`/`1` on, `false`/`0` or unset off. */
const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const url = (protocols: RegExp, example: string) =>
  z.string().refine((v) => {
    try {
      return protocols.test(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be a URL like ${example}`);

/** A duration like `90s`, `15m`, `2h`, parsed to milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    });

export const envSchema = z.object({
  DATABASE_URL: url(/^postgres(ql)?:$/, 'postgres://user@host:5432/db').default(
    'postgres://postgres@127.0.0.1:5432/vidproc',
  ),
  AMQP_URL: url(/^amqps?:$/, 'amqp://user:pass@host:5672').default('amqp://guest:guest@127.0.0.1:5672'),
  AMQP_EXCHANGE: z.string().min(1).default('vidproc.events'),
  AMQP_QUEUE: z.string().min(1).default('vidproc.status-tracker'),
  AMQP_PREFETCH: z.coerce.number().int().min(1).max(1000).default(64),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('video-status'),
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_TLS: flag,
  TEMPORAL_CLI_PATH: optionalString,
  TEMPORAL_QUERY_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  WORKFLOW_BUNDLE_PATH: optionalString,
  AUTH_JWT_SECRET: optionalString.refine((v) => v === undefined || v.length >= 32, 'must be at least 32 characters'),
  AUTH_JWKS_URL: optionalString.refine((v) => v === undefined || /^https?:\/\//.test(v), 'must be an http(s) URL'),
  AUTH_ISSUER: optionalString,
  AUTH_AUDIENCE: optionalString,
  /** Signs the API's paging cursors; every API instance needs the same one (default: derived from AUTH_JWT_SECRET, else made per process). */
  API_CURSOR_SECRET: optionalString,
  STUCK_UPLOADED_AFTER: duration('15m'),
  STUCK_PROCESSING_AFTER: duration('30m'),
  ALERT_REPEAT_AFTER: duration('1h'),
  MAX_REPROCESS: z.coerce.number().int().min(0).max(100).default(2),
  ALERT_WEBHOOK_URL: optionalString.refine((v) => v === undefined || /^https?:\/\//.test(v), 'must be an http(s) URL'),
  /** Webhook endpoints on private, loopback and link-local addresses, and plain http ones (local development, tests). */
  WEBHOOK_ALLOW_PRIVATE: flag,
  WEBHOOK_TIMEOUT: duration('10s').refine((ms) => ms <= 60_000, 'must be at most 60s'),
  WEBHOOK_RETRY_INITIAL: duration('30s'),
  WEBHOOK_RETRY_MAX_INTERVAL: duration('4h'),
  WEBHOOK_RETRY_FOR: duration('24h'),
  WEBHOOK_DISABLE_AFTER: duration('3d'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The Temporal address to connect to; `vidproc dev` starts its own server there when TEMPORAL_ADDRESS is unset. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';

/** The environment, plus what is derived from it once: where Temporal is, the stuck-video policy. */
const configSchema = envSchema.transform((env) => ({
  ...env,
  temporal: {
    address: env.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS,
    /** No TEMPORAL_ADDRESS: `vidproc dev` runs an embedded dev server at the default address. */
    embedded: env.TEMPORAL_ADDRESS === undefined,
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.TEMPORAL_TASK_QUEUE,
    apiKey: env.TEMPORAL_API_KEY,
    tls: env.TEMPORAL_TLS || env.TEMPORAL_API_KEY !== undefined,
  },
  /** The stuck-video policy the worker's workflows follow. */
  stallPolicy: {
    uploadedAfterMs: env.STUCK_UPLOADED_AFTER,
    processingAfterMs: env.STUCK_PROCESSING_AFTER,
    repeatAfterMs: env.ALERT_REPEAT_AFTER,
    maxReprocess: env.MAX_REPROCESS,
  } satisfies StallPolicy,
  /** How users' webhooks are delivered (the worker's delivery workflows and activities). */
  webhooks: {
    allowPrivate: env.WEBHOOK_ALLOW_PRIVATE,
    timeoutMs: env.WEBHOOK_TIMEOUT,
    retryInitialMs: env.WEBHOOK_RETRY_INITIAL,
    retryMaxIntervalMs: Math.max(env.WEBHOOK_RETRY_MAX_INTERVAL, env.WEBHOOK_RETRY_INITIAL),
    retryForMs: env.WEBHOOK_RETRY_FOR,
    disableAfterMs: env.WEBHOOK_DISABLE_AFTER,
  },
}));

export type Config = z.output<typeof configSchema>;
export type TemporalSettings = Config['temporal'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = configSchema.safeParse(env);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  return result.data;
}
