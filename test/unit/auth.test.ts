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
    const authenticate = createAuthenticator({ secret: SECRET }, { now: () => clock });
    const jwt = await token('alice', T0 / 1000 + 60);
    await expect(authenticate(jwt)).resolves.toEqual({ userId: 'alice', operator: false });
    clock = T0 + 59_999;
    await expect(authenticate(jwt)).resolves.toEqual({ userId: 'alice', operator: false });
    clock = T0 + 60_000; // exp: refused, kept or not
    await expect(authenticate(jwt)).rejects.toThrow(/exp/);
  });

  it('answers a kept token from memory, without verifying it again', async () => {
    let clock = T0 + 10_000;
    const authenticate = createAuthenticator({ secret: SECRET }, { now: () => clock });
    const key = new TextEncoder().encode(SECRET);
    const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setNotBefore(T0 / 1000 + 10).setExpirationTime(T0 / 1000 + 60).sign(key);
    await authenticate(jwt);
    clock = T0; // a verification now would refuse it (nbf): only the kept answer accepts it
    await expect(authenticate(jwt)).resolves.toEqual({ userId: 'alice', operator: false });
    await expect(createAuthenticator({ secret: SECRET }, { now: () => clock })(jwt)).rejects.toThrow(/nbf/);
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
    const authenticate = createAuthenticator({ secret: SECRET }, { keep: 0, now: () => clock });
    const jwt = await token('alice', T0 / 1000 + 3600);
    await authenticate(jwt);
    clock = T0 + 3600_000;
    await expect(authenticate(jwt)).rejects.toThrow(/exp/);
  });
});
