// Telegram's updates as durable jobs: the router stores each update's work (it never runs face work itself,
// so the next getUpdates is not held up), and execute() is what a worker does with a job.
import type { Telegraf } from 'telegraf';
import type { CallbackQuery, Message } from 'telegraf/types';
import { catalogueFor } from '../shared/i18n/index.ts';
import type { DurableInbox, InboxJob } from '../shared/inbox.ts';
import type { Log } from './api.ts';
import { handleCallback, handleCommand, handleSelfie, parseCommand } from './commands.ts';
import { sendText, type BotContext } from './context.ts';
import { handleNoticeCallback, rememberGroupName } from './notices.ts';
import { pickImage, sharePhotos } from './photos.ts';
import { handleCaptionSelfie, handleLeft, handleMembershipCallback, handleMembershipCommand, handlePrivatePhoto, removeFromGroup } from './private.ts';

export type Job =
  | { id: string; kind: 'share'; chatId: number; messages: Message[] }
  | { id: string; kind: 'selfie'; chatId: number; purpose: 'register' | 'addface'; args: string; message: Message }
  | { id: string; kind: 'command'; chatId: number; name: string; args: string; message: Message }
  | { id: string; kind: 'private-photo'; chatId: number; message: Message }
  | { id: string; kind: 'callback'; chatId: number; query: CallbackQuery }
  | { id: string; kind: 'left'; chatId: number; title: string; userId: number };

// A "/register" waits this long for the user's selfie.
const PENDING_SELFIE_MS = 15 * 60_000;

/**
 * Routes every update to `accept` (which stores it as a job) or, for a media group's items, to the inbox's
 * parts. A "/addface" in a group waits (in memory, 15 minutes) for that member's next photo.
 */
export function routeUpdates(bot: Telegraf, o: { botUsername: string; inbox: DurableInbox<Job, Message>; accept: (job: Job) => Promise<void>; orderKey: (job: Job) => string; mediaGroupQuietMs: number; webhook: boolean; log: Log; describe: (error: unknown) => unknown; onGroupPhoto?: (message: Message) => void }): void {
  const { accept, inbox, orderKey, mediaGroupQuietMs, log } = o;
  const pendingSelfies = new Map<string, { purpose: 'register' | 'addface'; args: string; until: number }>();
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
    const command = parseCommand(message, o.botUsername);
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
      await inbox.putPart(job.id, job.kind, job, { id: String(message.message_id), value: message }, { orderKey: orderKey(job), quietMs: mediaGroupQuietMs });
      o.onGroupPhoto?.(message);
      return;
    }
    await accept({ id, kind: 'share', chatId, messages: [message] });
    o.onGroupPhoto?.(message);
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
    log.error({ err: o.describe(error) }, 'Telegram: update handler failed');
    // A webhook update not stored is answered 500, so Telegram sends it again.
    if (o.webhook) throw error;
  });

}

/** A media group's messages arrive as the job's parts. */
export function withParts(job: InboxJob<Job, Message>): Job {
  const payload = job.payload;
  if (payload.kind !== 'share' || job.parts.length === 0) return payload;
  const messages = [...payload.messages, ...job.parts].sort((a, b) => a.message_id - b.message_id);
  return { ...payload, messages };
}

/** The job's context, speaking the language of the member who sent the message or pressed the button. */
export function inTheirLanguage(ctx: BotContext, job: Job): BotContext {
  const from = 'message' in job ? job.message.from : 'query' in job ? job.query.from : undefined;
  return from?.language_code ? { ...ctx, t: catalogueFor(from.language_code) } : ctx;
}

export async function execute(ctx: BotContext, job: Job, inbox: DurableInbox<Job, Message>): Promise<void> {
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
