import { newWorkerId, type JobQueue } from './queue.ts';

const LOCKS_QUEUE = 'locks';

/**
 * A lock across processes as a leased row of the jobs table (the same atomic claim as any job): held
 * while its holder renews the lease, taken over by another once the holder stops renewing (dies). Used
 * so one replica at a time long-polls Telegram.
 */
export class LeaseLock {
  readonly #owner = newWorkerId();
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly jobs: JobQueue,
    private readonly name: string,
    private readonly leaseMs = 30_000,
  ) {}

  /**
   * Tries every `retryMs` until the lock is held, then calls `onAcquired` once, and `onLost` if a
   * renewal finds it taken (this process stalled past its lease). Stopped by release().
   */
  hold(handlers: { onAcquired: () => void; onLost: () => void }, retryMs = 2000): void {
    const id = `lock:${this.name}`;
    let held = false;
    const tick = async () => {
      if (held) {
        if (!(await this.jobs.extend(id, this.#owner, this.leaseMs))) {
          held = false;
          handlers.onLost();
        }
        return;
      }
      await this.jobs.enqueue({ id, queue: LOCKS_QUEUE, kind: 'lock', payload: {}, runAt: 0 });
      if (await this.jobs.claimById(id, this.#owner, this.leaseMs)) {
        held = true;
        handlers.onAcquired();
      }
    };
    const run = () => void tick().catch(() => {});
    run();
    this.#timer = setInterval(run, Math.min(retryMs, this.leaseMs / 3));
  }

  /** Stops renewing and frees the lock at once for the next holder. */
  async release(): Promise<void> {
    clearInterval(this.#timer);
    await this.jobs.retry(`lock:${this.name}`, this.#owner, 0);
  }
}
