/**
 * Makes sure the video search attributes exist on the namespace, so operators can filter
 * `VideoStatus="processing"` in the Web UI. Idempotent and safe to run from many workers.
 */
import { TypedSearchAttributes, type SearchAttributeType } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from '../logger.js';
import { videoSearchAttributes } from '../workflows/definitions.js';

// CommonJS package without static named exports: take it from the default export.
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
/** gRPC status codes: another worker registered them first; the server cannot list them. */
const ALREADY_EXISTS = 6;
const UNIMPLEMENTED = 12;

const codeOf = (err: unknown) => (err as { code?: number }).code;

function indexedValueType(type: SearchAttributeType) {
  const name = `INDEXED_VALUE_TYPE_${TypedSearchAttributes.toMetadataType(type).replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
  return IndexedValueType[name as keyof typeof IndexedValueType];
}

/** Adds these attributes; false when one of them already exists (the server refuses the whole batch). */
async function add(connection: Connection, namespace: string, keys: typeof videoSearchAttributes): Promise<boolean> {
  try {
    const searchAttributes = Object.fromEntries(keys.map((key) => [key.name, indexedValueType(key.type)]));
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
    return true;
  } catch (err) {
    if (codeOf(err) === ALREADY_EXISTS) return false;
    throw err;
  }
}

/** The attributes the namespace lacks; all of them when the server cannot list (the time-skipping test server). */
async function missingOn(connection: Connection, namespace: string) {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    return { missing: videoSearchAttributes.filter((key) => !known.has(key.name)), listed: true };
  } catch (err) {
    if (codeOf(err) === UNIMPLEMENTED) return { missing: videoSearchAttributes, listed: false };
    throw err;
  }
}

export async function ensureSearchAttributes(connection: Connection, namespace: string, logger: Logger): Promise<string[]> {
  try {
    const { missing, listed } = await missingOn(connection, namespace);
    if (missing.length === 0) return [];
    // Unlisted, some may exist already: one at a time, so one that exists does not refuse the others.
    const added: string[] = [];
    for (const batch of listed ? [missing] : missing.map((key) => [key])) {
      if (await add(connection, namespace, batch)) added.push(...batch.map((k) => k.name));
    }
    if (added.length > 0) logger.info({ namespace, added }, 'registered search attributes');
    return added;
  } catch (err) {
    // Temporal Cloud does not allow this through the operator API: register them there once,
    // with `tcld namespace search-attributes add` or the Cloud UI (see README).
    logger.warn(
      { err, namespace, attributes: videoSearchAttributes.map((k) => k.name) },
      'could not register search attributes; register them on the namespace by hand',
    );
    return [];
  }
}
