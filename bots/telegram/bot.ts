// The Telegram bot: long polling (or a webhook) with telegraf, a router that only stores each update's work as
// a durable job (updates.ts), and the workers that run it (face work never blocks the next getUpdates).
import { timingSafeEqual } from 'node:crypto';
import { Telegraf } from 'telegraf';
import type { Message } from 'telegraf/types';
import type { Config } from '../../config.ts';
import type { Members } from '../../core/members.ts';
import { MembershipService } from '../../core/membership/index.ts';
import type { Terminal } from '../../core/terminal.ts';
import { catalogueFor } from '../shared/i18n/index.ts';
import { botServices, type BotServices } from '../shared/startup.ts';
import { BotApi, defaultRetryPolicy, type Log, type RetryPolicy } from './api.ts';
import { commandList } from './commands.ts';
import { AnalysisPrefetch } from './photos.ts';
import type { BotContext } from './context.ts';
import { telegramNoticePlatform } from './notices.ts';
import { membershipCommandList, runRetention } from './private.ts';
import { receiveUpdates } from './receive.ts';
import { execute, inTheirLanguage, routeUpdates, withParts, type Job } from './updates.ts';

export type { Job } from './updates.ts';

export interface TelegramBotOptions {
  config: Pick<Config, 'TELEGRAM_BOT_TOKEN' | 'TELEGRAM_API_ROOT' | 'TELEGRAM_GROUP_REPLIES' | 'PUBLIC_URL'> &
    Partial<Pick<Config, 'TELEGRAM_WEBHOOK_URL' | 'TELEGRAM_WEBHOOK_SECRET' | 'MEMBER_RETENTION_DAYS'>>;
  terminal: Terminal;
  members: Members;
  log: Log;
  /** Jobs run at once (across chats; one chat's jobs run in order). */
  concurrency?: number;
  /** How long a media group stays open after its last item (ms). */
  mediaGroupQuietMs?: number;
  retry?: Partial<RetryPolicy>;
  /** At stop, how long running jobs may finish before their retry waits are cut short (ms). */
  stopGraceMs?: number;
  /** The membership clock: consent times, retention (tests set it). */
  now?: () => number;
  /** How often the retention job runs (ms, default one hour). */
  retentionIntervalMs?: number;
}

export interface TelegramBot {
  readonly username: string;
  /** Stops polling, then waits (bounded) for the queued jobs; unfinished ones resume at the next start. */
  stop(): Promise<void>;
  /** Resolves when no job is queued or running (tests). */
  idle(): Promise<void>;
  /**
   * Webhook mode: takes one POSTed update with its X-Telegram-Bot-Api-Secret-Token header; 401 without
   * the right secret, 200 once the update's work is stored as a job, 500 when it could not be stored.
   */
  handleWebhook(update: unknown, secretHeader: string | undefined): Promise<200 | 401 | 500>;
}

/** A unit of work, stored before the update is acknowledged so a crash or restart does not lose a photo. */
export async function startTelegramBot(options: TelegramBotOptions): Promise<TelegramBot> {
  const { config, terminal, members, log } = options;
  const token = config.TELEGRAM_BOT_TOKEN;
  if (!token) throw new Error('TELEGRAM_BOT_TOKEN is not set');
  const bot = new Telegraf(token, { telegram: { apiRoot: config.TELEGRAM_API_ROOT ?? 'https://api.telegram.org' } });
  const stopping = new AbortController();
  const api = new BotApi(bot.telegram, token, log, { ...defaultRetryPolicy, ...options.retry }, stopping.signal);

  const me = await api.call('getMe', (tg) => tg.getMe());
  bot.botInfo = me; // launch() would call getMe again without retries
  if (!me.can_read_all_group_messages) {
    log.warn(`Telegram: privacy mode is on for @${me.username}, so in groups it sees only commands and replies, not photos. Turn it off with @BotFather: /setprivacy -> Disable, then re-add the bot to the group.`);
  }
  await api.call('setMyCommands', (tg) => tg.setMyCommands([...commandList, ...membershipCommandList]));

  const service = new MembershipService(terminal, members, { builtInAlbum: config.PUBLIC_URL, retentionDays: config.MEMBER_RETENTION_DAYS ?? 365, ...(options.now ? { now: options.now } : {}) });
  // Group photos downloaded and analysed as soon as they are stored, while the chat's earlier jobs run (photos.ts).
  const prefetch = new AnalysisPrefetch({ api, terminal });
  const ctx: BotContext = { config, terminal, members, api, log, botUsername: me.username, service, once: (key) => services.inbox.once(key), t: catalogueFor(undefined), prefetch };
  const webhook = config.TELEGRAM_WEBHOOK_URL && config.TELEGRAM_WEBHOOK_SECRET ? { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET } : undefined;
  const services: BotServices<Job, Message> = botServices<Job, Message>({
    terminal,
    inbox: {
      queue: 'telegram',
      concurrency: options.concurrency ?? 4,
      abort: stopping,
      run: (job) => execute(inTheirLanguage(ctx, job.payload), withParts(job), services.inbox),
      onError: (job, error, final) => log.error({ job: job.kind, chatId: job.payload.chatId, final, err: api.describe(error) }, 'Telegram: job failed'),
    },
    notices: { platform: telegramNoticePlatform(api), onError: (error, final) => log.error({ final, err: api.describe(error) }, 'Telegram: notice failed') },
    retention: {
      queue: 'telegram-retention',
      intervalMs: options.retentionIntervalMs ?? 60 * 60_000,
      pass: async () => {
        const result = await runRetention(ctx);
        if (result.warned || result.forgotten) log.info(result, 'Telegram: retention pass');
      },
      onError: (error) => log.error({ err: api.describe(error) }, 'Telegram: retention pass failed'),
    },
  });
  // One chat's jobs in order (a "/register" before the photo that follows it); chats in parallel.
  const orderKey = (job: Job) => String(job.chatId);
  // Stored before the handler returns, so before telegraf acknowledges the update with its next getUpdates.
  const accept = async (job: Job) => {
    try {
      await services.inbox.put(job.id, job.kind, job, { orderKey: orderKey(job) });
    } catch (error) {
      if (webhook) throw error; // answered 500: Telegram sends the update again
      log.error({ err: api.describe(error) }, 'Telegram: could not store a job; running it anyway');
      void execute(ctx, job, services.inbox).catch((e: unknown) => log.error({ job: job.kind, err: api.describe(e) }, 'Telegram: job failed'));
    }
  };
  routeUpdates(bot, { botUsername: me.username, inbox: services.inbox, accept, orderKey, mediaGroupQuietMs: options.mediaGroupQuietMs ?? 1000, webhook: Boolean(webhook), log, describe: (error) => api.describe(error), onGroupPhoto: (message) => prefetch.add(message) });
  // Jobs left by a previous run (stopped or crashed before they finished) come first.
  await services.start();
  const updates = await receiveUpdates({ bot, api, log, jobs: terminal.records.jobs, me, webhook, stopping: stopping.signal });
  const grace = options.stopGraceMs ?? 15_000;
  return {
    username: me.username,
    idle: () => services.inbox.idle(),
    async handleWebhook(update, secretHeader) {
      if (!webhook || !sameSecret(secretHeader, webhook.secret)) return 401;
      try {
        await bot.handleUpdate(update as Parameters<typeof bot.handleUpdate>[0]);
        return 200;
      } catch {
        return 500;
      }
    },
    async stop() {
      prefetch.stop();
      await updates.stop();
      // Let running jobs finish for a while; then interrupt their retry waits (they resume at the next start).
      await services.stop({ retention: grace, inbox: grace, notices: grace });
    },
  };
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
