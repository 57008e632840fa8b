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

/** The problems any authenticated call can meet: no valid token, a dependency not answering. */
export const commonProblems = (unavailable: string) => ({
  401: problemResponse('Missing or invalid bearer token'),
  503: problemResponse(unavailable),
});

/** A resource named in the path that does not exist, or is not the caller's (the same answer). */
export const notYours = (what: string) => ({ 404: problemResponse(`No such ${what} (or not yours)`) });
