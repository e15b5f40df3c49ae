// Private registration on Telegram, on core/membership's state machine: the deep link, consent, the selfie
// (private photo, caption in the group, or profile photo), the face picker, dependents and second guardians.
import type { CallbackQuery, InlineKeyboardMarkup, Message, User } from 'telegraf/types';
import { MAX_PICK, newToken, type Registration, type RegistrationBase, type RegistrationOutcome } from '../../core/membership/index.ts';
import { refusalText } from '../shared/i18n/index.ts';
import { FileTooBigError, isForbidden } from './api.ts';
import { parseRegisterArgs } from './commands.ts';
import { albumLink, groupKey, sendText, userKey, type BotContext } from './context.ts';
import { askAdminsToApprove, tellAdmins } from './admins.ts';
import { pickImage } from './photos.ts';

interface RegData extends RegistrationBase {
  chatId: number;
  /** The group message the registration started from (the group's "joined" answers it). */
  originMessageId?: number;
  /** The selfie's Telegram file (a reference to Telegram's copy, not face data): read only after consent. */
  fileId?: string;
  fileSize?: number;
  /** Registered from a caption in the group: answers go there. */
  caption?: boolean;
}

type Reg = Registration<RegData>;

export const displayName = (user: User) => [user.first_name, user.last_name].filter(Boolean).join(' ') || user.username || `user ${user.id}`;
export const chatIdOfUser = (key: string) => Number(key.slice('tg:'.length));
const flow = (ctx: BotContext) => ctx.service.registration;

/** `/register` in a group: a button opening the private chat with a one-time payload. */
export async function openPrivately(ctx: BotContext, message: Message, from: User, args: string): Promise<void> {
  const reply = (text: string, keyboard?: InlineKeyboardMarkup) => sendText(ctx, message.chat.id, text, { replyTo: message.message_id, ...(keyboard ? { keyboard } : {}) });
  const child = /^child\s+(.{1,64})$/i.exec(args);
  const parsed = child ? { ok: true as const } : parseRegisterArgs(args);
  if (!parsed.ok) return void (await reply(ctx.t.registerUsage()));
  const refusal = await flow(ctx).checkAlbum('album' in parsed ? parsed.album : undefined);
  if (refusal) return void (await reply(refusalText(ctx.t, refusal)));
  const key = userKey(from.id);
  if (!child && (await ctx.service.isRegistered(groupKey(message.chat.id), key))) {
    return void (await reply(ctx.t.alreadyRegistered()));
  }
  const reg = await newRegistration(ctx, from, message, {
    kind: child ? 'child' : 'self',
    subjectKey: child ? `tg:dep:${newToken(6)}` : key,
    name: child ? child[1]!.trim() : displayName(from),
    ...('album' in parsed && parsed.album ? { album: parsed.album } : {}),
    ...('profile' in parsed && parsed.profile ? { profile: true } : {}),
  });
  const url = `https://t.me/${ctx.botUsername}?start=${reg.token}`;
  await reply(ctx.t.openPrivately(displayName(from)), { inline_keyboard: [[{ text: ctx.t.registerPrivately(), url }]] });
}

function newRegistration(ctx: BotContext, from: User, message: Message, data: Pick<RegData, 'kind' | 'subjectKey' | 'name'> & Partial<RegData>): Promise<Reg> {
  const chat = message.chat;
  const title = 'title' in chat && chat.title ? chat.title : 'your group';
  return flow(ctx).open<RegData>(userKey(from.id), groupKey(chat.id), { chatId: chat.id, title, originMessageId: message.message_id, usernameHint: from.username ?? displayName(from), ...data });
}

/** `/start <payload>` in the private chat: the consent question. */
export async function startFromLink(ctx: BotContext, message: Message, from: User, token: string): Promise<void> {
  const reg = await flow(ctx).mine<RegData>(token, userKey(from.id));
  if (!reg) return void (await sendText(ctx, message.chat.id, ctx.t.notYours()));
  await askConsent(ctx, reg, from.id);
}

/** Asks for consent in `chatId` (the private chat, or the group when the member never opened the bot). */
async function askConsent(ctx: BotContext, reg: Reg, chatId: number, replyTo?: number): Promise<void> {
  await flow(ctx).moveTo(reg, 'consent');
  const subject = reg.data.kind === 'self' ? undefined : reg.data.name;
  const keyboard: InlineKeyboardMarkup = { inline_keyboard: [[{ text: ctx.t.agree(), callback_data: `consent:${reg.token}` }]] };
  if (chatId < 0) keyboard.inline_keyboard.push([{ text: ctx.t.registerPrivatelyInstead(), url: `https://t.me/${ctx.botUsername}?start=${reg.token}` }]);
  await sendText(ctx, chatId, ctx.t.consent(reg.data.title, subject), { keyboard, ...(replyTo !== undefined ? { replyTo } : {}) });
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
  if (!parsed.ok || parsed.profile) return void (await sendText(ctx, chatId, ctx.t.registerUsage(), { replyTo: message.message_id }));
  const refusal = await flow(ctx).checkAlbum(parsed.album);
  if (refusal) return void (await sendText(ctx, chatId, refusalText(ctx.t, refusal), { replyTo: message.message_id }));
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
  if (await flow(ctx).hasConsent(reg)) return useHeldSelfie(ctx, reg);
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
    if (await ctx.once(`cannot-delete:${message.chat.id}`)) {
      await sendText(ctx, message.chat.id, ctx.t.cannotDelete(), { replyTo: message.message_id });
    }
  }
}

/** "I agree" and the face picker's numbers; true when the data was theirs. */
export async function handleRegistrationButton(ctx: BotContext, query: CallbackQuery, data: string, answer: (text?: string) => Promise<unknown>): Promise<boolean> {
  const consent = /^consent:([\w-]+)$/.exec(data);
  const pick = /^pick:([\w-]+):(\d{1,2})$/.exec(data);
  if (!consent && !pick) return false;
  const key = userKey(query.from.id);
  const notYours = () => answer(ctx.t.buttonNotYours());
  if (consent) {
    const outcome = await flow(ctx).consent<RegData>(consent[1]!, key, (reg) => reg.data.fileId !== undefined);
    if (outcome.kind === 'not_yours') return void (await notYours()), true;
    if (outcome.kind === 'already_answered') return void (await answer()), true;
    await answer(ctx.t.thanks());
    const reg = outcome.reg;
    ctx.log.info({ group: reg.group, user: reg.userKey, kind: reg.data.kind }, 'Telegram: consent given');
    if (outcome.next === 'held_selfie') await useHeldSelfie(ctx, reg);
    else if (outcome.next === 'profile') await registerWithProfile(ctx, reg, query.from);
    else await sendText(ctx, query.from.id, ctx.t.sendSelfie(reg.data.kind === 'self' ? undefined : reg.data.name));
    return true;
  }
  const reg = await flow(ctx).mine<RegData>(pick![1]!, key);
  if (!reg) return void (await notYours()), true;
  if (reg.state !== 'pick') return void (await answer()), true;
  await answer();
  await useHeldSelfie(ctx, reg, Number(pick![2]));
  return true;
}

/** A photo in the private chat: the selfie a registration waits for; false when none waits. */
export async function handlePrivatePhoto(ctx: BotContext, message: Message): Promise<boolean> {
  const from = message.from;
  const image = pickImage(message);
  if (!from || !image) return false;
  const reg = await flow(ctx).latest<RegData>(userKey(from.id), ['selfie']);
  if (!reg) return false;
  reg.data.fileId = image.fileId;
  if (image.size !== undefined) reg.data.fileSize = image.size;
  else delete reg.data.fileSize;
  await useHeldSelfie(ctx, reg);
  return true;
}

/** `/register profile` in private, for the registration waiting for a selfie; false when none waits. */
export async function registerProfileCommand(ctx: BotContext, from: User): Promise<boolean> {
  const reg = await flow(ctx).latest<RegData>(userKey(from.id), ['selfie']);
  if (!reg) return false;
  await registerWithProfile(ctx, reg, from);
  return true;
}

async function registerWithProfile(ctx: BotContext, reg: Reg, from: User): Promise<void> {
  const photos = await ctx.api.call('getUserProfilePhotos', (tg) => tg.getUserProfilePhotos(from.id, 0, 1));
  const sizes = photos.photos[0];
  const largest = sizes?.[sizes.length - 1];
  if (!largest) return void (await sendText(ctx, answerChat(reg), ctx.t.noProfilePhoto(), replyOpts(reg)));
  reg.data.fileId = largest.file_id;
  if (largest.file_size !== undefined) reg.data.fileSize = largest.file_size;
  await useHeldSelfie(ctx, reg);
}

/** Where a registration's answers go: the group for the caption flow, else the private chat. */
const answerChat = (reg: Reg) => (reg.data.caption ? reg.data.chatId : chatIdOfUser(reg.userKey));
const replyOpts = (reg: Reg) => (reg.data.caption && reg.data.originMessageId !== undefined ? { replyTo: reg.data.originMessageId } : {});

/** Downloads the held selfie (after consent) and hands it to the state machine; then says how it went. */
async function useHeldSelfie(ctx: BotContext, reg: Reg, faceIndex?: number): Promise<void> {
  let bytes: Uint8Array;
  try {
    ({ bytes } = await ctx.api.download(reg.data.fileId!, reg.data.fileSize));
  } catch (error) {
    if (error instanceof FileTooBigError) return void (await sendText(ctx, answerChat(reg), ctx.t.tooBig(), replyOpts(reg)));
    throw error;
  }
  await tellOutcome(ctx, reg, await flow(ctx).useSelfie(reg, bytes, faceIndex));
}

async function tellOutcome(ctx: BotContext, reg: Reg, outcome: RegistrationOutcome<RegData>): Promise<void> {
  if (outcome.kind === 'refused') {
    if (outcome.code === 'album_failed') ctx.log.warn({ group: reg.group, err: ctx.api.describe(outcome.error) }, 'Telegram: album account creation failed');
    return tellRefusal(ctx, reg, outcome);
  }
  if (outcome.kind === 'pick_face') return askWhichFace(ctx, reg, outcome.picture, outcome.faces);
  if (outcome.kind === 'guardian_joined') {
    ctx.log.info({ group: reg.group, guardian: reg.userKey }, 'Telegram: second guardian joined');
    const link = outcome.link.token ? `\n\n${ctx.t.linkPrivate(albumLink(outcome.link.album, outcome.link.token))}` : '';
    return void (await sendText(ctx, chatIdOfUser(reg.userKey), `${ctx.t.welcome(reg.data.title, reg.data.name)}${link}`));
  }
  const { link, approval } = outcome;
  ctx.log.info({ group: reg.group, user: reg.userKey, kind: reg.data.kind, approval }, 'Telegram: member registered');
  const subject = reg.data.kind === 'child' ? reg.data.name : undefined;
  let privateText = `${ctx.t.welcome(reg.data.title, subject)}${outcome.suggestAnotherSelfie && !subject ? `\n${ctx.t.anotherSelfie()}` : ''}`;
  if (!link.token) privateText += `\n${ctx.t.ownAlbumAccount(link.username)}`;
  else privateText += `\n\n${ctx.t.linkPrivate(albumLink(link.album, link.token))}`;
  if (subject && outcome.guardianCode) privateText += `\n\n${ctx.t.guardianCode(subject, outcome.guardianCode)}`;
  let sentPrivately = true;
  try {
    await sendText(ctx, chatIdOfUser(reg.userKey), privateText);
  } catch (error) {
    if (!isForbidden(error)) throw error;
    sentPrivately = false;
  }
  const joinedName = subject ? ctx.t.joinedWithGuardian(subject, reg.data.usernameHint) : reg.data.name;
  const groupText = ctx.t.joined(joinedName, approval) + (sentPrivately || !link.token ? '' : `\n\n${ctx.t.openBot(ctx.botUsername)}`);
  await sendText(ctx, reg.data.chatId, groupText, reg.data.originMessageId !== undefined ? { replyTo: reg.data.originMessageId } : {});
  if (outcome.approvalPicture) await askAdminsToApprove(ctx, reg.data.chatId, outcome.contact.id, ctx.t.approveAsk(reg.data.name, reg.data.title), outcome.approvalPicture);
}

/** Says a refusal where the registration answers; a face taken by another member is reported to the admins. */
async function tellRefusal(ctx: BotContext, reg: Reg, outcome: Extract<RegistrationOutcome<RegData>, { kind: 'refused' }>): Promise<void> {
  if (outcome.code === 'face_taken') {
    ctx.log.warn({ group: reg.group, user: reg.userKey }, 'Telegram: a face already registered to another member was refused');
    await tellAdmins(ctx, reg.data.chatId, ctx.t.refusedToAdmins(reg.data.name, reg.data.title, outcome.otherMember ?? 'another member'));
  }
  const to = reg.data.kind === 'guardian' ? chatIdOfUser(reg.userKey) : answerChat(reg);
  const text = refusalText(ctx.t, outcome, reg.data.name);
  await sendText(ctx, to, text, reg.data.kind === 'guardian' ? {} : replyOpts(reg));
}

/** The numbered faces, sent privately (or where the registration answers) with one button each. */
async function askWhichFace(ctx: BotContext, reg: Reg, picture: Buffer, faces: number): Promise<void> {
  const keyboard: InlineKeyboardMarkup = { inline_keyboard: [Array.from({ length: Math.min(faces, MAX_PICK) }, (_, i) => ({ text: String(i + 1), callback_data: `pick:${reg.token}:${i + 1}` }))] };
  const send = (chatId: number) => ctx.api.call('sendPhoto', (tg) => tg.sendPhoto(chatId, { source: picture }, { caption: ctx.t.pick(faces), reply_markup: keyboard }));
  try {
    await send(chatIdOfUser(reg.userKey));
  } catch (error) {
    if (!isForbidden(error)) throw error;
    await send(reg.data.chatId);
  }
}

/** `/join <code>`: a second guardian of a dependent; consent, then a photo of the dependent that must match. */
export async function joinAsGuardian(ctx: BotContext, message: Message, from: User, code: string): Promise<void> {
  const reg = await flow(ctx).join<RegData>(code, userKey(from.id), from.username ?? displayName(from), (data) => {
    const { fileId: _f, fileSize: _s, originMessageId: _o, ...rest } = data;
    return { ...rest, caption: false };
  });
  if (!reg) return void (await sendText(ctx, message.chat.id, ctx.t.codeUnknown()));
  await askConsent(ctx, reg, from.id);
}
