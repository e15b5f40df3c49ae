// Forgetting on Telegram: /forget (a group, every group, a dependent), leaving the group, the retention pass;
// each path ends with the album's faces released (core/membership) and the member told how it went.
import type { InlineKeyboardMarkup, Message, User } from 'telegraf/types';
import type { FaceRelease } from '../../core/membership/index.ts';
import { releaseText, retentionPass, type ChatPort } from '../shared/chat-port.ts';
import { isForbidden } from './api.ts';
import { groupKey, sendText, userKey, type BotContext } from './context.ts';

const chatIdOf = (key: string) => Number(key.slice(key.indexOf(':') + 1));

/** Tells the member when the album still holds their face (the deletion failed or waits for a retry). */
export async function tellRelease(ctx: BotContext, key: string, release: FaceRelease): Promise<void> {
  if (release.kind === 'released') ctx.log.info({ user: key }, 'Telegram: album faces deleted');
  if (release.kind !== 'pending' && release.kind !== 'refused') return;
  // The terminal's own copy is gone already; tell the member the album still holds their face.
  ctx.log.warn({ user: key, err: ctx.api.describe(release.error) }, 'Telegram: album faces not deleted');
  await sendText(ctx, chatIdOf(key), releaseText(ctx.t, release, '/forget album')!).catch(() => {});
}

/** `/forget`: in a group, that group; in private, every group (and `/forget child <name>` a dependent). */
export async function forget(ctx: BotContext, message: Message, from: User, args: string): Promise<boolean> {
  const chatId = message.chat.id;
  const isPrivate = message.chat.type === 'private';
  const key = userKey(from.id);
  const reply = (text: string, keyboard?: InlineKeyboardMarkup) => sendText(ctx, chatId, text, { replyTo: message.message_id, ...(keyboard ? { keyboard } : {}) });
  if (args.toLowerCase() === 'album') {
    // The album handler (commands.ts) deletes the album; consents are withdrawn here first.
    await ctx.service.withdrawEverywhere(key, 'tg:');
    return false;
  }
  const child = /^child\s+(.{1,64})$/i.exec(args);
  if (child) {
    const name = child[1]!.trim();
    const removed = await ctx.service.forgetDependent(key, name);
    await reply(removed ? ctx.t.forgotDependent(name, removed) : ctx.t.noSuchDependent(name));
    return true;
  }
  const { removed, release } = isPrivate ? await ctx.service.forgetEverywhere(key, 'tg:') : await ctx.service.forgetHere(groupKey(chatId), key).then((r) => ({ removed: r.removed ? [r.removed] : [], release: r.release }));
  ctx.log.info({ user: key, groups: removed.length }, 'Telegram: member forgotten');
  await tellRelease(ctx, key, release);
  const done =
    removed.length === 0
      ? isPrivate
        ? ctx.t.notRegisteredAnywhere()
        : ctx.t.notRegistered()
      : ctx.t.forgotten(isPrivate);
  const link = await ctx.members.link(key);
  if (!link?.token) return void (await reply(done)), true;
  await reply(`${done}\n\n${ctx.t.deleteAlbumToo()}`, {
    inline_keyboard: [
      [
        { text: ctx.t.deleteAlbumButton(), callback_data: `forget-album:${from.id}` },
        { text: ctx.t.keepAlbumButton(), callback_data: `keep-album:${from.id}` },
      ],
    ],
  });
  return true;
}

/** A member left or was removed: their entry (and dependents they hold) in that group go; they are told privately. */
export async function handleLeft(ctx: BotContext, chatId: number, title: string, userId: number): Promise<void> {
  const { removed, release } = await ctx.service.left(groupKey(chatId), userKey(userId));
  ctx.log.info({ chatId, user: userKey(userId), removed: removed.length }, 'Telegram: member left');
  if (removed.length === 0) return;
  await tellRelease(ctx, userKey(userId), release);
  try {
    await sendText(ctx, userId, ctx.t.left(title));
  } catch (error) {
    if (!isForbidden(error)) throw error;
  }
}

/** Telegram's side of the chat port (bots/shared/chat-port.ts). */
export function telegramChatPort(ctx: BotContext): ChatPort {
  return {
    prefix: 'tg:',
    forgetAlbumCommand: '/forget album',
    async tellPrivately(key, text) {
      try {
        await sendText(ctx, chatIdOf(key), text);
        return true;
      } catch (error) {
        if (!isForbidden(error)) throw error;
        return false;
      }
    },
    async groupName(group) {
      try {
        const chat = await ctx.api.call('getChat', (tg) => tg.getChat(chatIdOf(group)));
        return 'title' in chat && chat.title ? chat.title : 'a group';
      } catch {
        return 'a group';
      }
    },
  };
}

/** One retention pass over the Telegram groups (English: no member is answering). */
export function runRetention(ctx: BotContext): Promise<{ warned: number; forgotten: number }> {
  return retentionPass(ctx.service, telegramChatPort(ctx), ctx.t);
}
