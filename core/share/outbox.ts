import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../store.ts';
import { AlbumApiError, isRetryable, uploadPicture, type UploadPacket, type UploadResult } from './album-client.ts';

/** A picture on its way to one member's album [packet]. */
export interface Packet {
  /** Derived from album, username and picture: the same photo for the same member is one packet. */
  id: string;
  album: string;
  username: string;
  sha256: string;
  filename: string;
  group?: string;
  memberId?: string;
  /** The album address came from a chat user: checked at connect time (album-address.ts). */
  untrusted?: true;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
}

export type DeliveryOutcome =
  | { kind: 'delivered'; id: string }
  | { kind: 'duplicate'; id: string }
  | { kind: 'refused'; status: number; code: string; message: string }
  | { kind: 'queued'; attempts: number; lastError: string; nextAttemptAt: number };

export interface OutboxOptions {
  store: Store;
  /** Where pictures wait for delivery (one file per picture, shared by its packets). */
  dir: string;
  send?: (packet: UploadPacket) => Promise<UploadResult>;
  /** Delay before attempt n+1 (ms). Default: 1 s doubling, capped at 5 min, with jitter. */
  backoff?: (attempts: number) => number;
  now?: () => number;
  /** Called once per packet when it leaves the queue (delivered or refused). */
  onFinal?: (packet: Packet, outcome: DeliveryOutcome) => void;
  terminal?: string;
}

const QUEUE_KEY = 'outbox:queue';
const outcomeKey = (id: string) => `outbox:outcome:${id}`;

export const defaultBackoff = (attempts: number) => Math.min(300_000, 1000 * 2 ** Math.min(attempts, 20)) * (0.75 + Math.random() * 0.5);

/**
 * Durable outbox [photo sharing unit]: a packet is written (picture file, then queue entry) before it is
 * sent; transport errors, timeouts, 429 and 5xx leave it queued with backoff, surviving restarts; a 2xx
 * or a final 4xx ends it. A packet is never sent by two callers at once, and the album's content
 * addressing makes a retry after a lost answer a duplicate, not a second copy.
 */
export class Outbox {
  readonly #o: Required<Omit<OutboxOptions, 'onFinal' | 'terminal'>> & Pick<OutboxOptions, 'onFinal' | 'terminal'>;
  readonly #inFlight = new Map<string, Promise<DeliveryOutcome>>();
  #timer: NodeJS.Timeout | undefined;
  #draining: Promise<number> | undefined;

  constructor(options: OutboxOptions) {
    this.#o = { send: uploadPicture, backoff: defaultBackoff, now: Date.now, ...options };
    fs.mkdirSync(this.#o.dir, { recursive: true });
  }

  /** Queues a picture for one album account (idempotent). Returns the packet as stored. */
  async enqueue(input: { album: string; username: string; picture: Uint8Array; filename?: string; group?: string; memberId?: string; untrusted?: boolean }): Promise<Packet> {
    const sha256 = createHash('sha256').update(input.picture).digest('hex');
    const id = createHash('sha256').update(`${input.album}\n${input.username}\n${sha256}`).digest('hex').slice(0, 32);
    await this.#writeBlob(sha256, input.picture);
    const now = this.#o.now();
    let stored: Packet | undefined;
    await this.#o.store.update<Packet[]>(QUEUE_KEY, (queue = []) => {
      stored = queue.find((p) => p.id === id);
      if (stored) return queue;
      stored = {
        id,
        album: input.album,
        username: input.username,
        sha256,
        filename: input.filename ?? `${sha256.slice(0, 16)}.jpg`,
        ...(input.group !== undefined ? { group: input.group } : {}),
        ...(input.memberId !== undefined ? { memberId: input.memberId } : {}),
        ...(input.untrusted ? { untrusted: true as const } : {}),
        createdAt: now,
        attempts: 0,
        nextAttemptAt: now,
      };
      return [...queue, stored];
    });
    return stored!;
  }

  /** Packets still waiting. */
  async pending(): Promise<Packet[]> {
    return (await this.#o.store.get<Packet[]>(QUEUE_KEY)) ?? [];
  }

  /** The final outcome of a packet that left the queue. */
  async outcome(id: string): Promise<DeliveryOutcome | undefined> {
    return this.#o.store.get<DeliveryOutcome>(outcomeKey(id));
  }

  /** Tries one packet now. A packet already being sent is joined, not sent again. */
  attempt(id: string): Promise<DeliveryOutcome> {
    const running = this.#inFlight.get(id);
    if (running) return running;
    const attempt = this.#attempt(id).finally(() => this.#inFlight.delete(id));
    this.#inFlight.set(id, attempt);
    return attempt;
  }

  /** Tries every packet that is due. Returns how many left the queue. */
  drain(): Promise<number> {
    this.#draining ??= (async () => {
      try {
        const now = this.#o.now();
        const due = (await this.pending()).filter((p) => p.nextAttemptAt <= now);
        let done = 0;
        for (const p of due) {
          const outcome = await this.attempt(p.id);
          if (outcome.kind !== 'queued') done++;
        }
        return done;
      } finally {
        this.#draining = undefined;
      }
    })();
    return this.#draining;
  }

  /** Retries due packets every `intervalMs` (also right away, for packets left by a previous run). */
  start(intervalMs = 2000): void {
    if (this.#timer) return;
    const tick = () => void this.drain().catch(() => {});
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#draining?.catch(() => {});
    await Promise.allSettled(this.#inFlight.values());
  }

  async #attempt(id: string): Promise<DeliveryOutcome> {
    const packet = (await this.pending()).find((p) => p.id === id);
    if (!packet) return (await this.outcome(id)) ?? { kind: 'refused', status: 0, code: 'unknown_packet', message: 'No such packet' };
    let picture: Buffer;
    try {
      picture = await fs.promises.readFile(this.#blobPath(packet.sha256));
    } catch (error) {
      // The picture file is gone (disk cleaned by hand): nothing can be sent, say so once.
      return this.#finish(packet, { kind: 'refused', status: 0, code: 'picture_missing', message: String(error) });
    }
    try {
      const result = await this.#o.send({
        album: packet.album,
        username: packet.username,
        picture,
        filename: packet.filename,
        ...(packet.group !== undefined ? { group: packet.group } : {}),
        ...(packet.untrusted ? { untrusted: true } : {}),
        ...(this.#o.terminal !== undefined ? { terminal: this.#o.terminal } : {}),
      });
      return this.#finish(packet, { kind: result.status === 'duplicate' ? 'duplicate' : 'delivered', id: result.id });
    } catch (error) {
      if (!isRetryable(error) && error instanceof AlbumApiError) {
        return this.#finish(packet, { kind: 'refused', status: error.status, code: error.code, message: error.message });
      }
      const lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      let updated: Packet | undefined;
      await this.#o.store.update<Packet[]>(QUEUE_KEY, (queue = []) =>
        queue.map((p) => {
          if (p.id !== id) return p;
          updated = { ...p, attempts: p.attempts + 1, lastError, nextAttemptAt: this.#o.now() + this.#o.backoff(p.attempts + 1) };
          return updated;
        }),
      );
      return { kind: 'queued', attempts: updated?.attempts ?? packet.attempts + 1, lastError, nextAttemptAt: updated?.nextAttemptAt ?? 0 };
    }
  }

  async #finish(packet: Packet, outcome: DeliveryOutcome): Promise<DeliveryOutcome> {
    // Outcome first, then dequeue: a crash in between re-sends, which the album answers as a duplicate.
    await this.#o.store.set(outcomeKey(packet.id), outcome);
    let stillNeeded = false;
    await this.#o.store.update<Packet[]>(QUEUE_KEY, (queue = []) => {
      const rest = queue.filter((p) => p.id !== packet.id);
      stillNeeded = rest.some((p) => p.sha256 === packet.sha256);
      return rest;
    });
    if (!stillNeeded) await fs.promises.rm(this.#blobPath(packet.sha256), { force: true });
    this.#o.onFinal?.(packet, outcome);
    return outcome;
  }

  #blobPath(sha256: string): string {
    return path.join(this.#o.dir, `${sha256}.bin`);
  }

  async #writeBlob(sha256: string, bytes: Uint8Array): Promise<void> {
    const target = this.#blobPath(sha256);
    if (fs.existsSync(target)) return;
    const temp = `${target}.${randomUUID()}.tmp`;
    const handle = await fs.promises.open(temp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temp, target);
  }
}
