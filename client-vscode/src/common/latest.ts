// Search-as-you-type: wait until typing pauses, then ask; a newer query cancels the older one.

/** The part of a cancellation token source this module needs (vscode's fits). */
export interface TokenSource<T> {
  readonly token: T;
  cancel(): void;
  dispose(): void;
}

/** Timers, injectable so that tests can run time by hand. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface LatestQueryOptions<T, R> {
  /** Quiet time after the last keystroke before a request goes out. */
  delayMs: number;
  /** Sends the request; must give up when `token` is cancelled. */
  run: (query: string, token: T) => Promise<R>;
  newTokenSource: () => TokenSource<T>;
  /** The answer to the newest query only; older answers are dropped. */
  onResult: (query: string, result: R) => void;
  /** A failure of the newest query (cancellations of superseded ones never arrive here). */
  onError: (query: string, error: unknown) => void;
  /** True while a query is waiting or in flight, for the QuickPick's busy bar. */
  onBusy?: (busy: boolean) => void;
  /** What a blank query yields, without asking the server. */
  empty: R;
  timers?: Timers;
}

/**
 * Debounces queries and keeps only the newest one alive.
 *
 * `schedule` restarts the quiet period and cancels a request already sent for an older query, so
 * that the server stops working on text the user has typed past.
 */
export class LatestQuery<T, R> {
  private timer: unknown;
  private inflight: TokenSource<T> | undefined;
  private generation = 0;
  private disposed = false;
  private readonly timers: Timers;

  constructor(private readonly options: LatestQueryOptions<T, R>) {
    this.timers = options.timers ?? realTimers;
  }

  /** The query text changed. */
  schedule(query: string): void {
    if (this.disposed) {
      return;
    }
    const generation = ++this.generation;
    this.cancelPending();
    if (query.trim() === '') {
      this.setBusy(false);
      this.options.onResult(query, this.options.empty);
      return;
    }
    this.setBusy(true);
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      void this.send(query, generation);
    }, this.options.delayMs);
  }

  /** Ask for `query` now, skipping the quiet period (e.g. for the initial value). */
  now(query: string): void {
    if (this.disposed) {
      return;
    }
    const generation = ++this.generation;
    this.cancelPending();
    this.setBusy(true);
    void this.send(query, generation);
  }

  dispose(): void {
    this.disposed = true;
    this.generation++;
    this.cancelPending();
  }

  private async send(query: string, generation: number): Promise<void> {
    const source = this.options.newTokenSource();
    this.inflight = source;
    try {
      const result = await this.options.run(query, source.token);
      if (generation === this.generation) {
        this.setBusy(false);
        this.options.onResult(query, result);
      }
    } catch (error) {
      if (generation === this.generation) {
        this.setBusy(false);
        this.options.onError(query, error);
      }
    } finally {
      if (this.inflight === source) {
        this.inflight = undefined;
      }
      source.dispose();
    }
  }

  private cancelPending(): void {
    if (this.timer !== undefined) {
      this.timers.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inflight) {
      this.inflight.cancel();
      this.inflight = undefined;
    }
  }

  private setBusy(busy: boolean): void {
    this.options.onBusy?.(busy);
  }
}
