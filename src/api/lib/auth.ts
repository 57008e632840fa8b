/**
 * Bearer JWT authentication (jose): HS256 with AUTH_JWT_SECRET, or the AUTH_JWKS_ALGORITHMS
 * (RS256/ES256 by default) with keys from the AUTH_JWKS_URL key set; no other algorithm, whatever
 * the token's header says. `exp` and `sub` are required, a token may live at most
 * AUTH_MAX_TOKEN_LIFETIME, clocks may differ by AUTH_CLOCK_TOLERANCE; the roles claim (`roles`, or
 * AUTH_ROLES_CLAIM), when present, is an array of strings, and one of AUTH_OPERATOR_ROLES in it
 * (`operator`) makes the caller an operator, who reads every video. With a Cognito user pool the
 * token must also be of an accepted `token_use` and app client (cognito-claims.ts). A token that
 * passed is kept until it expires (at most 5 minutes), so that it is verified once.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { LIMITS } from '../../domain/events.js';
import type { Principal } from '../../domain/video.js';
import { cognitoRefusal, type CognitoTokenRules } from './cognito-claims.js';
import { Lru } from './lru.js';

export interface AuthOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
  /** Algorithms accepted from the key set (default RS256, ES256). */
  jwksAlgorithms?: string[];
  /** The longest a token may be valid for, exp - iat (without iat: exp - now); default 24 hours. */
  maxTokenLifetimeMs?: number;
  /** Clock skew allowed for exp, nbf and iat; default 30 seconds. */
  clockToleranceMs?: number;
  /** How long a fetched key set is kept (default 10 minutes). */
  jwksCacheMaxAgeMs?: number;
  /** A token whose key id the kept set lacks refetches it at most this often (default 30 seconds). */
  jwksCooldownMs?: number;
  /** The claim that lists the caller's roles (default `roles`). */
  rolesClaim?: string;
  /** Roles that make the caller an operator (default `operator`). */
  operatorRoles?: readonly string[];
  /** Tokens of an Amazon Cognito user pool (issuer and jwksUrl are the pool's): what else they must say. */
  cognito?: CognitoTokenRules;
}

export const OPERATOR_ROLE = 'operator';

export const AUTH_DEFAULTS = {
  jwksAlgorithms: ['RS256', 'ES256'],
  maxTokenLifetimeMs: 24 * 3_600_000,
  clockToleranceMs: 30_000,
  jwksCacheMaxAgeMs: 10 * 60_000,
  jwksCooldownMs: 30_000,
  /** How long a key set fetch may take before the API answers 503. */
  jwksTimeoutMs: 5_000,
  rolesClaim: 'roles',
  operatorRoles: [OPERATOR_ROLE],
} as const;

export class AuthError extends Error {
  override name = 'AuthError';
}

/** The key set could not be fetched: not the caller's fault (a 503, not a 401). */
export class AuthUnavailableError extends Error {
  override name = 'AuthUnavailableError';
}

export type Authenticator = (token: string) => Promise<Principal>;

/** Tokens kept once verified (about 1 KB each: the token and who it is). */
export const VERIFIED_TOKENS_KEPT = 10_000;
/** The longest a verified token is kept: a key removed from AUTH_JWKS_URL stops working within it (jose keeps a key set up to 10 minutes itself). */
export const VERIFIED_TOKEN_KEPT_MS = 5 * 60_000;

export interface AuthenticatorOptions {
  /** Verified tokens to keep (0: verify every time). */
  keep?: number;
  now?: () => number;
}

export function createAuthenticator(options: AuthOptions, { keep = VERIFIED_TOKENS_KEPT, now = Date.now }: AuthenticatorOptions = {}): Authenticator {
  const verify = createVerifier(options, now);
  const tolerance = options.clockToleranceMs ?? AUTH_DEFAULTS.clockToleranceMs;
  // A token is a signed, stateless claim: verified once, it is as valid until it expires (exp) as
  // it was then. Keeping it spares each request the signature check (jose through WebCrypto, the
  // largest cost of reading a kept view). Only tokens that passed are kept, by the whole token
  // string: any other string, however close, is verified.
  const verified = new Lru<string, { principal: Principal; until: number }>(keep);
  return async (token) => {
    const hit = verified.get(token);
    if (hit && now() < hit.until) return hit.principal;
    const { principal, expiresAt } = await verify(token);
    // As long as a verification would accept it (exp, with the clock tolerance), at most VERIFIED_TOKEN_KEPT_MS.
    verified.set(token, { principal, until: Math.min(expiresAt + tolerance, now() + VERIFIED_TOKEN_KEPT_MS) });
    return principal;
  };
}

function createVerifier(options: AuthOptions, now: () => number): (token: string) => Promise<{ principal: Principal; expiresAt: number }> {
  if (!options.secret && !options.jwksUrl) {
    throw new Error('authentication needs AUTH_JWT_SECRET, AUTH_JWKS_URL or AUTH_COGNITO_USER_POOL');
  }
  const settings = { ...AUTH_DEFAULTS, ...definedOnly(options) };
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  // jose keeps the set (cacheMaxAge) and refetches it for an unknown kid at most once per cooldown:
  // tokens with made-up key ids cannot make the API hammer the key server.
  const jwks = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), {
        cacheMaxAge: settings.jwksCacheMaxAgeMs,
        cooldownDuration: settings.jwksCooldownMs,
        timeoutDuration: settings.jwksTimeoutMs,
      })
    : undefined;
  const jwksAlgorithms = new Set<string>(settings.jwksAlgorithms);
  const claims = {
    requiredClaims: ['exp', 'sub'],
    clockTolerance: Math.floor(settings.clockToleranceMs / 1000),
    ...(options.issuer ? { issuer: options.issuer } : {}),
    ...(options.audience ? { audience: options.audience } : {}),
  };

  return async (token) => {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthError('malformed token');
    }
    let payload: JWTPayload;
    try {
      const currentDate = new Date(now());
      if (alg === 'HS256' && secret) {
        ({ payload } = await jwtVerify(token, secret, { ...claims, currentDate, algorithms: ['HS256'] }));
      } else if (alg !== undefined && jwksAlgorithms.has(alg) && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { ...claims, currentDate, algorithms: [...jwksAlgorithms] }));
      } else {
        throw new AuthError(`token algorithm ${alg ?? 'none'} is not accepted`);
      }
    } catch (err) {
      if (err instanceof AuthError) throw err;
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        // The reason (a host, a port) is for the log, not for the caller.
        throw new AuthUnavailableError('cannot fetch the signing keys', { cause: err });
      }
      throw new AuthError(`invalid token: ${err.message}`);
    }
    if (options.cognito) {
      const refusal = cognitoRefusal(payload, options.cognito);
      if (refusal) throw new AuthError(refusal);
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new AuthError('token has no subject');
    if (payload.sub.length > LIMITS.userId) throw new AuthError(`token subject is longer than ${LIMITS.userId} characters`);
    // exp is required and checked by jwtVerify (a number of seconds), and so is iat when present.
    const expiresAt = (payload.exp as number) * 1000;
    // An iat in the future does not shorten it: it counts from now at the latest.
    const issuedAt = Math.min(typeof payload.iat === 'number' ? payload.iat * 1000 : Infinity, now());
    if (expiresAt - issuedAt > settings.maxTokenLifetimeMs + settings.clockToleranceMs) {
      throw new AuthError(`token lives longer than ${settings.maxTokenLifetimeMs / 1000} seconds (exp - iat)`);
    }
    const roles = rolesOf(payload, settings.rolesClaim);
    return { principal: { userId: payload.sub, operator: roles.some((role) => settings.operatorRoles.includes(role)) }, expiresAt };
  };
}

/** The roles claim is absent (no roles), or an array of strings; any other shape (a plain string, a number, mixed items) is refused. */
function rolesOf(payload: JWTPayload, claim: string): string[] {
  const roles = payload[claim];
  if (roles === undefined) return [];
  if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string')) {
    throw new AuthError(`token claim ${claim} must be an array of strings`);
  }
  return roles;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An HS256 token (for `vidproc dev`, the tests and the benchmark). */
export async function signDevToken(secret: string, sub: string, roles: string[] = [], expiresIn = '12h'): Promise<string> {
  return new SignJWT({ roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}
