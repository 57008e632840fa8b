/**
 * The `overload` phase of `npm run bench` (issue 10, item 2): 200 concurrent readers, 100 on
 * videos in flight and 100 on finished ones, while progress events flow to the videos in flight,
 * and one greedy user past the rate limit beside them. For each setting in BENCH_OVERLOAD_BOUNDS
 * (default `off,16`; a bound may carry its patience: `16/250ms`) an API process of its own is started (bench/stack.ts's environment, plus
 * API_MAX_CONCURRENT_QUERIES and LIVE_VIEW_PATIENCE; `off`: no bound, and reads wait for the
 * workflow the whole query timeout, as before the bound) and loaded for BENCH_DURATION_S.
 *
 * Reported per setting and kind: req/s, latency p50 / p99 (autocannon), the share of answers per
 * X-Status-Source (and X-Status-Fallback), the largest X-Status-Age per source, and whether each
 * age was true: a projection's view of a video in flight must be as old as its row (now -
 * updatedAt of the body, between the request's send and its receipt), a workflow's at most
 * X-Status-Max-Age plus the request's own time (a query the read waited for answered after it came).
 * Rate limits: every reader is a user of its own (tokens in turn, BENCH_RATE_LIMIT per second
 * each, default 500); the greedy user reads with BENCH_GREEDY_CONNECTIONS (8) connections. Every
 * 429 is checked against the limit: the same user must have had at least the limit accepted in
 * the window before it (by the times the requests were sent), else it counts as "early".
 */
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { signDevToken } from '../src/api/lib/auth.js';
import { EVENT_TYPES } from '../src/domain/events.js';
import type { VideoEventInput } from '../src/domain/event-schemas.js';
import { freePort, int, spawnVidproc, stopProcess, until } from './stack.js';

const READERS_PER_KIND = 100;
const RATE_LIMIT = int('BENCH_RATE_LIMIT', 500);
const RATE_WINDOW_MS = 1_000;
const GREEDY_CONNECTIONS = int('BENCH_GREEDY_CONNECTIONS', 8);
/** Progress events per second to the videos in flight, during the load. */
const EVENTS_PER_S = int('BENCH_OVERLOAD_EVENTS', 100);
/** Slack for the clocks when checking ages and 429s (ms): whole-millisecond headers, send vs count times. */
const SLACK_MS = 50;

export interface OverloadDeps {
  /** The stack's environment for vidproc processes (bench/stack.ts). */
  env: Record<string, string>;
  secret: string;
  inFlight: string[];
  finished: string[];
  publish(event: VideoEventInput): void;
  confirm(): Promise<void>;
  event(videoId: string, type: VideoEventInput['type'], data: Record<string, unknown>): VideoEventInput;
  durationS: number;
}

/** What one kind of reader saw. */
interface Seen {
  /** Whether its answers are views of videos in flight (whose projection ages can be checked against the body). */
  inFlight: boolean;
  sources: Map<string, number>;
  maxAge: Map<string, number>;
  /** Ages found untrue, per source. */
  untrue: Map<string, number>;
  status: Map<number, number>;
}

const newSeen = (inFlight: boolean): Seen => ({ inFlight, sources: new Map(), maxAge: new Map(), untrue: new Map(), status: new Map() });
const bump = (map: Map<string | number, number>, key: string | number, by = 1) => map.set(key, (map.get(key) ?? 0) + by);

/** Each user's requests: when each was sent, and whether it was refused (429). */
type UserLog = Map<string, Array<{ sentAt: number; limited: boolean }>>;

interface ReaderContext {
  user?: string;
  /** performance.now() and Date.now() when the request was sent. */
  sentAt?: number;
  sentWall?: number;
}

interface Setting {
  name: string;
  env: Record<string, string>;
}

/** BENCH_OVERLOAD_BOUNDS: `off`, or a bound with an optional patience (`16`, `16/250ms`). */
const settings = (): Setting[] =>
  (process.env.BENCH_OVERLOAD_BOUNDS ?? 'off,16').split(',').map((raw): Setting => {
    const name = raw.trim();
    if (name === 'off') return { name: 'no bound, reads wait up to the query timeout (as before)', env: { API_MAX_CONCURRENT_QUERIES: '10000', LIVE_VIEW_PATIENCE: '2s' } };
    const [boundText, patience = process.env.LIVE_VIEW_PATIENCE ?? '500ms'] = name.split('/');
    const bound = Number.parseInt(boundText ?? '', 10);
    if (!(bound >= 1)) throw new Error(`BENCH_OVERLOAD_BOUNDS: "${name}" is neither "off" nor a number of queries (with a patience: 16/250ms)`);
    return { name: `API_MAX_CONCURRENT_QUERIES=${bound}, LIVE_VIEW_PATIENCE=${patience}`, env: { API_MAX_CONCURRENT_QUERIES: String(bound), LIVE_VIEW_PATIENCE: patience } };
  });

export async function benchOverload(deps: OverloadDeps): Promise<{ rows: string[][]; summary: Record<string, unknown>[] }> {
  const readers = Array.from({ length: 2 * READERS_PER_KIND }, (_, i) => `reader-${i}`);
  const tokens = new Map<string, string>();
  // Operators: each reader may read the bench user's videos.
  for (const user of [...readers, 'greedy']) tokens.set(user, await signDevToken(deps.secret, user, ['operator']));
  const rows: string[][] = [];
  const summary: Record<string, unknown>[] = [];
  const progress = new Map<string, number>();

  for (const setting of settings()) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const api = spawnVidproc('api', {
      ...deps.env,
      PORT: String(port),
      API_RATE_LIMIT: String(RATE_LIMIT),
      API_RATE_LIMIT_WINDOW: `${RATE_WINDOW_MS / 1000}s`,
      ...setting.env,
    });
    try {
      await until('overload api', async () => (await fetch(`${url}/readyz`)).ok);

      // Events flow to the videos in flight meanwhile: progress, each video in turn.
      let sent = 0;
      let flowing = true;
      const flow = (async () => {
        const t0 = performance.now();
        while (flowing) {
          const videoId = deps.inFlight[sent % deps.inFlight.length]!;
          const percent = Math.min(99, (progress.get(videoId) ?? 0) + 1);
          progress.set(videoId, percent);
          deps.publish(deps.event(videoId, EVENT_TYPES.progress, { percent }));
          sent++;
          const due = t0 + (sent * 1000) / EVENTS_PER_S;
          if (due > performance.now()) await sleep(due - performance.now());
        }
        await deps.confirm();
      })();

      const log: UserLog = new Map();
      const load = (videoIds: string[], users: string[], connections: number, seen: Seen) => {
        let n = 0;
        let u = 0;
        return autocannon({
          url,
          connections,
          duration: deps.durationS,
          requests: [
            {
              setupRequest: (req, context: ReaderContext) => {
                const user = users[u++ % users.length]!;
                context.user = user;
                context.sentAt = performance.now();
                context.sentWall = Date.now();
                return { ...req, path: `/v1/videos/${videoIds[n++ % videoIds.length]}`, headers: { ...req.headers, Authorization: `Bearer ${tokens.get(user)}` } };
              },
              onResponse: (status, body, context: ReaderContext, headers) => {
                const receivedAt = Date.now();
                bump(seen.status, status);
                if (context.user !== undefined && context.sentAt !== undefined) {
                  let entries = log.get(context.user);
                  if (!entries) log.set(context.user, (entries = []));
                  entries.push({ sentAt: context.sentAt, limited: status === 429 });
                }
                if (status !== 200) return;
                const fallback = headers?.['x-status-fallback'];
                const source = `${String(headers?.['x-status-source'] ?? 'none')}${fallback ? ` (${String(fallback)})` : ''}`;
                bump(seen.sources, source);
                const age = Number(headers?.['x-status-age']);
                seen.maxAge.set(source, Math.max(seen.maxAge.get(source) ?? 0, age));
                // Is the age true? A workflow's view was answered at most its max age before the request came, or
                // after (a query the read waited for): so no older than that plus the request's time.
                const tookMs = context.sentAt === undefined ? 0 : performance.now() - context.sentAt;
                if (headers?.['x-status-source'] === 'workflow') {
                  if (!(age <= Number(headers['x-status-max-age']) + tookMs + SLACK_MS)) bump(seen.untrue, source);
                } else if (seen.inFlight) {
                  // A projection's view of a video in flight is as old as its row, said between the request's send and its receipt.
                  const view = JSON.parse(body) as { updatedAt: string };
                  const updatedAt = Date.parse(view.updatedAt);
                  const least = (context.sentWall ?? receivedAt) - updatedAt - SLACK_MS;
                  if (!(age >= least && age <= receivedAt - updatedAt + SLACK_MS)) bump(seen.untrue, source);
                }
              },
            },
          ],
        });
      };

      const live = newSeen(true);
      const done = newSeen(false);
      const greedy = newSeen(false);
      const [liveResult, doneResult, greedyResult] = await Promise.all([
        load(deps.inFlight, readers.slice(0, READERS_PER_KIND), READERS_PER_KIND, live),
        load(deps.finished, readers.slice(READERS_PER_KIND), READERS_PER_KIND, done),
        load(deps.finished, ['greedy'], GREEDY_CONNECTIONS, greedy),
      ]);
      flowing = false;
      await flow;

      // Every 429 must come after at least the limit accepted from the same user in the window before it.
      let early = 0;
      let readerRateMax = 0;
      for (const [user, entries] of log) {
        entries.sort((a, b) => a.sentAt - b.sentAt);
        const accepted = entries.filter((e) => !e.limited).map((e) => e.sentAt);
        for (const e of entries) {
          if (!e.limited) continue;
          const inWindow = accepted.filter((t) => t <= e.sentAt + SLACK_MS && t > e.sentAt - RATE_WINDOW_MS - SLACK_MS).length;
          if (inWindow < RATE_LIMIT) early++;
        }
        if (user !== 'greedy') {
          // The most requests this reader sent in any second (sliding over its own requests).
          let from = 0;
          for (let to = 0; to < entries.length; to++) {
            while (entries[to]!.sentAt - entries[from]!.sentAt >= RATE_WINDOW_MS) from++;
            readerRateMax = Math.max(readerRateMax, to - from + 1);
          }
        }
      }
      const greedyAccepted = log.get('greedy')?.filter((e) => !e.limited).length ?? 0;
      const windows = Math.ceil((deps.durationS * 1000) / RATE_WINDOW_MS) + 1;

      const shares = (seen: Seen) => {
        const total = [...seen.sources.values()].reduce((a, b) => a + b, 0);
        return [...seen.sources.entries()]
          .sort((a, b) => b[1] - a[1])
          .map(([source, count]) => `${source} ${((100 * count) / total).toFixed(1)} % (max age ${seen.maxAge.get(source)} ms${seen.untrue.get(source) ? `, ${seen.untrue.get(source)} untrue` : ''})`)
          .join(' · ');
      };
      const statuses = (seen: Seen) => [...seen.status.entries()].sort((a, b) => a[0] - b[0]).map(([s, c]) => `${s}: ${c}`).join(', ');
      const prefix = `overload [${setting.name}]`;
      for (const [kind, result, seen] of [
        ['in-flight (100 readers)', liveResult, live],
        ['finished (100 readers)', doneResult, done],
      ] as const) {
        rows.push(
          [`${prefix} GET ${kind}: req/s, p50 / p99`, `${result.requests.average.toFixed(0)} req/s, ${result.latency.p50} / ${result.latency.p99} ms (max ${result.latency.max} ms)`],
          [`${prefix} GET ${kind}: statuses`, `${statuses(seen)}; ${result.errors} errors, ${result.timeouts} timeouts`],
          [`${prefix} GET ${kind}: X-Status-Source (X-Status-Fallback)`, `${shares(seen)}; ages found untrue: ${[...seen.untrue.values()].reduce((a, b) => a + b, 0)}`],
        );
      }
      rows.push(
        [
          `${prefix} rate limit ${RATE_LIMIT}/s per user: 429s`,
          `readers ${(live.status.get(429) ?? 0) + (done.status.get(429) ?? 0)} (most any reader sent in a second: ${readerRateMax}); ` +
            `greedy user (${GREEDY_CONNECTIONS} connections): ${greedyResult.requests.total} requests, ${greedy.status.get(429) ?? 0} × 429, ` +
            `${greedyAccepted} accepted (the limit allows at most ${RATE_LIMIT * windows} in ${deps.durationS} s); 429s before the limit was reached: ${early}`,
        ],
        [`${prefix} events published meanwhile`, `${sent} progress events (${(sent / deps.durationS).toFixed(0)}/s)`],
      );
      summary.push({
        setting: setting.name,
        inFlightGetPerS: liveResult.requests.average,
        inFlightP50Ms: liveResult.latency.p50,
        inFlightP99Ms: liveResult.latency.p99,
        finishedGetPerS: doneResult.requests.average,
        finishedP99Ms: doneResult.latency.p99,
        inFlightSources: Object.fromEntries(live.sources),
        inFlightMaxAgeMs: Object.fromEntries(live.maxAge),
        untrueAges: Object.fromEntries(live.untrue),
        readers429: (live.status.get(429) ?? 0) + (done.status.get(429) ?? 0),
        greedy429: greedy.status.get(429) ?? 0,
        greedyAccepted,
        early429: early,
      });
    } finally {
      await stopProcess(api);
    }
  }
  return { rows, summary };
}
