// The bot's commands: parsing (text or photo caption) and what each one does.
import { ContactError } from '../../core/contacts/index.ts';
import { AlbumDeletionPending } from '../../core/members.ts';
import { AlbumApiError, AlbumHttpError } from '../../core/share/index.ts';
import { errorText } from '../shared/i18n/index.ts';
import type { CallbackQuery, InlineKeyboardMarkup, Message, User } from 'telegraf/types';
import { FileTooBigError, isForbidden } from './api.ts';
import { albumLink, groupKey, sendText, userKey, type BotContext } from './context.ts';
import { pickImage } from './photos.ts';
import { notifyCommand } from '../shared/notices.ts';

export const commandList = [
  { command: 'register', description: 'Join: consent and selfie in our private chat' },
  { command: 'addface', description: 'Add another selfie so I find you more reliably' },
  { command: 'album', description: 'Get your private album link (sent to you privately)' },
  { command: 'forget', description: 'Delete your face data here; then, if you want, your album' },
  { command: 'members', description: 'Who receives photos in this group' },
  { command: 'notify', description: 'How often I tell you about new photos: instant, digest, daily or off' },
  { command: 'help', description: 'How this bot works' },
] as const;

export interface ParsedCommand {
  name: string;
  args: string;
}

/**
 * The command a message starts with, from its text or its caption (telegraf's bot.command() sees only
 * text). `/cmd@otherbot` is not ours: undefined.
 */
export function parseCommand(message: Message, botUsername: string): ParsedCommand | undefined {
  const [text, entities] =
    'text' in message ? [message.text, message.entities] : 'caption' in message && message.caption !== undefined ? [message.caption, message.caption_entities] : [undefined, undefined];
  if (!text) return undefined;
  const entity = entities?.find((e) => e.type === 'bot_command' && e.offset === 0);
  const length = entity?.length ?? /^\/\w+(@\w+)?/.exec(text)?.[0].length;
  if (!length || !text.startsWith('/')) return undefined;
  const [name = '', mention] = text.slice(1, length).split('@');
  if (mention !== undefined && mention.toLowerCase() !== botUsername.toLowerCase()) return undefined;
  return { name: name.toLowerCase(), args: text.slice(length).trim() };
}

/**
 * `/register` alone, `/register profile` (use the Telegram profile photo as the selfie), or
 * `/register <album-url> <username>` for an album on another server.
 */
export function parseRegisterArgs(args: string): { ok: true; album?: { url: string; username: string }; profile?: true } | { ok: false } {
  if (args === '') return { ok: true };
  if (args.toLowerCase() === 'profile') return { ok: true, profile: true };
  const parts = args.split(/\s+/);
  if (parts.length !== 2) return { ok: false };
  const [url = '', username = ''] = parts;
  if (!/^https?:\/\/\S+$/i.test(url) || !/^[A-Za-z0-9_.-]{1,64}$/.test(username)) return { ok: false };
  return { ok: true, album: { url, username } };
}

const displayName = (user: User) => [user.first_name, user.last_name].filter(Boolean).join(' ') || user.username || `user ${user.id}`;

/** A selfie for /register or /addface (given as the caption's photo, or the photo after the command). */
export async function handleSelfie(ctx: BotContext, message: Message, purpose: 'register' | 'addface', args: string): Promise<void> {
  const from = message.from;
  const image = pickImage(message);
  if (!from || !image) return;
  const chatId = message.chat.id;
  const reply = (text: string) => sendText(ctx, chatId, text, { replyTo: message.message_id });
  if (message.chat.type === 'private') return void (await reply(ctx.t.groupOnly(purpose)));
  const parsed = purpose === 'register' ? parseRegisterArgs(args) : { ok: true as const };
  if (!parsed.ok) return void (await reply(ctx.t.registerUsage()));

  let selfie: Uint8Array;
  try {
    ({ bytes: selfie } = await ctx.api.download(image.fileId, image.size));
  } catch (error) {
    if (error instanceof FileTooBigError) return void (await reply(ctx.t.tooBig()));
    throw error;
  }
  await useSelfie(ctx, message, from, purpose, parsed, selfie);
}

/** Registers (or adds a face) with a selfie already downloaded; one reply. */
async function useSelfie(
  ctx: BotContext,
  message: Message,
  from: User,
  purpose: 'register' | 'addface',
  parsed: { album?: { url: string; username: string } },
  selfie: Uint8Array,
): Promise<void> {
  const chatId = message.chat.id;
  const reply = (text: string) => sendText(ctx, chatId, text, { replyTo: message.message_id });
  const group = groupKey(chatId);
  const key = userKey(from.id);
  try {
    if (purpose === 'addface') {
      await ctx.members.addFace(group, key, selfie);
      return void (await reply(ctx.t.addedFace()));
    }
    const name = displayName(from);
    const { link, suggestAnotherSelfie } = await ctx.members.register({
      group,
      userKey: key,
      displayName: name,
      usernameHint: from.username ?? name,
      selfies: [selfie],
      ...(parsed.album ? { album: parsed.album } : {}),
    });
    ctx.log.info({ chatId, user: key, ownAlbum: Boolean(parsed.album) }, 'Telegram: member registered');
    const advice = suggestAnotherSelfie ? ` ${ctx.t.anotherSelfie()}` : '';
    const welcome = `${ctx.t.registeredInGroup(name)}${advice}`;
    if (!link.token) return void (await reply(`${welcome} ${ctx.t.ownAlbumAccount(link.username)}`));
    const sent = await sendLinkPrivately(ctx, from.id, albumLink(link.album, link.token));
    await reply(sent ? `${welcome} ${ctx.t.linkSentSuffix()}` : `${welcome}\n\n${ctx.t.openBot(ctx.botUsername)}`);
  } catch (error) {
    if (error instanceof ContactError && error.code === 'unknown_contact') return void (await reply(ctx.t.notRegistered()));
    const refusal = errorText(ctx.t, error);
    if (refusal !== undefined) return void (await reply(refusal));
    if (error instanceof AlbumApiError || error instanceof AlbumHttpError) {
      ctx.log.warn({ chatId, err: ctx.api.describe(error) }, 'Telegram: album account creation failed');
      return void (await reply(ctx.t.albumFailed()));
    }
    throw error;
  }
}

/** Sends the album link to the user's private chat. False when Telegram says 403 (never opened the bot). */
async function sendLinkPrivately(ctx: BotContext, userId: number, link: string): Promise<boolean> {
  try {
    await sendText(ctx, userId, ctx.t.linkPrivate(link));
    return true;
  } catch (error) {
    if (isForbidden(error)) return false;
    throw error;
  }
}

/** A command without a selfie. One reply at most. */
export async function handleCommand(ctx: BotContext, message: Message, command: ParsedCommand): Promise<void> {
  const from = message.from;
  if (!from) return;
  const chatId = message.chat.id;
  const isPrivate = message.chat.type === 'private';
  const reply = (text: string, extra: { keyboard?: InlineKeyboardMarkup } = {}) => sendText(ctx, chatId, text, { replyTo: message.message_id, ...extra });
  switch (command.name) {
    case 'start':
      if (isPrivate && command.args === 'album') return handleCommand(ctx, message, { name: 'album', args: '' });
      return void (await reply(ctx.t.help(ctx.botUsername)));
    case 'help':
      return void (await reply(ctx.t.help(ctx.botUsername)));
    case 'register':
    case 'addface':
      // The selfie comes with the user's next photo (the router remembers); here only the prompt.
      if (isPrivate) return void (await reply(ctx.t.groupOnly(command.name)));
      if (command.name === 'register') {
        const parsed = parseRegisterArgs(command.args);
        if (!parsed.ok) return void (await reply(ctx.t.registerUsage()));
        if (parsed.profile) return registerWithProfilePhoto(ctx, message, from);
        if (!parsed.album && (await profilePhotoOf(ctx, from.id))) return void (await reply(`${ctx.t.sendSelfieNamed(displayName(from))}\n${ctx.t.orProfile()}`));
      }
      return void (await reply(ctx.t.sendSelfieNamed(displayName(from))));
    case 'notify':
      return void (await reply(await notifyCommand(ctx.terminal, userKey(from.id), command.args, ctx.t)));
    case 'members': {
      if (isPrivate) return void (await reply(ctx.t.groupOnly('members')));
      const names = (await ctx.members.list(groupKey(chatId))).map((c) => c.name);
      return void (await reply(names.length === 0 ? ctx.t.nobodyJoinHint() : ctx.t.photosGoTo(names)));
    }
    case 'album': {
      const link = await ctx.members.link(userKey(from.id));
      if (!link) return void (await reply(ctx.t.noAlbum()));
      if (!link.token) {
        // An album on the member's own server: this bot holds no link for it.
        return void (await reply(isPrivate ? ctx.t.ownAlbumPrivate(link.username, link.album) : ctx.t.ownAlbumGroup()));
      }
      const url = albumLink(link.album, link.token);
      if (isPrivate) return void (await reply(ctx.t.linkPrivate(url)));
      const sent = await sendLinkPrivately(ctx, from.id, url);
      return void (await reply(sent ? ctx.t.linkSent() : ctx.t.openBot(ctx.botUsername)));
    }
    case 'forget': {
      if (command.args.toLowerCase() === 'album') return void (await reply(await deleteAlbumEverywhere(ctx, from.id)));
      const groups = isPrivate ? await groupsOf(ctx, from.id) : [groupKey(chatId)];
      let removed = 0;
      for (const group of groups) if (await ctx.members.forget(group, userKey(from.id))) removed++;
      const done =
        removed === 0
          ? isPrivate
            ? ctx.t.notRegisteredAnywhere()
            : ctx.t.notRegistered()
          : ctx.t.forgotten(isPrivate);
      const link = await ctx.members.link(userKey(from.id));
      if (!link?.token) return void (await reply(done));
      return void (await reply(`${done}\n\n${ctx.t.deleteAlbumToo()}`, {
        keyboard: {
          inline_keyboard: [
            [
              { text: ctx.t.deleteAlbumButton(), callback_data: `forget-album:${from.id}` },
              { text: ctx.t.keepAlbumButton(), callback_data: `keep-album:${from.id}` },
            ],
          ],
        },
      }));
    }
    default:
      // Another bot's command, or a typo: say nothing in groups.
      if (isPrivate) await reply(ctx.t.help(ctx.botUsername));
  }
}

/** The answer to /forget's inline buttons; only the member who asked may press them. */
export async function handleCallback(ctx: BotContext, query: CallbackQuery): Promise<void> {
  const data = 'data' in query ? query.data : undefined;
  const match = /^(forget|keep)-album:(\d+)$/.exec(data ?? '');
  const answer = (text?: string) => ctx.api.call('answerCallbackQuery', (tg) => tg.answerCbQuery(query.id, text));
  if (!match) return void (await answer());
  if (Number(match[2]) !== query.from.id) return void (await answer(ctx.t.forgetButtonNotYours()));
  const text = match[1] === 'forget' ? await deleteAlbumEverywhere(ctx, query.from.id) : ctx.t.keptAlbum();
  await answer();
  const message = query.message;
  if (message) await ctx.api.call('editMessageText', (tg) => tg.editMessageText(message.chat.id, message.message_id, undefined, text));
}

/** The groups (on Telegram) where this user is registered. */
async function groupsOf(ctx: BotContext, userId: number): Promise<string[]> {
  const key = userKey(userId);
  const groups = (await ctx.terminal.contacts.groups()).filter((g) => g.startsWith('tg:'));
  const found: string[] = [];
  for (const g of groups) if (await ctx.terminal.contacts.get(g, key)) found.push(g);
  return found;
}

/** Deletes the member's album and, since it no longer exists, their face data in every group. */
async function deleteAlbumEverywhere(ctx: BotContext, userId: number): Promise<string> {
  const key = userKey(userId);
  for (const group of await groupsOf(ctx, userId)) await ctx.members.forget(group, key);
  try {
    const deleted = await ctx.members.deleteAlbum(key);
    ctx.log.info({ user: key, deleted }, 'Telegram: album deletion');
    return ctx.t.albumDeletedEverywhere(deleted);
  } catch (error) {
    // Members.deleteAlbum says "gone" only when the album confirmed it; anything else is a failure, said as one.
    if (error instanceof AlbumDeletionPending) return ctx.t.albumPendingEverywhere();
    if (error instanceof AlbumApiError || error instanceof AlbumHttpError) {
      ctx.log.warn({ user: key, err: ctx.api.describe(error) }, 'Telegram: album deletion failed');
      if (error instanceof AlbumApiError && error.code === 'link_changed') return ctx.t.albumLinkChanged();
      return ctx.t.albumNotConfirmed();
    }
    throw error;
  }
}

/** The largest rendition of the user's current profile photo, if Telegram shows the bot one. */
async function profilePhotoOf(ctx: BotContext, userId: number): Promise<{ fileId: string; size: number | undefined } | undefined> {
  const photos = await ctx.api.call('getUserProfilePhotos', (tg) => tg.getUserProfilePhotos(userId, 0, 1));
  const sizes = photos.photos[0];
  const largest = sizes?.[sizes.length - 1];
  return largest ? { fileId: largest.file_id, size: largest.file_size } : undefined;
}

/** `/register profile`: the profile photo is the selfie, with the same face checks as any other. */
async function registerWithProfilePhoto(ctx: BotContext, message: Message, from: User): Promise<void> {
  const reply = (text: string) => sendText(ctx, message.chat.id, text, { replyTo: message.message_id });
  const photo = await profilePhotoOf(ctx, from.id);
  if (!photo) return void (await reply(ctx.t.noProfilePhoto()));
  const { bytes } = await ctx.api.download(photo.fileId, photo.size);
  await useSelfie(ctx, message, from, 'register', {}, bytes);
}
