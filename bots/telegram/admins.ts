// Group admins on Telegram (getChatAdministrators, asked each time): their commands, approval pictures and
// the notes they get.
import type { CallbackQuery, InlineKeyboardMarkup, Message } from 'telegraf/types';
import { isForbidden } from './api.ts';
import type { ParsedCommand } from './commands.ts';
import { groupKey, sendText, userKey, type BotContext } from './context.ts';
import { tellRelease } from './leaving.ts';

async function adminIds(ctx: BotContext, chatId: number): Promise<number[]> {
  const admins = await ctx.api.call('getChatAdministrators', (tg) => tg.getChatAdministrators(chatId));
  return admins.filter((a) => !a.user.is_bot).map((a) => a.user.id);
}

/** Group admin, by Telegram's own list (getChatAdministrators). */
export async function isAdmin(ctx: BotContext, chatId: number, userId: number): Promise<boolean> {
  return (await adminIds(ctx, chatId)).includes(userId);
}

export async function tellAdmins(ctx: BotContext, chatId: number, text: string): Promise<void> {
  for (const admin of await adminIds(ctx, chatId)) {
    try {
      await sendText(ctx, admin, text);
    } catch (error) {
      if (!isForbidden(error)) throw error;
    }
  }
}

/** Approval mode: each admin gets the face picture with the member's name and an Approve button. */
export async function askAdminsToApprove(ctx: BotContext, chatId: number, contactId: string, caption: string, picture: Buffer): Promise<void> {
  const keyboard: InlineKeyboardMarkup = { inline_keyboard: [[{ text: ctx.t.approveButton(), callback_data: `approve:${chatId}:${contactId}` }]] };
  for (const admin of await adminIds(ctx, chatId)) {
    try {
      await ctx.api.call('sendPhoto', (tg) => tg.sendPhoto(admin, { source: picture }, { caption, reply_markup: keyboard }));
    } catch (error) {
      if (!isForbidden(error)) throw error;
    }
  }
}

/** The Approve button; true when the data was one. */
export async function handleApproveButton(ctx: BotContext, query: CallbackQuery, data: string, answer: (text?: string) => Promise<unknown>): Promise<boolean> {
  const approve = /^approve:(-?\d+):([\w:-]+)$/.exec(data);
  if (!approve) return false;
  const chatId = Number(approve[1]);
  if (!(await isAdmin(ctx, chatId, query.from.id))) return void (await answer(ctx.t.notAdmin())), true;
  const contact = await ctx.service.approve(groupKey(chatId), approve[2]!);
  await answer(contact ? ctx.t.approvedShort() : ctx.t.entryGone());
  if (contact) {
    ctx.log.info({ chatId, member: approve[2], by: userKey(query.from.id) }, 'Telegram: face approved');
    await sendText(ctx, query.message?.chat.id ?? query.from.id, ctx.t.approvedMember(contact.name));
  }
  return true;
}

/** `/members` for admins: who is registered, since when, approved or waiting. */
export async function listMembers(ctx: BotContext, message: Message): Promise<void> {
  const reply = (text: string) => sendText(ctx, message.chat.id, text, { replyTo: message.message_id });
  const list = await ctx.service.list(groupKey(message.chat.id));
  if (list.length === 0) return void (await reply(ctx.t.nobodyYet()));
  const lines = list.map((c, i) => ctx.t.memberLine(i + 1, c.name, c.addedAt.slice(0, 16).replace('T', ' '), c.approved === false));
  await reply(ctx.t.membersList(list.length, lines));
}

export async function adminCommand(ctx: BotContext, message: Message, command: ParsedCommand): Promise<void> {
  const chatId = message.chat.id;
  const group = groupKey(chatId);
  const reply = (text: string) => sendText(ctx, chatId, text, { replyTo: message.message_id });
  const by = userKey(message.from!.id);
  switch (command.name) {
    case 'pause':
      await ctx.service.setSettings(group, { paused: true });
      ctx.log.info({ chatId, by }, 'Telegram: matching paused');
      return void (await reply(ctx.t.paused()));
    case 'resume':
      await ctx.service.setSettings(group, { paused: false });
      ctx.log.info({ chatId, by }, 'Telegram: matching resumed');
      return void (await reply(ctx.t.resumed()));
    case 'approval': {
      const arg = command.args.toLowerCase();
      if (arg !== 'on' && arg !== 'off') return void (await reply(ctx.t.approvalUsage()));
      await ctx.service.setSettings(group, { approval: arg === 'on' });
      return void (await reply(arg === 'on' ? ctx.t.approvalOn() : ctx.t.approvalOff()));
    }
    case 'remove': {
      const list = await ctx.service.list(group);
      const n = Number(command.args);
      const target = Number.isInteger(n) && n >= 1 ? list[n - 1] : list.find((c) => c.name.toLowerCase() === command.args.toLowerCase());
      if (!target) return void (await reply(ctx.t.removeUsage()));
      const { release } = await ctx.service.removeByAdmin(group, target.id);
      await tellRelease(ctx, target.id, release);
      ctx.log.info({ chatId, by, member: target.id }, 'Telegram: entry removed by an admin');
      const title = 'title' in message.chat && message.chat.title ? message.chat.title : 'a group';
      if (/^tg:\d+$/.test(target.id)) {
        await sendText(ctx, Number(target.id.slice(3)), ctx.t.removedByAdmin(title)).catch(() => {});
      }
      return void (await reply(ctx.t.removed(target.name)));
    }
  }
}
