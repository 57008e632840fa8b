/**
 * Writes a video's projection to Postgres from its workflow: status and metadata changes at
 * once, progress-only changes batched (at most every PROGRESS_PERSIST_INTERVAL_MS), so a flood of
 * progress events costs few writes while the live streams, fed by those writes, still see
 * progress within about a second. Records being written when the run continues as new are
 * carried with the unsaved ones and written again (the write is idempotent).
 */
import { condition, log, patched } from '@temporalio/workflow';
import type { RunStart } from '../activities/index.js';
import type { HistoryRecord, VideoState } from '../domain/video.js';
import { recordVideo } from './activities.js';
import type { LocalActivityTurns } from './local-activity-turns.js';
import { PROGRESS_EVERY_SECOND } from './patches.js';
import { inTrace } from './trace-context.js';

/** Progress-only changes are written to Postgres (and so reach the live streams) at most this often per video. */
export const PROGRESS_PERSIST_INTERVAL_MS = 1_000;
/** The interval before the live streams: workflows that started then replay with it. */
const PROGRESS_PERSIST_INTERVAL_BEFORE_STREAMS_MS = 5_000;
const progressInterval = () =>
  patched(PROGRESS_EVERY_SECOND) ? PROGRESS_PERSIST_INTERVAL_MS : PROGRESS_PERSIST_INTERVAL_BEFORE_STREAMS_MS;

export class ProjectionWriter {
  private readonly videoId: string;
  /** The video as it is now (the row written with each batch). */
  private readonly video: () => VideoState;
  private unsaved: HistoryRecord[];
  private writing: HistoryRecord[] = [];
  /** One of the unsaved records must be written now. */
  private urgent: boolean;
  private lastFlushAt = 0;
  /** The trace of the first change waiting to be written (tracing on): its write joins it. */
  private unsavedTrace: unknown;
  /** Set while the workflow is closing: write at once instead of batching progress. */
  closing = false;
  /** What this run started from, when it loaded the video (every write carries it). */
  private runStart: RunStart | undefined;
  /** The video as the projection's row last took it (a write succeeded, or this run loaded it). */
  written: VideoState | undefined;
  /** The video as the write under way gives it to the row (until it succeeds or is given up). */
  inFlight: VideoState | undefined;

  private readonly turns: LocalActivityTurns;

  constructor(videoId: string, video: () => VideoState, turns: LocalActivityTurns, carried: HistoryRecord[] = []) {
    this.videoId = videoId;
    this.video = video;
    this.turns = turns;
    this.unsaved = carried;
    this.urgent = carried.length > 0;
  }

  startedFrom(run: RunStart): void {
    this.runStart = run;
    this.written = run.base ?? undefined;
  }

  add(records: HistoryRecord[], urgent: boolean, trace?: unknown): void {
    if (records.length > 0) this.unsavedTrace ??= trace;
    this.unsaved.push(...records);
    if (urgent) this.urgent = true;
  }

  /** Everything is in Postgres. */
  get idle(): boolean {
    return this.unsaved.length === 0 && this.writing.length === 0;
  }

  /** What is not known to be in Postgres, oldest first (to carry over a continue-as-new). */
  pending(): HistoryRecord[] {
    return [...this.writing, ...this.unsaved];
  }

  async run(): Promise<never> {
    for (;;) {
      await condition(() => this.unsaved.length > 0);
      if (!this.urgent && !this.closing) {
        const wait = this.lastFlushAt + progressInterval() - Date.now();
        if (wait > 0) await condition(() => this.urgent || this.closing, wait);
      }
      this.writing = this.unsaved;
      this.unsaved = [];
      this.urgent = false;
      const trace = this.unsavedTrace;
      this.unsavedTrace = undefined;
      await inTrace(trace, () => this.write(this.writing));
      this.writing = [];
      this.lastFlushAt = Date.now();
    }
  }

  /** Writes one batch with the video as it is now, which is in flight until the write ends. */
  private async write(records: HistoryRecord[]): Promise<void> {
    const video = this.video();
    this.inFlight = video;
    try {
      await this.recordWith(video, records);
    } finally {
      this.inFlight = undefined;
    }
  }

  /** A batch Postgres refuses is logged and the row is written without it. */
  private async recordWith(video: VideoState, records: HistoryRecord[]): Promise<void> {
    try {
      await this.turns.take(() => recordVideo({ video, records, ...(this.runStart && { run: this.runStart }) }));
      this.written = video;
    } catch (err) {
      // Only a non-retryable failure gets here (the data was refused; the edge limits should
      // prevent it). Keep the projection's row in step at least.
      log.error('projection write refused; retrying without its history records', {
        videoId: this.videoId,
        error: String(err),
        eventIds: records.map((r) => r.eventId),
      });
      try {
        await this.turns.take(() => recordVideo({ video, records: [], ...(this.runStart && { run: this.runStart }) }));
        this.written = video;
      } catch (rowErr) {
        log.error('projection row refused', { videoId: this.videoId, error: String(rowErr) });
      }
    }
  }
}
