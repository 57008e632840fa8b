/**
 * The verdict after the drain, from Postgres and from the API: every video present and final as
 * its events imply (lost, wrong), every published event in its history (events lost), none applied
 * twice, each history numbered 1..n with no gap and the row's version equal to its length, and the
 * API saying the same as Postgres.
 */
import type pg from 'pg';
import type { VideoPlan } from './video-plans.js';

export interface FinalVerdict {
  /** Videos missing from Postgres, or not final there. */
  lost: string[];
  /** Published events with no line in their video's history. */
  eventsLost: string[];
  /** Event ids applied more than once (video/event). */
  appliedTwice: string[];
  /** Videos whose history has a gap or whose version is not its length. */
  gaps: string[];
  /** Videos final, but not as their events imply. */
  wrong: string[];
  /** Videos the API shows otherwise than Postgres (or not at all). */
  apiMismatches: string[];
}

interface VideoRow {
  video_id: string;
  status: string;
  progress: number;
  images_url: string | null;
  frame_count: number | null;
  error: { code?: string } | null;
  version: number;
}

interface HistoryRow {
  video_id: string;
  seq: number;
  event_id: string;
  applied: boolean;
}

export async function finalVerdict(db: pg.Pool, plans: VideoPlan[], like: string, api: { url: string; token: string }): Promise<FinalVerdict> {
  const verdict: FinalVerdict = { lost: [], eventsLost: [], appliedTwice: [], gaps: [], wrong: [], apiMismatches: [] };
  const { rows: videos } = await db.query<VideoRow>('select video_id, status, progress, images_url, frame_count, error, version from videos where video_id like $1', [like]);
  const { rows: history } = await db.query<HistoryRow>('select video_id, seq, event_id, applied from video_events where video_id like $1 order by video_id, seq', [like]);
  const rowOf = new Map(videos.map((v) => [v.video_id, v]));
  const linesOf = new Map<string, HistoryRow[]>();
  for (const line of history) linesOf.set(line.video_id, [...(linesOf.get(line.video_id) ?? []), line]);

  for (const plan of plans) {
    const row = rowOf.get(plan.videoId);
    const lines = linesOf.get(plan.videoId) ?? [];
    if (!row || (row.status !== 'completed' && row.status !== 'failed')) verdict.lost.push(`${plan.videoId}: ${row ? row.status : 'missing'}`);
    else {
      const e = plan.expected;
      const right =
        e.status === 'completed'
          ? row.status === 'completed' && row.progress === 100 && row.images_url === e.imagesUrl && row.frame_count === e.frameCount && row.error === null
          : row.status === 'failed' && row.error?.code === e.errorCode;
      if (!right) verdict.wrong.push(`${plan.videoId}: ${row.status} ${row.progress}% ${row.images_url ?? ''} ${JSON.stringify(row.error)} (expected ${JSON.stringify(e)})`);
    }
    const recorded = new Set(lines.map((l) => l.event_id));
    for (const id of new Set(plan.messages.map((m) => m.id))) if (!recorded.has(id)) verdict.eventsLost.push(`${plan.videoId}/${id}`);
    const applied = new Map<string, number>();
    for (const l of lines) if (l.applied) applied.set(l.event_id, (applied.get(l.event_id) ?? 0) + 1);
    for (const [id, n] of applied) if (n > 1) verdict.appliedTwice.push(`${plan.videoId}/${id} (${n}×)`);
    if (row && (!lines.every((l, k) => l.seq === k + 1) || row.version !== lines.length)) {
      verdict.gaps.push(`${plan.videoId}: seq ${lines.map((l) => l.seq).join(',')}, version ${row.version}`);
    }
  }

  // The API: each video's status and version as in Postgres.
  const headers = { Authorization: `Bearer ${api.token}` };
  for (let k = 0; k < plans.length; k += 16) {
    await Promise.all(
      plans.slice(k, k + 16).map(async (plan) => {
        const row = rowOf.get(plan.videoId);
        try {
          const res = await fetch(`${api.url}/v1/videos/${encodeURIComponent(plan.videoId)}`, { headers });
          const body = (await res.json()) as { status?: string; version?: number };
          if (res.status !== 200 || !row || body.status !== row.status || body.version !== row.version) {
            verdict.apiMismatches.push(`${plan.videoId}: API ${res.status} ${body.status}/v${body.version}, Postgres ${row ? `${row.status}/v${row.version}` : 'none'}`);
          }
        } catch (err) {
          verdict.apiMismatches.push(`${plan.videoId}: ${(err as Error).message}`);
        }
      }),
    );
  }
  return verdict;
}
