import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Db, Queryable } from '../records/db.ts';

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

export interface JobRow {
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

/** A lock held by one process of many until it releases it or dies. */
export interface HeldLock {
  /** False once the lock was lost (its connection broke). */
  alive(): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Durable jobs with leases [core/jobs]: the one surface bots, outbox and locks use, whichever engine is
 * behind it (SqliteJobQueue embedded, PgBossJobQueue on PostgreSQL). A claimed job is held by one owner
 * until its lease runs out; completing or retrying needs the lease: a worker whose lease was taken over
 * changes nothing.
 */
export interface JobQueue {
  /** Stores a job unless one with its id exists. Returns whether it was created. */
  enqueue<P>(job: NewJob<P>): Promise<boolean>;
  /** The same, inside a records transaction (a packet and its delivery job are stored together). */
  insertIn<P>(q: Queryable, job: NewJob<P>): Promise<boolean>;
  /**
   * Adds an item to a job, creating the job if needed, and moves the job's start to at least `runAt`
   * while no worker holds it (a media group stays open until no item came for a while).
   */
  addPart<P, Part>(job: NewJob<P> & { runAt: number }, partId: string, part: Part): Promise<void>;
  /** Claims up to `limit` due jobs of a queue for `leaseMs`. */
  claim<P, Part>(queue: string, owner: string, leaseMs: number, limit: number): Promise<Array<Job<P, Part>>>;
  /** Claims one job by id if it is free (a packet tried at once after it was queued). */
  claimById<P, Part>(id: string, owner: string, leaseMs: number): Promise<Job<P, Part> | undefined>;
  /** Extends a held lease (heartbeat). False when the lease was lost. */
  extend(id: string, owner: string, leaseMs: number): Promise<boolean>;
  /** Done: the job and the parts it saw go; parts added meanwhile make it run again. */
  complete(job: Pick<Job, 'id'> & { partsSeen?: number }, owner: string): Promise<boolean>;
  completeIn(q: Queryable, job: Pick<Job, 'id'> & { partsSeen?: number }, owner: string): Promise<boolean>;
  /** Gives the job back, to run again at `runAt`. */
  retry(id: string, owner: string, runAt: number, error?: string): Promise<boolean>;
  retryIn(q: Queryable, id: string, owner: string, runAt: number, error?: string): Promise<boolean>;
  /** Gives up on the job: kept as 'failed' for a person to look at, never claimed again. */
  fail(id: string, owner: string, error: string): Promise<boolean>;
  /** Jobs of a queue not yet done (failed ones excluded). */
  countReady(queue: string): Promise<number>;
  list<P>(queue: string): Promise<Array<{ id: string; kind: string; payload: P; state: string; attempts: number }>>;
  /**
   * A lock across processes that ends with its holder's connection (Postgres: a session advisory lock),
   * when the engine has one; otherwise LeaseLock keeps a leased job row.
   */
  tryLock?(name: string): Promise<HeldLock | undefined>;
  close?(): Promise<void>;
}

const JOB_COLUMNS = 'seq, id, queue, kind, payload, order_key, attempts, run_at, lease_until, last_error';

/**
 * The embedded engine: jobs as rows of the SQLite records file. Claiming is one atomic UPDATE ... RETURNING
 * over rows whose lease is free or expired inside a write transaction, so two workers (threads,
 * processes) never hold one job, and a worker that dies loses its jobs to the next claim once the lease
 * runs out (at once when it was a process of this machine).
 */
export class SqliteJobQueue implements JobQueue {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  async enqueue<P>(job: NewJob<P>): Promise<boolean> {
    return this.insertIn(this.db, job);
  }

  async insertIn<P>(q: Queryable, job: NewJob<P>): Promise<boolean> {
    const now = this.now();
    return (
      (await q.run(
        'INSERT INTO jobs (id, queue, kind, payload, order_key, run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
        job.id,
        job.queue,
        job.kind,
        JSON.stringify(job.payload),
        job.orderKey ?? null,
        Math.round(job.runAt ?? now),
        now,
      )) > 0
    );
  }

  async addPart<P, Part>(job: NewJob<P> & { runAt: number }, partId: string, part: Part): Promise<void> {
    await this.db.tx(async (q) => {
      await q.run('INSERT INTO job_parts (job_id, part_id, payload) VALUES (?, ?, ?) ON CONFLICT (job_id, part_id) DO NOTHING', job.id, partId, JSON.stringify(part));
      if (!(await this.insertIn(q, job))) await q.run('UPDATE jobs SET run_at = CASE WHEN run_at > ? THEN run_at ELSE ? END WHERE id = ? AND lease_owner IS NULL', job.runAt, job.runAt, job.id);
    });
  }

  async claim<P, Part>(queue: string, owner: string, leaseMs: number, limit: number): Promise<Array<Job<P, Part>>> {
    const now = this.now();
    return this.db.tx(async (q) => {
      await this.#freeDeadLocalLeases(q);
      const rows = await q.all<JobRow>(
        `UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE seq IN (
           SELECT j.seq FROM jobs j
           WHERE j.queue = ? AND j.state = 'ready' AND j.run_at <= ? AND (j.lease_until IS NULL OR j.lease_until < ?)
             AND (j.order_key IS NULL OR NOT EXISTS (
               SELECT 1 FROM jobs e WHERE e.queue = j.queue AND e.order_key = j.order_key AND e.state = 'ready' AND e.seq < j.seq))
           ORDER BY j.run_at, j.seq LIMIT ?)
         RETURNING ${JOB_COLUMNS}`,
        owner,
        now + leaseMs,
        queue,
        now,
        now,
        limit,
      );
      const jobs: Array<Job<P, Part>> = [];
      for (const row of rows.sort((a, b) => a.seq - b.seq)) jobs.push(await toJob<P, Part>(q, row));
      return jobs;
    });
  }

  async claimById<P, Part>(id: string, owner: string, leaseMs: number): Promise<Job<P, Part> | undefined> {
    const now = this.now();
    return this.db.tx(async (q) => {
      const row = await q.get<JobRow>(
        `UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
         WHERE id = ? AND state = 'ready' AND (lease_until IS NULL OR lease_until < ?)
         RETURNING ${JOB_COLUMNS}`,
        owner,
        now + leaseMs,
        id,
        now,
      );
      return row ? toJob<P, Part>(q, row) : undefined;
    });
  }

  async extend(id: string, owner: string, leaseMs: number): Promise<boolean> {
    return (await this.db.run('UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?', this.now() + leaseMs, id, owner)) > 0;
  }

  async complete(job: Pick<Job, 'id'> & { partsSeen?: number }, owner: string): Promise<boolean> {
    return this.db.tx((q) => this.completeIn(q, job, owner));
  }

  async completeIn(q: Queryable, job: Pick<Job, 'id'> & { partsSeen?: number }, owner: string): Promise<boolean> {
    if (!(await q.get('SELECT 1 FROM jobs WHERE id = ? AND lease_owner = ?', job.id, owner))) return false;
    const seen = (await q.all<{ seq: number }>('SELECT seq FROM job_parts WHERE job_id = ? ORDER BY seq', job.id)).slice(0, job.partsSeen ?? Infinity);
    for (const { seq } of seen) await q.run('DELETE FROM job_parts WHERE seq = ?', seq);
    if (await q.get('SELECT 1 FROM job_parts WHERE job_id = ?', job.id)) {
      return (await q.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = ? WHERE id = ? AND lease_owner = ?', this.now(), job.id, owner)) > 0;
    }
    return (await q.run('DELETE FROM jobs WHERE id = ? AND lease_owner = ?', job.id, owner)) > 0;
  }

  async retry(id: string, owner: string, runAt: number, error?: string): Promise<boolean> {
    return this.retryIn(this.db, id, owner, runAt, error);
  }

  async retryIn(q: Queryable, id: string, owner: string, runAt: number, error?: string): Promise<boolean> {
    return (await q.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = ?, last_error = COALESCE(?, last_error) WHERE id = ? AND lease_owner = ?', Math.round(runAt), error ?? null, id, owner)) > 0;
  }

  async fail(id: string, owner: string, error: string): Promise<boolean> {
    return (await this.db.run("UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, last_error = ? WHERE id = ? AND lease_owner = ?", error, id, owner)) > 0;
  }

  countReady(queue: string): Promise<number> {
    return countReady(this.db, queue);
  }

  list<P>(queue: string): Promise<Array<{ id: string; kind: string; payload: P; state: string; attempts: number }>> {
    return listJobs<P>(this.db, queue);
  }

  /** Leases held by processes of this machine that no longer run end now, not after their lease time. */
  async #freeDeadLocalLeases(q: Queryable): Promise<void> {
    const owners = await q.all<{ lease_owner: string }>('SELECT DISTINCT lease_owner FROM jobs WHERE lease_owner IS NOT NULL AND lease_until >= ?', this.now());
    for (const { lease_owner: owner } of owners) {
      if (deadLocalOwner(owner)) await q.run('UPDATE jobs SET lease_until = 0 WHERE lease_owner = ?', owner);
    }
  }
}

export async function countReady(q: Queryable, queue: string): Promise<number> {
  return (await q.get<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE queue = ? AND state = 'ready'", queue))!.n;
}

export async function listJobs<P>(q: Queryable, queue: string): Promise<Array<{ id: string; kind: string; payload: P; state: string; attempts: number }>> {
  return (await q.all<{ id: string; kind: string; payload: string; state: string; attempts: number }>('SELECT id, kind, payload, state, attempts FROM jobs WHERE queue = ? ORDER BY seq', queue)).map((r) => ({
    ...r,
    payload: JSON.parse(r.payload) as P,
  }));
}

/** A job row as claimed, with its parts. */
export async function toJob<P, Part>(q: Queryable, row: JobRow): Promise<Job<P, Part>> {
  const parts = (await q.all<{ payload: string }>('SELECT payload FROM job_parts WHERE job_id = ? ORDER BY seq', row.id)).map((p) => JSON.parse(p.payload) as Part);
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

/** An owner id (newWorkerId) of a process on this machine that no longer runs. */
export function deadLocalOwner(owner: string): boolean {
  const prefix = `${os.hostname()}:`;
  if (!owner.startsWith(prefix)) return false;
  const pid = Number(owner.slice(prefix.length).split(':')[0]);
  return Number.isInteger(pid) && pid > 0 && !processAlive(pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
