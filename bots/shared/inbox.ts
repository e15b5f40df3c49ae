// The durable inbox both bots use: a chat event becomes a job in the records database before it is
// acknowledged, and workers in any process run it with a lease (core/jobs), so a restart or a crash loses
// no photo and two processes never run one job.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, JobQueue } from '../../core/jobs/queue.ts';
import { JobWorker } from '../../core/jobs/worker.ts';
import type { JobStores } from '../../core/ports.ts';

export type InboxJob<P, Part = never> = Job<P, Part>;

export interface InboxOptions<P, Part> {
  records: JobStores;
  /** The platform's queue name ("telegram", "discord"): job ids are unique within it. */
  queue: string;
  run: (job: InboxJob<P, Part>, signal: AbortSignal) => Promise<void>;
  concurrency: number;
  /** A job whose worker died is taken over after this long (ms). */
  leaseMs?: number;
  pollMs?: number;
  /** Runs of a failing job before it is kept as failed. */
  maxAttempts?: number;
  onError: (job: InboxJob<P, Part>, error: unknown, final: boolean) => void;
  /** Aborted at stop, after the grace time: cuts the platform client's retry waits short. */
  abort?: AbortController;
}

export class DurableInbox<P, Part = never> {
  readonly #jobs: JobQueue;
  readonly #worker: JobWorker<P, Part>;

  constructor(private readonly options: InboxOptions<P, Part>) {
    this.#jobs = options.records.jobs;
    this.#worker = new JobWorker<P, Part>({
      jobs: this.#jobs,
      queue: options.queue,
      run: options.run,
      concurrency: options.concurrency,
      leaseMs: options.leaseMs ?? 60_000,
      pollMs: options.pollMs ?? 500,
      maxAttempts: options.maxAttempts ?? 3,
      onError: options.onError,
      ...(options.abort ? { abort: options.abort } : {}),
    });
  }

  /**
   * Stores a job (once per id: a replayed event is not stored twice). Jobs with the same `orderKey`
   * (one chat) run one after another in the order they were stored.
   */
  async put(id: string, kind: string, payload: P, options: { orderKey?: string; runAt?: number } = {}): Promise<void> {
    await this.#jobs.enqueue({ id: this.#id(id), queue: this.options.queue, kind, payload, ...options });
    this.#worker.wake();
  }

  /** Adds an item to a job that runs once no item came for `quietMs` (a Telegram media group). */
  async putPart(id: string, kind: string, payload: P, part: { id: string; value: Part }, options: { orderKey?: string; quietMs: number }): Promise<void> {
    const runAt = Date.now() + options.quietMs;
    await this.#jobs.addPart({ id: this.#id(id), queue: this.options.queue, kind, payload, runAt, ...(options.orderKey !== undefined ? { orderKey: options.orderKey } : {}) }, part.id, part.value);
  }

  /** True for exactly one caller per key, across processes and restarts: "reply to this message once". */
  once(key: string): Promise<boolean> {
    return this.options.records.kv.setOnce(`${this.options.queue}:once:${key}`);
  }

  /** Starts taking jobs, first those left by an earlier run. */
  start(): void {
    this.#worker.start();
  }

  /** Resolves when no job of this inbox is waiting or running (tests). */
  async idle(): Promise<void> {
    for (;;) {
      await this.#worker.idle();
      if ((await this.#jobs.countReady(this.options.queue)) === 0) return;
      this.#worker.wake();
      await sleep(20);
    }
  }

  /** Lets running jobs finish for `graceMs`, then interrupts them; interrupted jobs run at the next start. */
  stop(graceMs: number): Promise<void> {
    return this.#worker.stop(graceMs);
  }

  #id(id: string): string {
    return `${this.options.queue}:${id}`;
  }
}
