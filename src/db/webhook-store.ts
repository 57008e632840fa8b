/**
 * Reads and writes of users' webhook endpoints and their deliveries. Recording a delivery is
 * idempotent (its id is the webhook-id, stable per event and endpoint); an attempt's outcome and
 * the endpoint's health are written in one transaction, the endpoint's row locked, so concurrent
 * deliveries to one endpoint count its failures right.
 */
import { LockMode, ValidationError, type EntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { EndpointHealth, WebhookEndpoint } from '../domain/webhook-endpoints.js';
import type { WebhookDelivery, WebhookEventType } from '../domain/webhook-events.js';
import { WebhookDeliveryRow, WebhookEndpointRow } from './entities.js';
import { isDataRefused } from './errors.js';
import type { Orm } from './index.js';
import { rowMapping } from './rows.js';

// Typed with the domain's types: the compiler checks that each entity has exactly their fields.
const endpointRows = (em: EntityManager) => {
  const rows = rowMapping(em, WebhookEndpointRow);
  return { toEndpoint: (row: WebhookEndpointRow): WebhookEndpoint => rows.toDomain(row), toRow: (e: WebhookEndpoint) => rows.toRow(e) };
};
const deliveryRows = (em: EntityManager) => {
  const rows = rowMapping(em, WebhookDeliveryRow);
  return { toDelivery: (row: WebhookDeliveryRow): WebhookDelivery => rows.toDomain(row), toRow: (d: WebhookDelivery) => rows.toRow(d) };
};

const fresh = { disableIdentityMap: true } as const;

export async function insertEndpoint(em: EntityManager, endpoint: WebhookEndpoint): Promise<void> {
  await em.createQueryBuilder(WebhookEndpointRow).insert(endpointRows(em).toRow(endpoint)).execute();
}

export async function countEndpoints(em: EntityManager, userId: string): Promise<number> {
  return em.count(WebhookEndpointRow, { userId });
}

/** The user's endpoints, oldest first. */
export async function listEndpoints(em: EntityManager, userId: string): Promise<WebhookEndpoint[]> {
  const rows = await em.find(WebhookEndpointRow, { userId }, { ...fresh, orderBy: { createdAt: 'asc', id: 'asc' } });
  const map = endpointRows(em);
  return rows.map((row) => map.toEndpoint(row));
}

/** The endpoint if it is this user's (another user's looks like none). */
export async function findEndpoint(em: EntityManager, userId: string, id: string): Promise<WebhookEndpoint | null> {
  const row = await em.findOne(WebhookEndpointRow, { id, userId }, fresh);
  return row ? endpointRows(em).toEndpoint(row) : null;
}

/** Writes the endpoint's fields (the caller changed them from a `findEndpoint`). */
export async function saveEndpoint(em: EntityManager, endpoint: WebhookEndpoint): Promise<void> {
  const { id, userId, ...fields } = endpointRows(em).toRow(endpoint);
  // A whole row's fields (insert data) are update data; MikroORM types the two apart.
  await em.nativeUpdate(WebhookEndpointRow, { id, userId }, fields as EntityData<WebhookEndpointRow>);
}

/** Deletes this user's endpoint and its deliveries; false when there was none. */
export async function deleteEndpoint(em: EntityManager, userId: string, id: string): Promise<boolean> {
  return em.transactional(async (tx) => {
    const deleted = await tx.nativeDelete(WebhookEndpointRow, { id, userId });
    if (deleted > 0) await tx.nativeDelete(WebhookDeliveryRow, { endpointId: id });
    return deleted > 0;
  });
}

/** The position of a delivery in its endpoint's list (newest first). */
export interface DeliveryPosition {
  createdAt: string;
  id: string;
}

/** One page of the endpoint's deliveries, newest first, after `after` (keyset: createdAt, then id). */
export async function listDeliveries(em: EntityManager, endpointId: string, limit: number, after?: DeliveryPosition): Promise<WebhookDelivery[]> {
  const where = after
    ? {
        endpointId,
        $or: [
          { createdAt: { $lt: new Date(after.createdAt) } },
          { createdAt: new Date(after.createdAt), id: { $lt: after.id } },
        ],
      }
    : { endpointId };
  const rows = await em.find(WebhookDeliveryRow, where, { ...fresh, orderBy: { createdAt: 'desc', id: 'desc' }, limit });
  const map = deliveryRows(em);
  return rows.map((row) => map.toDelivery(row));
}

export async function findDelivery(em: EntityManager, endpointId: string, id: string): Promise<WebhookDelivery | null> {
  const row = await em.findOne(WebhookDeliveryRow, { id, endpointId }, fresh);
  return row ? deliveryRows(em).toDelivery(row) : null;
}

export async function saveDelivery(em: EntityManager, delivery: WebhookDelivery): Promise<void> {
  const { id, ...fields } = deliveryRows(em).toRow(delivery);
  await em.nativeUpdate(WebhookDeliveryRow, { id }, fields as EntityData<WebhookDeliveryRow>);
}

/**
 * Writes a redelivery's restart: only its status and when it is due, so an attempt that records
 * its outcome at the same moment keeps its count (no lost update of the whole row).
 */
export async function saveRestart(em: EntityManager, restarted: WebhookDelivery): Promise<void> {
  await em.nativeUpdate(WebhookDeliveryRow, { id: restarted.id }, { status: restarted.status, nextAttemptAt: restarted.nextAttemptAt && new Date(restarted.nextAttemptAt) });
}

/**
 * The store as the worker's webhook activities use it: each call in a fresh context of its own,
 * since activities run concurrently.
 */
export function createWebhookStore(orm: Orm) {
  return {
    /** The user's enabled endpoints that want at least one of `types`. */
    async subscribers(userId: string, types: WebhookEventType[]): Promise<WebhookEndpoint[]> {
      const em = orm.em.fork();
      const rows = await em.find(WebhookEndpointRow, { userId, disabled: false }, { ...fresh, orderBy: { createdAt: 'asc' } });
      const map = endpointRows(em);
      return rows.map((row) => map.toEndpoint(row)).filter((e) => e.events.some((t) => types.includes(t)));
    },

    /**
     * Records the deliveries (those already recorded stay as they are) and returns the ids of
     * those not attempted yet: a retried dispatch finds its deliveries recorded, and starts only
     * what may not have started.
     */
    async record(deliveries: WebhookDelivery[]): Promise<string[]> {
      if (deliveries.length === 0) return [];
      const em = orm.em.fork();
      const map = deliveryRows(em);
      await em
        .createQueryBuilder(WebhookDeliveryRow)
        .insert(deliveries.map((d) => map.toRow(d)))
        .onConflict('id')
        .ignore()
        .execute();
      const unattempted = await em.find(
        WebhookDeliveryRow,
        { id: { $in: deliveries.map((d) => d.id) }, status: 'pending', attempts: 0 },
        { ...fresh, fields: ['id'] },
      );
      return unattempted.map((row) => row.id);
    },

    /** A delivery and its endpoint, or null when either is gone (the endpoint was deleted). */
    async load(deliveryId: string): Promise<{ delivery: WebhookDelivery; endpoint: WebhookEndpoint } | null> {
      const em = orm.em.fork();
      const row = await em.findOne(WebhookDeliveryRow, { id: deliveryId }, fresh);
      if (!row) return null;
      const endpoint = await em.findOne(WebhookEndpointRow, { id: row.endpointId }, fresh);
      return endpoint ? { delivery: deliveryRows(em).toDelivery(row), endpoint: endpointRows(em).toEndpoint(endpoint) } : null;
    },

    /**
     * Writes an attempt's outcome and the endpoint's health after it, as `decide` makes them
     * from the endpoint's current health, in one transaction with the endpoint's row locked.
     * Null when the endpoint is gone.
     */
    async recordAttempt(
      endpointId: string,
      decide: (health: EndpointHealth) => { health: EndpointHealth; delivery: WebhookDelivery },
    ): Promise<{ health: EndpointHealth; delivery: WebhookDelivery } | null> {
      return orm.em.fork().transactional(async (tx) => {
        const row = await tx.findOne(WebhookEndpointRow, { id: endpointId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
        if (!row) return null;
        const endpoint = endpointRows(tx).toEndpoint(row);
        const decided = decide(endpoint);
        await saveEndpoint(tx, { ...endpoint, ...decided.health });
        await saveDelivery(tx, decided.delivery);
        return decided;
      });
    },

    /** Writes the delivery as it is now (no attempt made: its endpoint is disabled). */
    save: (delivery: WebhookDelivery) => saveDelivery(orm.em.fork(), delivery),

    /** Postgres (or MikroORM's own checks) refused the data itself: retrying cannot help. */
    isRefused: (err: unknown) => isDataRefused(err) || err instanceof ValidationError,
  };
}
