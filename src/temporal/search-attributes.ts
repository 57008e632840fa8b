/**
 * Makes sure the video search attributes exist on the namespace, so operators can filter
 * `VideoStatus="processing"` in the Web UI. Idempotent and safe to run from many workers.
 */
import { TypedSearchAttributes } from '@temporalio/common';
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { Logger } from '../logger.js';
import { videoSearchAttributes } from '../workflows/definitions.js';

// CommonJS package without static named exports: take it from the default export.
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
/** gRPC status ALREADY_EXISTS: another worker registered them first. */
const ALREADY_EXISTS = 6;

export async function ensureSearchAttributes(connection: Connection, namespace: string, logger: Logger): Promise<string[]> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys(existing.customAttributes ?? {}));
    const missing = videoSearchAttributes.filter((key) => !known.has(key.name));
    if (missing.length === 0) return [];
    const searchAttributes = Object.fromEntries(
      missing.map((key) => {
        const typeName = `INDEXED_VALUE_TYPE_${TypedSearchAttributes.toMetadataType(key.type).replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase()}`;
        return [key.name, IndexedValueType[typeName as keyof typeof IndexedValueType]];
      }),
    );
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
    logger.info({ namespace, added: missing.map((k) => k.name) }, 'registered search attributes');
    return missing.map((k) => k.name);
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (code === ALREADY_EXISTS) return [];
    // Temporal Cloud does not allow this through the operator API: register them there once,
    // with `tcld namespace search-attributes add` or the Cloud UI (see README).
    logger.warn(
      { err, namespace, attributes: videoSearchAttributes.map((k) => k.name) },
      'could not register search attributes; register them on the namespace by hand',
    );
    return [];
  }
}
