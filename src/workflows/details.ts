/**
 * What the Temporal Web UI shows for a video's workflow as its "current details": the status in
 * words, then the stage, the last event and the deadline while the video is in flight.
 */
import { isTerminal, type VideoState } from '../domain/video.js';

function statusLine(video: VideoState): string {
  switch (video.status) {
    case 'uploaded':
      return `Uploaded${video.fileName ? ` (${video.fileName})` : ''}; waiting for processing to start.`;
    case 'processing':
      return `Processing: ${video.progress ?? 0}% done (last update ${video.updatedAt}).`;
    case 'completed':
      return `Completed at ${video.completedAt}; images at ${video.imagesUrl}.`;
    case 'failed':
      return `Failed at ${video.completedAt}: ${video.error?.code} ${video.error?.message}`;
  }
}

function stageLine(video: VideoState): string {
  if (isTerminal(video.status)) return '';
  const last = video.lastEventAt ? `last event ${video.lastEventAt}` : `registered ${video.createdAt}`;
  const state = video.stalled ? `STALLED since ${video.stalledSince}` : `deadline ${video.deadline ?? 'none'}`;
  return ` Stage ${video.status}; ${last}; ${state}; reprocess attempts ${video.reprocessAttempts}.`;
}

export function currentDetails(video: VideoState): string {
  return statusLine(video) + stageLine(video);
}
