/**
 * What an operator may do to a video: when an action is refused and what it does, one entry per
 * action type. What the operator sends for each (the fields, documented and validated) is in
 * operator-requests.ts; this module stays free of zod because the workflow imports it.
 */
import { checkOperatorRequest } from './contract-checks.js';
import type { OperatorActionType } from './operator-action-types.js';
import { formatDuration, parseDuration, parseRecordedDuration } from './duration.js';
import type { CheckedOperatorRequest } from './operator-requests.js';
import { armStageDeadline, type StallDecision, type StallPolicy } from './stall.js';
import { failedVideo, isTerminal, type Principal, type VideoState } from './video.js';

export const FAILED_BY_OPERATOR = 'FAILED_BY_OPERATOR';

export { OPERATOR_ACTION_TYPES, type OperatorActionType } from './operator-action-types.js';

export type OperatorAction =
  | { type: 'retry' }
  | { type: 'fail'; reason: string }
  | { type: 'extend'; durationMs: number };

/** The longest an operator may push a deadline at once. */
export const MAX_EXTENSION_MS = 365 * 86_400_000;

/** The action a checked request asks for. */
const TO_ACTION: { [T in OperatorActionType]: (request: CheckedOperatorRequest<T>) => OperatorAction } = {
  retry: () => ({ type: 'retry' }),
  fail: ({ reason }) => ({ type: 'fail', reason }),
  extend: ({ duration }) => ({ type: 'extend', durationMs: parseDuration(duration) }),
};

export type ParsedOperatorRequest = { ok: true; by: string; action: OperatorAction } | { ok: false; reason: string };

/** Reads a request for `type` (the update's argument): the one place its input becomes an action. */
export function parseOperatorRequest(type: OperatorActionType, input: unknown): ParsedOperatorRequest {
  const checked = checkOperatorRequest(type, input);
  if (!checked.ok) return checked;
  const toAction = TO_ACTION[type] as (request: CheckedOperatorRequest<OperatorActionType>) => OperatorAction;
  return { ok: true, by: checked.request.by, action: toAction(checked.request) };
}

/**
 * Reads a request that was accepted when it was made (the update's handler, which runs again on
 * replay, unlike its validator): as parseOperatorRequest, except that a duration is read by the
 * rule of its day (parseRecordedDuration), so an `extend` accepted before durations were bounded
 * replays as it ran instead of being refused.
 */
export function readAcceptedOperatorRequest(type: OperatorActionType, input: unknown): ParsedOperatorRequest {
  const parsed = parseOperatorRequest(type, input);
  if (parsed.ok || type !== 'extend' || typeof input !== 'object' || input === null) return parsed;
  const { duration } = input as { duration?: unknown };
  if (typeof duration !== 'string') return parsed;
  let durationMs: number;
  try {
    durationMs = parseRecordedDuration(duration);
  } catch {
    return parsed;
  }
  // Everything else checked as today, with a duration that passes in its place.
  const rest = parseOperatorRequest(type, { ...input, duration: '1s' });
  return rest.ok ? { ok: true, by: rest.by, action: { type: 'extend', durationMs } } : parsed;
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
