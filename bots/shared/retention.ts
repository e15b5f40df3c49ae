// The retention job both bots run: one durable job per interval slot in the records database (core/jobs),
// so any replica may run it, once per slot, and a restart does not skip it.
import { JobWorker } from '../../core/jobs/worker.ts';
import type { JobStores } from '../../core/ports.ts';

export interface RetentionSchedule {
  stop(graceMs: number): Promise<void>;
}

export async function startRetention(options: {
  records: Pick<JobStores, 'jobs'>;
  /** e.g. "telegram-retention": one queue per bot. */
  queue: string;
  /** How often a pass runs (ms). */
  intervalMs: number;
  pass: () => Promise<void>;
  onError: (error: unknown) => void;
}): Promise<RetentionSchedule> {
  const { records, queue, intervalMs } = options;
  const schedule = (at: number) => records.jobs.enqueue({ id: `${queue}:${Math.floor(at / intervalMs)}`, queue, kind: 'retention', payload: {}, runAt: at });
  const worker = new JobWorker({
    jobs: records.jobs,
    queue,
    pollMs: Math.min(intervalMs, 5_000),
    run: async () => {
      await options.pass();
      await schedule((Math.floor(Date.now() / intervalMs) + 1) * intervalMs);
    },
    onError: (_job, error) => options.onError(error),
  });
  await schedule(Date.now());
  worker.start();
  return worker;
}
