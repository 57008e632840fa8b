/**
 * Keeps what operators see of a video's workflow in step with its state: the search attributes
 * (`VideoStatus`, `VideoUserId`, `VideoStalled`, for Web UI and CLI queries) and the current
 * details. Each upsert is a history event and a visibility write on the server, so search
 * attributes are upserted only when one of them changed, and (since ONCE_PER_TASK)
 * once per workflow task: a burst of events that moves a video through several statuses in one
 * task costs one upsert, of where it ended.
 */
import { condition, patched, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { VideoState } from '../domain/video.js';
import { VideoStalledKey, VideoStatusKey, VideoUserIdKey } from './definitions.js';
import { currentDetails } from './details.js';
import { ONCE_PER_TASK } from './patches.js';

export class Visibility {
  private shown = { status: '', userId: '', stalled: false };
  /** The state to show at the end of this task (once upserts are batched). */
  private wanted: VideoState | undefined;
  /** Upserts wait for the end of the task (workflows that started before it upsert at each change). */
  private batched: boolean | undefined;

  show(video: VideoState): void {
    setCurrentDetails(currentDetails(video));
    this.batched ??= patched(ONCE_PER_TASK);
    if (this.batched) this.wanted = video;
    else this.upsert(video);
  }

  /** Nothing waits to be shown. */
  get idle(): boolean {
    return this.wanted === undefined;
  }

  /** Upserts what changed in a task once the task's work is done (conditions are checked then). */
  async run(): Promise<never> {
    for (;;) {
      await condition(() => this.wanted !== undefined);
      const video = this.wanted!;
      this.wanted = undefined;
      this.upsert(video);
    }
  }

  private upsert(video: VideoState): void {
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
