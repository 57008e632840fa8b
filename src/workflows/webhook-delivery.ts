/**
 * One webhook delivery (an event for one endpoint), durable across any process restart: it
 * attempts the POST through an activity, which records each attempt's outcome in Postgres (the
 * deliveries list), and between failed attempts it backs off exponentially with jitter
 * (src/domain/webhook-events.ts, `nextAttemptAt`) for WEBHOOK_RETRY_FOR; then the delivery is
 * failed. A `redeliver` signal starts a new attempt sequence at once, with the same webhook-id.
 * Deterministic: time and randomness only from the SDK.
 */
import { condition, log, setHandler } from '@temporalio/workflow';
import { nextAttemptAt } from '../domain/webhook-events.js';
import type { AttemptOutcome } from '../activities/webhooks.js';
import { attemptDelivery, deliveryPolicy } from './activities.js';
import { redeliverSignal, type WebhookDeliveryInput } from './definitions.js';

const iso = (ms: number) => new Date(ms).toISOString();

export async function webhookDeliveryWorkflow({ deliveryId }: WebhookDeliveryInput): Promise<AttemptOutcome> {
  let redeliver = false;
  setHandler(redeliverSignal, () => {
    redeliver = true;
  });
  const policy = await deliveryPolicy();
  let startedAt = Date.now();
  let attempt = 0;
  for (;;) {
    redeliver = false;
    attempt += 1;
    const at = Date.now();
    const next = nextAttemptAt(policy, startedAt, at, attempt, Math.random());
    let outcome: AttemptOutcome;
    try {
      outcome = await attemptDelivery({ deliveryId, attemptAt: iso(at), nextAttemptAt: next === null ? null : iso(next) });
    } catch (err) {
      // Only a non-retryable failure gets here (Postgres refused what the attempt wrote).
      log.error('webhook delivery attempt refused', { deliveryId, error: String(err) });
      return 'failed';
    }
    if (outcome === 'retry' && next !== null) await condition(() => redeliver, next - Date.now());
    if (redeliver) {
      startedAt = Date.now();
      attempt = 0;
    } else if (outcome !== 'retry') {
      return outcome;
    }
  }
}
