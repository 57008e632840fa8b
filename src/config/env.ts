/**
 * Configuration, parsed once at startup from the environment. Bad config fails fast with a
 * message naming each variable that is wrong.
 */
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import type { StallPolicy } from '../domain/stall.js';
import {
  COGNITO_CLIENT_ID,
  COGNITO_GROUPS_CLAIM,
  COGNITO_TOKEN_USES,
  COGNITO_USER_POOL_ID,
  cognitoIssuer,
  isCognitoTokenUse,
  cognitoJwksUrl,
  type CognitoTokenUse,
} from './cognito.js';
import { parseMemorySize, sizeWorker, type WorkerSizingInput } from './worker-sizing.js';

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

/** A duration, or `0` for none. */
const durationOrZero = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v, ctx) => {
      if (/^\s*0+\s*[a-z]*\s*$/i.test(v)) return 0;
      try {
        return parseDuration(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${(err as Error).message} (or 0)` });
        return z.NEVER;
      }
    });

/** A memory size: bytes, or a Kubernetes quantity like `1Gi`, `768Mi`, `1G`. */
const memorySize = optionalString.transform((v, ctx) => {
  if (v === undefined) return undefined;
  if (v === 'none') return null;
  const bytes = parseMemorySize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a memory size: bytes, or a quantity like 1Gi, 768Mi, 1G' });
    return z.NEVER;
  }
  return bytes;
});

/** An optional whole number from `min` to `max`. */
const optionalInt = (min: number, max: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.coerce.number().int().min(min).max(max).optional());

/** A comma-separated list (blank items dropped). */
const list = optionalString.transform((v) => (v === undefined ? [] : v.split(',').map((item) => item.trim()).filter(Boolean)));

/** Asymmetric JWS algorithms a key set may sign with (jose's names); HS256 is AUTH_JWT_SECRET's alone. */
export const JWKS_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** The longest a SigV4 presigned URL may be valid for (S3 refuses longer ones). */
const PRESIGN_MAX_MS = 7 * 86_400_000;

export const envSchema = z.object({
  DATABASE_URL: url(/^postgres(ql)?:$/, 'postgres://user@host:5432/db').default(
    'postgres://postgres@127.0.0.1:5432/vidproc',
  ),
  AMQP_URL: url(/^amqps?:$/, 'amqp://user:pass@host:5672').default('amqp://guest:guest@127.0.0.1:5672'),
  AMQP_EXCHANGE: z.string().min(1).default('vidproc.events'),
  AMQP_QUEUE: z.string().min(1).default('vidproc.status-tracker'),
  AMQP_PREFETCH: z.coerce.number().int().min(1).max(1000).default(64),
  /**
   * How many times Temporal may refuse a message before the bridge dead-letters it with the
   * reason; also the quorum queue's `x-delivery-limit`, the broker's own backstop (fixed when the
   * queue is declared).
   */
  AMQP_DELIVERY_LIMIT: z.coerce.number().int().min(1).max(1000).default(20),
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
  /** The algorithms accepted from AUTH_JWKS_URL's keys (a token naming any other is refused). */
  AUTH_JWKS_ALGORITHMS: list
    .refine((algs) => algs.every((a) => (JWKS_ALGORITHMS as readonly string[]).includes(a)), `must be a list of ${JWKS_ALGORITHMS.join(', ')}`)
    .transform((algs) => (algs.length > 0 ? algs : ['RS256', 'ES256'])),
  /** The longest a token may be valid for (exp - iat; without iat, exp - now). */
  AUTH_MAX_TOKEN_LIFETIME: duration('24h'),
  /** Clock skew allowed between the token's issuer and this process, for exp, nbf and iat. */
  AUTH_CLOCK_TOLERANCE: durationOrZero('30s').refine((ms) => ms <= 5 * 60_000, 'must be at most 5m'),
  /** How long the key set from AUTH_JWKS_URL is kept before it is fetched again. */
  AUTH_JWKS_CACHE_MAX_AGE: duration('10m'),
  /** A token with a key id the kept key set lacks makes it fetch the set again, at most this often. */
  AUTH_JWKS_COOLDOWN: duration('30s'),
  /** The claim that lists the caller's roles, an array of strings (default `roles`; with AUTH_COGNITO_USER_POOL, `cognito:groups`). */
  AUTH_ROLES_CLAIM: optionalString,
  /** The roles (items of the roles claim) that make a caller an operator (default `operator`), comma-separated. */
  AUTH_OPERATOR_ROLES: list,
  /** An Amazon Cognito user pool whose tokens are accepted (its issuer and key set follow from it). */
  AUTH_COGNITO_USER_POOL: optionalString.refine(
    (v) => v === undefined || COGNITO_USER_POOL_ID.test(v),
    'must be a Cognito user pool id like eu-west-1_AbC123xyz (<region>_<id>)',
  ),
  /** The pool's app clients whose tokens are accepted (access tokens' client_id, ID tokens' aud), comma-separated. */
  AUTH_COGNITO_CLIENT_IDS: list.refine((ids) => ids.every((id) => COGNITO_CLIENT_ID.test(id)), 'must be app client ids (letters, digits, _ and +), comma-separated'),
  /** The kinds of pool token accepted (`token_use`), comma-separated: `access` by default, `id` too if wanted. */
  AUTH_COGNITO_TOKEN_USE: list
    .refine((uses) => uses.every(isCognitoTokenUse), `must be a list of ${COGNITO_TOKEN_USES.join(', ')}`)
    .transform((uses) => uses.filter(isCognitoTokenUse)),
  /** The largest request body the API accepts (bytes, or 64Ki, 1Mi): a larger one is a 413. */
  API_BODY_LIMIT: memorySize.refine((v) => v !== null, 'must be a size (not none)').transform((v) => v ?? 64 * 1024),
  /** Origins browsers may call the API from (CORS), comma-separated, or `*`; unset: CORS off. */
  API_CORS_ORIGINS: list.refine(
    (origins) => origins.every((o) => o === '*' || /^https?:\/\/[^/\s]+$/.test(o)),
    'must be `*` or origins like https://app.example.com (scheme, host and port, no path), comma-separated',
  ),
  /** A client must send a request's headers within this (slowloris). */
  API_HEADERS_TIMEOUT: duration('10s'),
  /** ... and the whole request within this (not the response: live streams are not cut by it). */
  API_REQUEST_TIMEOUT: duration('30s'),
  /** An idle keep-alive connection is closed after this (behind a load balancer: longer than its idle timeout). */
  API_KEEP_ALIVE_TIMEOUT: duration('5s'),
  /** The longest a live stream stays open; the client then reconnects (with Last-Event-ID) and misses nothing. */
  SSE_MAX_DURATION: duration('1h'),
  /** Signs the API's paging cursors; every API instance needs the same one (default: derived from AUTH_JWT_SECRET, else made per process). */
  API_CURSOR_SECRET: optionalString,
  /** How many finished videos' final views each API process keeps in memory (0: none). */
  FINAL_VIEW_CACHE_SIZE: z.coerce.number().int().min(0).max(10_000_000).default(10_000),
  /** How long a workflow's live view may be served again without a new query (0: never). */
  LIVE_VIEW_MAX_AGE: durationOrZero('250ms')
    .refine((ms) => ms <= 60_000, 'must be at most 60s')
    .refine((ms) => Number.isInteger(ms), 'must be whole milliseconds'),
  /** Workflow queries each API process may have under way at once; past it, reads fall back to the projection (or a fast 503). */
  API_MAX_CONCURRENT_QUERIES: z.coerce.number().int().min(1).max(10_000).default(16),
  /** How long a read of a video in flight waits for its workflow before answering from the projection (when it has a row there). */
  LIVE_VIEW_PATIENCE: duration('500ms').refine((ms) => ms >= 1 && ms <= 60_000, 'must be from 1ms to 60s'),
  /** Requests per user (JWT subject) and API process in each API_RATE_LIMIT_WINDOW on /v1; 0: no limit. */
  API_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(100),
  API_RATE_LIMIT_WINDOW: duration('1s').refine((ms) => ms >= 1_000 && ms <= 3_600_000 && ms % 1_000 === 0, 'must be whole seconds, from 1s to 1h'),
  /** A comment on every open SSE stream this often, so proxies keep idle streams open. */
  SSE_HEARTBEAT_INTERVAL: duration('15s'),
  STUCK_UPLOADED_AFTER: duration('15m'),
  STUCK_PROCESSING_AFTER: duration('30m'),
  ALERT_REPEAT_AFTER: duration('1h'),
  MAX_REPROCESS: z.coerce.number().int().min(0).max(100).default(2),
  ALERT_WEBHOOK_URL: optionalString.refine((v) => v === undefined || /^https?:\/\//.test(v), 'must be an http(s) URL'),
  /** A batch of grouped alerts collects this long before it goes out. */
  ALERT_GROUP_WINDOW: duration('1m'),
  /** Alerts of one kind and status within ALERT_GROUP_WINDOW that still go out one by one (0: group all). */
  ALERT_GROUP_THRESHOLD: z.coerce.number().int().min(0).max(10_000).default(3),
  /** Video ids named in a grouped alert. */
  ALERT_GROUP_SAMPLE: z.coerce.number().int().min(1).max(100).default(10),
  /** The Temporal Web UI, for links in grouped alerts (default: the embedded dev server's, under `vidproc dev`). */
  TEMPORAL_WEB_UI_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]/.test(v), 'must be an http(s) URL like https://temporal.example.com'),
  /** Reprocess commands a second, all workers together (Temporal's task-queue rate limit). */
  REPROCESS_RATE: z.coerce.number().positive().max(100_000).default(10),
  /** Webhook endpoints on private, loopback and link-local addresses, and plain http ones (local development, tests). */
  WEBHOOK_ALLOW_PRIVATE: flag,
  WEBHOOK_TIMEOUT: duration('10s').refine((ms) => ms <= 60_000, 'must be at most 60s'),
  WEBHOOK_RETRY_INITIAL: duration('30s'),
  WEBHOOK_RETRY_MAX_INTERVAL: duration('4h'),
  WEBHOOK_RETRY_FOR: duration('24h'),
  WEBHOOK_DISABLE_AFTER: duration('3d'),
  /**
   * The worker's memory limit (in Kubernetes the container's `limits.memory`, through the downward
   * API); its cache and workflow heap are sized from it. Unset: the cgroup's limit, if any;
   * `none`: no limit (the SDK's defaults).
   */
  WORKER_MEMORY_LIMIT: memorySize,
  WORKER_MAX_CACHED_WORKFLOWS: optionalInt(0, 1_000_000),
  /** The V8 old space of the thread that runs the workflows. */
  WORKER_WORKFLOW_HEAP: memorySize,
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: optionalInt(2, 10_000),
  WORKER_MAX_CONCURRENT_ACTIVITIES: optionalInt(1, 10_000),
  WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: optionalInt(1, 10_000),
  /** Threads that run workflow tasks (each with its own heap); more use more cores for starts and replays. */
  WORKER_WORKFLOW_THREADS: optionalInt(1, 64),
  /** What one cached workflow costs (measured; see BENCHMARKS.md), for sizing the cache from the limit. */
  WORKER_BYTES_PER_CACHED_WORKFLOW: memorySize,
  /** Serve the Temporal SDK's metrics (Prometheus) on this `host:port` (the worker's cache, slots, latencies). */
  TEMPORAL_METRICS_ADDRESS: optionalString.refine((v) => v === undefined || /^[^\s:]+:\d{1,5}$/.test(v), 'must be host:port, like 0.0.0.0:9464'),
  /** The metrics listener (`GET /metrics`, Prometheus) of every process; `off`: none. */
  METRICS_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(9464),
  METRICS_HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long a process may take to stop after SIGTERM before it exits anyway (non-zero); below the orchestrator's grace period. */
  SHUTDOWN_TIMEOUT: duration('25s').refine((ms) => ms >= 1_000 && ms <= 10 * 60_000, 'must be from 1s to 10m'),
  /** An S3-compatible endpoint (MinIO, moto, ...); unset: AWS S3 of AWS_REGION. */
  S3_ENDPOINT: optionalString.refine((v) => v === undefined || /^https?:\/\/[^/]/.test(v), 'must be an http(s) URL like https://s3.example.com'),
  S3_FORCE_PATH_STYLE: flag,
  AWS_REGION: optionalString,
  IMAGES_URL_TTL: duration('15m').refine(
    (v) => v >= 1_000 && v <= PRESIGN_MAX_MS && v % 1_000 === 0,
    'must be whole seconds, from 1s to 7d (the longest a presigned URL may live)',
  ),
  UPLOAD_BUCKET: optionalString.refine(
    (v) => v === undefined || /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v),
    'must be an S3 bucket name (3-63 characters of a-z, 0-9, "." and "-")',
  ),
});

/** The Temporal address to connect to; `vidproc dev` starts its own server there when TEMPORAL_ADDRESS is unset. */
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
/** The Web UI `vidproc dev` runs with its embedded server. */
export const DEFAULT_WEB_UI_URL = 'http://127.0.0.1:8233';

/** The environment, plus what is derived from it once: where Temporal is, the stuck-video policy. */
const configSchema = envSchema.transform((env, ctx) => ({
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
  /** How the alert digest groups alerts (src/domain/alert-digest.ts; the worker adds where the videos run). */
  alertGrouping: {
    windowMs: env.ALERT_GROUP_WINDOW,
    threshold: env.ALERT_GROUP_THRESHOLD,
    sampleSize: env.ALERT_GROUP_SAMPLE,
    webUiUrl: env.TEMPORAL_WEB_UI_URL ?? (env.TEMPORAL_ADDRESS === undefined ? DEFAULT_WEB_UI_URL : null),
  },
  /** Where the process serves its metrics (src/metrics/server.ts). */
  metrics: { enabled: env.METRICS_PORT !== 'off', host: env.METRICS_HOST, port: env.METRICS_PORT === 'off' ? 0 : env.METRICS_PORT },
  storage: storageSettings(env, ctx),
  /** How the API verifies bearer tokens (src/api/lib/auth.ts's AuthOptions). */
  auth: authSettings(env, ctx),
  /** The API's HTTP edge: body limit, CORS, the Node server's timeouts. */
  http: httpSettings(env, ctx),
  /** What sizes the worker (src/config/worker-sizing.ts); the process adds the cgroup's limit when none is set. */
  worker: workerSizingInput(env, ctx),
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

/**
 * The token rules. With AUTH_COGNITO_USER_POOL the pool is the only issuer: its issuer and key set
 * are derived from it, so the settings of any other issuer are refused rather than mixed in (an
 * AUTH_JWT_SECRET would let a second party mint tokens; an AUTH_AUDIENCE would refuse every access
 * token, which has no `aud`).
 */
function authSettings(env: z.output<typeof envSchema>, ctx: z.RefinementCtx) {
  const refuse = (name: keyof typeof env, message: string) => ctx.addIssue({ code: 'custom', path: [name], message });
  const common = {
    jwksAlgorithms: env.AUTH_JWKS_ALGORITHMS,
    maxTokenLifetimeMs: env.AUTH_MAX_TOKEN_LIFETIME,
    clockToleranceMs: env.AUTH_CLOCK_TOLERANCE,
    jwksCacheMaxAgeMs: env.AUTH_JWKS_CACHE_MAX_AGE,
    jwksCooldownMs: env.AUTH_JWKS_COOLDOWN,
    operatorRoles: env.AUTH_OPERATOR_ROLES.length > 0 ? env.AUTH_OPERATOR_ROLES : undefined,
  };
  const pool = env.AUTH_COGNITO_USER_POOL;
  if (pool === undefined) {
    if (env.AUTH_COGNITO_CLIENT_IDS.length > 0) refuse('AUTH_COGNITO_CLIENT_IDS', 'needs AUTH_COGNITO_USER_POOL');
    if (env.AUTH_COGNITO_TOKEN_USE.length > 0) refuse('AUTH_COGNITO_TOKEN_USE', 'needs AUTH_COGNITO_USER_POOL');
    return {
      ...common,
      secret: env.AUTH_JWT_SECRET,
      jwksUrl: env.AUTH_JWKS_URL,
      issuer: env.AUTH_ISSUER,
      audience: env.AUTH_AUDIENCE,
      rolesClaim: env.AUTH_ROLES_CLAIM,
      cognito: undefined,
    };
  }
  const issuer = cognitoIssuer(pool);
  const notWithPool = 'not with AUTH_COGNITO_USER_POOL';
  if (env.AUTH_JWT_SECRET !== undefined) {
    refuse('AUTH_JWT_SECRET', `${notWithPool}: tokens come from the pool only (to share paging cursors between API instances, set API_CURSOR_SECRET)`);
  }
  if (env.AUTH_JWKS_URL !== undefined) refuse('AUTH_JWKS_URL', `${notWithPool}: its key set is ${cognitoJwksUrl(issuer)}`);
  if (env.AUTH_ISSUER !== undefined) refuse('AUTH_ISSUER', `${notWithPool}: its issuer is ${issuer}`);
  if (env.AUTH_AUDIENCE !== undefined) {
    refuse('AUTH_AUDIENCE', `${notWithPool}: the app clients are AUTH_COGNITO_CLIENT_IDS (access tokens carry client_id, not aud)`);
  }
  if (env.AUTH_COGNITO_CLIENT_IDS.length === 0) {
    refuse('AUTH_COGNITO_CLIENT_IDS', 'is required with AUTH_COGNITO_USER_POOL: the app clients whose tokens the API accepts');
  }
  const tokenUses: CognitoTokenUse[] = env.AUTH_COGNITO_TOKEN_USE.length > 0 ? env.AUTH_COGNITO_TOKEN_USE : ['access'];
  return {
    ...common,
    secret: undefined,
    jwksUrl: cognitoJwksUrl(issuer),
    issuer,
    audience: undefined,
    rolesClaim: env.AUTH_ROLES_CLAIM ?? COGNITO_GROUPS_CLAIM,
    cognito: { clientIds: env.AUTH_COGNITO_CLIENT_IDS, tokenUses },
  };
}

function httpSettings(env: z.output<typeof envSchema>, ctx: z.RefinementCtx) {
  // Node refuses a headers timeout longer than the request timeout.
  if (env.API_HEADERS_TIMEOUT > env.API_REQUEST_TIMEOUT) {
    ctx.addIssue({ code: 'custom', path: ['API_HEADERS_TIMEOUT'], message: 'must not be longer than API_REQUEST_TIMEOUT' });
  }
  return {
    bodyLimitBytes: env.API_BODY_LIMIT,
    corsOrigins: env.API_CORS_ORIGINS,
    headersTimeoutMs: env.API_HEADERS_TIMEOUT,
    requestTimeoutMs: env.API_REQUEST_TIMEOUT,
    keepAliveTimeoutMs: env.API_KEEP_ALIVE_TIMEOUT,
  };
}

function workerSizingInput(env: z.output<typeof envSchema>, ctx: z.RefinementCtx): WorkerSizingInput {
  const input: WorkerSizingInput = {
    memoryLimitBytes: env.WORKER_MEMORY_LIMIT,
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
    workflowHeapMiB: env.WORKER_WORKFLOW_HEAP == null ? undefined : Math.max(1, Math.floor(env.WORKER_WORKFLOW_HEAP / 2 ** 20)),
    maxConcurrentWorkflowTasks: env.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivities: env.WORKER_MAX_CONCURRENT_ACTIVITIES,
    maxConcurrentLocalActivities: env.WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES,
    workflowThreads: env.WORKER_WORKFLOW_THREADS,
    bytesPerCachedWorkflow: env.WORKER_BYTES_PER_CACHED_WORKFLOW ?? undefined,
  };
  try {
    // A limit too small to run in fails here, at start-up (the worker checks again knowing
    // whether tracing is on, which needs more).
    sizeWorker({ ...input, tracing: false });
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['WORKER_MEMORY_LIMIT'], message: (err as Error).message });
  }
  return input;
}

/**
 * Where links are presigned (src/storage). S3 is on when AWS_REGION or S3_ENDPOINT is set (on EKS
 * the chart sets AWS_REGION); otherwise `s3://` links are shown as stored. Credentials are never
 * configured here: the AWS SDK's default chain finds them (environment, IRSA web identity, ...).
 */
function storageSettings(env: z.output<typeof envSchema>, ctx: z.RefinementCtx) {
  const enabled = env.AWS_REGION !== undefined || env.S3_ENDPOINT !== undefined;
  if (env.UPLOAD_BUCKET !== undefined && !enabled) {
    ctx.addIssue({ code: 'custom', path: ['UPLOAD_BUCKET'], message: 'needs AWS_REGION (or S3_ENDPOINT) to presign uploads' });
  }
  return {
    enabled,
    // An S3-compatible server ignores the region, but SigV4 signs with one.
    region: env.AWS_REGION ?? 'us-east-1',
    endpoint: env.S3_ENDPOINT,
    forcePathStyle: env.S3_FORCE_PATH_STYLE,
    linkTtlMs: env.IMAGES_URL_TTL,
    uploadBucket: env.UPLOAD_BUCKET,
  };
}

export type Config = z.output<typeof configSchema>;
export type StorageSettings = Config['storage'];
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
