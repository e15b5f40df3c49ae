import { newWorkerId, type Job, type JobQueue } from './queue.ts';

export interface WorkerOptions<P, Part> {
  jobs: JobQueue;
  queue: string;
  /** Runs one job. Resolving completes it; throwing retries it (backoff) until maxAttempts, then fails it. */
  run: (job: Job<P, Part>, signal: AbortSignal) => Promise<void>;
  concurrency?: number;
  /** How long a claim lasts without a heartbeat (ms); a dead worker's jobs wait this long at most. */
  leaseMs?: number;
  /** How often the queue is looked at when nothing woke the worker (ms). */
  pollMs?: number;
  maxAttempts?: number;
  backoff?: (attempts: number) => number;
  onError?: (job: Job<P, Part>, error: unknown, final: boolean) => void;
  owner?: string;
  /** Aborted by stop() once the grace time is over (default: one of the worker's own). */
  abort?: AbortController;
}

const defaultBackoff = (attempts: number) => Math.min(300_000, 1000 * 2 ** Math.min(attempts, 20));

/**
 * Runs the jobs of one queue: claims due jobs up to its concurrency, keeps their leases alive while they
 * run, completes or retries each. Any number of workers, in any number of processes, may serve one queue.
 */
export class JobWorker<P = unknown, Part = unknown> {
  readonly owner: string;
  readonly #o: Required<Omit<WorkerOptions<P, Part>, 'onError' | 'owner' | 'abort'>> & Pick<WorkerOptions<P, Part>, 'onError'>;
  readonly #abort: AbortController;
  readonly #running = new Map<string, Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #polling: Promise<void> | undefined;
  #again = false;
  #stopped = false;

  constructor(options: WorkerOptions<P, Part>) {
    this.owner = options.owner ?? newWorkerId();
    this.#abort = options.abort ?? new AbortController();
    this.#o = { concurrency: 4, leaseMs: 60_000, pollMs: 1000, maxAttempts: 5, backoff: defaultBackoff, ...options };
  }

  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => this.wake(), this.#o.pollMs);
    this.#timer.unref();
    this.#heartbeat = setInterval(() => void this.#extendLeases(), Math.max(50, this.#o.leaseMs / 3));
    this.#heartbeat.unref();
    this.wake();
  }

  /** Looks for due jobs now (called after a local enqueue, so a new job does not wait for the next poll). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#polling) {
      this.#again = true;
      return;
    }
    this.#polling = this.#poll().finally(() => {
      this.#polling = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Resolves when this worker runs nothing and the queue holds no due job it could take. */
  async idle(): Promise<void> {
    for (;;) {
      await this.#polling;
      await Promise.allSettled([...this.#running.values()]);
      if (this.#running.size === 0 && !this.#polling) return;
    }
  }

  /**
   * Stops claiming, lets running jobs finish for `graceMs`, then aborts them: an aborted job is given
   * back at once (its lease freed), so the next start, here or elsewhere, takes it.
   */
  async stop(graceMs = 15_000): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    clearInterval(this.#heartbeat);
    await this.#polling;
    const all = () => Promise.allSettled([...this.#running.values()]);
    await Promise.race([all(), new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    this.#abort.abort();
    await all();
  }

  async #poll(): Promise<void> {
    const free = this.#o.concurrency - this.#running.size;
    if (free <= 0) return;
    const claimed = await this.#o.jobs.claim<P, Part>(this.#o.queue, this.owner, this.#o.leaseMs, free);
    for (const job of claimed) {
      const running = this.#runOne(job).finally(() => {
        this.#running.delete(job.id);
        this.wake();
      });
      this.#running.set(job.id, running);
    }
  }

  async #runOne(job: Job<P, Part>): Promise<void> {
    const { jobs } = this.#o;
    try {
      await this.#o.run(job, this.#abort.signal);
      await jobs.complete({ id: job.id, partsSeen: job.parts.length }, this.owner);
    } catch (error) {
      if (this.#abort.signal.aborted) {
        await jobs.retry(job.id, this.owner, Date.now()).catch(() => {});
        return;
      }
      const final = job.attempts >= this.#o.maxAttempts;
      this.#o.onError?.(job, error, final);
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (final) await jobs.fail(job.id, this.owner, message).catch(() => {});
      else await jobs.retry(job.id, this.owner, Date.now() + this.#o.backoff(job.attempts), message).catch(() => {});
    }
  }

  async #extendLeases(): Promise<void> {
    for (const id of this.#running.keys()) await this.#o.jobs.extend(id, this.owner, this.#o.leaseMs).catch(() => {});
  }
}
