/**
 * Stuck videos: per-stage deadlines, alerts, self-repair and the final timeout, as pure
 * functions of the video's state and the time. The workflow keeps the timers; this decides.
 *
 * Schedule, for a video that stops hearing from the processing service:
 *   deadline passes       -> stalled: alert `video.stalled`, reprocess attempt 1 (if MAX_REPROCESS > 0)
 *   each stage period on  -> the next reprocess attempt, while attempts remain
 *   one period after that -> failed with TIMED_OUT, alert `video.timed_out`
 * While stalled, `video.stalled.repeat` every ALERT_REPEAT_AFTER. Any applied event re-arms the
 * deadline; a stalled video that moves on is `video.recovered`.
 */
import { formatDuration } from './duration.js';
import { failedVideo, isTerminal, type VideoState, type VideoStatus } from './video.js';

export interface StallPolicy {
  /** No processing.started this long after upload (STUCK_UPLOADED_AFTER). */
  uploadedAfterMs: number;
  /** No event this long while processing (STUCK_PROCESSING_AFTER). */
  processingAfterMs: number;
  /** Repeat the alert this often while stalled (ALERT_REPEAT_AFTER). */
  repeatAfterMs: number;
  /** Reprocess commands before giving up (MAX_REPROCESS; 0 = never). */
  maxReprocess: number;
}

export const ALERT_KINDS = ['video.stalled', 'video.stalled.repeat', 'video.recovered', 'video.timed_out'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface Alert {
  kind: AlertKind;
  videoId: string;
  userId: string | null;
  status: VideoStatus;
  stalledSince: string | null;
  deadline: string | null;
  /** One human sentence (shown as is by a Slack-compatible webhook). */
  text: string;
}

/** Something the workflow sends out through an activity: an alert, or a reprocess command. */
export type Dispatch =
  | { type: 'alert'; alert: Alert }
  | { type: 'reprocess'; attempt: number; reason: string };

/** A history line a stall decision adds (the workflow gives it its id and sequence number). */
export interface StallNote {
  type: string;
  reason: string;
  data: unknown;
}

/** What the stall rules decided: the video after, what to send out, and the history lines. */
export interface StallDecision {
  video: VideoState;
  dispatches: Dispatch[];
  notes: StallNote[];
}

export const TIMED_OUT = 'TIMED_OUT';

const iso = (ms: number) => new Date(ms).toISOString();
const at = (time: string) => Date.parse(time);

export function stageTimeoutMs(status: VideoStatus, policy: StallPolicy): number | null {
  if (status === 'uploaded') return policy.uploadedAfterMs;
  if (status === 'processing') return policy.processingAfterMs;
  return null;
}

/** The deadline of the current stage, counted from `now`. */
export function armStageDeadline(video: VideoState, now: string, policy: StallPolicy): VideoState {
  const timeout = stageTimeoutMs(video.status, policy);
  return { ...video, deadline: timeout === null ? null : iso(at(now) + timeout) };
}

function alert(video: VideoState, kind: AlertKind, text: string): Dispatch {
  const { videoId, userId, status, stalledSince, deadline } = video;
  return { type: 'alert', alert: { kind, videoId, userId, status, stalledSince, deadline, text } };
}

const waitingFor = (status: VideoStatus) =>
  status === 'uploaded' ? 'processing to start' : 'progress, completion or failure';

/** When the workflow must look again (deadline or next repeat), or null. */
export function nextWakeup(video: VideoState, policy: StallPolicy): number | null {
  if (isTerminal(video.status)) return null;
  const times: number[] = [];
  if (video.deadline) times.push(at(video.deadline));
  if (video.stalled && video.lastAlertAt) times.push(at(video.lastAlertAt) + policy.repeatAfterMs);
  return times.length ? Math.min(...times) : null;
}

/** After an event was applied: re-arm the stage deadline; a stalled video has recovered. */
export function afterEvent(before: VideoState, after: VideoState, now: string, policy: StallPolicy): StallDecision {
  let video = armStageDeadline({ ...after, lastEventAt: now }, now, policy);
  const dispatches: Dispatch[] = [];
  const notes: StallNote[] = [];
  if (before.stalled) {
    video = { ...video, stalled: false, lastAlertAt: null };
    const text = `Video ${video.videoId} is moving again (${video.status}) after being stalled since ${before.stalledSince}.`;
    dispatches.push(alert({ ...video, stalledSince: before.stalledSince }, 'video.recovered', text));
    notes.push({ type: 'vidproc.video.recovered', reason: `recovered (${video.status})`, data: { stalledSince: before.stalledSince } });
    video = { ...video, stalledSince: null };
  }
  return { video, dispatches, notes };
}

/** The time has come (`now` >= nextWakeup): stall, repeat, reprocess or time out. */
export function onWakeup(video: VideoState, now: string, policy: StallPolicy): StallDecision {
  const result: StallDecision = { video, dispatches: [], notes: [] };
  if (isTerminal(video.status)) return result;
  const nowMs = at(now);
  const timeout = stageTimeoutMs(video.status, policy)!;

  if (video.deadline && nowMs >= at(video.deadline)) {
    const quiet = `no ${waitingFor(video.status)} for ${formatDuration(timeout)}`;
    const attempts = video.reprocessAttempts;
    if (video.stalled && attempts >= policy.maxReprocess) {
      const message =
        policy.maxReprocess === 0
          ? `${quiet} (${video.status}); reprocessing is off`
          : `${quiet} (${video.status}) after ${attempts} reprocess attempt${attempts === 1 ? '' : 's'}`;
      const failed = failedVideo(video, { code: TIMED_OUT, message }, now, now);
      result.video = failed;
      result.dispatches.push(alert({ ...failed, stalledSince: video.stalledSince }, 'video.timed_out', `Video ${video.videoId} timed out and is marked failed: ${message}.`));
      result.notes.push({ type: 'vidproc.video.timed_out', reason: `timed out: ${message}`, data: { error: failed.error } });
      return result;
    }
    let next: VideoState = armStageDeadline(video, now, policy);
    if (!video.stalled) {
      next = { ...next, stalled: true, stalledSince: video.deadline, lastAlertAt: now };
      const repair = policy.maxReprocess > 0 ? `; asking for reprocessing (attempt 1 of ${policy.maxReprocess})` : '';
      result.dispatches.push(alert(next, 'video.stalled', `Video ${video.videoId} is stalled: ${quiet} (${video.status} since ${video.lastEventAt ?? video.createdAt})${repair}.`));
      result.notes.push({ type: 'vidproc.video.stalled', reason: `stalled: ${quiet}`, data: { deadline: video.deadline } });
    }
    if (attempts < policy.maxReprocess) {
      const attempt = attempts + 1;
      const reason = `stalled: ${quiet}`;
      next = { ...next, reprocessAttempts: attempt };
      result.dispatches.push({ type: 'reprocess', attempt, reason });
      result.notes.push({ type: 'vidproc.command.video.reprocess', reason: `reprocess requested (attempt ${attempt} of ${policy.maxReprocess})`, data: { attempt, reason } });
    }
    result.video = next;
    return result;
  }

  if (video.stalled && video.lastAlertAt && nowMs >= at(video.lastAlertAt) + policy.repeatAfterMs) {
    result.video = { ...video, lastAlertAt: now };
    result.dispatches.push(alert(video, 'video.stalled.repeat', `Video ${video.videoId} is still stalled (${video.status}) since ${video.stalledSince}.`));
  }
  return result;
}
