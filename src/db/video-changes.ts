/**
 * Changes of the projection, announced to every API instance through Postgres LISTEN/NOTIFY, so
 * a live stream (SSE) follows a video whichever instance its client reached: written by the
 * projection's upsert in its own transaction (delivered at commit, so a listener that reads the
 * row sees at least that version), read by one listening connection per API process.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { Logger } from '../logger.js';

const CHANNEL = 'vidproc_video_changes';

/** What a listener is told: which video, whose, which version, and its place in the order of changes. */
export interface VideoChange {
  videoId: string;
  userId: string | null;
  version: number;
  changeSeq: number;
}

/** Announces the row as it is now in this transaction. */
export async function announceChange(tx: EntityManager, videoId: string): Promise<void> {
  await tx.execute(
    `select pg_notify('${CHANNEL}', json_build_object('videoId', video_id, 'userId', user_id, 'version', version, 'changeSeq', change_seq)::text)
       from videos where video_id = ?`,
    [videoId],
  );
}

export interface VideoChangeFeed {
  /** Calls `listener` with each change; `resync` after a reconnect (changes may have been missed). */
  subscribe(listener: { change(change: VideoChange): void; resync(): void }): () => void;
  /** Listening now. */
  connected(): boolean;
  close(): Promise<void>;
}

const RECONNECT = { initialMs: 200, maxMs: 10_000 };

/** One listening connection for this process, reconnecting with backoff until closed. */
export function openVideoChangeFeed(databaseUrl: string, logger: Logger): VideoChangeFeed {
  const log = logger.child({ component: 'video-changes' });
  const listeners = new Set<{ change(change: VideoChange): void; resync(): void }>();
  let client: pg.Client | undefined;
  let closed = false;
  let everConnected = false;
  let delay = RECONNECT.initialMs;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    const next = new pg.Client({ connectionString: databaseUrl, application_name: 'vidproc video changes' });
    next.on('error', (err) => log.warn({ err }, 'video change feed connection error'));
    next.on('end', () => {
      if (client !== next) return; // a connection that never got going: its failure schedules the retry
      client = undefined;
      if (!closed) schedule();
    });
    next.on('notification', (msg) => {
      if (msg.channel !== CHANNEL || !msg.payload) return;
      let change: VideoChange;
      try {
        change = JSON.parse(msg.payload) as VideoChange;
      } catch (err) {
        log.warn({ err, payload: msg.payload }, 'unreadable video change');
        return;
      }
      for (const listener of listeners) listener.change(change);
    });
    try {
      await next.connect();
      await next.query(`listen ${CHANNEL}`);
    } catch (err) {
      log.warn({ err, retryInMs: delay }, 'cannot listen for video changes; retrying');
      await next.end().catch(() => undefined);
      if (!closed) schedule();
      return;
    }
    if (closed) return void next.end().catch(() => undefined);
    client = next;
    delay = RECONNECT.initialMs;
    if (everConnected) {
      log.info('listening for video changes again');
      for (const listener of listeners) listener.resync();
    }
    everConnected = true;
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void connect(), delay);
    delay = Math.min(delay * 2, RECONNECT.maxMs);
  };
  void connect();

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    connected: () => client !== undefined,
    async close() {
      closed = true;
      clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
