/**
 * Keeps what operators see of a video's workflow in step with its state: the search attributes
 * (`VideoStatus`, `VideoUserId`, `VideoStalled`, for Web UI and CLI queries) and the current
 * details. Search attributes are upserted only when one of them changed: each upsert is a
 * history event.
 */
import { setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { VideoState } from '../domain/video.js';
import { VideoStalledKey, VideoStatusKey, VideoUserIdKey } from './definitions.js';
import { currentDetails } from './details.js';

export class Visibility {
  private shown = { status: '', userId: '', stalled: false };

  show(video: VideoState): void {
    setCurrentDetails(currentDetails(video));
    const next = { status: video.status, userId: video.userId ?? '', stalled: video.stalled };
    if (next.status === this.shown.status && next.userId === this.shown.userId && next.stalled === this.shown.stalled) return;
    upsertSearchAttributes([
      { key: VideoStatusKey, value: video.status },
      { key: VideoStalledKey, value: video.stalled },
      ...(video.userId ? [{ key: VideoUserIdKey, value: video.userId }] : []),
    ]);
    this.shown = next;
  }
}
