/**
 * How big the worker may make itself: its workflow cache, the heap of the thread that runs the
 * workflows, and its task concurrency, derived from the memory it is given (a pod's limit).
 *
 * The Temporal SDK sizes its workflow cache from the V8 heap limit of the main thread (600
 * workflows per GiB above 200 MiB) and knows nothing of the container: in a 1 GiB pod Node's
 * heap limit is about 524 MiB, so the cache holds ~190 videos, and with thousands of videos open
 * every new event for an evicted one replays that video's whole history. Outside a container it
 * sees a 4 GiB heap, caches ~2,300 and grows towards 4 GiB. Here the cache is sized from the limit
 * instead, with the bytes one cached video workflow costs (measured, see BENCHMARKS.md), and the
 * workflow thread's heap is capped inside the same budget so garbage is collected before the
 * kernel's OOM killer sees it.
 */

const MiB = 1024 * 1024;

/**
 * What one cached video workflow adds to the worker's resident memory (workflow thread heap plus
 * the SDK core's state for it): ~1.2 MiB measured under a burst (`npm run bench:burst`,
 * BENCHMARKS.md "Many open videos"), rounded up. Most of it is the workflow bundle's modules, which
 * the SDK instantiates once per cached workflow (its reusable V8 context keeps each workflow's
 * module state apart); idle and after a full collection the plain bundle keeps 0.15 MiB of heap
 * per workflow (`npm run bench:workflow-memory`), so this is the burst's garbage as much as its state.
 */
export const BYTES_PER_CACHED_WORKFLOW = 1.25 * 1024 * 1024;

/**
 * With tracing on the worker runs the traced bundle (scripts/bundle-workflows.mjs), whose
 * workflows cost more, in two ways (`npm run bench:workflow-memory`, BENCHMARKS.md "What a cached
 * workflow costs with tracing on"), each the live heap measured x 1.4 for the garbage the heap keeps:
 * - each carries the OpenTelemetry SDK's modules: +0.34 MiB of live heap per workflow;
 * - each registers an AsyncLocalStorage (the interceptors' context manager) that stays enabled
 *   while the workflow is cached, and Node 22's AsyncLocalStorage gives every promise the thread
 *   creates a slot for every enabled instance: every cached workflow's promises grow with the
 *   number of cached workflows, +2.0 KiB of live heap per pair of workflows cached in one thread.
 *   820 cached traced workflows held 1.7 GiB of heap, 20 held 39 MiB.
 */
export const TRACED_EXTRA_BYTES_PER_CACHED_WORKFLOW = 0.5 * 1024 * 1024;
export const TRACED_BYTES_PER_CACHED_PAIR = 3 * 1024;

/** What `count` cached workflows cost the worker, spread over `threads` workflow threads (each its own heap). */
export function cachedWorkflowsBytes(count: number, options: { tracing: boolean; threads?: number | undefined; bytesPerCachedWorkflow?: number | undefined }): number {
  const perThread = count / (options.threads ?? 1);
  const perWorkflow = options.bytesPerCachedWorkflow ?? BYTES_PER_CACHED_WORKFLOW + (options.tracing ? TRACED_EXTRA_BYTES_PER_CACHED_WORKFLOW : 0);
  const pairs = options.tracing ? (options.threads ?? 1) * perThread * perThread * TRACED_BYTES_PER_CACHED_PAIR : 0;
  return count * perWorkflow + pairs;
}

/** The most workflows whose cost fits `budget` bytes (cachedWorkflowsBytes grows with the count). */
function cachedWorkflowsWithin(budget: number, options: Parameters<typeof cachedWorkflowsBytes>[1]): number {
  if (budget <= 0) return 0;
  let [fits, fails] = [0, 1];
  while (cachedWorkflowsBytes(fails, options) <= budget) [fits, fails] = [fails, fails * 2];
  while (fails - fits > 1) {
    const mid = Math.floor((fits + fails) / 2);
    if (cachedWorkflowsBytes(mid, options) <= budget) fits = mid;
    else fails = mid;
  }
  return fits;
}

/**
 * The live heap a workflow thread holds, measured idle after a full collection
 * (`npm run bench:workflow-memory`): its own (the bundle, the SDK) plus its share of the cache.
 * Not what the sizing plans with (that is the burst's RSS above); what it checks the heap against.
 */
export const WORKFLOW_THREAD_LIVE_HEAP = {
  plain: { baseBytes: 23 * 1024 * 1024, perWorkflowBytes: 0.15 * 1024 * 1024, perPairBytes: 0 },
  traced: { baseBytes: 29 * 1024 * 1024, perWorkflowBytes: 0.49 * 1024 * 1024, perPairBytes: 2.0 * 1024 },
} as const;

/** The room a heap needs over its live size so that collecting it does not take all the thread's time. */
export const WORKFLOW_HEAP_GC_ROOM = 1.4;

/**
 * Whether the cache fits the workflow threads' heap: each thread's share of the cache live, with
 * WORKFLOW_HEAP_GC_ROOM for its garbage. True when either is left to the SDK (nothing to check).
 */
export function cacheFitsWorkflowHeap(sizing: WorkerSizing, tracing: boolean): boolean {
  const { maxCachedWorkflows: cache, workflowHeapMiB: heapMiB } = sizing;
  if (cache === undefined || heapMiB === undefined) return true;
  const live = WORKFLOW_THREAD_LIVE_HEAP[tracing ? 'traced' : 'plain'];
  const perThread = cache / (sizing.workflowThreadPoolSize ?? 1);
  const liveBytes = live.baseBytes + perThread * live.perWorkflowBytes + perThread * perThread * live.perPairBytes;
  return liveBytes * WORKFLOW_HEAP_GC_ROOM <= heapMiB * MiB;
}

/**
 * The worker's resident memory with an empty cache, under load (code, the SDK core, the main
 * thread's heap with the activities, Postgres and AMQP clients, the workflow thread's baseline),
 * measured, rounded up.
 */
export const WORKER_BASE_BYTES = 256 * 1024 * 1024;

/** The share of the limit the worker plans to use; the rest is headroom for garbage and spikes. */
export const MEMORY_TARGET_FRACTION = 0.75;

/**
 * The workflow threads' V8 old space, together: the cache's whole budget plus this. About 70 % of a
 * cached workflow's RSS is its JS heap (~0.85 of 1.25 MiB), so the heap keeps ~1.4x its live size
 * for garbage, and stops (the thread dies) before the cache could push the process past its limit.
 */
export const WORKFLOW_HEAP_EXTRA_BYTES = 64 * 1024 * 1024;


/** Kubernetes quantity suffixes (binary and decimal) to their multipliers. */
const SUFFIXES: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/**
 * Parses a memory size as Kubernetes writes it: bytes (`1073741824`, what the downward API's
 * `resourceFieldRef` gives), or a quantity like `1Gi`, `768Mi`, `1G`, `500M`. Undefined if malformed.
 */
export function parseMemorySize(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(|k|M|G|T|Ki|Mi|Gi|Ti)$/.exec(value.trim());
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * SUFFIXES[match[2]!]!);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

export interface WorkerSizingInput {
  /** The worker's memory limit in bytes (WORKER_MEMORY_LIMIT, else the cgroup's); null: none, explicitly. */
  memoryLimitBytes?: number | null | undefined;
  /** Explicit overrides; each wins over what the limit would give. */
  maxCachedWorkflows?: number | undefined;
  workflowHeapMiB?: number | undefined;
  maxConcurrentWorkflowTasks?: number | undefined;
  maxConcurrentActivities?: number | undefined;
  maxConcurrentLocalActivities?: number | undefined;
  /** Threads that run workflow tasks (SDK `workflowThreadPoolSize`; default 1). */
  workflowThreads?: number | undefined;
  /** Overrides what one cached workflow costs (both bundles; the traced one's pairs are still added). */
  bytesPerCachedWorkflow?: number | undefined;
}

/** What sizes the worker: the settings (src/config/env.ts) and whether tracing is on (the process knows). */
export interface WorkerSizingRequest extends WorkerSizingInput {
  /** Tracing on: the worker runs the traced workflow bundle, whose cached workflows cost more. */
  tracing: boolean;
}

export interface WorkerSizing {
  /** The limit the sizes come from (bytes), if there is one. */
  memoryLimitBytes?: number;
  /** Workflows kept in the worker's cache (SDK `maxCachedWorkflows`); unset: the SDK's default. */
  maxCachedWorkflows?: number;
  /** The V8 old-space limit (MiB) of the isolates created from now on: each workflow thread. */
  workflowHeapMiB?: number;
  /** Threads that run workflow tasks, each with its own heap and its share of the cache. */
  workflowThreadPoolSize?: number;
  maxConcurrentWorkflowTaskExecutions?: number;
  maxConcurrentActivityTaskExecutions?: number;
  maxConcurrentLocalActivityExecutions?: number;
}

/** The SDK's default workflow-task concurrency; capped by the cache (the SDK requires it). */
const SDK_DEFAULT_WORKFLOW_TASKS = 40;

/**
 * The worker's sizes. With a limit: cache = as many workflows as cachedWorkflowsBytes fits in
 * (limit x MEMORY_TARGET_FRACTION - WORKER_BASE_BYTES), by the bundle tracing picks; the workflow
 * threads' heap = that budget + WORKFLOW_HEAP_EXTRA_BYTES, split between them. Without one, only
 * the overrides (the SDK's defaults for the rest). Throws if the limit is too small to run.
 */
export function sizeWorker(input: WorkerSizingRequest): WorkerSizing {
  const sizing: WorkerSizing = {};
  const limit = input.memoryLimitBytes ?? undefined;
  if (limit !== undefined) {
    sizing.memoryLimitBytes = limit;
    const cacheBudget = limit * MEMORY_TARGET_FRACTION - WORKER_BASE_BYTES;
    const cached = cachedWorkflowsWithin(cacheBudget, { tracing: input.tracing, threads: input.workflowThreads, bytesPerCachedWorkflow: input.bytesPerCachedWorkflow });
    if (input.maxCachedWorkflows === undefined && cached < 2) {
      throw new Error(
        `a memory limit of ${Math.round(limit / MiB)} MiB leaves no room for cached workflows ` +
          `(the worker needs ~${Math.round(WORKER_BASE_BYTES / MiB)} MiB and the limit is planned at ${MEMORY_TARGET_FRACTION * 100}%); ` +
          `give it more, or set WORKER_MAX_CACHED_WORKFLOWS`,
      );
    }
    sizing.maxCachedWorkflows = cached;
    // Each thread holds its share of the cache in a heap of its own.
    const heapBytes = Math.max(0, cacheBudget) + WORKFLOW_HEAP_EXTRA_BYTES;
    sizing.workflowHeapMiB = Math.max(64, Math.floor(heapBytes / (input.workflowThreads ?? 1) / MiB));
  }
  if (input.workflowThreads !== undefined) sizing.workflowThreadPoolSize = input.workflowThreads;
  if (input.maxCachedWorkflows !== undefined) sizing.maxCachedWorkflows = input.maxCachedWorkflows;
  if (input.workflowHeapMiB !== undefined) sizing.workflowHeapMiB = input.workflowHeapMiB;
  if (input.maxConcurrentWorkflowTasks !== undefined) {
    sizing.maxConcurrentWorkflowTaskExecutions = input.maxConcurrentWorkflowTasks;
  }
  // The SDK refuses more workflow tasks at once than cached workflows (but at least 2 with a cache).
  const cache = sizing.maxCachedWorkflows;
  if (cache !== undefined && cache > 0) {
    const wanted = sizing.maxConcurrentWorkflowTaskExecutions ?? SDK_DEFAULT_WORKFLOW_TASKS;
    sizing.maxConcurrentWorkflowTaskExecutions = Math.max(2, Math.min(wanted, cache));
  }
  if (input.maxConcurrentActivities !== undefined) sizing.maxConcurrentActivityTaskExecutions = input.maxConcurrentActivities;
  if (input.maxConcurrentLocalActivities !== undefined) sizing.maxConcurrentLocalActivityExecutions = input.maxConcurrentLocalActivities;
  return sizing;
}
