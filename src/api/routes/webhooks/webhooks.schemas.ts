/**
 * The API's webhook shapes, built from the domain's types and limits and checked against them:
 * a field added to an endpoint or a delivery does not compile until it is here (or said to be
 * private).
 */
import { z } from '@hono/zod-openapi';
import { storedVideoIdSchema } from '../../../domain/event-schemas.js';
import { distinctEventTypes, WEBHOOK_LIMITS, type webhookEventTypesSchema, type WebhookEndpoint } from '../../../domain/webhook-endpoints.js';
import {
  DELIVERY_ERROR_MAX,
  DELIVERY_STATUSES,
  WEBHOOK_EVENT_DESCRIPTIONS,
  WEBHOOK_EVENT_TYPES,
  type WebhookDelivery,
  type WebhookEventType,
} from '../../../domain/webhook-events.js';
import { videoViewSchema } from '../videos/videos.schemas.js';

/** True only when A and B are the same type (not merely assignable one way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const time = () => z.string().openapi({ format: 'date-time' });
const timeOrNull = () => z.string().nullable().openapi({ format: 'date-time' });

const eventTypeList = WEBHOOK_EVENT_TYPES.map((t) => `\`${t}\`: ${WEBHOOK_EVENT_DESCRIPTIONS[t]}`).join('; ');
// The domain's rule (webhookEventTypesSchema), built here so that the document can say what its
// refinement checks (`uniqueItems`): a domain schema is plain zod, made before @hono/zod-openapi
// extends it, so it takes no .openapi().
const eventTypesSchema = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .refine(distinctEventTypes, 'must not repeat an event type')
  .openapi({ description: `The event types to receive (one or more, each once): ${eventTypeList}.`, uniqueItems: true });
const _sameRule: Same<z.infer<typeof eventTypesSchema>, z.infer<typeof webhookEventTypesSchema>> = true;

export const createEndpointSchema = z
  .strictObject({
    url: z
      .string()
      .max(WEBHOOK_LIMITS.url)
      .openapi({
        description: 'An https URL on a public address (http and private addresses only when the server allows them); checked when registered (a 422 otherwise)',
        format: 'uri',
        example: 'https://example.com/hooks/vidproc',
      }),
    events: eventTypesSchema,
  })
  .openapi('CreateWebhookEndpoint');

export const endpointSchema = z
  .object({
    id: z.uuid(),
    url: z.string().max(WEBHOOK_LIMITS.url),
    events: z.array(z.enum(WEBHOOK_EVENT_TYPES)),
    createdAt: time(),
    disabled: z.boolean().openapi({ description: 'No deliveries while disabled: after failing for too long (see disabledReason), until enabled again' }),
    disabledReason: z.string().max(WEBHOOK_LIMITS.disabledReason).nullable(),
    disabledAt: timeOrNull(),
    lastSuccessAt: timeOrNull().openapi({ description: 'The last delivery it accepted (a 2xx)' }),
    failingSince: timeOrNull().openapi({ description: 'Since when every attempt failed; null after a success' }),
  })
  .openapi('WebhookEndpoint');

export const endpointWithSecretSchema = endpointSchema
  .extend({
    secret: z.string().openapi({
      description: 'The signing secret (Standard Webhooks `whsec_...`): shown only when the endpoint is made and when its secret is rotated',
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    }),
  })
  .openapi('WebhookEndpointWithSecret');

export const deliverySchema = z
  .object({
    id: z.string().openapi({ description: 'The `webhook-id` header: the same on every attempt and redelivery of this event to this endpoint' }),
    type: z.enum(WEBHOOK_EVENT_TYPES),
    videoId: storedVideoIdSchema,
    version: z.number().int().min(0).openapi({ description: "The video's version the event is about" }),
    status: z.enum(DELIVERY_STATUSES).openapi({ description: 'pending (being retried), delivered (a 2xx answer), failed (retries exhausted, or the endpoint disabled)' }),
    attempts: z.number().int().min(0),
    lastStatusCode: z.number().int().nullable().openapi({ description: "The receiver's last HTTP status; null if it never answered" }),
    lastError: z.string().max(DELIVERY_ERROR_MAX).nullable(),
    lastAttemptAt: timeOrNull(),
    nextAttemptAt: timeOrNull(),
    createdAt: time().openapi({ description: 'When the event happened (the body’s `timestamp`)' }),
    deliveredAt: timeOrNull(),
  })
  .openapi('WebhookDelivery');

export const deliveriesPageSchema = z
  .object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() })
  .openapi('WebhookDeliveries');

/** The body vidproc POSTs for an event of this type. */
export const webhookBodySchema = (type: WebhookEventType) =>
  z.object({
    type: z.literal(type),
    timestamp: time().openapi({ description: 'When the change happened (the `webhook-timestamp` header says when this attempt was sent)' }),
    data: videoViewSchema,
  });

/** Standard Webhooks' headers on every delivery. */
export const signatureHeadersSchema = z.object({
  'webhook-id': z.string().openapi({ description: 'The delivery id: the same on every retry and redelivery (deduplicate on it)' }),
  'webhook-timestamp': z.string().openapi({ description: 'When this attempt was signed, in seconds since the epoch (refuse one too far from your clock)' }),
  'webhook-signature': z.string().openapi({
    description: 'Space-separated `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<body>">`, one per secret in force',
  }),
});

/** What the owner sees of an endpoint: no secrets, no owner. */
export type PublicEndpoint = Omit<WebhookEndpoint, 'userId' | 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>;
/** What the owner sees of a delivery: not the endpoint (it is in the path) nor the stored video. */
export type PublicDelivery = Omit<WebhookDelivery, 'endpointId' | 'payload'>;

const _endpointIsDomain: Same<z.infer<typeof endpointSchema>, PublicEndpoint> = true;
const _deliveryIsDomain: Same<z.infer<typeof deliverySchema>, PublicDelivery> = true;
