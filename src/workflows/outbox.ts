/**
 * Sends what the stall rules and operators decided to send (alerts and reprocess commands), one
 * at a time and in order, through activities that retry for up to an hour. One that is still
 * being sent when the run continues as new is carried and sent again (both are idempotent for
 * their receivers: a command's id is stable per attempt).
 */
import { condition, log } from '@temporalio/workflow';
import type { Dispatch } from '../domain/stall.js';
import { requestReprocess, sendAlert } from './activities.js';

export class Outbox {
  private readonly videoId: string;
  private readonly queue: Dispatch[];
  private sending: Dispatch | undefined;

  constructor(videoId: string, carried: Dispatch[] = []) {
    this.videoId = videoId;
    this.queue = [...carried];
  }

  add(dispatches: Dispatch[]): void {
    this.queue.push(...dispatches);
  }

  /** Everything went out. */
  get idle(): boolean {
    return this.queue.length === 0 && !this.sending;
  }

  /** What has not gone out yet, in order (to carry over a continue-as-new). */
  pending(): Dispatch[] {
    return [...(this.sending ? [this.sending] : []), ...this.queue];
  }

  async run(): Promise<never> {
    for (;;) {
      await condition(() => this.queue.length > 0);
      const dispatch = this.queue.shift()!;
      this.sending = dispatch;
      try {
        if (dispatch.type === 'alert') await sendAlert(dispatch.alert);
        else await requestReprocess({ videoId: this.videoId, attempt: dispatch.attempt, reason: dispatch.reason });
      } catch (err) {
        log.error('gave up on an alert or command', { videoId: this.videoId, action: dispatch.type, error: String(err) });
      }
      this.sending = undefined;
    }
  }
}
