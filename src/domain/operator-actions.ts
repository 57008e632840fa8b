/**
 * What an operator may do to a video, each action defined once: its input (one zod schema,
 * parsed the same way wherever it arrives), when it is refused, and what it does. The workflow's
 * update handlers and validators, the gateway, the CLI (and the HTTP API) are all driven by
 * OPERATOR_ACTIONS.
 */
import { z } from 'zod';
import { DURATION_PATTERN, formatDuration, parseDuration } from './duration.js';
import { describeIssues, LIMITS, text } from './events.js';
import { armStageDeadline, type StallDecision, type StallPolicy } from './stall.js';
import { failedVideo, isTerminal, type Principal, type VideoState } from './video.js';

export const FAILED_BY_OPERATOR = 'FAILED_BY_OPERATOR';

export type OperatorAction =
  | { type: 'retry' }
  | { type: 'fail'; reason: string }
  | { type: 'extend'; durationMs: number };

/** The longest an operator may push a deadline at once. */
export const MAX_EXTENSION_MS = 365 * 86_400_000;

/** A duration as operators write it (`30m`, `2h`), in milliseconds. */
const durationSchema = z
  .string()
  .regex(DURATION_PATTERN, { error: (issue) => `${JSON.stringify(issue.input)} is not a duration like 90s, 15m or 2h` })
  .transform((value, ctx) => {
    try {
      return parseDuration(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

interface ActionDefinition<Fields extends z.ZodRawShape> {
  /** One line, for the CLI's help and the API's documentation. */
  summary: string;
  /** What the operator sends besides who they are (`by`). */
  fields: Fields;
  /** The field the CLI takes as a positional argument (the others are options). */
  positional?: keyof Fields & string;
  toAction(input: z.output<z.ZodObject<Fields>>): OperatorAction;
}

const define = <Fields extends z.ZodRawShape>(definition: ActionDefinition<Fields>) => definition;

export const OPERATOR_ACTIONS = {
  retry: define({
    summary: 'ask the processing service to process the video again, now',
    fields: {},
    toAction: () => ({ type: 'retry' }),
  }),
  fail: define({
    summary: 'mark the video failed',
    fields: { reason: text(LIMITS.errorMessage, 0).default('').describe('why (kept as the error message)') },
    toAction: ({ reason }) => ({ type: 'fail', reason }),
  }),
  extend: define({
    summary: "push the video's current deadline",
    fields: { duration: durationSchema.describe('how much later, e.g. 30m, 2h') },
    positional: 'duration',
    toAction: ({ duration }) => ({ type: 'extend', durationMs: duration }),
  }),
};

export type OperatorActionType = keyof typeof OPERATOR_ACTIONS;
export const OPERATOR_ACTION_TYPES = Object.keys(OPERATOR_ACTIONS) as OperatorActionType[];

/** Who acts: kept in the video's history as `operator:<by>`. */
const bySchema = z
  .string({ error: 'say who you are (by)' })
  .max(LIMITS.userId)
  .refine((v) => v.trim() !== '', 'say who you are (by)');

type Fields<T extends OperatorActionType> = (typeof OPERATOR_ACTIONS)[T]['fields'];
const requestSchemas = Object.fromEntries(
  OPERATOR_ACTION_TYPES.map((type) => [type, z.object({ by: bySchema, ...OPERATOR_ACTIONS[type].fields })]),
) as unknown as Record<OperatorActionType, z.ZodType>;

/** An operator's request as it travels (the update's argument): who, and the action's fields. */
export type OperatorRequestInput<T extends OperatorActionType> = { by: string } & { [K in keyof Fields<T>]: z.input<Fields<T>[K]> };
/** A request for any action, tagged with its type (what the gateway and the CLI pass around). */
export type OperatorRequest = { [T in OperatorActionType]: { type: T } & OperatorRequestInput<T> }[OperatorActionType];

export type ParsedOperatorRequest = { ok: true; by: string; action: OperatorAction } | { ok: false; reason: string };

/** Parses a request for `type`: the one place its input is read. */
export function parseOperatorRequest(type: OperatorActionType, input: unknown): ParsedOperatorRequest {
  const parsed = requestSchemas[type].safeParse(input);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  const { by, ...fields } = parsed.data as { by: string };
  return { ok: true, by, action: (OPERATOR_ACTIONS[type].toAction as (input: unknown) => OperatorAction)(fields) };
}

/** Who may act on videos: operators only (the API checks it before it looks at the video). */
export function operatorRefusal(principal: Principal): string | null {
  return principal.operator ? null : 'only operators may act on videos';
}

/** Why the action makes no sense for this video now, or null. */
export function refuseOperatorAction(video: VideoState, action: OperatorAction): string | null {
  if (isTerminal(video.status)) return `video ${video.videoId} is already ${video.status}`;
  if (action.type === 'fail' && action.reason.trim() === '') return 'a reason is required';
  if (action.type === 'extend' && !(action.durationMs > 0)) return 'the extension must be a positive duration';
  return null;
}

/**
 * The limits added since actions were first recorded, checked only for an action not yet accepted
 * (the update's validator, whatever the video): a history recorded before a limit replays as it ran.
 */
export function operatorActionOverLimit(action: OperatorAction): string | null {
  // A deadline must stay a date: a huge extension broke the workflow's clock arithmetic (an invalid Date).
  if (action.type === 'extend' && action.durationMs > MAX_EXTENSION_MS) return `the extension must be at most ${formatDuration(MAX_EXTENSION_MS)}`;
  return null;
}

/** Applies an operator action (assumed not refused); `reason` is the history line's. */
export function applyOperatorAction(video: VideoState, action: OperatorAction, now: string, policy: StallPolicy): StallDecision & { reason: string } {
  switch (action.type) {
    case 'retry': {
      const attempt = video.reprocessAttempts + 1;
      return {
        video: armStageDeadline({ ...video, reprocessAttempts: attempt }, now, policy),
        dispatches: [{ type: 'reprocess', attempt, reason: 'requested by an operator' }],
        notes: [],
        reason: `reprocess requested (attempt ${attempt})`,
      };
    }
    case 'fail': {
      const failed = failedVideo(video, { code: FAILED_BY_OPERATOR, message: action.reason }, now, now);
      return { video: failed, dispatches: [], notes: [], reason: `failed by an operator: ${action.reason}` };
    }
    case 'extend': {
      const nowMs = Date.parse(now);
      const from = Math.max(video.deadline ? Date.parse(video.deadline) : nowMs, nowMs);
      const deadline = new Date(from + action.durationMs).toISOString();
      return { video: { ...video, deadline }, dispatches: [], notes: [], reason: `deadline extended by ${formatDuration(action.durationMs)} to ${deadline}` };
    }
  }
}
