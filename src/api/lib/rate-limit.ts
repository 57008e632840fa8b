/**
 * Per-user rate limits on /v1: each authenticated subject (the JWT's `sub`, the principal's
 * userId) may make `limit` requests per `windowMs` in this API process (API_RATE_LIMIT per
 * API_RATE_LIMIT_WINDOW); past it a request is a 429 problem with Retry-After, before any work.
 * Every /v1 response says where its caller stands, in the IETF httpapi draft's structured fields
 * (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy: "per-user";q=<limit>;w=<window s>`
 * and `RateLimit: "per-user";r=<remaining>;t=<s until the window resets>`.
 *
 * Counted by hono-rate-limiter's memory store: a fixed window per user that opens with the
 * user's first request, so a user never gets more than `limit` in any window of theirs (and at
 * most 2 × limit across a window's edge). Per process, by choice: a shared count would cost a
 * Postgres write per request on a read path answered from memory (tens of thousands per second
 * per process), and would make Postgres a prerequisite of reads that the workflow can answer
 * while Postgres is out. With N API processes behind a load balancer that spreads a user's
 * requests, a user may get up to N × the limit: set it to the global rate / N, or limit globally
 * at the ingress (see README, "Rate limits").
 *
 * Unauthenticated requests are not counted here (they are refused before: 401): a failed token
 * costs a signature check and no I/O, and behind a proxy a per-address count would be the proxy's.
 */
import type { MiddlewareHandler } from 'hono';
import { rateLimiter, type RateLimitInfo } from 'hono-rate-limiter';
import { HttpProblem } from './problem.js';
import type { AppEnv } from './types.js';

export interface RateLimitSettings {
  /** Requests per user in each window (API_RATE_LIMIT); 0: no limit. */
  limit: number;
  /** The window (API_RATE_LIMIT_WINDOW), whole seconds. */
  windowMs: number;
}

/** The app's context, plus where the limiter leaves a request's count (its `rateLimit` variable). */
type LimitedEnv = AppEnv & { Variables: AppEnv['Variables'] & { rateLimit: RateLimitInfo } };

/** The policy's name in the RateLimit headers. */
const POLICY = '"per-user"';

/** The middleware for /v1 routes, after authentication (it counts per principal); none when the limit is 0. */
export function rateLimitPerUser({ limit, windowMs }: RateLimitSettings): MiddlewareHandler<LimitedEnv> {
  if (limit <= 0) return (_c, next) => next();
  const windowS = Math.ceil(windowMs / 1000);
  const policy = `${POLICY};q=${limit};w=${windowS}`;
  const secondsLeft = (resetTime: Date | undefined) => (resetTime ? Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : windowS);

  const limiter = rateLimiter<LimitedEnv>({
    windowMs,
    limit,
    keyGenerator: (c) => c.get('principal').userId,
    // The headers are the current draft's (set below), not the library's older ones.
    standardHeaders: false,
    handler: (c) => {
      const { resetTime } = c.get('rateLimit');
      // At least 1 s: a client retrying at once would be refused again.
      const retryAfter = Math.max(1, secondsLeft(resetTime));
      throw new HttpProblem(429, `more than ${limit} requests in ${windowS} s from this user; try again in ${retryAfter} s`, {}, {
        'Retry-After': String(retryAfter),
        'RateLimit-Policy': policy,
        RateLimit: `${POLICY};r=0;t=${retryAfter}`,
      });
    },
  });

  return async (c, next) =>
    limiter(c, async () => {
      const { remaining, resetTime } = c.get('rateLimit');
      c.header('RateLimit-Policy', policy);
      c.header('RateLimit', `${POLICY};r=${remaining};t=${secondsLeft(resetTime)}`);
      await next();
    });
}
