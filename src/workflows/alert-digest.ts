/**
 * The alert digest: one workflow per alert kind (and task queue), that every video's alerts go
 * through on their way to ALERT_WEBHOOK_URL, whichever worker raised them. A few alerts go out
 * one by one as they come; in a storm they are grouped per kind and status over
 * ALERT_GROUP_WINDOW into one message with the count, a sample of video ids and a Web UI query
 * (src/domain/alert-digest.ts decides). The `sendAlert` activity starts it with its first alert
 * (signalWithStart); it closes once nothing is waiting and nothing recent counts, and continues
 * as new when its history grows. Messages go out one at a time and in order, through an activity
 * retried for up to an hour (as alerts always were).
 * Deterministic: time only from the SDK.
 */
import { allHandlersFinished, condition, continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { digestIdle, emptyDigest, flushDue, nextFlushAt, receiveAlert, type AlertGroupingPolicy, type AlertMessage, type HandedAlert } from '../domain/alert-digest.js';
import { alertGroupingPolicy, postAlert } from './activities.js';
import { alertSignal, type AlertDigestInput } from './definitions.js';

/** Continue-as-new once a run's history has this many events (or when the server suggests it). */
export const DIGEST_CONTINUE_AS_NEW_AFTER_EVENTS = 2_000;

export async function alertDigestWorkflow(input: AlertDigestInput): Promise<void> {
  const state = input.carried?.state ?? emptyDigest();
  const unsent: AlertMessage[] = [...(input.carried?.unsent ?? [])];
  let sending: AlertMessage | undefined;
  let policy: AlertGroupingPolicy | undefined;
  const early: HandedAlert[] = [];
  /** Hand-overs taken in this run: a retried `sendAlert` whose signal did arrive is not counted twice. */
  const taken = new Set<string>();
  let received = 0;

  const take = (handed: HandedAlert, grouping: AlertGroupingPolicy) => {
    if (taken.has(handed.key)) return;
    taken.add(handed.key);
    received += 1;
    unsent.push(...receiveAlert(state, handed.alert, Date.now(), grouping));
  };
  setHandler(alertSignal, (handed) => {
    if (policy) take(handed, policy);
    else early.push(handed);
  });
  const grouping = (policy = await alertGroupingPolicy());
  for (const handed of early.splice(0)) take(handed, grouping);

  void (async () => {
    for (;;) {
      await condition(() => unsent.length > 0);
      sending = unsent.shift()!;
      try {
        await postAlert(sending);
      } catch (err) {
        log.error('gave up on an alert', { kind: sending.kind, error: String(err) });
      }
      sending = undefined;
    }
  })();

  const maxHistory = input.continueAsNewAfterEvents ?? DIGEST_CONTINUE_AS_NEW_AFTER_EVENTS;
  const overgrown = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= maxHistory;
  const sent = () => unsent.length === 0 && !sending;

  for (;;) {
    unsent.push(...flushDue(state, Date.now(), grouping));
    if (overgrown()) {
      await condition(allHandlersFinished);
      const pending = [...(sending ? [sending] : []), ...unsent];
      // What is being sent is sent again by the next run (a receiver may see it twice; never zero times).
      return continueAsNew<typeof alertDigestWorkflow>({ ...input, carried: { state, unsent: pending } });
    }
    if (sent() && digestIdle(state, Date.now(), grouping)) {
      await condition(allHandlersFinished);
      if (sent() && digestIdle(state, Date.now(), grouping)) return;
      continue;
    }
    // Wake for the next batch due, for the moment the last alert stops counting, for a new
    // alert, or when the sender finishes (then the digest may close).
    const now = Date.now();
    const times = [nextFlushAt(state), ...Object.values(state.groups).flatMap((g) => g.recent.map((t) => t + grouping.windowMs))];
    const future = times.filter((t): t is number => t !== null && t > now);
    const wait = future.length ? Math.min(...future) - now : undefined;
    const mark = received;
    const wasSent = sent();
    const woken = () => received !== mark || sent() !== wasSent || overgrown();
    if (wait === undefined) await condition(woken);
    else await condition(woken, wait);
  }
}
