/**
 * What an operator sends for each action (zod): the fields the API documents and validates, the
 * CLI's options, and the request the workflow's update receives (the workflow checks it with checks
 * compiled from these schemas, see contract-checks.ts). What each action then does is in
 * operator-actions.ts, keyed by the same type.
 */
import { z } from 'zod';
import { DURATION_PATTERN } from './duration.js';
import { LIMITS } from './events.js';
import { text, withFormat } from './event-schemas.js';
import type { OperatorActionType } from './operator-action-types.js';

interface RequestDefinition {
  /** One line, for the CLI's help and the API's documentation. */
  summary: string;
  /** What the operator sends besides who they are (`by`). */
  fields: z.ZodRawShape;
  /** The field the CLI takes as a positional argument (the others are options). */
  positional?: string;
}

export const OPERATOR_REQUESTS = {
  retry: {
    summary: 'ask the processing service to process the video again, now',
    fields: {},
  },
  fail: {
    summary: 'mark the video failed',
    fields: { reason: text(LIMITS.errorMessage, 0).default('').describe('why (kept as the error message)') },
  },
  extend: {
    summary: "push the video's current deadline",
    fields: {
      // The pattern is what the API documents; the predicate (parseDuration) has the last word.
      duration: withFormat(
        'duration',
        z.string().regex(DURATION_PATTERN, { error: (issue) => `${JSON.stringify(issue.input)} is not a duration like 90s, 15m or 2h` }),
      ).describe('how much later, e.g. 30m, 2h'),
    },
    positional: 'duration',
  },
} as const satisfies Record<OperatorActionType, RequestDefinition>;

/** Who acts: kept in the video's history as `operator:<by>`. */
const bySchema = z
  .string({ error: 'say who you are (by)' })
  .max(LIMITS.userId)
  .regex(/\S/, 'say who you are (by)');

/** The whole request per action: who, and the action's fields. */
export const operatorRequestSchemas = {
  retry: z.object({ by: bySchema, ...OPERATOR_REQUESTS.retry.fields }),
  fail: z.object({ by: bySchema, ...OPERATOR_REQUESTS.fail.fields }),
  extend: z.object({ by: bySchema, ...OPERATOR_REQUESTS.extend.fields }),
} satisfies Record<OperatorActionType, z.ZodType>;

/** An operator's request as it travels (the update's argument): who, and the action's fields. */
export type OperatorRequestInput<T extends OperatorActionType> = z.input<(typeof operatorRequestSchemas)[T]>;
/** The same once checked (defaults applied). */
export type CheckedOperatorRequest<T extends OperatorActionType> = z.output<(typeof operatorRequestSchemas)[T]>;
/** A request for any action, tagged with its type (what the gateway and the CLI pass around). */
export type OperatorRequest = { [T in OperatorActionType]: { type: T } & OperatorRequestInput<T> }[OperatorActionType];
