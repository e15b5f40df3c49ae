// What every job of the Telegram bot gets: the core, the Bot API with retries, and a few helpers.
import type { Config } from '../../config.ts';
import type { Members } from '../../core/members.ts';
import type { MembershipService } from '../../core/membership/index.ts';
import type { Terminal } from '../../core/terminal.ts';
import type { InlineKeyboardMarkup } from 'telegraf/types';
import type { BotApi, Log } from './api.ts';
import type { Catalogue } from '../shared/i18n/index.ts';
import type { AnalysisPrefetch } from './photos.ts';

export interface BotContext {
  config: Pick<Config, 'PUBLIC_URL' | 'TELEGRAM_GROUP_REPLIES'>;
  terminal: Terminal;
  members: Members;
  api: BotApi;
  log: Log;
  /** The bot's @username, without the @. */
  botUsername: string;
  /** Registration, consent, forgetting, retention, group settings (core/membership). */
  service: MembershipService;
  /** True for exactly one caller per key, across restarts ("say this once per chat"). */
  once(key: string): Promise<boolean>;
  /** The words, in the language of the member this job answers (English by default). */
  t: Catalogue;
  /** Group photos downloaded and analysed ahead of their job (photos.ts, issue 24). */
  prefetch?: Pick<AnalysisPrefetch, 'take'>;
}

export const groupKey = (chatId: number) => `tg:${chatId}`;
export const userKey = (userId: number) => `tg:${userId}`;

/** One message into a chat, as a reply to `replyTo` when given (sent even if that message is gone). */
export function sendText(ctx: BotContext, chatId: number, text: string, options: { replyTo?: number; keyboard?: InlineKeyboardMarkup } = {}) {
  return ctx.api.call('sendMessage', (tg) =>
    tg.sendMessage(chatId, text, {
      link_preview_options: { is_disabled: true },
      ...(options.replyTo !== undefined ? { reply_parameters: { message_id: options.replyTo, allow_sending_without_reply: true } } : {}),
      ...(options.keyboard ? { reply_markup: options.keyboard } : {}),
    }),
  );
}

export { albumLink } from '../shared/album-link.ts';
