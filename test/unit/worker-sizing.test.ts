import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/env.js';
import {
  BYTES_PER_CACHED_WORKFLOW,
  MEMORY_TARGET_FRACTION,
  WORKER_BASE_BYTES,
  cacheFitsWorkflowHeap,
  cachedWorkflowsBytes,
  parseMemorySize,
  sizeWorker,
} from '../../src/config/worker-sizing.js';

const GiB = 2 ** 30;

describe('worker sizing', () => {
  it('reads memory sizes as Kubernetes writes them', () => {
    expect(parseMemorySize('1073741824')).toBe(GiB);
    expect(parseMemorySize('1Gi')).toBe(GiB);
    expect(parseMemorySize('768Mi')).toBe(768 * 2 ** 20);
    expect(parseMemorySize('1G')).toBe(1e9);
    expect(parseMemorySize('1.5Gi')).toBe(1.5 * GiB);
    for (const bad of ['', '1 GB', '-1Gi', 'lots', '0', '1gi']) expect(parseMemorySize(bad)).toBeUndefined();
  });

  it('sizes the cache and the workflow heap from the limit', () => {
    const sizing = sizeWorker({ tracing: false, memoryLimitBytes: GiB });
    expect(sizing.maxCachedWorkflows).toBe(Math.floor((GiB * MEMORY_TARGET_FRACTION - WORKER_BASE_BYTES) / BYTES_PER_CACHED_WORKFLOW));
    expect(sizing.maxCachedWorkflows).toBe(409);
    expect(sizing.workflowHeapMiB).toBe(576); // the cache's 512 MiB budget + 64 MiB
    expect(sizing.maxConcurrentWorkflowTaskExecutions).toBe(40);
    // Twice the memory, more than twice the cache (the base is paid once).
    expect(sizeWorker({ tracing: false, memoryLimitBytes: 2 * GiB }).maxCachedWorkflows).toBeGreaterThan(2 * sizing.maxCachedWorkflows!);
  });

  it('caches fewer traced workflows, the more so the larger the cache', () => {
    const plain = sizeWorker({ tracing: false, memoryLimitBytes: GiB });
    const traced = sizeWorker({ tracing: true, memoryLimitBytes: GiB });
    expect(traced.maxCachedWorkflows).toBe(215);
    expect(traced.workflowHeapMiB).toBe(plain.workflowHeapMiB); // same budget, fewer workflows in it
    // Each traced workflow's promises grow with the others cached in its thread: more than linear.
    expect(cachedWorkflowsBytes(800, { tracing: true })).toBeGreaterThan(2 * cachedWorkflowsBytes(400, { tracing: true }));
    expect(cachedWorkflowsBytes(800, { tracing: false })).toBe(2 * cachedWorkflowsBytes(400, { tracing: false }));
    // Two threads hold half the cache each: fewer pairs, more workflows in the same memory.
    expect(sizeWorker({ tracing: true, memoryLimitBytes: GiB, workflowThreads: 2 }).maxCachedWorkflows).toBeGreaterThan(traced.maxCachedWorkflows!);
    const fourGiB = (tracing: boolean) => sizeWorker({ tracing, memoryLimitBytes: 4 * GiB }).maxCachedWorkflows!;
    expect(fourGiB(true) / fourGiB(false)).toBeLessThan(traced.maxCachedWorkflows! / plain.maxCachedWorkflows!);
  });

  it('chooses caches that fit the workflow heap, and tells the ones that do not', () => {
    for (const tracing of [false, true]) {
      for (const limit of [512 * 2 ** 20, GiB, 2 * GiB, 4 * GiB, 8 * GiB, 16 * GiB]) {
        for (const workflowThreads of [1, 2, 4]) {
          const sizing = sizeWorker({ tracing, memoryLimitBytes: limit, workflowThreads });
          expect({ tracing, limit, workflowThreads, fits: cacheFitsWorkflowHeap(sizing, tracing) }).toEqual({ tracing, limit, workflowThreads, fits: true });
        }
      }
    }
    // What ran the workflow thread out of heap with tracing on (BENCHMARKS.md): the untraced
    // sizing of a 1 GiB worker, and the SDK's defaults on a machine without a limit.
    const untracedAtOneGiB = sizeWorker({ tracing: false, memoryLimitBytes: GiB });
    expect(cacheFitsWorkflowHeap(untracedAtOneGiB, false)).toBe(true);
    expect(cacheFitsWorkflowHeap(untracedAtOneGiB, true)).toBe(false);
    expect(cacheFitsWorkflowHeap({ maxCachedWorkflows: 2300, workflowHeapMiB: 4144 }, true)).toBe(false);
    expect(cacheFitsWorkflowHeap({ maxCachedWorkflows: 2300 }, true)).toBe(true); // the SDK's heap: nothing to check
  });

  it('splits the workflow heap between the workflow threads', () => {
    expect(sizeWorker({ tracing: false, memoryLimitBytes: GiB, workflowThreads: 2 })).toMatchObject({ workflowThreadPoolSize: 2, workflowHeapMiB: 288 });
    expect(loadConfig({ WORKER_WORKFLOW_THREADS: '2' }).worker.workflowThreads).toBe(2);
    expect(() => loadConfig({ WORKER_WORKFLOW_THREADS: '0' })).toThrow(/WORKER_WORKFLOW_THREADS/);
  });

  it('lets each override win, and keeps workflow-task concurrency within the cache', () => {
    expect(sizeWorker({ tracing: false, memoryLimitBytes: GiB, maxCachedWorkflows: 500, workflowHeapMiB: 300 })).toMatchObject({ maxCachedWorkflows: 500, workflowHeapMiB: 300 });
    expect(sizeWorker({ tracing: false, maxCachedWorkflows: 10 }).maxConcurrentWorkflowTaskExecutions).toBe(10);
    expect(sizeWorker({ tracing: false, maxCachedWorkflows: 10, maxConcurrentWorkflowTasks: 100 }).maxConcurrentWorkflowTaskExecutions).toBe(10);
    expect(sizeWorker({ tracing: false, maxConcurrentActivities: 20, maxConcurrentLocalActivities: 30 })).toEqual({
      maxConcurrentActivityTaskExecutions: 20,
      maxConcurrentLocalActivityExecutions: 30,
    });
  });

  it('leaves everything to the SDK without a limit or overrides', () => {
    expect(sizeWorker({ tracing: false })).toEqual({});
    expect(sizeWorker({ tracing: false, memoryLimitBytes: null })).toEqual({});
  });

  it('refuses a limit with no room for a cache', () => {
    expect(() => sizeWorker({ tracing: false, memoryLimitBytes: 256 * 2 ** 20 })).toThrow(/no room for cached workflows/);
    expect(sizeWorker({ tracing: false, memoryLimitBytes: 256 * 2 ** 20, maxCachedWorkflows: 50 }).maxCachedWorkflows).toBe(50);
  });

  it('is configured from the environment, failing fast on bad values', () => {
    expect(loadConfig({}).worker).toMatchObject({ memoryLimitBytes: undefined, maxCachedWorkflows: undefined });
    expect(loadConfig({ WORKER_MEMORY_LIMIT: 'none' }).worker.memoryLimitBytes).toBeNull();
    expect(
      loadConfig({
        WORKER_MEMORY_LIMIT: '2Gi',
        WORKER_MAX_CACHED_WORKFLOWS: '3000',
        WORKER_WORKFLOW_HEAP: '900Mi',
        WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '80',
        WORKER_MAX_CONCURRENT_ACTIVITIES: '50',
        WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES: '60',
        WORKER_BYTES_PER_CACHED_WORKFLOW: '100Ki',
        TEMPORAL_METRICS_ADDRESS: '0.0.0.0:9464',
      }),
    ).toMatchObject({
      worker: {
        memoryLimitBytes: 2 * GiB,
        maxCachedWorkflows: 3000,
        workflowHeapMiB: 900,
        maxConcurrentWorkflowTasks: 80,
        maxConcurrentActivities: 50,
        maxConcurrentLocalActivities: 60,
        bytesPerCachedWorkflow: 100 * 1024,
      },
      TEMPORAL_METRICS_ADDRESS: '0.0.0.0:9464',
    });
    expect(() =>
      loadConfig({ WORKER_MEMORY_LIMIT: '1 gig', WORKER_MAX_CACHED_WORKFLOWS: '-1', WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: 'many', TEMPORAL_METRICS_ADDRESS: 'http://x' }),
    ).toThrow(/WORKER_MEMORY_LIMIT: must be a memory size[\s\S]*WORKER_MAX_CACHED_WORKFLOWS[\s\S]*WORKER_MAX_CONCURRENT_WORKFLOW_TASKS[\s\S]*TEMPORAL_METRICS_ADDRESS/);
    expect(() => loadConfig({ WORKER_MEMORY_LIMIT: '200Mi' })).toThrow(/WORKER_MEMORY_LIMIT: a memory limit of 200 MiB leaves no room/);
  });
});
