/**
 * GET /v1/videos with 100k videos in the table: autocannon at BENCH_CONNECTIONS (32) on the real
 * `vidproc api` process, for a user's listing (first page, a page deep in, a status filter) and an
 * operator's (everyone's, a multi-status filter), 20 items a page, and for scale one completed
 * video's GET; reports req/s, latency percentiles and the API process's CPU time per request (what
 * bounds req/s; on a machine shared with other work, the steadier number). A phase of bench/run.ts,
 * and alone: `npm run bench:list` (starts only the API, and the Temporal dev server it connects to
 * unless TEMPORAL_ADDRESS is set).
 *
 * The videos are seeded with one `insert ... select generate_series` (seconds, not the minutes the
 * pipeline would take), shared equally by BENCH_LIST_USERS users; statuses 90 % completed, 5 %
 * failed, 4 % processing, 1 % uploaded (a seventh of the unfinished ones stalled), one a minute.
 * They are deleted afterwards. Knobs: BENCH_LIST_VIDEOS (100000), BENCH_LIST_USERS (100),
 * BENCH_DURATION_S (10), BENCH_CONNECTIONS (32).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { signDevToken } from '../src/api/lib/auth.js';
import { connectDatabase } from '../src/db/index.js';
import { config, cpuSeconds, int, logPath, markdownTable, run, runBench, startStack, stopAll } from './stack.js';

const VIDEOS = int('BENCH_LIST_VIDEOS', 100_000);
const USERS = int('BENCH_LIST_USERS', 100);
const PAGE = 20;
const DEEP_PAGE = 10;
const WARM_UP = 500;

const prefix = `bench-list-${run}`;
const userId = (n: number) => `${prefix}-u${n}`;

/** The seeded videos: video g belongs to user g % USERS; its status follows (g / USERS) % 100, so each user has the mix. */
const SEED_SQL = `
insert into videos (video_id, user_id, file_name, status, progress, images_url, frame_count, error, created_at, updated_at,
  completed_at, stalled, stalled_since, deadline, last_event_at, reprocess_attempts, last_alert_at, version)
select '${prefix}-' || g, '${prefix}-u' || (g % ${USERS}), 'video-' || g || '.mp4', s.status,
  case s.status when 'completed' then 100 when 'processing' then g % 100 end,
  case when s.status = 'completed' then 'https://images.example.com/${prefix}-' || g || '.zip' end,
  case when s.status = 'completed' then 240 end,
  case when s.status = 'failed' then '{"code":"DECODE_ERROR","message":"cannot decode stream"}'::jsonb end,
  t.created, t.created + interval '2 minutes',
  case when s.status in ('completed', 'failed') then t.created + interval '2 minutes' end,
  s.stalled, case when s.stalled then t.created + interval '30 minutes' end,
  case when s.status in ('uploaded', 'processing') then t.created + interval '30 minutes' end,
  t.created + interval '1 minute', 0, null, 4
from generate_series(1, ${VIDEOS}) g,
  lateral (select now() - (${VIDEOS} - g) * interval '1 minute' as created) t,
  lateral (select case when (g / ${USERS}) % 100 < 90 then 'completed' when (g / ${USERS}) % 100 < 95 then 'failed'
                       when (g / ${USERS}) % 100 < 99 then 'processing' else 'uploaded' end as status) s0,
  lateral (select s0.status, s0.status in ('uploaded', 'processing') and g % 7 = 0 as stalled) s`;

interface Target {
  url: string;
  /** The API process, to report its CPU time per request (what bounds req/s on a busy machine). */
  pid?: number;
}

/** Follows nextCursor to the start of page `n` (1-based) of `path`. */
async function cursorOfPage(api: Target, path: string, token: string, n: number): Promise<string> {
  let cursor = '';
  for (let page = 1; page < n; page++) {
    const res = await fetch(`${api.url}${path}${path.includes('?') ? '&' : '?'}limit=${PAGE}${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { nextCursor: string | null };
    if (!body.nextCursor) throw new Error(`${path} has fewer than ${n} pages`);
    cursor = encodeURIComponent(body.nextCursor);
  }
  return cursor;
}

/** Seeds the table, loads each listing, removes the seeded videos; returns [measure, result] rows. */
export async function benchListVideos(api: Target, { connections, durationS }: { connections: number; durationS: number }): Promise<string[][]> {
  const orm = await connectDatabase(config.DATABASE_URL);
  const db = orm.em.getConnection();
  try {
    const seedStarted = performance.now();
    await db.execute(SEED_SQL);
    // The planner needs statistics of the new rows now, not when autovacuum gets to them.
    await db.execute('analyze videos');
    const seedS = (performance.now() - seedStarted) / 1000;
    const [{ count }] = await db.execute<[{ count: number }]>('select count(*)::int as count from videos');

    const user = await signDevToken(config.AUTH_JWT_SECRET!, userId(7));
    const operator = await signDevToken(config.AUTH_JWT_SECRET!, `${prefix}-operator`, ['operator']);
    const deep = await cursorOfPage(api, '/v1/videos', user, DEEP_PAGE);
    const list = '/v1/videos';
    const loads: Array<{ name: string; path: string; token: string; page?: boolean }> = [
      { name: `GET ${list}, user: first page`, path: list, token: user, page: true },
      { name: `GET ${list}, user: page ${DEEP_PAGE} (cursor)`, path: `${list}?cursor=${deep}`, token: user, page: true },
      { name: `GET ${list}, user: status=failed`, path: `${list}?status=failed`, token: user, page: true },
      { name: `GET ${list}, operator: everyone's`, path: list, token: operator, page: true },
      { name: `GET ${list}, operator: status=processing&status=uploaded`, path: `${list}?status=processing&status=uploaded`, token: operator, page: true },
      // For scale: one completed video (one indexed row, no list) from the same API under the same load.
      { name: 'reference: GET /v1/videos/{id}, a completed video', path: `${list}/${prefix}-${USERS + 7}`, token: user },
    ];

    const rows: string[][] = [[`list: videos in the table`, `${count} (${VIDEOS} seeded in ${seedS.toFixed(1)} s, ${USERS} users)`]];
    for (const { name, path, token, page } of loads) {
      const headers = { Authorization: `Bearer ${token}` };
      const check = await fetch(`${api.url}${path}`, { headers });
      const body = (await check.json()) as { items?: unknown[] };
      if (check.status !== 200 || (page && body.items?.length !== PAGE)) throw new Error(`${path}: ${check.status}, expected a page of ${PAGE}`);
      const load = { url: `${api.url}${path}`, connections, headers };
      await autocannon({ ...load, amount: WARM_UP }); // compiled and cached before it counts
      const cpuBefore = await cpuSeconds(api.pid);
      const result = await autocannon({ ...load, duration: durationS });
      const cpuMs = (((await cpuSeconds(api.pid)) - cpuBefore) * 1000) / result.requests.total;
      rows.push(
        [
          `${name}: req/s`,
          `${result.requests.average.toFixed(0)} (${result.requests.total} requests, ${result.non2xx} non-2xx, ${result.errors} errors; API process CPU ${cpuMs.toFixed(2)} ms/request)`,
        ],
        [`${name}: latency p50 / p90 / p99`, `${result.latency.p50} / ${result.latency.p90} / ${result.latency.p99} ms`],
      );
    }
    return rows;
  } finally {
    await db.execute(`delete from videos where video_id like '${prefix}-%'`);
    await orm.close(true);
  }
}

async function main() {
  const connections = int('BENCH_CONNECTIONS', 32);
  const durationS = int('BENCH_DURATION_S', 10);
  const { api } = await startStack(['api']);
  const rows = await benchListVideos(api, { connections, durationS });
  process.stdout.write(`\nvidproc list bench (${connections} connections, ${durationS} s per load; process logs: ${logPath})\n\n${markdownTable(rows)}\n\n`);
  await stopAll();
}

// Alone (npm run bench:list), not when bench/run.ts imports it as a phase.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) runBench('list bench', main);
