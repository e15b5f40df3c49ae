// How updates reach the bot: by webhook (every replica accepts them) or by long polling, which one replica
// at a time does under a lease (two pollers would take the same updates).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Telegraf } from 'telegraf';
import { LeaseLock } from '../../core/jobs/lease-lock.ts';
import type { JobStores } from '../../core/ports.ts';
import type { BotApi, Log } from './api.ts';

// chat_member is sent only when asked for: it says who left or was removed.
const allowedUpdates = ['message', 'callback_query', 'chat_member'] as const;

export async function receiveUpdates(o: {
  bot: Telegraf;
  api: BotApi;
  log: Log;
  jobs: JobStores['jobs'];
  me: { id: number; username: string };
  webhook: { url: string; secret: string } | undefined;
  stopping: AbortSignal;
}): Promise<{ stop(): Promise<void> }> {
  const { bot, api, log, me, webhook } = o;
  let polling: Promise<void> | undefined;
  let pollingLock: LeaseLock | undefined;
  const stopPolling = async () => {
    const running = polling;
    if (!running) return;
    // bot.stop() throws "Bot is not running!" while launch() is still in deleteWebhook: try until polling ends.
    for (let tries = 0; tries < 200; tries++) {
      try {
        bot.stop('shutdown');
        break;
      } catch {
        const ended = await Promise.race([running.then(() => true), sleep(50).then(() => false)]);
        if (ended) break;
      }
    }
    await running;
    polling = undefined;
  };
  if (webhook) {
    await api.call('setWebhook', (tg) => tg.setWebhook(webhook.url, { secret_token: webhook.secret, allowed_updates: [...allowedUpdates] }));
    log.info(`Telegram: bot @${me.username} takes updates by webhook at ${new URL(webhook.url).pathname}`);
  } else {
    pollingLock = new LeaseLock(o.jobs, `telegram-polling:${me.id}`);
    pollingLock.hold({
      onAcquired: () => {
        polling = bot.launch({ allowedUpdates: [...allowedUpdates] }).catch((error: unknown) => {
          if (!o.stopping.aborted) log.error({ err: api.describe(error) }, 'Telegram: polling stopped with an error');
        });
        log.info(`Telegram: bot @${me.username} is polling for updates`);
      },
      onLost: () => {
        log.warn('Telegram: another process took over polling');
        void stopPolling();
      },
    });
  }
  return {
    async stop() {
      await stopPolling();
      await pollingLock?.release();
    },
  };
}
