/**
 * Hands the owner's webhook notices (the event types each committed change raised, with the
 * video after it) to the dispatch activity, which records one delivery per subscribed endpoint
 * and starts its workflow. Changes of status, stall and owner go out at once and in order.
 * Progress is sampled: at most one `video.progress` notice per PROGRESS_NOTICE_INTERVAL_MS, the
 * latest (a newer one replaces one still waiting), and one still waiting when another notice
 * comes is dropped: that notice carries the newer progress. Notices not yet dispatched when the
 * run continues as new are carried and dispatched again (the activity is idempotent).
 */
import { condition, log } from '@temporalio/workflow';
import { isProgressOnly, type WebhookNotice } from '../domain/webhook-events.js';
import { dispatchWebhooks } from './activities.js';

/** At most one `video.progress` webhook per video this often. */
export const PROGRESS_NOTICE_INTERVAL_MS = 5_000;

export class WebhookNotices {
  private readonly videoId: string;
  private readonly queue: WebhookNotice[] = [];
  /** The latest progress sample, waiting for its turn. */
  private progress: WebhookNotice | undefined;
  private sending: WebhookNotice | undefined;
  private lastProgressAt = Number.NEGATIVE_INFINITY;

  constructor(videoId: string, carried: WebhookNotice[] = []) {
    this.videoId = videoId;
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
    return this.queue.length === 0 && !this.progress && !this.sending;
  }

  /** What has not been dispatched yet, in order (to carry over a continue-as-new). */
  pending(): WebhookNotice[] {
    return [this.sending, ...this.queue, this.progress].filter((n): n is WebhookNotice => n !== undefined);
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
      const notice = this.queue.shift() ?? this.takeProgress();
      this.sending = notice;
      try {
        await dispatchWebhooks(notice);
      } catch (err) {
        // Only a non-retryable failure gets here (Postgres refused the data).
        log.error('webhook notice refused', { videoId: this.videoId, types: notice.types, version: notice.video.version, error: String(err) });
      }
      this.sending = undefined;
    }
  }

  private takeProgress(): WebhookNotice {
    const notice = this.progress!;
    this.progress = undefined;
    this.lastProgressAt = Date.now();
    return notice;
  }
}
