// Consent-first membership on Telegram: registration in the private chat (deep link, consent, selfie,
// face pick), the caption flow under consent, /forget, /privacy, leaving, admin commands, dependents.
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { CallbackQuery, InlineKeyboardMarkup, Message, User } from 'telegraf/types';
import { duplicateFaceDistance } from '../../core/contacts/book.ts';
import { ContactError, normalizeAlbumUrl } from '../../core/contacts/index.ts';
import { assertAlbumAddressAllowed } from '../../core/share/album-address.ts';
import { ImageError, SelfieError, type Box } from '../../core/faces/index.ts';
import { drawFacePreview } from '../../core/faces/preview.ts';
import { drawNumberedFaces, selfieCandidates } from '../../core/faces/selfie-pick.ts';
import { cosineDistance, normalize } from '../../core/match/vectors.ts';
import { AlbumDeletionPending, ANOTHER_SELFIE_ADVICE } from '../../core/members.ts';
import type { PendingRegistration } from '../../core/records/index.ts';
import { AlbumAddressError, AlbumApiError, AlbumHttpError } from '../../core/share/index.ts';
import { AGREE, consentText, leftText, privacyText, retentionForgotten, retentionWarning } from '../shared/consent.ts';
import { FileTooBigError, isForbidden } from './api.ts';
import { parseRegisterArgs, texts, type ParsedCommand } from './commands.ts';
import { albumLink, groupKey, sendText, userKey, type BotContext } from './context.ts';
import { pickImage, tooBigText } from './photos.ts';

interface RegData {
  chatId: number;
  title: string;
  /** The group message the registration started from (the group's "joined" answers it). */
  originMessageId?: number;
  kind: 'self' | 'child' | 'guardian';
  /** Whose face: the member, or a dependent's key. */
  subjectKey: string;
  name: string;
  usernameHint: string;
  album?: { url: string; username: string };
  profile?: boolean;
  /** The selfie's Telegram file (a reference to Telegram's copy, not face data): read only after consent. */
  fileId?: string;
  fileSize?: number;
  /** Registered from a caption in the group: answers go there. */
  caption?: boolean;
}

type Reg = PendingRegistration<RegData>;

const DAY = 24 * 60 * 60_000;
const newToken = (bytes = 12) => randomBytes(bytes).toString('base64url');
const displayName = (user: User) => [user.first_name, user.last_name].filter(Boolean).join(' ') || user.username || `user ${user.id}`;
const chatIdOf = (group: string) => Number(group.slice('tg:'.length));

/** Added to the bot's command menu. */
export const membershipCommandList = [
  { command: 'privacy', description: 'What I store about you, where, for how long, how to delete it' },
  { command: 'join', description: 'Join as second guardian of a dependent: /join <code>' },
  { command: 'pause', description: 'Admins: stop matching photos in this group' },
  { command: 'resume', description: 'Admins: match photos in this group again' },
  { command: 'approval', description: 'Admins: /approval on|off: new faces wait for an admin' },
  { command: 'remove', description: 'Admins: /remove <number from /members> deletes an entry' },
] as const;

export const privateTexts = {
  openPrivately: (name: string) => `${name}, let's do this in our private chat, so your selfie stays out of the group: tap the button.`,
  notYours: 'This link is not yours or has expired. Send /register in your group for a new one.',
  sendSelfie: (subject?: string) =>
    subject ? `Thank you. Now send me a photo of ${subject}: their face alone, well lit.` : 'Thank you. Now send me a selfie here: your face alone, well lit, looking at the camera. (Or send /register profile to use your profile photo.)',
  pick: (n: number) => `That picture shows ${n} faces of similar size. Which one is you? Tap its number.`,
  joined: (name: string, approval: boolean) => `✅ ${name} joined.${approval ? ' An admin approves new faces here first.' : ''}`,
  welcome: (title: string, subject?: string) =>
    subject ? `✅ ${subject} is registered in ${title}: photos of them posted there go to your album.` : `✅ You are registered in ${title}: every photo posted there that shows your face goes to your album.`,
  cannotDelete: 'I could not delete that selfie from the group (I am not allowed to delete messages here). Next time send /register alone: I will take the selfie in our private chat.',
  notAdmin: 'Only the group\'s admins can do that.',
  refusedToAdmins: (who: string, title: string, other: string) => `In ${title}, ${who} tried to register a face already registered to ${other}. I refused it.`,
  approveAsk: (name: string, title: string) => `${name} wants to join ${title}. Is this their face? Until an admin approves it, it matches nothing.`,
  guardianCode: (name: string, code: string) => `A second guardian of ${name} can join with this one-time code: they send me /join ${code} in a private chat (valid 7 days).`,
  wrongChild: (name: string) => `That face is not ${name}'s as I know it. Send a clear photo of ${name}.`,
};

/**
 * Commands this module answers; true when handled. Called first by handleCommand (commands.ts).
 */
export async function handleMembershipCommand(ctx: BotContext, message: Message, command: ParsedCommand): Promise<boolean> {
  const from = message.from;
  if (!from) return false;
  const chatId = message.chat.id;
  const isPrivate = message.chat.type === 'private';
  const reply = (text: string, keyboard?: InlineKeyboardMarkup) => sendText(ctx, chatId, text, { replyTo: message.message_id, ...(keyboard ? { keyboard } : {}) });
  const key = userKey(from.id);
  await ctx.membership.touch(key);
  switch (command.name) {
    case 'start':
      if (!isPrivate || command.args === '' || command.args === 'album') return false;
      await startFromLink(ctx, message, from, command.args);
      return true;
    case 'register': {
      if (isPrivate) {
        if (command.args.toLowerCase() !== 'profile') return false;
        const reg = await ctx.terminal.records.consents.latestRegistration<RegData>(key, ['selfie'], ctx.membership.now());
        if (!reg) return false;
        await registerWithProfile(ctx, reg, from);
        return true;
      }
      await openPrivately(ctx, message, from, command.args);
      return true;
    }
    case 'privacy': {
      const history = await ctx.membership.history(key);
      const lines = history.slice(0, 10).map((c) => `• ${c.group}: agreed ${new Date(c.givenAt).toISOString().slice(0, 16)} (${c.textVersion})${c.withdrawnAt ? `, withdrawn ${new Date(c.withdrawnAt).toISOString().slice(0, 16)}` : ''}`);
      await reply([privacyText(ctx.retentionDays), ...(isPrivate && lines.length ? ['', 'Your consent records:', ...lines] : [])].join('\n'));
      return true;
    }
    case 'forget':
      return forget(ctx, message, from, command.args);
    case 'join':
      if (!isPrivate) return void (await reply('Send /join <code> to me in a private chat.')), true;
      await joinAsGuardian(ctx, message, from, command.args.trim());
      return true;
    case 'pause':
    case 'resume':
    case 'approval':
    case 'remove':
      if (isPrivate) return void (await reply(texts.groupOnly(command.name))), true;
      if (!(await isAdmin(ctx, chatId, from.id))) return void (await reply(privateTexts.notAdmin)), true;
      await adminCommand(ctx, message, command);
      return true;
    case 'members': {
      if (isPrivate || !(await isAdmin(ctx, chatId, from.id))) return false;
      const list = await ctx.members.list(groupKey(chatId));
      if (list.length === 0) return void (await reply('Nobody is registered here yet.')), true;
      const lines = list.map((c, i) => `${i + 1}. ${c.name} — joined ${c.addedAt.slice(0, 16).replace('T', ' ')} UTC — ${c.approved === false ? 'waiting for approval' : 'approved'}`);
      await reply([`Members (${list.length}):`, ...lines, '', '/remove <number> deletes an entry.'].join('\n'));
      return true;
    }
    default:
      return false;
  }
}

/** `/register` in a group: a button opening the private chat with a one-time payload. */
async function openPrivately(ctx: BotContext, message: Message, from: User, args: string): Promise<void> {
  const chatId = message.chat.id;
  const reply = (text: string, keyboard?: InlineKeyboardMarkup) => sendText(ctx, chatId, text, { replyTo: message.message_id, ...(keyboard ? { keyboard } : {}) });
  const child = /^child\s+(.{1,64})$/i.exec(args);
  const parsed = child ? { ok: true as const } : parseRegisterArgs(args);
  if (!parsed.ok) return void (await reply(texts.registerUsage));
  const refusal = await albumRefusal(ctx, 'album' in parsed ? parsed.album : undefined);
  if (refusal) return void (await reply(refusal));
  const key = userKey(from.id);
  if (!child && (await ctx.members.list(groupKey(chatId))).some((c) => c.id === key)) {
    return void (await reply('You are already registered here. /addface adds another selfie; /forget deletes your face data.'));
  }
  const name = child ? child[1]!.trim() : displayName(from);
  const reg = await newRegistration(ctx, from, message, {
    kind: child ? 'child' : 'self',
    subjectKey: child ? `tg:dep:${newToken(6)}` : key,
    name,
    ...('album' in parsed && parsed.album ? { album: parsed.album } : {}),
    ...('profile' in parsed && parsed.profile ? { profile: true } : {}),
  });
  const url = `https://t.me/${ctx.botUsername}?start=${reg.token}`;
  await reply(privateTexts.openPrivately(displayName(from)), { inline_keyboard: [[{ text: 'Register privately', url }]] });
}

/** An album address typed in the chat is checked before anything else: bad input changes nothing. */
async function albumRefusal(ctx: BotContext, album: { url: string } | undefined): Promise<string | undefined> {
  if (!album) return undefined;
  try {
    await assertAlbumAddressAllowed(normalizeAlbumUrl(album.url), { ...ctx.terminal.albumPolicy, builtIn: ctx.config.PUBLIC_URL });
    return undefined;
  } catch (error) {
    if (error instanceof AlbumAddressError || error instanceof ContactError) return error.message;
    throw error;
  }
}

async function newRegistration(ctx: BotContext, from: User, message: Message, data: Pick<RegData, 'kind' | 'subjectKey' | 'name'> & Partial<RegData>): Promise<Reg> {
  const now = ctx.membership.now();
  const chat = message.chat;
  const reg: Reg = {
    token: newToken(),
    userKey: userKey(from.id),
    group: groupKey(chat.id),
    kind: data.kind,
    state: 'link',
    data: { chatId: chat.id, title: 'title' in chat && chat.title ? chat.title : 'your group', originMessageId: message.message_id, usernameHint: from.username ?? displayName(from), ...data },
    createdAt: now,
    expiresAt: now + DAY,
  };
  await ctx.terminal.records.consents.putRegistration(reg);
  return reg;
}

/** `/start <payload>` in the private chat: the consent question. */
async function startFromLink(ctx: BotContext, message: Message, from: User, token: string): Promise<void> {
  const reg = await ctx.terminal.records.consents.registration<RegData>(token, ctx.membership.now());
  if (!reg || reg.userKey !== userKey(from.id)) return void (await sendText(ctx, message.chat.id, privateTexts.notYours));
  await askConsent(ctx, reg, from.id);
}

/** Asks for consent in `chatId` (the private chat, or the group when the member never opened the bot). */
async function askConsent(ctx: BotContext, reg: Reg, chatId: number, replyTo?: number): Promise<void> {
  reg.state = 'consent';
  await ctx.terminal.records.consents.putRegistration(reg);
  const subject = reg.data.kind === 'self' ? undefined : reg.data.name;
  const keyboard: InlineKeyboardMarkup = { inline_keyboard: [[{ text: AGREE, callback_data: `consent:${reg.token}` }]] };
  if (chatId < 0) keyboard.inline_keyboard.push([{ text: 'Register privately instead', url: `https://t.me/${ctx.botUsername}?start=${reg.token}` }]);
  await sendText(ctx, chatId, consentText(reg.data.title, subject), { keyboard, ...(replyTo !== undefined ? { replyTo } : {}) });
}

/**
 * `/register` as the caption of a selfie in the group: the message is deleted (or the member told once how
 * to register privately), then the selfie is used only once the member agreed.
 */
export async function handleCaptionSelfie(ctx: BotContext, message: Message, args: string): Promise<void> {
  const from = message.from;
  const image = pickImage(message);
  if (!from || !image) return;
  const chatId = message.chat.id;
  const parsed = parseRegisterArgs(args);
  if (!parsed.ok || parsed.profile) return void (await sendText(ctx, chatId, texts.registerUsage, { replyTo: message.message_id }));
  const refusal = await albumRefusal(ctx, parsed.album);
  if (refusal) return void (await sendText(ctx, chatId, refusal, { replyTo: message.message_id }));
  await removeFromGroup(ctx, message);
  const reg = await newRegistration(ctx, from, message, {
    kind: 'self',
    subjectKey: userKey(from.id),
    name: displayName(from),
    caption: true,
    fileId: image.fileId,
    ...(image.size !== undefined ? { fileSize: image.size } : {}),
    ...(parsed.album ? { album: parsed.album } : {}),
  });
  if (await ctx.membership.consentOf(reg.group, reg.data.subjectKey)) return useHeldSelfie(ctx, reg);
  try {
    await askConsent(ctx, reg, from.id);
  } catch (error) {
    if (!isForbidden(error)) throw error;
    await askConsent(ctx, reg, chatId, message.message_id);
  }
}

export async function removeFromGroup(ctx: BotContext, message: Message): Promise<void> {
  try {
    await ctx.api.call('deleteMessage', (tg) => tg.deleteMessage(message.chat.id, message.message_id));
  } catch (error) {
    ctx.log.info({ chatId: message.chat.id, err: ctx.api.describe(error) }, 'Telegram: could not delete a selfie from the group');
    if (await ctx.terminal.records.kv.setOnce(`telegram:once:cannot-delete:${message.chat.id}`)) {
      await sendText(ctx, message.chat.id, privateTexts.cannotDelete, { replyTo: message.message_id });
    }
  }
}

/** Callback buttons of this module; true when handled. */
export async function handleMembershipCallback(ctx: BotContext, query: CallbackQuery): Promise<boolean> {
  const data = 'data' in query ? (query.data ?? '') : '';
  const answer = (text?: string) => ctx.api.call('answerCallbackQuery', (tg) => tg.answerCbQuery(query.id, text));
  const consent = /^consent:([\w-]+)$/.exec(data);
  const pick = /^pick:([\w-]+):(\d{1,2})$/.exec(data);
  const approve = /^approve:(-?\d+):([\w:-]+)$/.exec(data);
  if (consent || pick) {
    const reg = await ctx.terminal.records.consents.registration<RegData>((consent ?? pick)![1]!, ctx.membership.now());
    if (!reg || reg.userKey !== userKey(query.from.id)) return void (await answer('This button is not for you, or it has expired.')), true;
    if (consent) {
      if (reg.state !== 'consent') return void (await answer()), true;
      await answer('Thank you');
      await ctx.membership.consent(reg.userKey, reg.group, reg.data.subjectKey);
      ctx.log.info({ group: reg.group, user: reg.userKey, kind: reg.data.kind }, 'Telegram: consent given');
      if (reg.data.kind === 'guardian') return void (await askForPhoto(ctx, reg, query.from.id)), true;
      if (reg.data.fileId) return void (await useHeldSelfie(ctx, reg)), true;
      if (reg.data.profile) return void (await registerWithProfile(ctx, reg, query.from)), true;
      await askForPhoto(ctx, reg, query.from.id);
      return true;
    }
    if (reg.state !== 'pick') return void (await answer()), true;
    await answer();
    await useHeldSelfie(ctx, reg, Number(pick![2]));
    return true;
  }
  if (approve) {
    const chatId = Number(approve[1]);
    if (!(await isAdmin(ctx, chatId, query.from.id))) return void (await answer(privateTexts.notAdmin)), true;
    const ok = await ctx.membership.approve(groupKey(chatId), approve[2]!);
    await answer(ok ? 'Approved' : 'That entry is gone.');
    if (ok) {
      const contact = (await ctx.members.list(groupKey(chatId))).find((c) => c.id === approve[2]);
      ctx.log.info({ chatId, member: approve[2], by: userKey(query.from.id) }, 'Telegram: face approved');
      await sendText(ctx, query.message?.chat.id ?? query.from.id, `Approved: ${contact?.name ?? 'the member'} now receives the group's photos.`);
    }
    return true;
  }
  return false;
}

async function askForPhoto(ctx: BotContext, reg: Reg, userId: number): Promise<void> {
  reg.state = 'selfie';
  await ctx.terminal.records.consents.putRegistration(reg);
  await sendText(ctx, userId, privateTexts.sendSelfie(reg.data.kind === 'self' ? undefined : reg.data.name));
}

/** A photo in the private chat: the selfie a registration waits for, else the old answer. */
export async function handlePrivatePhoto(ctx: BotContext, message: Message): Promise<boolean> {
  const from = message.from;
  const image = pickImage(message);
  if (!from || !image) return false;
  const reg = await ctx.terminal.records.consents.latestRegistration<RegData>(userKey(from.id), ['selfie'], ctx.membership.now());
  if (!reg) return false;
  reg.data.fileId = image.fileId;
  if (image.size !== undefined) reg.data.fileSize = image.size;
  else delete reg.data.fileSize;
  await useHeldSelfie(ctx, reg);
  return true;
}

async function registerWithProfile(ctx: BotContext, reg: Reg, from: User): Promise<void> {
  const photos = await ctx.api.call('getUserProfilePhotos', (tg) => tg.getUserProfilePhotos(from.id, 0, 1));
  const sizes = photos.photos[0];
  const largest = sizes?.[sizes.length - 1];
  if (!largest) return void (await sendText(ctx, answerChat(reg), texts.noProfilePhoto, replyOpts(reg)));
  reg.data.fileId = largest.file_id;
  if (largest.file_size !== undefined) reg.data.fileSize = largest.file_size;
  await useHeldSelfie(ctx, reg);
}

/** Where a registration's answers go: the group for the caption flow, else the private chat. */
const answerChat = (reg: Reg) => (reg.data.caption ? reg.data.chatId : chatIdOfUser(reg.userKey));
const replyOpts = (reg: Reg) => (reg.data.caption && reg.data.originMessageId !== undefined ? { replyTo: reg.data.originMessageId } : {});
const chatIdOfUser = (key: string) => Number(key.slice('tg:'.length));

/** Downloads the held selfie (after consent) and registers; a several-faces selfie asks which face. */
async function useHeldSelfie(ctx: BotContext, reg: Reg, faceIndex?: number): Promise<void> {
  const say = (text: string) => sendText(ctx, answerChat(reg), text, replyOpts(reg));
  let bytes: Uint8Array;
  try {
    ({ bytes } = await ctx.api.download(reg.data.fileId!, reg.data.fileSize));
  } catch (error) {
    if (error instanceof FileTooBigError) return void (await say(tooBigText));
    throw error;
  }
  if (reg.data.kind === 'guardian') return addSecondGuardian(ctx, reg, bytes);
  const settings = await ctx.membership.settings(reg.group);
  const guardianKey = reg.userKey;
  try {
    const { link, suggestAnotherSelfie, contact } = await ctx.members.register({
      group: reg.group,
      userKey: reg.data.subjectKey,
      displayName: reg.data.name,
      usernameHint: reg.data.usernameHint,
      selfies: [bytes],
      ...(reg.data.album ? { album: reg.data.album } : {}),
      ...(faceIndex !== undefined ? { faceIndex } : {}),
      ...(settings.approval ? { approved: false } : {}),
      ...(reg.data.kind === 'child' ? { albumOf: guardianKey } : {}),
    });
    await ctx.terminal.records.consents.deleteRegistration(reg.token);
    ctx.log.info({ group: reg.group, user: reg.userKey, kind: reg.data.kind, approval: settings.approval }, 'Telegram: member registered');
    const subject = reg.data.kind === 'child' ? reg.data.name : undefined;
    let privateText = `${privateTexts.welcome(reg.data.title, subject)}${suggestAnotherSelfie && !subject ? `\n${ANOTHER_SELFIE_ADVICE}` : ''}`;
    if (!link.token) privateText += `\nYour album is the account ${link.username} on your own album server.`;
    else privateText += `\n\n${texts.linkPrivate(albumLink(link.album, link.token))}`;
    let sentPrivately = true;
    try {
      if (subject) {
        const code = newToken(6);
        const now = ctx.membership.now();
        await ctx.terminal.records.consents.putRegistration<RegData>({
          token: `g-${code}`,
          userKey: '*',
          group: reg.group,
          kind: 'guardian-code',
          state: 'code',
          data: { ...reg.data, kind: 'guardian' },
          createdAt: now,
          expiresAt: now + 7 * DAY,
        });
        privateText += `\n\n${privateTexts.guardianCode(subject, code)}`;
      }
      await sendText(ctx, chatIdOfUser(guardianKey), privateText);
    } catch (error) {
      if (!isForbidden(error)) throw error;
      sentPrivately = false;
    }
    const joinedName = subject ? `${subject} (with ${reg.data.usernameHint})` : reg.data.name;
    const groupText = privateTexts.joined(joinedName, settings.approval) + (sentPrivately || !link.token ? '' : `\n\n${texts.openBot(ctx.botUsername)}`);
    await sendText(ctx, reg.data.chatId, groupText, reg.data.originMessageId !== undefined ? { replyTo: reg.data.originMessageId } : {});
    if (settings.approval) await askAdminsToApprove(ctx, reg, bytes, contact.id, faceIndex);
  } catch (error) {
    if (error instanceof SelfieError && error.code === 'several_faces' && faceIndex === undefined) return askWhichFace(ctx, reg, bytes);
    if (error instanceof SelfieError || error instanceof ImageError || error instanceof AlbumAddressError) return void (await say(error.message));
    if (error instanceof ContactError) {
      if (error.code === 'face_already_registered') {
        ctx.log.warn({ group: reg.group, user: reg.userKey }, 'Telegram: a face already registered to another member was refused');
        await tellAdmins(ctx, reg.data.chatId, privateTexts.refusedToAdmins(reg.data.name, reg.data.title, error.otherMember ?? 'another member'));
      }
      return void (await say(error.message));
    }
    if (error instanceof AlbumApiError || error instanceof AlbumHttpError) {
      ctx.log.warn({ group: reg.group, err: ctx.api.describe(error) }, 'Telegram: album account creation failed');
      return void (await say(texts.albumFailed));
    }
    throw error;
  }
}

/** The numbered faces, drawn on the selfie, sent privately (or where the registration answers) with one button each. */
async function askWhichFace(ctx: BotContext, reg: Reg, bytes: Uint8Array): Promise<void> {
  const candidates = selfieCandidates(await ctx.terminal.engine.analyze(bytes, 'selfie'));
  reg.state = 'pick';
  await ctx.terminal.records.consents.putRegistration(reg);
  const picture = await drawNumberedFaces(bytes, candidates);
  const keyboard: InlineKeyboardMarkup = { inline_keyboard: [candidates.slice(0, 8).map((_, i) => ({ text: String(i + 1), callback_data: `pick:${reg.token}:${i + 1}` }))] };
  const send = (chatId: number) => ctx.api.call('sendPhoto', (tg) => tg.sendPhoto(chatId, { source: picture }, { caption: privateTexts.pick(candidates.length), reply_markup: keyboard }));
  try {
    await send(chatIdOfUser(reg.userKey));
  } catch (error) {
    if (!isForbidden(error)) throw error;
    await send(reg.data.chatId);
  }
}

/** Approval mode: each admin gets the face drawn with its box and the member's name, and an Approve button. */
async function askAdminsToApprove(ctx: BotContext, reg: Reg, bytes: Uint8Array, contactId: string, faceIndex?: number): Promise<void> {
  const analysis = await ctx.terminal.engine.analyze(bytes, 'selfie');
  const face = faceIndex !== undefined ? selfieCandidates(analysis)[faceIndex - 1] : (await ctx.terminal.engine.selfie(bytes)).face;
  const picture = face ? await faceCrop(bytes, face.box, reg.data.name) : await drawFacePreview(bytes, [], 800);
  const keyboard: InlineKeyboardMarkup = { inline_keyboard: [[{ text: '✅ Approve', callback_data: `approve:${reg.data.chatId}:${contactId}` }]] };
  for (const admin of await adminIds(ctx, reg.data.chatId)) {
    try {
      await ctx.api.call('sendPhoto', (tg) => tg.sendPhoto(admin, { source: picture }, { caption: privateTexts.approveAsk(reg.data.name, reg.data.title), reply_markup: keyboard }));
    } catch (error) {
      if (!isForbidden(error)) throw error;
    }
  }
}

/** The face with a margin around it, its box drawn and the member's name on it. */
async function faceCrop(bytes: Uint8Array, box: Box, label: string): Promise<Buffer> {
  const oriented = await sharp(bytes).rotate().jpeg({ quality: 92 }).toBuffer({ resolveWithObject: true });
  const { width, height } = oriented.info;
  const left = Math.max(0, Math.floor(box.x - box.width));
  const top = Math.max(0, Math.floor(box.y - box.height));
  const right = Math.min(width, Math.ceil(box.x + 2 * box.width));
  const bottom = Math.min(height, Math.ceil(box.y + 2 * box.height));
  const crop = await sharp(oriented.data).extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) }).jpeg({ quality: 92 }).toBuffer();
  return drawFacePreview(crop, [{ box: { x: box.x - left, y: box.y - top, width: box.width, height: box.height }, label }], 640);
}

async function adminIds(ctx: BotContext, chatId: number): Promise<number[]> {
  const admins = await ctx.api.call('getChatAdministrators', (tg) => tg.getChatAdministrators(chatId));
  return admins.filter((a) => !a.user.is_bot).map((a) => a.user.id);
}

/** Group admin, by Telegram's own list (getChatAdministrators). */
export async function isAdmin(ctx: BotContext, chatId: number, userId: number): Promise<boolean> {
  return (await adminIds(ctx, chatId)).includes(userId);
}

async function tellAdmins(ctx: BotContext, chatId: number, text: string): Promise<void> {
  for (const admin of await adminIds(ctx, chatId)) {
    try {
      await sendText(ctx, admin, text);
    } catch (error) {
      if (!isForbidden(error)) throw error;
    }
  }
}

async function adminCommand(ctx: BotContext, message: Message, command: ParsedCommand): Promise<void> {
  const chatId = message.chat.id;
  const group = groupKey(chatId);
  const reply = (text: string) => sendText(ctx, chatId, text, { replyTo: message.message_id });
  const by = userKey(message.from!.id);
  switch (command.name) {
    case 'pause':
      await ctx.membership.setSettings(group, { paused: true });
      ctx.log.info({ chatId, by }, 'Telegram: matching paused');
      return void (await reply('⏸ Paused: photos posted here go to nobody until an admin sends /resume.'));
    case 'resume':
      await ctx.membership.setSettings(group, { paused: false });
      ctx.log.info({ chatId, by }, 'Telegram: matching resumed');
      return void (await reply('▶️ Resumed: photos posted here reach the members in them again.'));
    case 'approval': {
      const arg = command.args.toLowerCase();
      if (arg !== 'on' && arg !== 'off') return void (await reply('Usage: /approval on (new faces wait for an admin) or /approval off.'));
      await ctx.membership.setSettings(group, { approval: arg === 'on' });
      return void (await reply(arg === 'on' ? 'Approval mode on: I show each new face to the admins privately; it matches nothing until one of them approves.' : 'Approval mode off: new faces match at once.'));
    }
    case 'remove': {
      const list = await ctx.members.list(group);
      const n = Number(command.args);
      const target = Number.isInteger(n) && n >= 1 ? list[n - 1] : list.find((c) => c.name.toLowerCase() === command.args.toLowerCase());
      if (!target) return void (await reply('Usage: /remove <number from /members>.'));
      await ctx.membership.forget(group, target.id, 'removed_by_admin');
      await releaseAlbumFacesIfUnused(ctx, target.id);
      ctx.log.info({ chatId, by, member: target.id }, 'Telegram: entry removed by an admin');
      const title = 'title' in message.chat && message.chat.title ? message.chat.title : 'a group';
      if (/^tg:\d+$/.test(target.id)) {
        await sendText(ctx, chatIdOfUser(target.id), `An admin of ${title} removed your entry there: its photos no longer reach you. Your album stays yours.`).catch(() => {});
      }
      return void (await reply(`Removed ${target.name}: their face data here is deleted.`));
    }
  }
}

/** `/forget`: in a group, that group; in private, every group (and `/forget child <name>` a dependent). */
async function forget(ctx: BotContext, message: Message, from: User, args: string): Promise<boolean> {
  const chatId = message.chat.id;
  const isPrivate = message.chat.type === 'private';
  const key = userKey(from.id);
  const reply = (text: string, keyboard?: InlineKeyboardMarkup) => sendText(ctx, chatId, text, { replyTo: message.message_id, ...(keyboard ? { keyboard } : {}) });
  if (args.toLowerCase() === 'album') {
    // The old handler deletes the album; consents are withdrawn here first.
    await ctx.membership.forgetEverywhere(key, 'tg:', 'forget');
    return false;
  }
  const child = /^child\s+(.{1,64})$/i.exec(args);
  if (child) {
    const name = child[1]!.trim().toLowerCase();
    let removed = 0;
    for (const d of await ctx.membership.dependentsOf(key)) {
      const contact = (await ctx.members.list(d.group)).find((c) => c.id === d.id);
      if (contact && contact.name.toLowerCase() === name && (await ctx.membership.forget(d.group, d.id, 'forget'))) removed++;
    }
    await reply(removed ? `Done: ${child[1]!.trim()}'s face data is deleted (${removed} group${removed > 1 ? 's' : ''}).` : `You hold no dependent called ${child[1]!.trim()}.`);
    return true;
  }
  const removed = isPrivate ? await ctx.membership.forgetEverywhere(key, 'tg:', 'forget') : [await ctx.membership.forget(groupKey(chatId), key, 'forget')].filter(Boolean);
  ctx.log.info({ user: key, groups: removed.length }, 'Telegram: member forgotten');
  await releaseAlbumFacesIfUnused(ctx, key);
  const done =
    removed.length === 0
      ? isPrivate
        ? 'You are not registered in any group.'
        : texts.notRegistered
      : `Done: your face data is deleted${isPrivate ? ' from every group' : ' from this group'}, so new photos no longer reach you. The photos already in your album stay there.`;
  const link = await ctx.members.link(key);
  if (!link?.token) return void (await reply(done)), true;
  await reply(`${done}\n\nDelete your album too, with every photo in it? (Or send /forget album.)`, {
    inline_keyboard: [
      [
        { text: '🗑 Delete my album', callback_data: `forget-album:${from.id}` },
        { text: 'Keep it', callback_data: `keep-album:${from.id}` },
      ],
    ],
  });
  return true;
}

/** The user's album keeps their faces only while some entry of theirs (or a dependent's) still uses them. */
export async function releaseAlbumFacesIfUnused(ctx: BotContext, key: string): Promise<void> {
  if (!/^tg:\d+$/.test(key)) return;
  if ((await ctx.membership.groupsOf(key, '')).length > 0 || (await ctx.membership.dependentsOf(key)).length > 0) return;
  try {
    if (await ctx.members.forgetAlbumFaces(key)) ctx.log.info({ user: key }, 'Telegram: album faces deleted');
  } catch (error) {
    // The terminal's own copy is gone already; tell the member the album still holds their face.
    ctx.log.warn({ user: key, err: ctx.api.describe(error) }, 'Telegram: album faces not deleted');
    const text = error instanceof AlbumDeletionPending ? error.message : `Your album server refused to delete your face from your album, so it may still hold it${error instanceof AlbumApiError ? `: ${error.message}` : '.'} You can delete the whole album with /forget album.`;
    await sendText(ctx, chatIdOfUser(key), text).catch(() => {});
  }
}

/** `/join <code>`: a second guardian of a dependent; consent, then a photo of the dependent that must match. */
async function joinAsGuardian(ctx: BotContext, message: Message, from: User, code: string): Promise<void> {
  const now = ctx.membership.now();
  const held = /^[\w-]{4,16}$/.test(code) ? await ctx.terminal.records.consents.registration<RegData>(`g-${code}`, now) : undefined;
  if (!held) return void (await sendText(ctx, message.chat.id, 'That code is unknown or has expired. Ask the first guardian for a new one.'));
  await ctx.terminal.records.consents.deleteRegistration(held.token); // one-time
  const reg: Reg = { ...held, token: newToken(), userKey: userKey(from.id), kind: 'guardian', state: 'link', data: { ...held.data, kind: 'guardian', usernameHint: from.username ?? displayName(from), caption: false }, createdAt: now, expiresAt: now + DAY };
  delete reg.data.fileId;
  delete reg.data.originMessageId;
  await ctx.terminal.records.consents.putRegistration(reg);
  await askConsent(ctx, reg, from.id);
}

async function addSecondGuardian(ctx: BotContext, reg: Reg, bytes: Uint8Array): Promise<void> {
  const say = (text: string) => sendText(ctx, chatIdOfUser(reg.userKey), text);
  const dependent = (await ctx.members.list(reg.group)).find((c) => c.id === reg.data.subjectKey);
  if (!dependent) return void (await say('That dependent is no longer registered.'));
  let face;
  try {
    ({ face } = await ctx.terminal.engine.selfie(bytes));
  } catch (error) {
    if (error instanceof SelfieError || error instanceof ImageError) return void (await say(error.message));
    throw error;
  }
  // The photo must show the enrolled dependent: a code alone must not route a child's photos to a stranger.
  const limit = duplicateFaceDistance(10);
  const q = normalize(face.descriptor);
  if (!dependent.descriptors.some((d) => cosineDistance(q, normalize(d)) < limit)) return void (await say(privateTexts.wrongChild(reg.data.name)));
  const link = await ctx.members.albumFor(reg.userKey, reg.data.usernameHint, [bytes]);
  await ctx.terminal.contacts.addGuardian(reg.group, dependent.id, { key: reg.userKey, album: link.album, username: link.username });
  await ctx.terminal.records.consents.deleteRegistration(reg.token);
  ctx.log.info({ group: reg.group, guardian: reg.userKey }, 'Telegram: second guardian joined');
  await say(`${privateTexts.welcome(reg.data.title, reg.data.name)}${link.token ? `\n\n${texts.linkPrivate(albumLink(link.album, link.token))}` : ''}`);
}

/** A member left or was removed: their entry (and dependents they hold) in that group go; they are told privately. */
export async function handleLeft(ctx: BotContext, chatId: number, title: string, userId: number): Promise<void> {
  const removed = await ctx.membership.left(groupKey(chatId), userKey(userId));
  ctx.log.info({ chatId, user: userKey(userId), removed: removed.length }, 'Telegram: member left');
  if (removed.length === 0) return;
  await releaseAlbumFacesIfUnused(ctx, userKey(userId));
  try {
    await sendText(ctx, userId, leftText(title));
  } catch (error) {
    if (!isForbidden(error)) throw error;
  }
}

/** One retention pass over the Telegram groups. */
export async function runRetention(ctx: BotContext): Promise<{ warned: number; forgotten: number }> {
  const tellUser = async (subject: string, text: string) => {
    // A dependent's guardian is told.
    const id = await ctx.membership.answerableFor(subject);
    const owner = /^tg:\d+$/.test(id) ? chatIdOfUser(id) : undefined;
    if (owner === undefined) return;
    try {
      await sendText(ctx, owner, text);
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
  return ctx.membership.sweep(ctx.retentionDays, {
    groupPrefix: 'tg:',
    warn: async (e) => tellUser(e.id, retentionWarning(await title(e.group), Math.max(1, Math.round((e.forgetAt - ctx.membership.now()) / DAY)))),
    forgotten: async (e) => {
      await releaseAlbumFacesIfUnused(ctx, e.id);
      await tellUser(e.id, retentionForgotten(await title(e.group)));
    },
  });
}

export { chatIdOf };
