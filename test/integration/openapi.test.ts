/**
 * The API documents itself: /openapi.json is a valid OpenAPI 3.1 document (checked by a spec
 * validator) that declares, for every operation, the errors the API's shared layers can answer,
 * and /docs serves the interactive reference.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { Api } from '../../src/api/app.js';
import { closeTestApis, startTestApi } from '../support/api.js';
import { startHarness, type TemporalHarness } from '../support/env.js';

interface Operation {
  security?: unknown[];
  requestBody?: unknown;
  parameters?: Array<{ in: string }>;
  responses: Record<string, unknown>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

let h: TemporalHarness;
let app: Api;
let document: Document;

beforeAll(async () => {
  h = await startHarness();
  ({ app } = startTestApi(h));
  document = (await (await app.request('/openapi.json')).json()) as Document;
});
afterAll(async () => {
  await closeTestApis();
  await h?.stop();
});

const operations = () =>
  Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1', async () => {
    const validate = (spec: unknown) => new Validator().validate(spec as Parameters<Validator['validate']>[0]);
    const result = await validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    // The validator does look: a broken document fails it.
    expect((await validate({ ...document, paths: { '/v1/x': { get: { responses: 5 } } } })).valid).toBe(false);
  });

  it('documents every /v1 route with bearer auth, 401, 429, 500 and 503; 404 where a path names a resource; 400, 413 and 415 where a body is sent', () => {
    const v1 = operations().filter(({ path }) => path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThanOrEqual(6);
    const missing: string[] = [];
    for (const { path, method, op } of v1) {
      const need = ['401', '429', '500', '503'];
      if (/\{[^}]+\}/.test(path)) need.push('404', '400');
      if (op.requestBody) need.push('400', '413', '415');
      for (const status of need) if (!(status in op.responses)) missing.push(`${method.toUpperCase()} ${path}: ${status}`);
      if (!op.security?.length) missing.push(`${method.toUpperCase()} ${path}: security`);
    }
    expect(missing).toEqual([]);
  });

  it('is served with an interactive reference at /docs', async () => {
    const res = await app.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('/openapi.json');
  });
});
