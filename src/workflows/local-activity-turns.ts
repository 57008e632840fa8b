/**
 * The video workflow's local activities in turn: its lanes (the projection writer, the webhook
 * notices) take turns, so one of them at most is under way. Why: core (SDK 1.24) hands a task's
 * local activity results to the workflow in the order they finished, but on replay in the order
 * they were scheduled (temporalio/sdk-typescript#1744). Two at once whose lanes then schedule
 * more in a different order do not replay: the workflow is stuck on a nondeterminism error once
 * its worker is replaced (the fault suite's kill-worker found such videos; see
 * test/faults/failing-cases/). One at a time, each result comes alone, live and on replay.
 * In turn also means a video's webhook notices go out after the write before them, not beside it.
 * Runs from before LOCAL_ACTIVITIES_IN_TURN keep running them at once (as their histories say).
 */
export class LocalActivityTurns {
  private last: Promise<unknown> = Promise.resolve();
  private readonly inTurn: boolean;

  constructor(inTurn: boolean) {
    this.inTurn = inTurn;
  }

  /** Runs `call` once every call handed in before it has ended (at once, for runs from before the patch). */
  take<T>(call: () => Promise<T>): Promise<T> {
    if (!this.inTurn) return call();
    const mine = this.last.then(call);
    this.last = mine.catch(() => undefined);
    return mine;
  }
}
