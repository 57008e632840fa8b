/** RFC 9457 problem details: every error the API returns has this shape. */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const problemSchema = z
  .object({
    type: z.string().openapi({ example: 'about:blank' }),
    title: z.string().openapi({ example: 'Not Found' }),
    status: z.number().int().openapi({ example: 404 }),
    detail: z.string().optional().openapi({ example: 'no video with id "abc"' }),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof problemSchema>;

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An error that becomes a problem response in the app's one error handler. */
export class HttpProblem extends Error {
  readonly status: ContentfulStatusCode;
  readonly extra: Partial<Problem> & Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    detail: string,
    extra: Partial<Problem> & Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'HttpProblem';
    this.status = status;
    this.extra = extra;
    this.headers = headers;
  }
}

/**
 * Seconds a client is asked to wait (Retry-After) after a 503 because Temporal or Postgres did not
 * answer: long enough for a query the read left running to finish and serve the next read, short
 * enough that a video in flight is soon seen again.
 */
export const DEPENDENCY_RETRY_AFTER_S = 1;

/** The 503 of a dependency that did not answer (`Temporal`, `Postgres`): with Retry-After. */
export const dependencyDown = (dependency: string) =>
  new HttpProblem(503, `${dependency} is not answering; try again shortly`, {}, { 'Retry-After': String(DEPENDENCY_RETRY_AFTER_S) });

export function problem(c: Context, status: ContentfulStatusCode, detail?: string, extra: Record<string, unknown> = {}) {
  const body = {
    type: 'about:blank',
    title: TITLES[status] ?? 'Error',
    status,
    ...(detail ? { detail } : {}),
    instance: c.req.path,
    ...extra,
  };
  return c.body(JSON.stringify(body), status, { 'Content-Type': PROBLEM_CONTENT_TYPE });
}

/** OpenAPI response entry for a problem. */
export const problemResponse = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } },
});
