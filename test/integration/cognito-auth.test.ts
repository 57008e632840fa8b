/**
 * Amazon Cognito user-pool tokens through the real API (app.request()), over the real Temporal dev
 * server, worker and Postgres: RS256 access and ID tokens shaped like a pool's, their keys served
 * over HTTP as a pool's JWKS is. The token rules are the ones the config derives from
 * AUTH_COGNITO_* (the pool's issuer included); only the key set's URL is this test's server.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Api } from '../../src/api/app.js';
import { createAuthenticator } from '../../src/api/lib/auth.js';
import { loadConfig } from '../../src/config/env.js';
import { createVideoGateway, type VideoGateway } from '../../src/temporal/video-gateway.js';
import { closeTestApis, startTestApi } from '../support/api.js';
import { startHarness, type TemporalHarness } from '../support/env.js';
import { uniqueId } from '../support/events.js';

const POOL = 'eu-west-1_AbC123xyz';
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const CLIENT = '4example5clientid6789abcd';
const OTHER_CLIENT = '7another8clientid9012efgh';
const KID = 'aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789abcdEF=';

let h: TemporalHarness;
let videos: VideoGateway;
let jwksServer: Server;
let signingKey: CryptoKey;
let unknownKey: CryptoKey;
/** Access tokens only (the default). */
let accessApp: Api;
/** Access and ID tokens (AUTH_COGNITO_TOKEN_USE=access,id). */
let bothApp: Api;

beforeAll(async () => {
  h = await startHarness();
  videos = createVideoGateway(h.client, { taskQueue: h.config.temporal.taskQueue, workflowDefaults: { lingerMs: 60_000 } });
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  signingKey = privateKey;
  unknownKey = (await generateKeyPair('RS256')).privateKey;
  const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
  jwksServer = createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(req.url === `/${POOL}/.well-known/jwks.json` ? { keys: [jwk] } : {}));
  });
  await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  const jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/${POOL}/.well-known/jwks.json`;
  const cognito = (env: Record<string, string>) => {
    const { auth } = loadConfig({ AUTH_COGNITO_USER_POOL: POOL, AUTH_COGNITO_CLIENT_IDS: CLIENT, AUTH_OPERATOR_ROLES: 'operators', ...env });
    expect(auth.jwksUrl).toBe(`${ISSUER}/.well-known/jwks.json`);
    return createAuthenticator({ ...auth, jwksUrl });
  };
  ({ app: accessApp } = startTestApi(h, { videos, authenticate: cognito({}) }));
  ({ app: bothApp } = startTestApi(h, { videos, authenticate: cognito({ AUTH_COGNITO_TOKEN_USE: 'access,id' }) }));
});
afterAll(async () => {
  await closeTestApis();
  jwksServer?.close();
  await h?.stop();
});

const now = () => Math.floor(Date.now() / 1000);

/** A pool's access token (the claims Cognito puts in one), with any claim changed or removed (undefined). */
function accessToken(sub: string, changes: Record<string, unknown> = {}, { kid = KID, key = signingKey } = {}) {
  const iat = now();
  return sign(
    {
      sub,
      'cognito:groups': ['viewers'],
      iss: ISSUER,
      client_id: CLIENT,
      origin_jti: randomUUID(),
      event_id: randomUUID(),
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: iat,
      exp: iat + 3600,
      iat,
      jti: randomUUID(),
      username: `user-${sub.slice(0, 8)}`,
      ...changes,
    },
    kid,
    key,
  );
}

/** A pool's ID token, likewise. */
function idToken(sub: string, changes: Record<string, unknown> = {}) {
  const iat = now();
  return sign(
    {
      sub,
      'cognito:groups': ['viewers'],
      email_verified: true,
      iss: ISSUER,
      'cognito:username': `user-${sub.slice(0, 8)}`,
      origin_jti: randomUUID(),
      aud: CLIENT,
      event_id: randomUUID(),
      token_use: 'id',
      auth_time: iat,
      exp: iat + 3600,
      iat,
      jti: randomUUID(),
      email: `${sub.slice(0, 8)}@example.com`,
      ...changes,
    },
    KID,
    signingKey,
  );
}

function sign(claims: Record<string, unknown>, kid: string, key: CryptoKey): Promise<string> {
  const present = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
  return new SignJWT(present).setProtectedHeader({ kid, alg: 'RS256' }).sign(key);
}

const get = (app: Api, path: string, token: string) => app.request(path, { headers: { Authorization: `Bearer ${token}` } });
const post = (app: Api, path: string, token: string, body: unknown) =>
  app.request(path, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const refused = async (res: Response, detail: RegExp) => {
  expect(res.status).toBe(401);
  expect(res.headers.get('WWW-Authenticate')).toContain('Bearer');
  expect(((await res.json()) as { detail: string }).detail).toMatch(detail);
};

describe('Cognito access tokens', () => {
  it("accept a pool's access token of the app client; the user is its sub", async () => {
    const sub = randomUUID();
    const token = await accessToken(sub);
    const videoId = uniqueId('cognito');
    const created = await post(accessApp, '/v1/videos', token, { videoId });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ videoId, userId: sub });
    const read = await get(accessApp, `/v1/videos/${videoId}`, token);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ videoId, userId: sub });
    // Another user of the pool does not see it.
    expect((await get(accessApp, `/v1/videos/${videoId}`, await accessToken(randomUUID()))).status).toBe(404);
  });

  it('refuse another token_use, another app client, another issuer, an expired token and an unknown key', async () => {
    const sub = randomUUID();
    const path = '/v1/videos?limit=1';
    await refused(await get(accessApp, path, await idToken(sub)), /token_use id is not accepted/);
    await refused(await get(accessApp, path, await accessToken(sub, { token_use: 'refresh' })), /token_use refresh is not accepted/);
    await refused(await get(accessApp, path, await accessToken(sub, { token_use: undefined })), /no token_use/);
    await refused(await get(accessApp, path, await accessToken(sub, { client_id: OTHER_CLIENT })), /client_id is not an accepted app client/);
    // An access token is judged by its client_id alone: an aud naming the client does not stand in for it.
    await refused(await get(accessApp, path, await accessToken(sub, { client_id: undefined, aud: CLIENT })), /no client_id/);
    await refused(await get(accessApp, path, await accessToken(sub, { iss: `https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other999` })), /iss/);
    await refused(await get(accessApp, path, await accessToken(sub, { iss: undefined })), /iss/);
    const past = now() - 7200;
    await refused(await get(accessApp, path, await accessToken(sub, { auth_time: past, iat: past, exp: past + 3600 })), /exp/);
    await refused(await get(accessApp, path, await accessToken(sub, {}, { kid: 'unknown-kid', key: unknownKey })), /invalid token/);
    // The right kid, the wrong key: the signature fails.
    await refused(await get(accessApp, path, await accessToken(sub, {}, { key: unknownKey })), /signature/);
    await refused(await get(accessApp, path, await accessToken(sub, { 'cognito:groups': 'operators' })), /cognito:groups must be an array of strings/);
    // The same token with nothing changed passes (what each refusal above differs from).
    expect((await get(accessApp, path, await accessToken(sub))).status).toBe(200);
  });
});

describe('Cognito ID tokens, when AUTH_COGNITO_TOKEN_USE has id', () => {
  it('accept an ID token whose aud is the app client, and access tokens still', async () => {
    const sub = randomUUID();
    const res = await get(bothApp, '/v1/videos?limit=1', await idToken(sub));
    expect(res.status).toBe(200);
    expect((await get(bothApp, '/v1/videos?limit=1', await accessToken(sub))).status).toBe(200);
  });

  it('refuse an ID token of another app client, or one naming its client in client_id instead of aud', async () => {
    const sub = randomUUID();
    await refused(await get(bothApp, '/v1/videos?limit=1', await idToken(sub, { aud: OTHER_CLIENT })), /aud is not an accepted app client/);
    await refused(await get(bothApp, '/v1/videos?limit=1', await idToken(sub, { aud: undefined, client_id: CLIENT })), /no aud/);
  });
});

describe('Cognito groups as roles (AUTH_OPERATOR_ROLES=operators)', () => {
  it("an operator's action answers 403 without the operators group and 200 with it", async () => {
    const id = uniqueId('cognito-ops');
    await videos.register(id, randomUUID());
    const extend = async (token: string) => (await post(accessApp, `/v1/videos/${id}/extend`, token, { duration: '1h' })).status;
    const ann = randomUUID();
    expect(await extend(await accessToken(ann))).toBe(403); // viewers
    expect(await extend(await accessToken(ann, { 'cognito:groups': undefined }))).toBe(403); // in no group
    expect(await extend(await accessToken(ann, { 'cognito:groups': ['operator'] }))).toBe(403); // the role's name is not the group's
    expect(await extend(await accessToken(ann, { 'cognito:groups': ['viewers', 'operators'] }))).toBe(200);
    expect(await extend(await idToken(ann, { 'cognito:groups': ['operators'] }))).toBe(401); // an ID token, on the access-only API
  });
});
