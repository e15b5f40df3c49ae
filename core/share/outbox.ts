import { createHash } from 'node:crypto';
import { JobWorker } from '../jobs/worker.ts';
import { newWorkerId, type Job } from '../jobs/queue.ts';
import { DELIVERY_QUEUE, deliveryJobId, type DeliveryOutcome, type FinalOutcome, type Packet, type Records } from '../records/index.ts';
import type { Box } from '../faces/index.ts';
import { AlbumApiError, isRetryable, uploadPicture, type UploadPacket, type UploadResult } from './album-client.ts';

export type { DeliveryOutcome, Packet } from '../records/index.ts';

export interface OutboxOptions {
  records: Pick<Records, 'packets' | 'jobs'>;
  send?: (packet: UploadPacket) => Promise<UploadResult>;
  /** Delay before attempt n+1 (ms). Default: 1 s doubling, capped at 5 min, with jitter. */
  backoff?: (attempts: number) => number;
  now?: () => number;
  /** Called once per packet when its delivery ends here (delivered or refused). */
  onFinal?: (packet: Packet, outcome: DeliveryOutcome) => void;
  /** Awaited once per packet when its delivery ends here, before the attempt returns (notices); errors are passed to onFinalError. */
  afterFinal?: (packet: Packet, outcome: FinalOutcome) => Promise<void>;
  onFinalError?: (error: unknown) => void;
  /** The group's name as its members know it, sent along for the album page. */
  groupName?: (group: string) => Promise<string | undefined>;
  terminal?: string;
  /** How long a delivery may run before another process may take it over (ms). */
  leaseMs?: number;
  /** A packet still failing this long after it was queued is given up (`gave_up`), its picture dropped (ms; OUTBOX_GIVE_UP_DAYS). */
  giveUpAfterMs?: number;
}

/** OUTBOX_GIVE_UP_DAYS' default: a week of retries (every 5 minutes once the backoff is at its cap). */
export const DEFAULT_GIVE_UP_MS = 7 * 86_400_000;

/** The refusal a packet ends with when its album never took it (the bots tell its member). */
export const GAVE_UP = 'gave_up';

/** One packet per (album, account, picture): the same picture queued again is the same packet. */
export const packetId = (album: string, username: string, sha256: string) => createHash('sha256').update(`${album}\n${username}\n${sha256}`).digest('hex').slice(0, 32);

export const defaultBackoff = (attempts: number) => Math.min(300_000, 1000 * 2 ** Math.min(attempts, 20)) * (0.75 + Math.random() * 0.5);

/** Face hints kept for queued packets at most (the oldest go first: those packets are checked whole). */
const MAX_KEPT_HINTS = 10_000;

/** An upload is bounded by the album client's timeouts; the lease outlasts it with room to spare. */
const DEFAULT_LEASE_MS = 5 * 60_000;

/**
 * Durable outbox [photo sharing unit]: a packet, its picture and its delivery job are stored in one
 * transaction before anything is sent. Each delivery is a job with a lease, so one packet is sent by one
 * process at a time, whichever process (serve, several `share` runs) queued it; transport errors,
 * timeouts, 429 and 5xx retry it with backoff, across restarts; a 2xx or a final 4xx ends it. The album's
 * content addressing makes a resend after a lost answer or a dead worker a duplicate, never a second copy.
 */
export class Outbox {
  readonly #o: Required<Omit<OutboxOptions, 'onFinal' | 'terminal' | 'afterFinal' | 'onFinalError' | 'groupName'>> & Pick<OutboxOptions, 'onFinal' | 'terminal' | 'afterFinal' | 'onFinalError' | 'groupName'>;
  readonly #owner = newWorkerId();
  /** attempt() calls waiting for their claim. */
  readonly #inFlight = new Map<string, Promise<DeliveryOutcome>>();
  /** Deliveries running in this process (the job held by this.#owner or the worker's owner). */
  readonly #delivering = new Map<string, Promise<DeliveryOutcome>>();
  #worker: JobWorker<{ packetId: string }> | undefined;
  /**
   * Face hints of packets queued by this process, kept in memory only (an optimisation, not part of the packet):
   * a packet sent by another process or after a restart goes without them, and the album checks the whole photo.
   */
  readonly #hints = new Map<string, readonly Box[]>();

  constructor(options: OutboxOptions) {
    this.#o = { send: uploadPicture, backoff: defaultBackoff, now: Date.now, leaseMs: DEFAULT_LEASE_MS, giveUpAfterMs: DEFAULT_GIVE_UP_MS, ...options };
  }

  /** Queues a picture for one album account (idempotent). Returns the packet as stored. */
  async enqueue(input: { album: string; username: string; picture: Uint8Array; filename?: string; group?: string; memberId?: string; untrusted?: boolean; faceHints?: readonly Box[] }): Promise<Packet> {
    const sha256 = createHash('sha256').update(input.picture).digest('hex');
    const id = packetId(input.album, input.username, sha256);
    const packet = await this.#o.records.packets.enqueue(
      {
        id,
        album: input.album,
        username: input.username,
        sha256,
        filename: input.filename ?? `${sha256.slice(0, 16)}.jpg`,
        ...(input.group !== undefined ? { group: input.group } : {}),
        ...(input.memberId !== undefined ? { memberId: input.memberId } : {}),
        ...(input.untrusted ? { untrusted: true as const } : {}),
        createdAt: this.#o.now(),
      },
      input.picture,
    );
    if (input.faceHints && input.faceHints.length > 0) {
      if (this.#hints.size >= MAX_KEPT_HINTS) this.#hints.delete(this.#hints.keys().next().value!);
      this.#hints.set(packet.id, input.faceHints);
    }
    this.#worker?.wake();
    return packet;
  }

  /**
   * The outcome of this picture's earlier delivery to this album account from this terminal, when the album
   * took it (delivered, or already there): a re-share then sends nothing. Refused or queued ones: undefined.
   */
  async deliveredBefore(album: string, username: string, sha256: string): Promise<Extract<DeliveryOutcome, { kind: 'delivered' | 'duplicate' }> | undefined> {
    const outcome = (await this.#o.records.packets.get(packetId(album, username, sha256)))?.outcome;
    return outcome?.kind === 'delivered' || outcome?.kind === 'duplicate' ? outcome : undefined;
  }

  /** Packets still waiting. */
  pending(): Promise<Packet[]> {
    return this.#o.records.packets.pending();
  }

  /** The final outcome of a packet that left the queue. */
  async outcome(id: string): Promise<DeliveryOutcome | undefined> {
    return (await this.#o.records.packets.get(id))?.outcome;
  }

  /**
   * Tries one packet now. A packet being sent here is joined; one being sent by another process is
   * reported queued (that process records its outcome).
   */
  attempt(id: string): Promise<DeliveryOutcome> {
    const running = this.#delivering.get(id) ?? this.#inFlight.get(id);
    if (running) return running;
    const attempt = (async () => {
      const job = await this.#o.records.jobs.claimById<{ packetId: string }, never>(deliveryJobId(id), this.#owner, this.#o.leaseMs);
      if (job) return this.#track(id, this.#owner);
      // This process's worker may have taken it meanwhile: its outcome is the answer.
      return this.#delivering.get(id) ?? this.#currentState(id);
    })().finally(() => this.#inFlight.delete(id));
    this.#inFlight.set(id, attempt);
    return attempt;
  }

  /** Tries every packet that is due. Returns how many left the queue. */
  async drain(): Promise<number> {
    let done = 0;
    for (;;) {
      const jobs = await this.#o.records.jobs.claim<{ packetId: string }, never>(DELIVERY_QUEUE, this.#owner, this.#o.leaseMs, 8);
      if (jobs.length === 0) return done;
      const outcomes = await Promise.all(jobs.map((job) => this.#runJob(job, this.#owner)));
      done += outcomes.filter((o) => o.kind !== 'queued').length;
    }
  }

  /** Delivers due packets continuously, `intervalMs` apart at most (also right away, for packets left by earlier runs). */
  start(intervalMs = 2000): void {
    if (this.#worker) return;
    this.#worker = new JobWorker<{ packetId: string }>({
      jobs: this.#o.records.jobs,
      queue: DELIVERY_QUEUE,
      pollMs: intervalMs,
      leaseMs: this.#o.leaseMs,
      // The outbox records retries itself (with the packet); the worker only runs the attempt.
      run: async (job) => {
        const owner = this.#worker!.owner;
        const outcome = await this.#runJob(job, owner);
        // Joined with another delivery of this process: a job still held here waits for the packet's next attempt.
        if (outcome.kind === 'queued') await this.#o.records.jobs.retry(job.id, owner, outcome.nextAttemptAt);
      },
    });
    this.#worker.start();
  }

  async stop(): Promise<void> {
    await this.#worker?.stop(30_000);
    this.#worker = undefined;
    await Promise.allSettled([...this.#inFlight.values(), ...this.#delivering.values()]);
  }

  /** A claimed job: delivered, unless this process is delivering the packet already (then joined). */
  #runJob(job: Job<{ packetId: string }>, owner: string): Promise<DeliveryOutcome> {
    const id = job.payload.packetId;
    return this.#delivering.get(id) ?? this.#track(id, owner);
  }

  #track(id: string, owner: string): Promise<DeliveryOutcome> {
    const delivery = this.#deliver(id, owner).finally(() => this.#delivering.delete(id));
    this.#delivering.set(id, delivery);
    return delivery;
  }

  async #currentState(id: string): Promise<DeliveryOutcome> {
    const stored = await this.#o.records.packets.get(id);
    if (!stored) return { kind: 'refused', status: 0, code: 'unknown_packet', message: 'No such packet' };
    if (stored.outcome) return stored.outcome;
    const p = stored.packet;
    return { kind: 'queued', attempts: p.attempts, lastError: p.lastError ?? 'being sent by another process', nextAttemptAt: p.nextAttemptAt };
  }

  /** Sends a packet whose delivery job `owner` holds. */
  async #deliver(id: string, owner: string): Promise<DeliveryOutcome> {
    const { packets } = this.#o.records;
    const stored = await packets.get(id);
    if (!stored) return { kind: 'refused', status: 0, code: 'unknown_packet', message: 'No such packet' };
    const { packet } = stored;
    if (stored.outcome) {
      await packets.finish(id, stored.outcome, owner);
      return stored.outcome;
    }
    const picture = await packets.picture(packet.sha256);
    if (!picture) return this.#finish(packet, { kind: 'refused', status: 0, code: 'picture_missing', message: 'The picture is no longer stored' }, owner);
    try {
      const groupName = packet.group !== undefined ? await this.#o.groupName?.(packet.group) : undefined;
      const result = await this.#o.send({
        album: packet.album,
        username: packet.username,
        picture,
        filename: packet.filename,
        ...(packet.group !== undefined ? { group: packet.group } : {}),
        ...(groupName !== undefined ? { groupName } : {}),
        ...(packet.untrusted ? { untrusted: true } : {}),
        ...(this.#o.terminal !== undefined ? { terminal: this.#o.terminal } : {}),
        ...(this.#hints.has(id) ? { faceHints: this.#hints.get(id)! } : {}),
      });
      return this.#finish(packet, { kind: result.status === 'duplicate' ? 'duplicate' : 'delivered', id: result.id }, owner);
    } catch (error) {
      if (!isRetryable(error) && error instanceof AlbumApiError) {
        return this.#finish(packet, { kind: 'refused', status: error.status, code: error.code, message: error.message }, owner);
      }
      const lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      if (this.#o.now() - packet.createdAt >= this.#o.giveUpAfterMs) {
        const days = Math.round((this.#o.now() - packet.createdAt) / 86_400_000);
        const message = `The album did not take this photo in ${days >= 1 ? `${days} day${days > 1 ? 's' : ''}` : 'the time allowed'} of retries (last: ${lastError}); it was given up and its picture dropped.`;
        return this.#finish(packet, { kind: 'refused', status: 0, code: GAVE_UP, message }, owner);
      }
      const nextAttemptAt = this.#o.now() + this.#o.backoff(packet.attempts + 1);
      const updated = await packets.retry(id, lastError, nextAttemptAt, owner);
      return { kind: 'queued', attempts: updated?.attempts ?? packet.attempts + 1, lastError, nextAttemptAt };
    }
  }

  async #finish(packet: Packet, outcome: FinalOutcome, owner: string): Promise<DeliveryOutcome> {
    await this.#o.records.packets.finish(packet.id, outcome, owner);
    this.#hints.delete(packet.id);
    this.#o.onFinal?.(packet, outcome);
    if (this.#o.afterFinal) await this.#o.afterFinal(packet, outcome).catch((error: unknown) => this.#o.onFinalError?.(error));
    return outcome;
  }
}
