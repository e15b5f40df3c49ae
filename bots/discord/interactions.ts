// Slash commands and buttons through the durable inbox: each interaction is claimed once in the records
// database (a replay, even after a restart, is dropped), acknowledged within Discord's 3 s, then run as a job
// with a lease. The live interaction object cannot outlive its process: a job left by a dead process edits
// the deferred answer through the interaction's webhook token (valid 15 minutes) to say so.
import { Routes, type Client, type Interaction } from 'discord.js';
import type { JobStores } from '../../core/ports.ts';
import { catalogueFor } from '../shared/i18n/index.ts';
import { DurableInbox } from '../shared/inbox.ts';
import type { BotLog } from './safe-log.ts';

export interface InteractionJob {
  interactionId: string;
  applicationId: string;
  /** The webhook token of the deferred answer: a secret, kept only for the 15 minutes it is valid. */
  token: string;
  /** The command or button (for logs). */
  name: string;
  /** The member's client language: an interrupted command is told so in it. */
  locale?: string;
}

export class InteractionInbox {
  readonly #live = new Map<string, { interaction: Interaction; run: () => Promise<void> }>();
  readonly #inbox: DurableInbox<InteractionJob>;

  constructor(options: { records: JobStores; client: () => Client | undefined; log: BotLog; describe: (error: unknown) => Record<string, unknown> }) {
    this.#inbox = new DurableInbox<InteractionJob>({
      records: options.records,
      queue: 'discord-interactions',
      concurrency: 4,
      pollMs: 200,
      // A command is answered once or not at all: an error is logged and answered by its handler.
      maxAttempts: 1,
      run: async (job) => {
        const live = this.#live.get(job.payload.interactionId);
        if (live) {
          this.#live.delete(job.payload.interactionId);
          return live.run();
        }
        const client = options.client();
        if (!client) return;
        await client.rest
          .patch(Routes.webhookMessage(job.payload.applicationId, job.payload.token, '@original'), { body: { content: catalogueFor(job.payload.locale).dcInterrupted(), components: [] }, auth: false })
          .catch((error: unknown) => options.log.info({ err: options.describe(error) }, 'Discord: an interrupted interaction could not be answered'));
      },
      onError: (job, error) => options.log.error({ name: job.payload.name, err: options.describe(error) }, 'Discord interaction job failed'),
    });
  }

  /**
   * Claims the interaction (false for a replay), runs `acknowledge` (the deferral) and stores the job that
   * runs `run`. A claim whose acknowledgement failed is not retried: Discord would refuse a second one.
   */
  async accept(interaction: Interaction, name: string, acknowledge: () => Promise<unknown>, run: () => Promise<void>): Promise<boolean> {
    if (!(await this.#inbox.once(`interaction:${interaction.id}`))) return false;
    await acknowledge();
    this.#live.set(interaction.id, { interaction, run });
    await this.#inbox.put(interaction.id, 'interaction', { interactionId: interaction.id, applicationId: interaction.applicationId, token: interaction.token, name, locale: interaction.locale });
    return true;
  }

  /** True once per key across processes and restarts. */
  once(key: string): Promise<boolean> {
    return this.#inbox.once(key);
  }

  start(): void {
    this.#inbox.start();
  }

  idle(): Promise<void> {
    return this.#inbox.idle();
  }

  stop(graceMs: number): Promise<void> {
    return this.#inbox.stop(graceMs);
  }
}
