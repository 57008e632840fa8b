#!/usr/bin/env node
// Prebuilds the workflow bundle the worker loads instead of bundling at start-up (WORKFLOW_BUNDLE_PATH).
// Run after `npm run build`: reads dist/workflows/index.js, writes dist/workflow-bundle.js, and its
// traced twin dist/workflow-bundle.traced.js (with the tracing interceptors, which a worker with
// OTEL_* set loads instead; kept out of the plain one: every module of a bundle costs each workflow).
// The Dockerfile runs it at image build time; a worker started from that image skips webpack entirely.
//
//   node scripts/bundle-workflows.mjs [output]     (default output: dist/workflow-bundle.js)
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';

const root = fileURLToPath(new URL('..', import.meta.url));
const workflowsPath = resolve(root, 'dist/workflows/index.js');
const tracingModule = resolve(root, 'dist/tracing/workflow-interceptors.js');
const output = resolve(process.argv[2] ?? resolve(root, 'dist/workflow-bundle.js'));

if (!existsSync(workflowsPath)) {
  process.stderr.write(`bundle-workflows: ${workflowsPath} not found; run \`npm run build\` first\n`);
  process.exit(1);
}

// Same bundler options as Worker.create({ workflowsPath }) uses (no converters of our own); the
// traced twin as src/tracing/temporal.ts names it.
const traced = `${output.replace(/\.js$/, '')}.traced.js`;
for (const [path, workflowInterceptorModules] of [[output, []], [traced, [tracingModule]]]) {
  const { code } = await bundleWorkflowCode({ workflowsPath, workflowInterceptorModules });
  await writeFile(path, code);
  process.stdout.write(`bundle-workflows: wrote ${path} (${(Buffer.byteLength(code) / 1024).toFixed(0)} KiB)\n`);
}
