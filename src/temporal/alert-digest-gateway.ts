/**
 * Hands alerts to the alert digest workflow of their kind (src/workflows/alert-digest.ts): a
 * signal, starting the workflow when none is running (the first alert after a quiet spell). Every
 * worker's `sendAlert` activity goes through here, so all of a kind's alerts meet in one place.
 */
import type { Client } from '@temporalio/client';
import {
  ALERT_DIGEST_WORKFLOW_TYPE,
  alertDigestWorkflowIdFor,
  alertSignal,
  type AlertDigestInput,
} from '../workflows/definitions.js';
import type { HandedAlert } from '../domain/alert-digest.js';
import type { alertDigestWorkflow } from '../workflows/alert-digest.js';

export function createAlertDigestGateway(client: Client, { taskQueue }: { taskQueue: string }) {
  return {
    async hand(handed: HandedAlert): Promise<void> {
      const { kind } = handed.alert;
      await client.workflow.signalWithStart<typeof alertDigestWorkflow, [HandedAlert]>(ALERT_DIGEST_WORKFLOW_TYPE, {
        workflowId: alertDigestWorkflowIdFor(taskQueue, kind),
        taskQueue,
        args: [{ kind }] as [AlertDigestInput],
        signal: alertSignal,
        signalArgs: [handed],
        staticSummary: `Alert digest: ${kind}`,
      });
    },
  };
}

export type AlertDigestGateway = ReturnType<typeof createAlertDigestGateway>;
