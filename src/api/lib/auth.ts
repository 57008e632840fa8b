/**
 * Bearer JWT authentication (jose): HS256 with AUTH_JWT_SECRET, or RS256/ES256 keys from the
 * AUTH_JWKS_URL key set. `sub` is the user; a `roles` claim with `operator` reads every video.
 * A token that passed is kept until it expires (at most 5 minutes), so that it is verified once.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { LIMITS } from '../../domain/events.js';
import type { Principal } from '../../domain/video.js';
import { Lru } from './lru.js';

export interface AuthOptions {
  secret?: string;
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

export class AuthError extends Error {
  override name = 'AuthError';
}

/** The key set could not be fetched: not the caller's fault (a 503, not a 401). */
export class AuthUnavailableError extends Error {
  override name = 'AuthUnavailableError';
}

export type Authenticator = (token: string) => Promise<Principal>;

export const OPERATOR_ROLE = 'operator';

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
  // A token is a signed, stateless claim: verified once, it is as valid until it expires (exp) as
  // it was then. Keeping it spares each request the signature check (jose through WebCrypto, the
  // largest cost of reading a kept view). Only tokens that passed are kept, by the whole token
  // string: any other string, however close, is verified.
  const verified = new Lru<string, { principal: Principal; until: number }>(keep);
  return async (token) => {
    const hit = verified.get(token);
    if (hit && now() < hit.until) return hit.principal;
    const { principal, expiresAt } = await verify(token);
    verified.set(token, { principal, until: Math.min(expiresAt, now() + VERIFIED_TOKEN_KEPT_MS) });
    return principal;
  };
}

function createVerifier(options: AuthOptions, now: () => number): (token: string) => Promise<{ principal: Principal; expiresAt: number }> {
  if (!options.secret && !options.jwksUrl) {
    throw new Error('authentication needs AUTH_JWT_SECRET or AUTH_JWKS_URL');
  }
  const secret = options.secret ? new TextEncoder().encode(options.secret) : undefined;
  const jwks = options.jwksUrl ? createRemoteJWKSet(new URL(options.jwksUrl)) : undefined;
  const claims = {
    requiredClaims: ['exp', 'sub'],
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
      } else if ((alg === 'RS256' || alg === 'ES256') && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { ...claims, currentDate, algorithms: ['RS256', 'ES256'] }));
      } else {
        throw new AuthError(`token algorithm ${alg ?? 'none'} is not accepted`);
      }
    } catch (err) {
      if (err instanceof AuthError) throw err;
      if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
        throw new AuthUnavailableError(`cannot fetch the signing keys: ${(err as Error).message}`);
      }
      throw new AuthError(`invalid token: ${err.message}`);
    }
    if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new AuthError('token has no subject');
    if (payload.sub.length > LIMITS.userId) throw new AuthError(`token subject is longer than ${LIMITS.userId} characters`);
    const roles: unknown = payload.roles;
    const operator = Array.isArray(roles) ? roles.includes(OPERATOR_ROLE) : roles === OPERATOR_ROLE;
    // exp is required and checked by jwtVerify: a number of seconds.
    return { principal: { userId: payload.sub, operator }, expiresAt: (payload.exp as number) * 1000 };
  };
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
