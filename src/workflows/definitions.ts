/**
 * The video workflow's public surface: its id scheme, messages and search attributes.
 * Shared by the workflow, the worker, the bridge and the API (import-safe everywhere).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { VideoEventInput } from '../domain/events.js';
import type { WatchAction } from '../domain/stall.js';
import type { TrackerState, HistoryRecord, VideoView } from '../domain/video.js';

export const workflowIdFor = (videoId: string) => `video-${videoId}`;

/** A processing-service event (a CloudEvent, validated again by the workflow). */
export const eventSignal = defineSignal<[VideoEventInput]>('event');

/** The video's view (API contract). */
export const getStatusQuery = defineQuery<VideoView>('getStatus');

export interface RegisterInput {
  userId: string;
  fileName?: string;
}
export interface RegisterResult {
  /** True when this registration made the caller the owner (a new video for them). */
  created: boolean;
  view: VideoView;
}
/** An upload registered through the API; refused when another user owns the video. */
export const registerUpdate = defineUpdate<RegisterResult, [RegisterInput]>('register');

export const VIDEO_OWNED_BY_ANOTHER_USER = 'VideoOwnedByAnotherUser';

/** Operator actions (Temporal updates with validators); `by` is who did it, kept in the history. */
export const retryUpdate = defineUpdate<VideoView, [{ by: string }]>('retry');
export const failUpdate = defineUpdate<VideoView, [{ by: string; reason: string }]>('fail');
export const extendUpdate = defineUpdate<VideoView, [{ by: string; duration: string }]>('extend');
export const OPERATOR_ACTION_REFUSED = 'OperatorActionRefused';

export const VideoStatusKey = defineSearchAttributeKey('VideoStatus', SearchAttributeType.KEYWORD);
export const VideoUserIdKey = defineSearchAttributeKey('VideoUserId', SearchAttributeType.KEYWORD);
export const VideoStalledKey = defineSearchAttributeKey('VideoStalled', SearchAttributeType.BOOL);
export const videoSearchAttributes = [VideoStatusKey, VideoUserIdKey, VideoStalledKey];

export interface VideoWorkflowInput {
  videoId: string;
  /** State carried over a continue-as-new. */
  carried?: { tracker: TrackerState; unsaved: HistoryRecord[]; outbox?: WatchAction[] };
  /** How long to stay open once terminal (defaults to TERMINAL_LINGER_MS). */
  lingerMs?: number;
  /** Continue-as-new after this many history events (defaults to CONTINUE_AS_NEW_AFTER_EVENTS). */
  continueAsNewAfterEvents?: number;
}
