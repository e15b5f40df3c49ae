// Forgetting on Telegram: /forget (a group, every group, a dependent), leaving the group, the retention pass;
// each path ends with the album's faces released (core/membership) and the member told how it went.
import type { InlineKeyboardMarkup, Message, User } from 'telegraf/types';
import { isChatUser, type FaceRelease } from '../../core/membership/index.ts';
import { AlbumApiError } from '../../core/share/index.ts';
import { isForbidden } from './api.ts';
import { groupKey, sendText, userKey, type BotContext } from './context.ts';

const chatIdOf = (key: string) => Number(key.slice(key.indexOf(':') + 1));

/** Tells the member when the album still holds their face (the deletion failed or waits for a retry). */
export async function tellRelease(ctx: BotContext, key: string, release: FaceRelease): Promise<void> {
  if (release.kind === 'released') ctx.log.info({ user: key }, 'Telegram: album faces deleted');
  if (release.kind !== 'pending' && release.kind !== 'refused') return;
  // The terminal's own copy is gone already; tell the member the album still holds their face.
  ctx.log.warn({ user: key, err: ctx.api.describe(release.error) }, 'Telegram: album faces not deleted');
  const text = release.kind === 'pending' ? ctx.t.facesNotDeletedYet() : ctx.t.facesRefused(release.error instanceof AlbumApiError ? release.error.message : undefined, '/forget album');
  await sendText(ctx, chatIdOf(key), text).catch(() => {});
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

/** One retention pass over the Telegram groups. */
export async function runRetention(ctx: BotContext): Promise<{ warned: number; forgotten: number }> {
  const tellUser = async (key: string, text: string) => {
    // A dependent's guardian is told (tellKey); a dependent alone has no chat.
    if (!isChatUser(key) || !key.startsWith('tg:')) return;
    try {
      await sendText(ctx, chatIdOf(key), text);
    } catch (error) {
      if (!isForbidden(error)) throw error;
    }
  };
  const title = async (group: string) => {
    try {
      const chat = await ctx.api.call('getChat', (tg) => tg.getChat(chatIdOf(group)));
      return 'title' in chat && chat.title ? chat.title : 'a group';
    } catch {
      return 'a group';
    }
  };
  return ctx.service.sweep({
    groupPrefix: 'tg:',
    warn: async (e) => tellUser(e.tellKey, ctx.t.retentionWarning(await title(e.group), e.daysLeft)),
    forgotten: async (e) => {
      await tellRelease(ctx, e.tellKey, e.release);
      await tellUser(e.tellKey, ctx.t.retentionForgotten(await title(e.group)));
    },
  });
}
