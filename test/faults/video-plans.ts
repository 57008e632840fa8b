/**
 * What the fault suite publishes for each video, and what the video must end as: uploaded,
 * started, progress 30 and 60, then completed (nine in ten) or failed. A third of the videos get
 * their events in order, a third shuffled, a third reversed; every fourth gets its uploaded event
 * twice at once and its started and final events again at the end (same ids: a redelivery).
 * Each video's messages go out in two parts some seconds apart, so that many videos are in flight
 * when a fault strikes.
 */
import type { VideoEvent } from '../../src/domain/event-schemas.js';
import { ev } from '../support/events.js';

export interface VideoPlan {
  videoId: string;
  userId: string;
  /** Every message, in publish order (a duplicate is the same event published again). */
  messages: VideoEvent[];
  /** How many of `messages` go out in the first part. */
  firstPart: number;
  /** The event that decides the end. */
  final: VideoEvent;
  expected: { status: 'completed'; imagesUrl: string; frameCount: number } | { status: 'failed'; errorCode: string };
}

export function planVideo(prefix: string, i: number): VideoPlan {
  const videoId = `${prefix}-${i}`;
  const userId = `faults-user-${i % 7}`;
  const uploaded = ev.uploaded(videoId, userId, `${videoId}.mov`);
  const started = ev.started(videoId);
  const p30 = ev.progress(videoId, 30);
  const p60 = ev.progress(videoId, 60);
  const fails = i % 10 === 9;
  const imagesUrl = `s3://frames/${videoId}.zip`;
  const frameCount = 100 + (i % 50);
  const final = fails ? ev.failed(videoId, 'DECODE_ERROR', 'cannot decode stream') : ev.completed(videoId, imagesUrl, frameCount);
  const inOrder = [uploaded, started, p30, p60, final];
  const messages = i % 3 === 0 ? inOrder : i % 3 === 1 ? [p60, uploaded, p30, final, started] : inOrder.slice().reverse();
  if (i % 4 === 0) {
    messages.splice(messages.indexOf(uploaded) + 1, 0, uploaded);
    messages.push(started, final);
  }
  return {
    videoId,
    userId,
    messages,
    firstPart: 3,
    final,
    expected: fails ? { status: 'failed', errorCode: 'DECODE_ERROR' } : { status: 'completed', imagesUrl, frameCount },
  };
}

/** A probe: uploaded, started, completed in order, published at once (a recovery is timed by it). */
export function planProbe(videoId: string): VideoPlan {
  const imagesUrl = `s3://frames/${videoId}.zip`;
  const final = ev.completed(videoId, imagesUrl, 1);
  return {
    videoId,
    userId: 'faults-probe',
    messages: [ev.uploaded(videoId, 'faults-probe', `${videoId}.mov`), ev.started(videoId), final],
    firstPart: 3,
    final,
    expected: { status: 'completed', imagesUrl, frameCount: 1 },
  };
}
