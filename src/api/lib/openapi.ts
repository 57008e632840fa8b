/** Small builders for the OpenAPI entries every route repeats. */
import { problemResponse } from './problem.js';

/** OpenAPI response entry for a JSON body. */
export const jsonResponse = <T>(description: string, schema: T) => ({
  description,
  content: { 'application/json': { schema } },
});

/** OpenAPI request body entry: required JSON. */
export const jsonBody = <T>(schema: T) => ({ required: true, content: { 'application/json': { schema } } });

/** What every route of a /v1 resource shares: its tag and bearer auth. */
export const authenticated = (tag: string) => ({ tags: [tag], security: [{ bearerAuth: [] }] });

const RETRY_AFTER = { description: 'Seconds to wait before trying again', schema: { type: 'integer' as const, minimum: 1, example: 1 } };

/** What every /v1 response says about the caller's rate limit (src/api/lib/rate-limit.ts). */
const RATE_LIMIT_HEADERS = {
  'RateLimit-Policy': {
    description: 'The per-user limit of this API process (IETF httpapi draft): `"per-user";q=<requests>;w=<window seconds>`',
    schema: { type: 'string' as const, example: '"per-user";q=100;w=1' },
  },
  RateLimit: {
    description: 'What is left of it: `"per-user";r=<requests remaining>;t=<seconds until the window resets>`',
    schema: { type: 'string' as const, example: '"per-user";r=0;t=1' },
  },
};

/** The problems any authenticated call can meet: no valid token, too many requests, a dependency not answering. */
export const commonProblems = (unavailable: string) => ({
  401: problemResponse('Missing or invalid bearer token'),
  429: {
    ...problemResponse('More requests from this user than API_RATE_LIMIT per API_RATE_LIMIT_WINDOW (per API process)'),
    headers: { 'Retry-After': RETRY_AFTER, ...RATE_LIMIT_HEADERS },
  },
  503: { ...problemResponse(unavailable), headers: { 'Retry-After': { ...RETRY_AFTER, description: 'When given: seconds to wait before trying again' } } },
});

/** A resource named in the path that does not exist, or is not the caller's (the same answer). */
export const notYours = (what: string) => ({ 404: problemResponse(`No such ${what} (or not yours)`) });
