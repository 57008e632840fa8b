/**
 * Alert grouping, as pure functions of the alerts and the time: what goes out one by one, what
 * waits to go out as one grouped message. The digest workflow (src/workflows/alert-digest.ts)
 * keeps the state and the timers; this decides.
 *
 * Per group (an alert kind and the video's status, e.g. `video.stalled` in `processing`):
 *   fewer than `threshold` alerts of the group in the last `windowMs` -> the alert goes out alone, at once
 *   otherwise                                                           -> it joins the group's batch, which
 *     goes out one window after it opened as one message: the count, a sample of video ids, a Web UI query
 * A storm that lasts several windows gets one grouped message per window; one window after the
 * storm, alerts go out one by one again.
 */
import type { Alert, AlertKind } from './stall.js';
import type { VideoStatus } from './video.js';

export interface AlertGroupingPolicy {
  /** How long a batch collects before it goes out (ALERT_GROUP_WINDOW). */
  windowMs: number;
  /** Alerts of a group within one window that still go out one by one (ALERT_GROUP_THRESHOLD). */
  threshold: number;
  /** Video ids named in a grouped message (ALERT_GROUP_SAMPLE). */
  sampleSize: number;
  /** Where the operators' links point. */
  webUi: { baseUrl: string | null; namespace: string; taskQueue: string; workflowType: string; workflowIdPrefix: string };
}

/** One message for many alerts of one kind and status. */
export interface GroupedAlert {
  kind: AlertKind;
  grouped: true;
  status: VideoStatus;
  /** How many videos' alerts it stands for. */
  count: number;
  /** The first `sampleSize` of them. */
  videoIds: string[];
  /** When the first and the last of them fired. */
  firstAt: string;
  lastAt: string;
  /** A Temporal visibility query that lists them (paste it into the Web UI), and the link to it. */
  query: string;
  webUiUrl: string | null;
  text: string;
}

/** An alert handed to the digest; `key` is the same for every retry of one hand-over (duplicates are dropped). */
export interface HandedAlert {
  alert: Alert;
  key: string;
}

/** What the digest sends: an alert on its own (as it always was), or a grouped one. */
export type AlertMessage = Alert | GroupedAlert;

export const isGrouped = (message: AlertMessage): message is GroupedAlert => 'grouped' in message && message.grouped === true;

interface Batch {
  count: number;
  videoIds: string[];
  firstAt: number;
  lastAt: number;
  sendAt: number;
}

interface Group {
  kind: AlertKind;
  status: VideoStatus;
  /** The times of the group's latest alerts (at most `threshold` of them: enough to tell a storm). */
  recent: number[];
  batch: Batch | null;
}

/** The digest's state: plain data, carried over a continue-as-new. */
export interface DigestState {
  groups: Record<string, Group>;
}

export const emptyDigest = (): DigestState => ({ groups: {} });

const groupKey = (kind: AlertKind, status: VideoStatus) => `${kind}|${status}`;
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * An alert arrives at `now`: the messages to send at once (the alert itself, or nothing when it
 * joined a batch). Mutates `state`.
 */
export function receiveAlert(state: DigestState, alert: Alert, now: number, policy: AlertGroupingPolicy): AlertMessage[] {
  const key = groupKey(alert.kind, alert.status);
  const group = (state.groups[key] ??= { kind: alert.kind, status: alert.status, recent: [], batch: null });
  const storm = group.recent.length >= policy.threshold && group.recent.every((t) => now - t < policy.windowMs);
  group.recent = [...group.recent, now].slice(-Math.max(policy.threshold, 1));
  if (!group.batch && !storm) return [alert];
  const batch = (group.batch ??= { count: 0, videoIds: [], firstAt: now, lastAt: now, sendAt: now + policy.windowMs });
  batch.count += 1;
  batch.lastAt = now;
  if (batch.videoIds.length < policy.sampleSize && !batch.videoIds.includes(alert.videoId)) batch.videoIds.push(alert.videoId);
  return [];
}

/** When the next batch is due, or null when none is open. */
export function nextFlushAt(state: DigestState): number | null {
  const times = Object.values(state.groups).flatMap((g) => (g.batch ? [g.batch.sendAt] : []));
  return times.length ? Math.min(...times) : null;
}

/** The batches due at `now`, as grouped messages (in a stable order); forgets groups gone quiet. Mutates `state`. */
export function flushDue(state: DigestState, now: number, policy: AlertGroupingPolicy): GroupedAlert[] {
  const messages: GroupedAlert[] = [];
  for (const key of Object.keys(state.groups).sort()) {
    const group = state.groups[key]!;
    if (group.batch && group.batch.sendAt <= now) {
      messages.push(groupedAlert(group, group.batch, policy));
      group.batch = null;
    }
    if (!group.batch && group.recent.every((t) => now - t >= policy.windowMs)) delete state.groups[key];
  }
  return messages;
}

/** Nothing waits and nothing recent counts any more: the digest may close. */
export const digestIdle = (state: DigestState, now: number, policy: AlertGroupingPolicy): boolean =>
  Object.values(state.groups).every((g) => !g.batch && g.recent.every((t) => now - t >= policy.windowMs));

const quote = (value: string) => `"${value.replace(/(["\\])/g, '\\$1')}"`;

/** The visibility query that lists the videos a grouped message is about. */
export function groupQuery(kind: AlertKind, status: VideoStatus, videoIds: string[], policy: AlertGroupingPolicy): string {
  const { taskQueue, workflowType, workflowIdPrefix } = policy.webUi;
  const base = `WorkflowType = ${quote(workflowType)} AND TaskQueue = ${quote(taskQueue)}`;
  // Still stalled: every such video now, not only the sample. Recovered or timed out: the sample.
  if (kind === 'video.stalled' || kind === 'video.stalled.repeat') {
    return `${base} AND ExecutionStatus = "Running" AND VideoStalled = true AND VideoStatus = ${quote(status)}`;
  }
  return `${base} AND WorkflowId IN (${videoIds.map((id) => quote(`${workflowIdPrefix}${id}`)).join(', ')})`;
}

export function webUiLink(query: string, policy: AlertGroupingPolicy): string | null {
  const { baseUrl, namespace } = policy.webUi;
  if (!baseUrl) return null;
  return `${baseUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

function headline(kind: AlertKind, status: VideoStatus, count: number): string {
  const videos = `${count} video${count === 1 ? '' : 's'}`;
  switch (kind) {
    case 'video.stalled':
      return `${videos} stalled (${status})`;
    case 'video.stalled.repeat':
      return `${videos} still stalled (${status})`;
    case 'video.recovered':
      return `${videos} moving again after a stall (now ${status})`;
    case 'video.timed_out':
      return `${videos} timed out and marked failed`;
  }
}

function groupedAlert(group: Group, batch: Batch, policy: AlertGroupingPolicy): GroupedAlert {
  const { kind, status } = group;
  const query = groupQuery(kind, status, batch.videoIds, policy);
  const webUiUrl = webUiLink(query, policy);
  const more = batch.count - batch.videoIds.length;
  const sample = `${batch.videoIds.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  const text =
    `${headline(kind, status, batch.count)} between ${iso(batch.firstAt)} and ${iso(batch.lastAt)}: ${sample}. ` +
    (webUiUrl ? `Web UI: ${webUiUrl}` : `Web UI query: ${query}`);
  return { kind, grouped: true, status, count: batch.count, videoIds: batch.videoIds, firstAt: iso(batch.firstAt), lastAt: iso(batch.lastAt), query, webUiUrl, text };
}
