/**
 * Sends what the stall rules and operators decided to send (alerts and reprocess commands)
 * through activities that retry for a while. Since PACED_COMMANDS, in two lanes, each in order:
 * alerts (handed to the alert digest at once) and reprocess commands (through the command task
 * queue, paced by the server at REPROCESS_RATE: a command may wait there in a storm, and an alert
 * such as `video.recovered` must not wait behind it). Before, one at a time in one lane, commands
 * on the workflow's own task queue. One that is still being sent when the run continues as new is
 * carried and sent again (both are idempotent for their receivers: a command's id is stable per
 * attempt, an alert hand-over is deduplicated by the digest within its run).
 */
import { condition, log, patched, workflowInfo } from '@temporalio/workflow';
import type { Dispatch } from '../domain/stall.js';
import { pacedRequestReprocess, requestReprocess, sendAlert } from './activities.js';
import { commandTaskQueueFor } from './definitions.js';
import { PACED_COMMANDS } from './patches.js';

type Lane = Dispatch['type'];

export class Outbox {
  private readonly videoId: string;
  private readonly queue: Dispatch[];
  private readonly sending = new Set<Dispatch>();

  constructor(videoId: string, carried: Dispatch[] = []) {
    this.videoId = videoId;
    this.queue = [...carried];
  }

  add(dispatches: Dispatch[]): void {
    this.queue.push(...dispatches);
  }

  /** Everything went out. */
  get idle(): boolean {
    return this.queue.length === 0 && this.sending.size === 0;
  }

  /** What has not gone out yet, in order (to carry over a continue-as-new). */
  pending(): Dispatch[] {
    return [...this.sending, ...this.queue];
  }

  async run(): Promise<never> {
    for (;;) {
      await condition(() => this.queue.length > 0);
      // Decided at the first dispatch (a run that never sends one records no marker).
      if (patched(PACED_COMMANDS)) return this.runLanes();
      await this.send(this.queue.shift()!, requestReprocess);
    }
  }

  private runLanes(): Promise<never> {
    const paced = pacedRequestReprocess(commandTaskQueueFor(workflowInfo().taskQueue));
    void this.runLane('alert', paced);
    return this.runLane('reprocess', paced);
  }

  private async runLane(lane: Lane, reprocess: typeof requestReprocess): Promise<never> {
    for (;;) {
      await condition(() => this.queue.some((d) => d.type === lane));
      const [dispatch] = this.queue.splice(this.queue.findIndex((d) => d.type === lane), 1);
      await this.send(dispatch!, reprocess);
    }
  }

  private async send(dispatch: Dispatch, reprocess: typeof requestReprocess): Promise<void> {
    this.sending.add(dispatch);
    try {
      if (dispatch.type === 'alert') await sendAlert(dispatch.alert);
      else await reprocess({ videoId: this.videoId, attempt: dispatch.attempt, reason: dispatch.reason });
    } catch (err) {
      log.error('gave up on an alert or command', { videoId: this.videoId, action: dispatch.type, error: String(err) });
    }
    this.sending.delete(dispatch);
  }
}
