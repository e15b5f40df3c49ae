// Consent-first membership on Telegram: which command or button goes where. The flow itself is
// core/membership's; registration.ts, admins.ts and leaving.ts word it for Telegram.
import type { CallbackQuery, Message } from 'telegraf/types';
import type { ParsedCommand } from './commands.ts';
import { sendText, userKey, type BotContext } from './context.ts';
import { adminCommand, handleApproveButton, isAdmin, listMembers } from './admins.ts';
import { forget } from './leaving.ts';
import { handleRegistrationButton, joinAsGuardian, openPrivately, registerProfileCommand, startFromLink } from './registration.ts';

export { handleCaptionSelfie, handlePrivatePhoto, removeFromGroup } from './registration.ts';
export { handleLeft, runRetention } from './leaving.ts';
export { isAdmin } from './admins.ts';

// The command menu (setMyCommands) is in English: Telegram shows it the same to everyone here.
/** Added to the bot's command menu. */
export const membershipCommandList = [
  { command: 'privacy', description: 'What I store about you, where, for how long, how to delete it' },
  { command: 'join', description: 'Join as second guardian of a dependent: /join <code>' },
  { command: 'pause', description: 'Admins: stop matching photos in this group' },
  { command: 'resume', description: 'Admins: match photos in this group again' },
  { command: 'approval', description: 'Admins: /approval on|off: new faces wait for an admin' },
  { command: 'remove', description: 'Admins: /remove <number from /members> deletes an entry' },
] as const;

const minute = (at: number) => new Date(at).toISOString().slice(0, 16);

/** Commands this module answers; true when handled. Called first by handleCommand (commands.ts). */
export async function handleMembershipCommand(ctx: BotContext, message: Message, command: ParsedCommand): Promise<boolean> {
  const from = message.from;
  if (!from) return false;
  const chatId = message.chat.id;
  const isPrivate = message.chat.type === 'private';
  const reply = (text: string) => sendText(ctx, chatId, text, { replyTo: message.message_id });
  // Every command keeps the member's entries (and their dependents') from retention.
  await ctx.service.touch(userKey(from.id));
  switch (command.name) {
    case 'start':
      if (!isPrivate || command.args === '' || command.args === 'album') return false;
      await startFromLink(ctx, message, from, command.args);
      return true;
    case 'register':
      if (!isPrivate) return void (await openPrivately(ctx, message, from, command.args)), true;
      return command.args.toLowerCase() === 'profile' && (await registerProfileCommand(ctx, from));
    case 'privacy': {
      const report = await ctx.service.privacyReport(userKey(from.id));
      const lines = report.consents.map((c) => ctx.t.consentLine(c.group, minute(c.givenAt), c.textVersion, c.withdrawnAt !== undefined ? minute(c.withdrawnAt) : undefined));
      await reply([ctx.t.privacy(report.retentionDays), ...(isPrivate && lines.length ? ['', ctx.t.consentRecords(), ...lines] : [])].join('\n'));
      return true;
    }
    case 'forget':
      return forget(ctx, message, from, command.args);
    case 'join':
      if (!isPrivate) return void (await reply(ctx.t.joinPrivately())), true;
      await joinAsGuardian(ctx, message, from, command.args.trim());
      return true;
    case 'pause':
    case 'resume':
    case 'approval':
    case 'remove':
      if (isPrivate) return void (await reply(ctx.t.groupOnly(command.name))), true;
      if (!(await isAdmin(ctx, chatId, from.id))) return void (await reply(ctx.t.notAdmin())), true;
      await adminCommand(ctx, message, command);
      return true;
    case 'members':
      if (isPrivate || !(await isAdmin(ctx, chatId, from.id))) return false;
      await listMembers(ctx, message);
      return true;
    default:
      return false;
  }
}

/** Callback buttons of this module (consent, face pick, approve); true when handled. */
export async function handleMembershipCallback(ctx: BotContext, query: CallbackQuery): Promise<boolean> {
  const data = 'data' in query ? (query.data ?? '') : '';
  const answer = (text?: string) => ctx.api.call('answerCallbackQuery', (tg) => tg.answerCbQuery(query.id, text));
  return (await handleRegistrationButton(ctx, query, data, answer)) || (await handleApproveButton(ctx, query, data, answer));
}

