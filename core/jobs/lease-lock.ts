import { newWorkerId, type HeldLock, type JobQueue } from './queue.ts';

const LOCKS_QUEUE = 'locks';

/**
 * A lock across processes. On PostgreSQL a session advisory lock (JobQueue.tryLock): it ends with its
 * holder's connection, so a dead holder frees it at once. Embedded, a leased row of the jobs table (the
 * same atomic claim as any job): held while its holder renews the lease, taken over by another once the
 * holder stops renewing (dies). Used so one replica at a time long-polls Telegram or holds the Discord gateway.
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
    if (this.jobs.tryLock) return this.#holdSession(this.jobs.tryLock.bind(this.jobs), handlers, retryMs);
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

  #session: HeldLock | undefined;
  #stopped = false;

  #holdSession(tryLock: (name: string) => Promise<HeldLock | undefined>, handlers: { onAcquired: () => void; onLost: () => void }, retryMs: number): void {
    let busy = false;
    const tick = async () => {
      if (busy || this.#stopped) return;
      busy = true;
      try {
        if (this.#session) {
          if (!(await this.#session.alive())) {
            await this.#session.release().catch(() => {});
            this.#session = undefined;
            handlers.onLost();
          }
          return;
        }
        const session = await tryLock(this.name);
        if (!session) return;
        if (this.#stopped) return void (await session.release());
        this.#session = session;
        handlers.onAcquired();
      } finally {
        busy = false;
      }
    };
    const run = () => void tick().catch(() => {});
    run();
    this.#timer = setInterval(run, Math.min(retryMs, this.leaseMs / 3));
  }

  /** Stops renewing and frees the lock at once for the next holder. */
  async release(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    if (this.jobs.tryLock) {
      await this.#session?.release();
      this.#session = undefined;
      return;
    }
    await this.jobs.retry(`lock:${this.name}`, this.#owner, 0);
  }
}
