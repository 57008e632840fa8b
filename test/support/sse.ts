/** A real SSE client (the `eventsource` package) against a real HTTP server, collecting `video` events. */
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { EventSource } from 'eventsource';
import type { Api } from '../../src/api/app.js';

export interface Served {
  url: string;
  close(): Promise<void>;
}

export function serveApi(app: Api): Promise<Served> {
  return new Promise((resolve) => {
    const server: ServerType = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    );
  });
}

export interface ReceivedEvent {
  id: string;
  data: Record<string, unknown>;
  at: number;
}

export interface StreamClient {
  events: ReceivedEvent[];
  /** Opened at least once; errors (with their HTTP status) as the client saw them. */
  opened(): boolean;
  errors: Array<{ code?: number | undefined; message?: string | undefined }>;
  close(): void;
}

/** Follows `url` with a bearer token (and a Last-Event-ID, as a client resuming would send). */
export function follow(url: string, token: string, lastEventId?: string): StreamClient {
  const events: ReceivedEvent[] = [];
  const errors: StreamClient['errors'] = [];
  let opened = false;
  const source = new EventSource(url, {
    fetch: (input, init) =>
      fetch(input, {
        ...init,
        headers: {
          ...init.headers,
          Authorization: `Bearer ${token}`,
          ...(lastEventId !== undefined && !('Last-Event-ID' in (init.headers ?? {})) ? { 'Last-Event-ID': lastEventId } : {}),
        },
      }),
  });
  source.addEventListener('open', () => (opened = true));
  source.addEventListener('video', (event: { lastEventId: string; data: string }) =>
    events.push({ id: event.lastEventId, data: JSON.parse(event.data) as Record<string, unknown>, at: Date.now() }),
  );
  source.addEventListener('error', (err) => errors.push({ code: err.code, message: err.message }));
  return { events, errors, opened: () => opened, close: () => source.close() };
}
