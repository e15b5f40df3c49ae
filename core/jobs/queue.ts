import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { SqliteDb } from '../records/db.ts';

/** A durable job as claimed by a worker. */
export interface Job<P = unknown, Part = unknown> {
  id: string;
  queue: string;
  /** What the job does, within its queue (e.g. "share", "command", "deliver"; later "notice", "retention"). */
  kind: string;
  payload: P;
  /** Items added to the job after it was created (a Telegram media group's messages), oldest first. */
  parts: Part[];
  orderKey: string | null;
  /** This claim is the attempts-th. */
  attempts: number;
  runAt: number;
  leaseUntil: number;
  lastError: string | null;
}

export interface NewJob<P = unknown> {
  id: string;
  queue: string;
  kind: string;
  payload: P;
  /** Jobs with the same key run one at a time, in the order they were stored (one chat's updates). */
  orderKey?: string;
  /** Not before this time (ms since epoch): a delayed notice, a retry, a media group's quiet period. */
  runAt?: number;
}

interface JobRow {
  seq: number;
  id: string;
  queue: string;
  kind: string;
  payload: string;
  order_key: string | null;
  attempts: number;
  run_at: number;
  lease_until: number;
  last_error: string | null;
}

/** Who holds a lease: host, process id and a random part, so a dead local process's leases can be freed at once. */
export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

/**
 * Durable jobs with leases, in the records database [core/jobs]. A job is a row; claiming is one atomic
 * UPDATE ... RETURNING over rows whose lease is free or expired, so two workers (threads, processes)
 * never hold one job, and a worker that dies loses its jobs to the next claim once the lease runs out.
 * Completing or retrying needs the lease: a worker whose lease was taken over changes nothing.
 */
export class JobQueue {
  constructor(
    private readonly db: SqliteDb,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores a job unless one with its id exists. Returns whether it was created. */
  async enqueue<P>(job: NewJob<P>): Promise<boolean> {
    return this.insertSync(job);
  }

  /** The insert, for repositories that store a job in the same transaction as their own row. */
  insertSync<P>(job: NewJob<P>): boolean {
    const now = this.now();
    return (
      this.db.run(
        'INSERT INTO jobs (id, queue, kind, payload, order_key, run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        job.id,
        job.queue,
        job.kind,
        JSON.stringify(job.payload),
        job.orderKey ?? null,
        job.runAt ?? now,
        now,
      ) > 0
    );
  }

  /**
   * Adds an item to a job, creating the job if needed, and moves the job's start to at least `runAt`
   * while no worker holds it (a media group stays open until no item came for a while).
   */
  async addPart<P, Part>(job: NewJob<P> & { runAt: number }, partId: string, part: Part): Promise<void> {
    this.db.tx(() => {
      this.db.run('INSERT INTO job_parts (job_id, part_id, payload) VALUES (?, ?, ?) ON CONFLICT (job_id, part_id) DO NOTHING', job.id, partId, JSON.stringify(part));
      if (!this.insertSync(job)) this.db.run('UPDATE jobs SET run_at = MAX(run_at, ?) WHERE id = ? AND lease_owner IS NULL', job.runAt, job.id);
    });
  }

  /** Claims up to `limit` due jobs of a queue for `leaseMs`. */
  async claim<P, Part>(queue: string, owner: string, leaseMs: number, limit: number): Promise<Array<Job<P, Part>>> {
    const now = this.now();
    return this.db.tx(() => {
      this.#freeDeadLocalLeases();
      const rows = this.db.all<JobRow>(
        `UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE seq IN (
           SELECT j.seq FROM jobs j
           WHERE j.queue = ? AND j.state = 'ready' AND j.run_at <= ? AND (j.lease_until IS NULL OR j.lease_until < ?)
             AND (j.order_key IS NULL OR NOT EXISTS (
               SELECT 1 FROM jobs e WHERE e.queue = j.queue AND e.order_key = j.order_key AND e.state = 'ready' AND e.seq < j.seq))
           ORDER BY j.run_at, j.seq LIMIT ?)
         RETURNING seq, id, queue, kind, payload, order_key, attempts, run_at, lease_until, last_error`,
        owner,
        now + leaseMs,
        queue,
        now,
        now,
        limit,
      );
      return rows.sort((a, b) => a.seq - b.seq).map((row) => this.#toJob<P, Part>(row));
    });
  }

  /** Claims one job by id if it is due and free (a packet tried at once after it was queued). */
  async claimById<P, Part>(id: string, owner: string, leaseMs: number): Promise<Job<P, Part> | undefined> {
    const now = this.now();
    const row = this.db.tx(() =>
      this.db.get<JobRow>(
        `UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE id = ? AND state = 'ready' AND (lease_until IS NULL OR lease_until < ?)
         RETURNING seq, id, queue, kind, payload, order_key, attempts, run_at, lease_until, last_error`,
        owner,
        now + leaseMs,
        id,
        now,
      ),
    );
    return row ? this.#toJob<P, Part>(row) : undefined;
  }

  /** Extends a held lease (heartbeat). False when the lease was lost. */
  async extend(id: string, owner: string, leaseMs: number): Promise<boolean> {
    return this.db.run('UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?', this.now() + leaseMs, id, owner) > 0;
  }

  /** Done: the job and the parts it saw go; parts added meanwhile make it run again. */
  async complete(job: Pick<Job, 'id'> & { partsSeen?: number }, owner: string): Promise<boolean> {
    return this.completeSync(job, owner);
  }

  completeSync(job: Pick<Job, 'id'> & { partsSeen?: number }, owner: string): boolean {
    return this.db.tx(() => {
      const seen = this.db.all<{ seq: number }>('SELECT seq FROM job_parts WHERE job_id = ? ORDER BY seq', job.id).slice(0, job.partsSeen ?? Infinity);
      for (const { seq } of seen) this.db.run('DELETE FROM job_parts WHERE seq = ?', seq);
      if (this.db.get('SELECT 1 FROM job_parts WHERE job_id = ?', job.id)) {
        return this.db.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = ? WHERE id = ? AND lease_owner = ?', this.now(), job.id, owner) > 0;
      }
      return this.db.run('DELETE FROM jobs WHERE id = ? AND lease_owner = ?', job.id, owner) > 0;
    });
  }

  /** Gives the job back, to run again at `runAt`. */
  async retry(id: string, owner: string, runAt: number, error?: string): Promise<boolean> {
    return this.retrySync(id, owner, runAt, error);
  }

  retrySync(id: string, owner: string, runAt: number, error?: string): boolean {
    return this.db.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = ?, last_error = COALESCE(?, last_error) WHERE id = ? AND lease_owner = ?', runAt, error ?? null, id, owner) > 0;
  }

  /** Gives up on the job: kept as 'failed' for a person to look at, never claimed again. */
  async fail(id: string, owner: string, error: string): Promise<boolean> {
    return this.db.run("UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, last_error = ? WHERE id = ? AND lease_owner = ?", error, id, owner) > 0;
  }

  /** Jobs of a queue not yet done (failed ones excluded). */
  async countReady(queue: string): Promise<number> {
    return this.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND state = 'ready'", queue)!.n;
  }

  async list<P>(queue: string): Promise<Array<{ id: string; kind: string; payload: P; state: string; attempts: number }>> {
    return this.db
      .all<{ id: string; kind: string; payload: string; state: string; attempts: number }>('SELECT id, kind, payload, state, attempts FROM jobs WHERE queue = ? ORDER BY seq', queue)
      .map((r) => ({ ...r, payload: JSON.parse(r.payload) as P }));
  }

  /** Leases held by processes of this machine that no longer run end now, not after their lease time. */
  #freeDeadLocalLeases(): void {
    const prefix = `${os.hostname()}:`;
    const owners = this.db.all<{ lease_owner: string }>('SELECT DISTINCT lease_owner FROM jobs WHERE lease_owner IS NOT NULL AND lease_until >= ?', this.now());
    for (const { lease_owner: owner } of owners) {
      if (!owner.startsWith(prefix)) continue;
      const pid = Number(owner.slice(prefix.length).split(':')[0]);
      if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) this.db.run('UPDATE jobs SET lease_until = 0 WHERE lease_owner = ?', owner);
    }
  }

  #toJob<P, Part>(row: JobRow): Job<P, Part> {
    const parts = this.db.all<{ payload: string }>('SELECT payload FROM job_parts WHERE job_id = ? ORDER BY seq', row.id).map((p) => JSON.parse(p.payload) as Part);
    return {
      id: row.id,
      queue: row.queue,
      kind: row.kind,
      payload: JSON.parse(row.payload) as P,
      parts,
      orderKey: row.order_key,
      attempts: row.attempts,
      runAt: row.run_at,
      leaseUntil: row.lease_until,
      lastError: row.last_error,
    };
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
