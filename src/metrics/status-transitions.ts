/**
 * Which status a history line moved its video into, if any: what the status-transition counter
 * counts. Read from the line alone (the activity that writes the lines does not know the row it
 * replaces): its type and whether it was applied. Kept next to the rules that make the lines by
 * test/unit/status-transitions.test.ts, which applies events and checks every line against the
 * status change it made.
 */
import { EVENT_TYPES } from '../domain/events.js';
import type { HistoryRecord, VideoStatus } from '../domain/video.js';

/** The tracker's own lines that finish a video (src/domain/stall.ts, src/workflows/video-tracker.ts). */
const FAILING_NOTES = new Set(['vidproc.video.timed_out', 'vidproc.operator.fail']);

/** A progress event moves an `uploaded` video into processing (src/domain/video.ts words that line so). */
const STARTS_PROCESSING = /^processing at /;

export function statusEntered(record: Pick<HistoryRecord, 'seq' | 'type' | 'applied' | 'reason'>): VideoStatus[] {
  // Every video starts `uploaded`, at its first line, whatever that line is.
  const entered: VideoStatus[] = record.seq === 1 ? ['uploaded'] : [];
  if (!record.applied) return entered;
  switch (record.type) {
    case EVENT_TYPES.started:
      entered.push('processing');
      break;
    case EVENT_TYPES.progress:
      if (STARTS_PROCESSING.test(record.reason)) entered.push('processing');
      break;
    case EVENT_TYPES.completed:
      entered.push('completed');
      break;
    case EVENT_TYPES.failed:
      entered.push('failed');
      break;
    default:
      if (FAILING_NOTES.has(record.type)) entered.push('failed');
  }
  return entered;
}
