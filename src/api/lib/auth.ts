/**
 * Bearer JWT authentication (jose): HS256 with AUTH_JWT_SECRET, or RS256/ES256 keys from the
 * AUTH_JWKS_URL key set. `sub` is the user; a `roles` claim with `operator` reads every video.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { LIMITS } from '../../domain/events.js';
import type { Principal } from '../../domain/video.js';

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

export function createAuthenticator(options: AuthOptions): Authenticator {
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
      if (alg === 'HS256' && secret) {
        ({ payload } = await jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] }));
      } else if ((alg === 'RS256' || alg === 'ES256') && jwks) {
        ({ payload } = await jwtVerify(token, jwks, { ...claims, algorithms: ['RS256', 'ES256'] }));
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
    return { userId: payload.sub, operator };
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
