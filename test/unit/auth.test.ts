/** Verified tokens kept: until they expire, and only tokens that passed. */
import { describe, expect, it } from '@jest/globals';
import { SignJWT } from 'jose';
import { AuthError, createAuthenticator } from '../../src/api/lib/auth.js';

const SECRET = 'unit-test-secret-unit-test-secret-0123456789';
const T0 = Date.parse('2026-03-01T12:00:00Z');

const token = (sub: string, expSeconds: number, secret = SECRET) =>
  new SignJWT({ roles: [] }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt(T0 / 1000).setExpirationTime(expSeconds).sign(new TextEncoder().encode(secret));

describe('createAuthenticator: verified tokens kept', () => {
  it('answers a kept token until it expires, and refuses it from then', async () => {
    let clock = T0;
    const authenticate = createAuthenticator({ secret: SECRET, clockToleranceMs: 0 }, { now: () => clock });
    const jwt = await token('alice', T0 / 1000 + 60);
    await expect(authenticate(jwt)).resolves.toEqual({ userId: 'alice', operator: false });
    clock = T0 + 59_999;
    await expect(authenticate(jwt)).resolves.toEqual({ userId: 'alice', operator: false });
    clock = T0 + 60_000; // exp: refused, kept or not
    await expect(authenticate(jwt)).rejects.toThrow(/exp/);
  });

  it('answers a kept token from memory, without verifying it again', async () => {
    let clock = T0 + 10_000;
    const authenticate = createAuthenticator({ secret: SECRET, clockToleranceMs: 0 }, { now: () => clock });
    const key = new TextEncoder().encode(SECRET);
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setNotBefore(T0 / 1000 + 10).setExpirationTime(T0 / 1000 + 60).sign(key);
    await authenticate(jwt);
    clock = T0; // a verification now would refuse it (nbf): only the kept answer accepts it
    await expect(authenticate(jwt)).resolves.toEqual({ userId: 'alice', operator: false });
    await expect(createAuthenticator({ secret: SECRET, clockToleranceMs: 0 }, { now: () => clock })(jwt)).rejects.toThrow(/nbf/);
  });

  it('keeps only tokens that passed: a forged one is refused every time', async () => {
    const authenticate = createAuthenticator({ secret: SECRET }, { now: () => T0 });
    const forged = await token('alice', T0 / 1000 + 60, 'another-secret-another-secret-another-secret');
    await expect(authenticate(forged)).rejects.toBeInstanceOf(AuthError);
    await expect(authenticate(forged)).rejects.toBeInstanceOf(AuthError);
    // A kept token does not let a different string through, however close.
    const jwt = await token('alice', T0 / 1000 + 60);
    await authenticate(jwt);
    await expect(authenticate(`${jwt.slice(0, -2)}AA`)).rejects.toBeInstanceOf(AuthError);
  });

  it('with keep 0 verifies every time', async () => {
    let clock = T0;
    const authenticate = createAuthenticator({ secret: SECRET, clockToleranceMs: 0 }, { keep: 0, now: () => clock });
    const jwt = await token('alice', T0 / 1000 + 3600);
    await authenticate(jwt);
    clock = T0 + 3600_000;
    await expect(authenticate(jwt)).rejects.toThrow(/exp/);
  });
});

describe('createAuthenticator: what a token may be', () => {
  const key = new TextEncoder().encode(SECRET);
  const signed = (claims: Record<string, unknown>, build: (jwt: SignJWT) => SignJWT = (j) => j) =>
    build(new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setIssuedAt(T0 / 1000).setExpirationTime(T0 / 1000 + 600)).sign(key);
  const authenticate = (options: Parameters<typeof createAuthenticator>[0] = {}) =>
    createAuthenticator({ secret: SECRET, ...options }, { keep: 0, now: () => T0 });

  it('takes roles only as an array of strings: a plain string, a number or mixed items are refused', async () => {
    await expect(authenticate()(await signed({ roles: ['operator'] }))).resolves.toEqual({ userId: 'alice', operator: true });
    await expect(authenticate()(await signed({ roles: ['viewer'] }))).resolves.toEqual({ userId: 'alice', operator: false });
    await expect(authenticate()(await signed({}))).resolves.toEqual({ userId: 'alice', operator: false });
    for (const roles of ['operator', 1, ['operator', 1], { operator: true }, null]) {
      await expect(authenticate()(await signed({ roles }))).rejects.toThrow(/roles must be an array of strings/);
    }
  });

  it('reads the roles from the configured claim, and makes an operator of any of the configured operator roles', async () => {
    const groups = { rolesClaim: 'cognito:groups', operatorRoles: ['operators', 'admins'] };
    await expect(authenticate(groups)(await signed({ 'cognito:groups': ['viewers', 'admins'] }))).resolves.toEqual({ userId: 'alice', operator: true });
    await expect(authenticate(groups)(await signed({ 'cognito:groups': ['operators'] }))).resolves.toEqual({ userId: 'alice', operator: true });
    // The mapping replaces the default: `operator` itself is no longer an operator's role, nor is the `roles` claim read.
    await expect(authenticate(groups)(await signed({ 'cognito:groups': ['operator'] }))).resolves.toEqual({ userId: 'alice', operator: false });
    await expect(authenticate(groups)(await signed({ roles: ['operators'] }))).resolves.toEqual({ userId: 'alice', operator: false });
    await expect(authenticate(groups)(await signed({ 'cognito:groups': 'operators' }))).rejects.toThrow(/claim cognito:groups must be an array of strings/);
  });

  it('refuses a token that lives longer than the maximum lifetime (exp - iat, or exp - now without iat)', async () => {
    const year9999 = Date.parse('9999-01-01T00:00:00Z') / 1000;
    await expect(authenticate()(await signed({}, (j) => j.setExpirationTime(year9999)))).rejects.toThrow(/lives longer/);
    const dayAndAHalf = await signed({}, (j) => j.setExpirationTime(T0 / 1000 + 36 * 3600));
    await expect(authenticate()(dayAndAHalf)).rejects.toThrow(/lives longer/);
    await expect(authenticate({ maxTokenLifetimeMs: 48 * 3_600_000 })(dayAndAHalf)).resolves.toMatchObject({ userId: 'alice' });
    // Without iat the lifetime counts from now; an iat in the future does not shorten it.
    const noIat = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime(T0 / 1000 + 25 * 3600).sign(key);
    await expect(authenticate()(noIat)).rejects.toThrow(/lives longer/);
    const lateIat = await signed({}, (j) => j.setIssuedAt(T0 / 1000 + 20 * 3600).setExpirationTime(T0 / 1000 + 25 * 3600));
    await expect(authenticate()(lateIat)).rejects.toThrow(/lives longer/);
  });

  it('allows the clock tolerance around exp and nbf, and no more', async () => {
    const expired10sAgo = await signed({}, (j) => j.setExpirationTime(T0 / 1000 - 10));
    await expect(authenticate()(expired10sAgo)).resolves.toMatchObject({ userId: 'alice' });
    await expect(authenticate({ clockToleranceMs: 5_000 })(expired10sAgo)).rejects.toThrow(/exp/);
    const notYet = await signed({}, (j) => j.setNotBefore(T0 / 1000 + 20));
    await expect(authenticate()(notYet)).resolves.toMatchObject({ userId: 'alice' });
    await expect(authenticate({ clockToleranceMs: 0 })(notYet)).rejects.toThrow(/nbf/);
  });

  it('accepts only the allowed algorithms, whatever the header says', async () => {
    const hs384 = await new SignJWT({}).setProtectedHeader({ alg: 'HS384' }).setSubject('alice').setExpirationTime(T0 / 1000 + 60).sign(key);
    await expect(authenticate()(hs384)).rejects.toThrow(/HS384 is not accepted/);
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'alice', exp: T0 / 1000 + 60 })).toString('base64url');
    await expect(authenticate()(`${header}.${body}.`)).rejects.toThrow(/none is not accepted/);
  });
});
