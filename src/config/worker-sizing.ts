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

/**
 * What one cached video workflow adds to the worker's resident memory (workflow thread heap plus
 * the SDK core's state for it): ~1.2 MiB measured (`npm run bench:burst`, BENCHMARKS.md "Many open
 * videos"), rounded up. Most of it is the workflow bundle's modules, which the SDK instantiates
 * once per cached workflow (its reusable V8 context keeps each workflow's module state apart).
 */
export const BYTES_PER_CACHED_WORKFLOW = 1.25 * 1024 * 1024;

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

const MiB = 1024 * 1024;

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
  bytesPerCachedWorkflow?: number | undefined;
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
 * The worker's sizes. With a limit: cache = (limit x MEMORY_TARGET_FRACTION - WORKER_BASE_BYTES)
 * / bytes per cached workflow; the workflow threads' heap = that budget + WORKFLOW_HEAP_EXTRA_BYTES, split between them. Without one,
 * only the overrides (the SDK's defaults for the rest). Throws if the limit is too small to run.
 */
export function sizeWorker(input: WorkerSizingInput): WorkerSizing {
  const sizing: WorkerSizing = {};
  const limit = input.memoryLimitBytes ?? undefined;
  if (limit !== undefined) {
    sizing.memoryLimitBytes = limit;
    const perWorkflow = input.bytesPerCachedWorkflow ?? BYTES_PER_CACHED_WORKFLOW;
    const cacheBudget = limit * MEMORY_TARGET_FRACTION - WORKER_BASE_BYTES;
    const cached = Math.floor(cacheBudget / perWorkflow);
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
