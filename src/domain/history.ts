/** A video's history lines, built in one place for events and for the tracker's own notes. */
import type { HistoryRecord, Outcome } from './video.js';

/** What happened: an event, or something the tracker did itself. */
export type Happening = Pick<HistoryRecord, 'eventId' | 'type' | 'source' | 'eventTime' | 'data'>;

/**
 * The history line at position `seq`. Fields are copied one by one, not spread: events and notes
 * carry more than a line keeps (subject, specversion...), and lines travel through Temporal into
 * Postgres.
 */
export function historyRecord(seq: number, what: Happening, outcome: Pick<Outcome, 'applied' | 'reason'>, receivedAt: string): HistoryRecord {
  const { eventId, type, source, eventTime, data } = what;
  return { seq, eventId, type, source, eventTime, receivedAt, applied: outcome.applied, reason: outcome.reason, data };
}
