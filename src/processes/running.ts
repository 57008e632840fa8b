/** What every process part (a server, a worker, a consumer) gives the supervisor that runs it. */
export interface Running {
  /** Where it can be reached or what it serves, for the start-up banner (label -> text). */
  endpoints: Record<string, string>;
  stop(): Promise<void>;
}

/** Called by a part that can no longer work (its process should stop, and exit non-zero). */
export type Fatal = (reason: string) => void;
