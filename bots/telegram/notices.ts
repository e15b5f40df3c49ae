// Telegram's side of private notices (bots/shared/notices.ts): a photo with a caption and inline buttons in
// the member's private chat, and the answers to those buttons.
import type { CallbackQuery, Message } from 'telegraf/types';
import { noticeButton, type NoticePlatform } from '../shared/notices.ts';
import { isForbidden, type BotApi } from './api.ts';
import { groupKey, userKey, type BotContext } from './context.ts';

export function telegramNoticePlatform(api: BotApi): NoticePlatform {
  return {
    prefix: 'tg',
    async send(key, message) {
      const chatId = Number(key.slice('tg:'.length));
      try {
        const reply_markup = { inline_keyboard: message.buttons.map((row) => row.map((b) => ({ text: b.label, callback_data: b.data }))) };
        const image = message.image;
        if (!image) await api.call('sendMessage', (tg) => tg.sendMessage(chatId, message.text, { reply_markup }));
        else await api.call('sendPhoto', (tg) => tg.sendPhoto(chatId, { source: image, filename: message.imageName }, { caption: message.text.slice(0, 1024), reply_markup }));
        return 'sent';
      } catch (error) {
        // 403: the member never opened a private chat with the bot (or blocked it).
        if (isForbidden(error)) return 'unreachable';
        throw error;
      }
    },
  };
}

/** A notice's button ("not me", "yes", "no"): answered in the button's toast. False when it is not one. */
export async function handleNoticeCallback(ctx: BotContext, query: CallbackQuery): Promise<boolean> {
  const data = 'data' in query ? query.data : undefined;
  const text = data ? await noticeButton(ctx.terminal, userKey(query.from.id), data, ctx.t) : undefined;
  if (text === undefined) return false;
  await ctx.api.call('answerCallbackQuery', (tg) => tg.answerCbQuery(query.id, text));
  return true;
}

/** Notices name the group as its members see it. */
export async function rememberGroupName(ctx: BotContext, chatId: number, messages: Message[]): Promise<void> {
  const chat = messages[0]?.chat;
  if (chat && 'title' in chat && chat.title) await ctx.terminal.records.notices.setGroupName(groupKey(chatId), chat.title);
}
