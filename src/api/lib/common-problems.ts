/**
 * The problems that come from the app's shared layers rather than from one route (authentication,
 * the body checks, the error handler): declared on every operation they can reach, in one place,
 * so that the OpenAPI document lists every status a route can answer (the contract test holds the
 * API to it). A route's own, more specific description of a status wins.
 */
import { PROBLEM_CONTENT_TYPE } from './problem.js';

interface Operation {
  security?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}

interface CommonProblem {
  status: number;
  description: string;
  /** Whether an operation can meet it (method in upper case). */
  applies(operation: Operation, method: string): boolean;
}

const secured = (op: Operation) => (op.security?.length ?? 0) > 0;

/**
 * Add a shared layer's status here when it starts answering one (e.g. a rate limit's 429 on the
 * secured operations: `{ status: 429, description: 'Too many requests; see Retry-After', applies: secured }`).
 */
export const COMMON_PROBLEMS: CommonProblem[] = [
  { status: 401, description: 'Missing or invalid bearer token', applies: secured },
  { status: 413, description: 'The body is larger than the API accepts (API_BODY_LIMIT)', applies: (op) => secured(op) && op.requestBody !== undefined },
  {
    status: 415,
    description: 'The body is not sent as JSON (Content-Type: application/json)',
    applies: (op, method) => secured(op) && (op.requestBody !== undefined || method === 'POST'),
  },
  { status: 500, description: 'Internal error (logged with the request id)', applies: () => true },
  { status: 503, description: 'A dependency (Temporal, Postgres, the signing keys) is not answering; try again shortly', applies: secured },
];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The document with COMMON_PROBLEMS declared wherever they apply (a new object; the input is not changed). */
export function declareCommonProblems<D extends { paths?: object }>(document: D): D {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, Record<string, unknown>>)) {
    paths[path] = { ...item };
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      const responses = { ...operation.responses };
      for (const p of COMMON_PROBLEMS) {
        if (responses[p.status] || !p.applies(operation, method.toUpperCase())) continue;
        responses[p.status] = { description: p.description, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } } };
      }
      paths[path][method] = { ...operation, responses };
    }
  }
  return { ...document, paths };
}
