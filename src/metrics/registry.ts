/**
 * The process's one metrics registry (Prometheus, prom-client): every part of the process (API,
 * bridge, worker; all three in `vidproc dev`) registers its metrics here, and the metrics server
 * (./server.ts) serves it. Metrics are made once per process, at import, so a part started twice
 * in one process (the tests) counts into the same series.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';

export const registry = new Registry();

// Process metrics: CPU, resident memory, heap, open file descriptors, GC, event-loop lag.
collectDefaultMetrics({ register: registry });

/** Seconds since `started` (a performance.now() reading), for the latency histograms. */
export const secondsSince = (started: number) => (performance.now() - started) / 1000;

/** Latency buckets, in seconds, for work that takes milliseconds to seconds. */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
