// The Telegram bot: long polling with telegraf, a router that only stores each update's work as a durable
// job (bots/shared/inbox.ts), and the workers that run it (face work never blocks the next getUpdates).
import { timingSafeEqual } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Telegraf } from 'telegraf';
import type { CallbackQuery, Message } from 'telegraf/types';
import type { Config } from '../../config.ts';
import { LeaseLock } from '../../core/jobs/lease-lock.ts';
import type { Members } from '../../core/members.ts';
import type { Terminal } from '../../core/terminal.ts';
import { BotApi, defaultRetryPolicy, type Log, type RetryPolicy } from './api.ts';
import { commandList, handleCallback, handleCommand, handleSelfie, parseCommand } from './commands.ts';
import { sendText, type BotContext } from './context.ts';
import { DurableInbox, type InboxJob } from '../shared/inbox.ts';
import { pickImage, sharePhotos } from './photos.ts';
import { handleNoticeCallback, rememberGroupName, telegramNoticePlatform } from './notices.ts';
import { NoticeSender } from '../shared/notices.ts';
import { albumLink } from './context.ts';
import { handleCaptionSelfie, handleLeft, removeFromGroup, handleMembershipCallback, handleMembershipCommand, handlePrivatePhoto, membershipCommandList, runRetention } from './private.ts';
import { MembershipService } from '../../core/membership/index.ts';
import { catalogueFor } from '../shared/i18n/index.ts';
import { startRetention } from '../shared/retention.ts';

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
export type Job =
  | { id: string; kind: 'share'; chatId: number; messages: Message[] }
  | { id: string; kind: 'selfie'; chatId: number; purpose: 'register' | 'addface'; args: string; message: Message }
  | { id: string; kind: 'command'; chatId: number; name: string; args: string; message: Message }
  | { id: string; kind: 'private-photo'; chatId: number; message: Message }
  | { id: string; kind: 'callback'; chatId: number; query: CallbackQuery }
  | { id: string; kind: 'left'; chatId: number; title: string; userId: number };

// A "/register" waits this long for the user's selfie.
const PENDING_SELFIE_MS = 15 * 60_000;

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
  const ctx: BotContext = { config, terminal, members, api, log, botUsername: me.username, service, once: (key) => inbox.once(key), t: catalogueFor(undefined) };
  const webhook = config.TELEGRAM_WEBHOOK_URL && config.TELEGRAM_WEBHOOK_SECRET ? { url: config.TELEGRAM_WEBHOOK_URL, secret: config.TELEGRAM_WEBHOOK_SECRET } : undefined;
  const pendingSelfies = new Map<string, { purpose: 'register' | 'addface'; args: string; until: number }>();
  const mediaGroupQuietMs = options.mediaGroupQuietMs ?? 1000;
  const inbox: DurableInbox<Job, Message> = new DurableInbox<Job, Message>({
    records: terminal.records,
    queue: 'telegram',
    concurrency: options.concurrency ?? 4,
    abort: stopping,
    run: (job) => execute(inTheirLanguage(ctx, job.payload), withParts(job), inbox),
    onError: (job, error, final) => log.error({ job: job.kind, chatId: job.payload.chatId, final, err: api.describe(error) }, 'Telegram: job failed'),
  });
  // One chat's jobs in order (a "/register" before the photo that follows it); chats in parallel.
  const orderKey = (job: Job) => String(job.chatId);
  // Stored before the handler returns, so before telegraf acknowledges the update with its next getUpdates.
  const accept = async (job: Job) => {
    try {
      await inbox.put(job.id, job.kind, job, { orderKey: orderKey(job) });
    } catch (error) {
      if (webhook) throw error; // answered 500: Telegram sends the update again
      log.error({ err: api.describe(error) }, 'Telegram: could not store a job; running it anyway');
      void execute(ctx, job, inbox).catch((e: unknown) => log.error({ job: job.kind, err: api.describe(e) }, 'Telegram: job failed'));
    }
  };

  const onMessage = async (message: Message) => {
    // Leaving forgets: handled as a durable job, so it is done within a minute even across a restart.
    if ('left_chat_member' in message && !message.left_chat_member.is_bot) {
      const title = 'title' in message.chat ? message.chat.title : 'the group';
      return accept({ id: `${message.chat.id}:left:${message.message_id}`, kind: 'left', chatId: message.chat.id, title, userId: message.left_chat_member.id });
    }
    if (!message.from || message.from.is_bot) return;
    const chatId = message.chat.id;
    const isPrivate = message.chat.type === 'private';
    const id = `${chatId}:${message.message_id}`;
    const command = parseCommand(message, me.username);
    const image = pickImage(message);
    const pendingKey = `${chatId}:${message.from.id}`;
    if (command?.name === 'register' || command?.name === 'addface') {
      if (image) return accept({ id, kind: 'selfie', chatId, purpose: command.name, args: command.args, message });
      // `/register` alone opens the private chat (bots/telegram/private.ts); only /addface waits for a group photo.
      if (!isPrivate && command.name === 'addface') {
        for (const [key, p] of pendingSelfies) if (p.until <= Date.now()) pendingSelfies.delete(key);
        pendingSelfies.set(pendingKey, { purpose: command.name, args: command.args, until: Date.now() + PENDING_SELFIE_MS });
      }
      return accept({ id, kind: 'command', chatId, name: command.name, args: command.args, message });
    }
    if (command) return accept({ id, kind: 'command', chatId, name: command.name, args: command.args, message });
    if (!image) {
      if (isPrivate && 'text' in message) await accept({ id, kind: 'command', chatId, name: 'help', args: '', message });
      return;
    }
    if (isPrivate) return accept({ id, kind: 'private-photo', chatId, message });
    const pending = pendingSelfies.get(pendingKey);
    if (pending) {
      pendingSelfies.delete(pendingKey);
      if (pending.until > Date.now()) return accept({ id, kind: 'selfie', chatId, purpose: pending.purpose, args: pending.args, message });
    }
    const mediaGroupId = 'media_group_id' in message ? message.media_group_id : undefined;
    if (mediaGroupId) {
      // One job per media group, run once no item came for a while, whichever replica got each item.
      const job: Job = { id: `${chatId}:mg:${mediaGroupId}`, kind: 'share', chatId, messages: [] };
      return inbox.putPart(job.id, job.kind, job, { id: String(message.message_id), value: message }, { orderKey: orderKey(job), quietMs: mediaGroupQuietMs });
    }
    return accept({ id, kind: 'share', chatId, messages: [message] });
  };

  bot.on('message', (tctx) => onMessage(tctx.message));
  bot.on('chat_member', (tctx) => {
    const update = tctx.chatMember;
    const status = update.new_chat_member.status;
    if ((status !== 'left' && status !== 'kicked') || update.new_chat_member.user.is_bot) return;
    const title = 'title' in update.chat ? update.chat.title : 'the group';
    return accept({ id: `${update.chat.id}:left:${update.new_chat_member.user.id}:${update.date}`, kind: 'left', chatId: update.chat.id, title, userId: update.new_chat_member.user.id });
  });
  bot.on('callback_query', (tctx) => {
    const chatId = tctx.callbackQuery.message?.chat.id ?? tctx.callbackQuery.from.id;
    return accept({ id: `cb:${tctx.callbackQuery.id}`, kind: 'callback', chatId, query: tctx.callbackQuery });
  });
  bot.catch((error) => {
    log.error({ err: api.describe(error) }, 'Telegram: update handler failed');
    // A webhook update not stored is answered 500, so Telegram sends it again.
    if (webhook) throw error;
  });

  // Jobs left by a previous run (stopped or crashed before they finished) come first.
  inbox.start();
  const notices = new NoticeSender({
    terminal,
    platform: telegramNoticePlatform(api),
    albumLink,
    onError: (error, final) => log.error({ final, err: api.describe(error) }, 'Telegram: notice failed'),
  });
  notices.start();

  // chat_member is sent only when asked for: it says who left or was removed.
  const allowedUpdates = ['message', 'callback_query', 'chat_member'] as const;
  let polling: Promise<void> | undefined;
  let pollingLock: LeaseLock | undefined;
  if (webhook) {
    await api.call('setWebhook', (tg) => tg.setWebhook(webhook.url, { secret_token: webhook.secret, allowed_updates: [...allowedUpdates] }));
    log.info(`Telegram: bot @${me.username} takes updates by webhook at ${new URL(webhook.url).pathname}`);
  } else {
    // Long polling by one replica at a time: two pollers would take the same updates.
    pollingLock = new LeaseLock(terminal.records.jobs, `telegram-polling:${me.id}`);
    pollingLock.hold({
      onAcquired: () => {
        polling = bot.launch({ allowedUpdates: [...allowedUpdates] }).catch((error: unknown) => {
          if (!stopping.signal.aborted) log.error({ err: api.describe(error) }, 'Telegram: polling stopped with an error');
        });
        log.info(`Telegram: bot @${me.username} is polling for updates`);
      },
      onLost: () => {
        log.warn('Telegram: another process took over polling');
        void stopPolling();
      },
    });
  }

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

  const retention = await startRetention({
    records: terminal.records,
    queue: 'telegram-retention',
    intervalMs: options.retentionIntervalMs ?? 60 * 60_000,
    pass: async () => {
      const result = await runRetention(ctx);
      if (result.warned || result.forgotten) log.info(result, 'Telegram: retention pass');
    },
    onError: (error) => log.error({ err: api.describe(error) }, 'Telegram: retention pass failed'),
  });

  const idle = () => inbox.idle();

  return {
    username: me.username,
    idle,
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
      await stopPolling();
      await pollingLock?.release();
      await retention.stop(options.stopGraceMs ?? 15_000);
      // Let running jobs finish for a while; then interrupt their retry waits (they resume at the next start).
      await inbox.stop(options.stopGraceMs ?? 15_000);
      await notices.stop(options.stopGraceMs ?? 15_000);
    },
  };
}

function sameSecret(given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A media group's messages arrive as the job's parts. */
function withParts(job: InboxJob<Job, Message>): Job {
  const payload = job.payload;
  if (payload.kind !== 'share' || job.parts.length === 0) return payload;
  const messages = [...payload.messages, ...job.parts].sort((a, b) => a.message_id - b.message_id);
  return { ...payload, messages };
}

/** The job's context, speaking the language of the member who sent the message or pressed the button. */
function inTheirLanguage(ctx: BotContext, job: Job): BotContext {
  const from = 'message' in job ? job.message.from : 'query' in job ? job.query.from : undefined;
  return from?.language_code ? { ...ctx, t: catalogueFor(from.language_code) } : ctx;
}

async function execute(ctx: BotContext, job: Job, inbox: DurableInbox<Job, Message>): Promise<void> {
  switch (job.kind) {
    case 'share':
      await rememberGroupName(ctx, job.chatId, job.messages);
      return sharePhotos(ctx, job.chatId, job.messages, (key) => inbox.once(key));
    case 'selfie':
      if (job.purpose === 'register' && job.message.chat.type !== 'private') return handleCaptionSelfie(ctx, job.message, job.args);
      await handleSelfie(ctx, job.message, job.purpose, job.args);
      // An /addface selfie does not stay in the group's history either.
      if (job.message.chat.type !== 'private') await removeFromGroup(ctx, job.message);
      return;
    case 'command':
      if (await handleMembershipCommand(ctx, job.message, { name: job.name, args: job.args })) return;
      return handleCommand(ctx, job.message, { name: job.name, args: job.args });
    case 'private-photo':
      if (await handlePrivatePhoto(ctx, job.message)) return;
      return void (await sendText(ctx, job.chatId, ctx.t.privatePhoto(ctx.botUsername), { replyTo: job.message.message_id }));
    case 'callback':
      if (await handleNoticeCallback(ctx, job.query)) return;
      if (await handleMembershipCallback(ctx, job.query)) return;
      return handleCallback(ctx, job.query);
    case 'left':
      return handleLeft(ctx, job.chatId, job.title, job.userId);
  }
}
