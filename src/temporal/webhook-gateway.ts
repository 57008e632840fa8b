/**
 * The one place that talks to webhook delivery workflows from outside: the dispatch activity
 * starts one per delivery (once: a retried dispatch starts nothing twice), the API asks for a
 * redelivery (a new attempt sequence for the same delivery, the same webhook-id), and
 * `vidproc rebuild-workflows` starts again those of pending deliveries when Temporal lost them.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  deliveryWorkflowIdFor,
  redeliverSignal,
  WEBHOOK_DELIVERY_WORKFLOW_TYPE,
  type WebhookDeliveryInput,
} from '../workflows/definitions.js';
import type { webhookDeliveryWorkflow } from '../workflows/webhook-delivery.js';

export function createWebhookGateway(client: Client, { taskQueue }: { taskQueue: string }) {
  const startOptions = (deliveryId: string) => ({
    workflowId: deliveryWorkflowIdFor(deliveryId),
    taskQueue,
    args: [{ deliveryId }] as [WebhookDeliveryInput],
    staticSummary: `Webhook delivery ${deliveryId}`,
  });

  return {
    /**
     * Starts the delivery's workflow unless one ever ran for it (REJECT_DUPLICATE: a delivery
     * attempted and done is not sent again because its dispatch was retried). True when it started one.
     */
    async start(deliveryId: string): Promise<boolean> {
      try {
        await client.workflow.start<typeof webhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
          ...startOptions(deliveryId),
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
        return true;
      } catch (err) {
        if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
        throw err;
      }
    },

    /** Whether a workflow ran for the delivery (running, or closed within the namespace's retention): what `start` would not start again. */
    async exists(deliveryId: string): Promise<boolean> {
      try {
        await client.workflow.getHandle(deliveryWorkflowIdFor(deliveryId)).describe();
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },

    /** A new attempt sequence now: the running workflow starts over, or a closed one gets a new run. */
    async redeliver(deliveryId: string): Promise<void> {
      await client.workflow.signalWithStart<typeof webhookDeliveryWorkflow, []>(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
        ...startOptions(deliveryId),
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        signal: redeliverSignal,
        signalArgs: [],
      });
    },
  };
}

export type WebhookGateway = ReturnType<typeof createWebhookGateway>;
