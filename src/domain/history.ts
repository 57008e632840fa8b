/** A video's history lines, built in one place for events and for the tracker's own notes. */

/** One line of a video's history: an event and what the machine did with it. */
export interface HistoryRecord {
  /** 1-based position in the video's history (equals the state's version after it). */
  seq: number;
  eventId: string;
  type: string;
  source: string;
  eventTime: string;
  receivedAt: string;
  applied: boolean;
  /** Why it was ignored, or what it changed. */
  reason: string;
  data: unknown;
}

/** What happened: an event, or something the tracker did itself. */
export type Happening = Pick<HistoryRecord, 'eventId' | 'type' | 'source' | 'eventTime' | 'data'>;

/**
 * The history line at position `seq`. Fields are copied one by one, not spread: events and notes
 * carry more than a line keeps (subject, specversion...), and lines travel through Temporal into
 * Postgres.
 */
export function historyRecord(seq: number, what: Happening, outcome: Pick<HistoryRecord, 'applied' | 'reason'>, receivedAt: string): HistoryRecord {
  const { eventId, type, source, eventTime, data } = what;
  return { seq, eventId, type, source, eventTime, receivedAt, applied: outcome.applied, reason: outcome.reason, data };
}
