/**
 * Watches a sample of videos through the API for the whole run, as a client polling them would:
 * a video must never be seen going backwards (its version lower, or its status earlier, than
 * an answer already seen) nor vanish (404 after a 200). Answers that are not answers (refused
 * connections while the API restarts, 5xx) are counted, not judged; so are older answers that
 * say they are older (`X-Status-Fallback`: the projection answered in the workflow's stead, with
 * its age), which the API gives by design when the workflow does not answer in time.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const RANK: Record<string, number> = { uploaded: 0, processing: 1, completed: 2, failed: 2 };

export interface ReadWatchResult {
  videos: number;
  observations: number;
  /** Failed reads: no connection, or a 5xx (with its status). */
  unavailable: Record<string, number>;
  regressed: string[];
  /** Older than an answer already seen, and marked as a fallback (with its reason). */
  olderMarked: Record<string, number>;
}

export interface ReadWatch {
  stop(): Promise<ReadWatchResult>;
}

/**
 * Reads each video of `sample` (once `isPublished` says its first message is out) about every
 * `everyMs`, `concurrency` at a time.
 */
export function watchReads(
  apiUrl: string,
  token: string,
  sample: string[],
  isPublished: (videoId: string) => boolean,
  phase: () => string,
  everyMs = 500,
  concurrency = 4,
): ReadWatch {
  const seen = new Map<string, { version: number; rank: number; status: string; source: string }>();
  const result: ReadWatchResult = { videos: sample.length, observations: 0, unavailable: {}, regressed: [], olderMarked: {} };
  const headers = { Authorization: `Bearer ${token}` };
  let stopped = false;
  const miss = (what: string) => void (result.unavailable[what] = (result.unavailable[what] ?? 0) + 1);

  const read = async (videoId: string) => {
    let res: Response;
    try {
      res = await fetch(`${apiUrl}/v1/videos/${encodeURIComponent(videoId)}`, { headers, signal: AbortSignal.timeout(10_000) });
    } catch {
      return miss('no answer');
    }
    const before = seen.get(videoId);
    if (res.status === 404) {
      await res.body?.cancel();
      if (before) result.regressed.push(`${videoId}: 404 after ${before.status}/v${before.version} (during ${phase()})`);
      return;
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      return miss(String(res.status));
    }
    const body = (await res.json()) as { status: string; version: number };
    result.observations++;
    const source = res.headers.get('x-status-source') ?? '?';
    const now = { version: body.version, rank: RANK[body.status] ?? -1, status: body.status, source };
    const fallback = res.headers.get('x-status-fallback');
    if (before && (now.version < before.version || now.rank < before.rank) && fallback) {
      result.olderMarked[fallback] = (result.olderMarked[fallback] ?? 0) + 1;
    } else if (before && (now.version < before.version || now.rank < before.rank)) {
      result.regressed.push(`${videoId}: ${before.status}/v${before.version} (from ${before.source}) then ${now.status}/v${now.version} (from ${source}, during ${phase()})`);
    }
    if (!before || now.version >= before.version) seen.set(videoId, now);
  };

  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      const due = sample.filter(isPublished);
      for (let k = 0; k < due.length && !stopped; k += concurrency) await Promise.all(due.slice(k, k + concurrency).map(read));
      await sleep(Math.max(50, everyMs - (Date.now() - started)));
    }
  })();

  return {
    async stop() {
      stopped = true;
      await loop;
      return result;
    },
  };
}
