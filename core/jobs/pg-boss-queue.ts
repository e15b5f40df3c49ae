import { randomUUID } from 'node:crypto';
import PgBoss from 'pg-boss';
import type { Queryable } from '../records/db.ts';
import { DELIVERY_QUEUE } from '../records/packets.ts';
import { executorOf, type PgDb } from '../records/pg.ts';
import { countReady, deadLocalOwner, listJobs, toJob, type HeldLock, type Job, type JobQueue, type JobRow, type NewJob } from './queue.ts';

/** pg-boss's own tables live in this schema of the records database. */
const BOSS_SCHEMA = 'pgboss';
/** Expiry of a run is pg-boss's business: an expired run is always offered again; our attempts decide failure. */
const ENGINE_RETRY_LIMIT = 1_000_000;
/** A run's expiry until its claim sets the lease asked for: bounds the wait when a worker dies between pg-boss's fetch and our claim. */
const DEFAULT_LEASE_S = 60;

interface EngineRow extends JobRow {
  engine_id: string | null;
  state: 'ready' | 'failed';
  lease_owner: string | null;
}

const jobLock = (id: string) => `job:${id}`;
const orderLock = (queue: string, key: string) => `order:${queue}:${key}`;

/**
 * Jobs on PostgreSQL, run by pg-boss: it holds each runnable job, hands it to one worker (`fetch`,
 * FOR UPDATE SKIP LOCKED), times out the run of a worker that stopped (its `expire_in` is our lease;
 * its maintenance offers the job again) and schedules later runs (`start_after`). What pg-boss cannot
 * express stays in our `jobs` row, changed in the same transaction as the pg-boss job (its `db` option):
 * the job's identity and payload, its parts (a media group), one chat's order (only the oldest job of an
 * order key is given to pg-boss; the next when it ends), and which owner holds it (a worker whose lease
 * was taken over changes nothing). Two operations pg-boss 10 has no call for touch its job row directly:
 * claiming one job by id and extending a running job's expiry (a heartbeat).
 */
export class PgBossJobQueue implements JobQueue {
  readonly boss: PgBoss;
  readonly #queues = new Map<string, Promise<void>>();

  private constructor(
    private readonly db: PgDb,
    maintenanceSeconds: number,
  ) {
    this.boss = new PgBoss({
      db: { executeSql: (text, values) => db.executor.executeSql(text, values) },
      schema: BOSS_SCHEMA,
      supervise: true,
      schedule: false,
      maintenanceIntervalSeconds: maintenanceSeconds,
    });
    this.boss.on('error', () => {});
  }

  /** Starts pg-boss (creating or migrating its schema once across replicas) and hands it any job left without a run. */
  static async start(db: PgDb, options: { maintenanceSeconds?: number } = {}): Promise<PgBossJobQueue> {
    const queue = new PgBossJobQueue(db, options.maintenanceSeconds ?? 5);
    // pg-boss creating its schema in two replicas at once can collide: one starts at a time.
    const client = await db.pool.connect();
    try {
      await client.query("SELECT pg_advisory_lock(hashtextextended('facedrop:pg-boss-start', 0))");
      await queue.boss.start();
      // Created now, not on first use: a packet's delivery job is sent inside the packet's transaction,
      // which must not wait for a second connection of the pool.
      await queue.#queue(DELIVERY_QUEUE);
      await queue.#adoptOrphans();
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtextextended('facedrop:pg-boss-start', 0))").catch(() => {});
      client.release();
    }
    return queue;
  }

  async close(): Promise<void> {
    await this.boss.stop({ graceful: false, wait: true, close: false });
  }

  async enqueue<P>(job: NewJob<P>): Promise<boolean> {
    await this.#queue(job.queue);
    return this.db.tx((q) => this.insertIn(q, job));
  }

  async insertIn<P>(q: Queryable, job: NewJob<P>): Promise<boolean> {
    await this.#queue(job.queue);
    await q.lock(jobLock(job.id));
    if (job.orderKey !== undefined) await q.lock(orderLock(job.queue, job.orderKey));
    const now = Date.now();
    const runAt = Math.round(job.runAt ?? now);
    const inserted = await q.run(
      'INSERT INTO jobs (id, queue, kind, payload, order_key, run_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      job.id,
      job.queue,
      job.kind,
      JSON.stringify(job.payload),
      job.orderKey ?? null,
      runAt,
      now,
    );
    if (inserted === 0) return false;
    // One chat's jobs one after another: a later one waits for its turn (given to pg-boss when the one before ends).
    if (job.orderKey !== undefined && (await this.#waitsForTurn(q, job.id))) return true;
    await this.#send(q, job.queue, job.id, runAt);
    return true;
  }

  async addPart<P, Part>(job: NewJob<P> & { runAt: number }, partId: string, part: Part): Promise<void> {
    await this.#queue(job.queue);
    await this.db.tx(async (q) => {
      await q.lock(jobLock(job.id));
      await q.run('INSERT INTO job_parts (job_id, part_id, payload) VALUES (?, ?, ?) ON CONFLICT (job_id, part_id) DO NOTHING', job.id, partId, JSON.stringify(part));
      // Not yet running: its start moves; a claim before then gives it back (see #claimFetched).
      const runAt = Math.round(job.runAt);
      if (!(await this.insertIn(q, job))) await q.run('UPDATE jobs SET run_at = CASE WHEN run_at > ? THEN run_at ELSE ? END WHERE id = ? AND lease_owner IS NULL', runAt, runAt, job.id);
    });
  }

  async claim<P, Part>(queue: string, owner: string, leaseMs: number, limit: number): Promise<Array<Job<P, Part>>> {
    await this.#queue(queue);
    await this.#freeDeadLocalLeases(queue);
    const fetched = await this.boss.fetch<{ id: string }>(queue, { batchSize: limit });
    const jobs: Array<Job<P, Part>> = [];
    for (const run of fetched) {
      const job = await this.#claimFetched<P, Part>(queue, run.id, run.data.id, owner, leaseMs);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  async claimById<P, Part>(id: string, owner: string, leaseMs: number): Promise<Job<P, Part> | undefined> {
    return this.db.tx(
      async (q) => {
        const row = await q.get<EngineRow>("SELECT * FROM jobs WHERE id = ? AND state = 'ready'", id);
        if (!row?.engine_id) return undefined;
        // pg-boss fetches by queue only: this is its fetch for one job (a free run becomes active now).
        const taken = await q.run(
          `UPDATE ${BOSS_SCHEMA}.job SET state = 'active', started_on = now(), expire_in = ? * interval '1 millisecond'
           WHERE name = ? AND id = ? AND state < 'active'`,
          leaseMs,
          row.queue,
          row.engine_id,
        );
        if (taken === 0) return undefined;
        return this.#hold<P, Part>(q, id, owner, leaseMs);
      },
      { locks: [jobLock(id)] },
    );
  }

  async extend(id: string, owner: string, leaseMs: number): Promise<boolean> {
    const row = await this.db.get<EngineRow>('SELECT queue, engine_id FROM jobs WHERE id = ? AND lease_owner = ?', id, owner);
    if (!row?.engine_id) return false;
    // The run's expiry moves to leaseMs from now; a run pg-boss already timed out is lost.
    const extended = await this.db.run(
      `UPDATE ${BOSS_SCHEMA}.job SET expire_in = (now() - started_on) + ? * interval '1 millisecond' WHERE name = ? AND id = ? AND state = 'active'`,
      leaseMs,
      row.queue,
      row.engine_id,
    );
    if (extended === 0) return false;
    return (await this.db.run('UPDATE jobs SET lease_until = ? WHERE id = ? AND lease_owner = ?', Math.round(Date.now() + leaseMs), id, owner)) > 0;
  }

  async complete(job: Pick<Job, 'id'> & { partsSeen?: number }, owner: string): Promise<boolean> {
    return this.db.tx((q) => this.completeIn(q, job, owner));
  }

  async completeIn(q: Queryable, job: Pick<Job, 'id'> & { partsSeen?: number }, owner: string): Promise<boolean> {
    await q.lock(jobLock(job.id));
    const row = await q.get<EngineRow>('SELECT * FROM jobs WHERE id = ? AND lease_owner = ?', job.id, owner);
    if (!row) return false;
    if (row.order_key !== null) await q.lock(orderLock(row.queue, row.order_key));
    const seen = (await q.all<{ seq: number }>('SELECT seq FROM job_parts WHERE job_id = ? ORDER BY seq', job.id)).slice(0, job.partsSeen ?? Infinity);
    for (const { seq } of seen) await q.run('DELETE FROM job_parts WHERE seq = ?', seq);
    await this.#endRun(q, row);
    if (await q.get('SELECT 1 FROM job_parts WHERE job_id = ?', job.id)) {
      // Parts came while it ran: it runs again for them.
      await q.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = ? WHERE id = ?', Date.now(), job.id);
      await this.#send(q, row.queue, row.id, Date.now());
      return true;
    }
    await q.run('DELETE FROM jobs WHERE id = ?', job.id);
    if (row.order_key !== null) await this.#sendNext(q, row.queue, row.order_key);
    return true;
  }

  async retry(id: string, owner: string, runAt: number, error?: string): Promise<boolean> {
    return this.db.tx((q) => this.retryIn(q, id, owner, runAt, error));
  }

  async retryIn(q: Queryable, id: string, owner: string, at: number, error?: string): Promise<boolean> {
    const runAt = Math.round(at);
    await q.lock(jobLock(id));
    const row = await q.get<EngineRow>('SELECT * FROM jobs WHERE id = ? AND lease_owner = ?', id, owner);
    if (!row) return false;
    await this.#endRun(q, row);
    await q.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL, run_at = ?, last_error = COALESCE(?, last_error) WHERE id = ?', runAt, error ?? null, id);
    await this.#send(q, row.queue, id, runAt);
    return true;
  }

  async fail(id: string, owner: string, error: string): Promise<boolean> {
    return this.db.tx(async (q) => {
      await q.lock(jobLock(id));
      const row = await q.get<EngineRow>('SELECT * FROM jobs WHERE id = ? AND lease_owner = ?', id, owner);
      if (!row) return false;
      if (row.order_key !== null) await q.lock(orderLock(row.queue, row.order_key));
      await this.#endRun(q, row);
      await q.run("UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_until = NULL, last_error = ? WHERE id = ?", error, id);
      if (row.order_key !== null) await this.#sendNext(q, row.queue, row.order_key);
      return true;
    });
  }

  countReady(queue: string): Promise<number> {
    return countReady(this.db, queue);
  }

  list<P>(queue: string): Promise<Array<{ id: string; kind: string; payload: P; state: string; attempts: number }>> {
    return listJobs<P>(this.db, queue);
  }

  /** A session advisory lock on its own connection: it ends when the holder releases it or its connection drops (the process died). */
  async tryLock(name: string): Promise<HeldLock | undefined> {
    const client = await this.db.pool.connect();
    let broken = false;
    client.on('error', () => (broken = true));
    try {
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [`lock:${name}`]);
      if (!rows[0]?.ok) {
        client.release();
        return undefined;
      }
    } catch (error) {
      client.release(true);
      throw error;
    }
    let released = false;
    return {
      alive: async () => {
        if (broken || released) return false;
        try {
          await client.query('SELECT 1');
          return true;
        } catch {
          broken = true;
          return false;
        }
      },
      release: async () => {
        if (released) return;
        released = true;
        try {
          if (!broken) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [`lock:${name}`]);
        } finally {
          client.release(broken);
        }
      },
    };
  }

  /** A run pg-boss gave us: held by `owner` unless our row says it is stale or not yet due. */
  async #claimFetched<P, Part>(queue: string, engineId: string, id: string, owner: string, leaseMs: number): Promise<Job<P, Part> | undefined> {
    return this.db.tx(
      async (q) => {
        const row = await q.get<EngineRow>('SELECT * FROM jobs WHERE id = ?', id);
        const executor = executorOf(q);
        if (!row || row.state !== 'ready' || row.engine_id !== engineId) {
          // A run left behind by a retry or a finished job: it ends here.
          await this.boss.complete(queue, engineId, {}, { db: executor });
          return undefined;
        }
        if (row.run_at > Date.now()) {
          // Its start was moved later (a media group got another item): offered again then.
          await this.#endRun(q, row);
          await this.#send(q, queue, id, row.run_at);
          return undefined;
        }
        await q.run(`UPDATE ${BOSS_SCHEMA}.job SET expire_in = (now() - started_on) + ? * interval '1 millisecond' WHERE name = ? AND id = ?`, leaseMs, queue, engineId);
        return this.#hold<P, Part>(q, id, owner, leaseMs);
      },
      { locks: [jobLock(id)] },
    );
  }

  async #hold<P, Part>(q: Queryable, id: string, owner: string, leaseMs: number): Promise<Job<P, Part>> {
    const row = await q.get<JobRow>(
      'UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1 WHERE id = ? RETURNING seq, id, queue, kind, payload, order_key, attempts, run_at, lease_until, last_error',
      owner,
      Math.round(Date.now() + leaseMs),
      id,
    );
    return toJob<P, Part>(q, row!);
  }

  /** Gives pg-boss a new run of the job, starting at `runAt`. */
  async #send(q: Queryable, queue: string, id: string, runAt: number): Promise<void> {
    const engineId = randomUUID();
    const sent = await this.boss.send(queue, { id }, { id: engineId, startAfter: new Date(runAt), retryLimit: ENGINE_RETRY_LIMIT, retryDelay: 0, expireInSeconds: DEFAULT_LEASE_S, db: executorOf(q) });
    if (!sent) throw new Error(`pg-boss did not take job ${id}`);
    await q.run('UPDATE jobs SET engine_id = ? WHERE id = ?', engineId, id);
  }

  /** The job's current pg-boss run ends (completed: our row says how it went). */
  async #endRun(q: Queryable, row: EngineRow): Promise<void> {
    if (row.engine_id) await this.boss.complete(row.queue, row.engine_id, {}, { db: executorOf(q) });
  }

  async #waitsForTurn(q: Queryable, id: string): Promise<boolean> {
    return !!(await q.get(
      "SELECT 1 FROM jobs j JOIN jobs e ON e.queue = j.queue AND e.order_key = j.order_key AND e.state = 'ready' AND e.seq < j.seq WHERE j.id = ?",
      id,
    ));
  }

  /** The oldest waiting job of an order key goes to pg-boss. */
  async #sendNext(q: Queryable, queue: string, orderKey: string): Promise<void> {
    const next = await q.get<EngineRow>("SELECT * FROM jobs WHERE queue = ? AND order_key = ? AND state = 'ready' ORDER BY seq LIMIT 1", queue, orderKey);
    if (next && next.engine_id === null) await this.#send(q, queue, next.id, next.run_at);
  }

  /** Runs held by processes of this machine that no longer run are offered again now, not after their lease. */
  async #freeDeadLocalLeases(queue: string): Promise<void> {
    const owners = await this.db.all<{ lease_owner: string }>('SELECT DISTINCT lease_owner FROM jobs WHERE queue = ? AND lease_owner IS NOT NULL', queue);
    for (const { lease_owner: owner } of owners) {
      if (!deadLocalOwner(owner)) continue;
      const held = await this.db.all<EngineRow>('SELECT * FROM jobs WHERE lease_owner = ? AND queue = ?', owner, queue);
      for (const row of held) {
        await this.db.tx(
          async (q) => {
            const still = await q.get<EngineRow>('SELECT * FROM jobs WHERE id = ? AND lease_owner = ?', row.id, owner);
            if (!still) return;
            await this.#endRun(q, still);
            await q.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE id = ?', row.id);
            await this.#send(q, row.queue, row.id, Date.now());
          },
          { locks: [jobLock(row.id)] },
        );
      }
    }
  }

  /** Jobs whose turn it is but that pg-boss does not hold (imported rows, a run it archived) get a run. */
  async #adoptOrphans(): Promise<void> {
    const orphans = await this.db.all<EngineRow>(
      `SELECT j.* FROM jobs j
       WHERE j.state = 'ready'
         AND (j.engine_id IS NULL OR NOT EXISTS (SELECT 1 FROM ${BOSS_SCHEMA}.job b WHERE b.id = j.engine_id AND b.state < 'completed'))
         AND (j.order_key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs e WHERE e.queue = j.queue AND e.order_key = j.order_key AND e.state = 'ready' AND e.seq < j.seq))`,
    );
    for (const orphan of orphans) {
      await this.#queue(orphan.queue);
      await this.db.tx(
        async (q) => {
          const row = await q.get<EngineRow>("SELECT * FROM jobs WHERE id = ? AND state = 'ready'", orphan.id);
          if (!row || (row.engine_id !== null && row.engine_id !== orphan.engine_id)) return;
          await q.run('UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE id = ?', row.id);
          await this.#send(q, row.queue, row.id, Math.max(row.run_at, 0));
        },
        { locks: [jobLock(orphan.id)] },
      );
    }
  }

  /** pg-boss 10 needs a queue created before jobs are sent to it (once; another replica may create it meanwhile). */
  #queue(name: string): Promise<void> {
    let ready = this.#queues.get(name);
    if (!ready) {
      ready = (async () => {
        // Replicas starting together create the same queues: PostgreSQL may end one of two such
        // transactions as a deadlock, so a failed creation is tried again after a short random pause.
        for (let attempt = 1; ; attempt++) {
          if (await this.boss.getQueue(name)) return;
          try {
            await this.boss.createQueue(name, { name, policy: 'standard' });
            return;
          } catch (error) {
            if (await this.boss.getQueue(name)) return;
            if (attempt >= 8) throw error;
            await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
          }
        }
      })();
      ready.catch(() => this.#queues.delete(name));
      this.#queues.set(name, ready);
    }
    return ready;
  }
}
