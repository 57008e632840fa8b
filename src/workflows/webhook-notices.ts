/**
 * Hands the owner's webhook notices (the event types each committed change raised, with the
 * video after it) to the dispatch activity, which records one delivery per subscribed endpoint
 * and starts its workflow. Changes of status, stall and owner go out at once and in order: since
 * ONCE_PER_TASK, all those waiting in one call (a burst that takes a video from
 * uploaded to completed in one task costs one activity, not three).
 * Progress is sampled: at most one `video.progress` notice per PROGRESS_NOTICE_INTERVAL_MS, the
 * latest (a newer one replaces one still waiting), and one still waiting when another notice
 * comes is dropped: that notice carries the newer progress. Notices not yet dispatched when the
 * run continues as new are carried and dispatched again (the activity is idempotent).
 */
import { condition, log, patched } from '@temporalio/workflow';
import { isProgressOnly, type WebhookNotice } from '../domain/webhook-events.js';
import { dispatchWebhookNotices, dispatchWebhooks } from './activities.js';
import type { LocalActivityTurns } from './local-activity-turns.js';
import { ONCE_PER_TASK } from './patches.js';

/** At most one `video.progress` webhook per video this often. */
export const PROGRESS_NOTICE_INTERVAL_MS = 5_000;

export class WebhookNotices {
  private readonly videoId: string;
  private readonly queue: WebhookNotice[] = [];
  /** The latest progress sample, waiting for its turn. */
  private progress: WebhookNotice | undefined;
  private sending: WebhookNotice[] = [];
  private lastProgressAt = Number.NEGATIVE_INFINITY;

  private readonly turns: LocalActivityTurns;

  constructor(videoId: string, turns: LocalActivityTurns, carried: WebhookNotice[] = []) {
    this.videoId = videoId;
    this.turns = turns;
    for (const notice of carried) this.add(notice);
  }

  add(notice: WebhookNotice): void {
    if (isProgressOnly(notice)) {
      this.progress = notice;
      return;
    }
    this.progress = undefined;
    this.queue.push(notice);
  }

  /** Everything was dispatched. */
  get idle(): boolean {
    return this.queue.length === 0 && !this.progress && this.sending.length === 0;
  }

  /** What has not been dispatched yet, in order (to carry over a continue-as-new). */
  pending(): WebhookNotice[] {
    return [...this.sending, ...this.queue, this.progress].filter((n): n is WebhookNotice => n !== undefined);
  }

  async run(): Promise<never> {
    for (;;) {
      await condition(() => this.queue.length > 0 || this.progress !== undefined);
      if (this.queue.length === 0) {
        const wait = this.lastProgressAt + PROGRESS_NOTICE_INTERVAL_MS - Date.now();
        if (wait > 0) {
          await condition(() => this.queue.length > 0, wait);
          continue;
        }
      }
      const together = patched(ONCE_PER_TASK);
      const notices = this.queue.length === 0 ? [this.takeProgress()] : together ? this.queue.splice(0) : [this.queue.shift()!];
      this.sending = notices;
      try {
        await this.turns.take(() => (together ? dispatchWebhookNotices(notices) : dispatchWebhooks(notices[0]!)));
      } catch (err) {
        // Only a non-retryable failure gets here (Postgres refused the data).
        const refused = notices.map(({ types, video }) => ({ types, version: video.version }));
        log.error('webhook notices refused', { videoId: this.videoId, refused, error: String(err) });
      }
      this.sending = [];
    }
  }

  private takeProgress(): WebhookNotice {
    const notice = this.progress!;
    this.progress = undefined;
    this.lastProgressAt = Date.now();
    return notice;
  }
}
