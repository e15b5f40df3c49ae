// Registration on Discord, on core/membership's state machine: /register (a member; with child:, a
// dependent; with code:, a dependent's second guardian), "I agree", the numbered face picker, and the admins'
// approval picture. Answers are ephemeral; the selfie is read only after consent.
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { MAX_PICK, newToken, type Registration, type RegistrationBase, type RegistrationOutcome } from '../../core/membership/index.ts';
import { refusalText } from '../shared/i18n/index.ts';
import { askAdminsToApprove } from './admins.ts';
import type { BotContext } from './context.ts';
import { DownloadError, downloadAttachment } from './download.ts';
import { explain, linkSentence, type Reply } from './replies.ts';

interface DcRegData extends RegistrationBase {
  channelId: string;
  /** The selfie attachment on Discord's CDN: a reference, read only after consent. */
  selfie?: { url: string; size: number };
  /** A second guardian's registration: the code it was made with. */
  code?: string;
}

type Reg = Registration<DcRegData>;
const flow = (ctx: BotContext) => ctx.service.registration;
const row = (...buttons: ButtonBuilder[]) => new ActionRowBuilder<ButtonBuilder>().addComponents(...buttons);
const channelName = (interaction: ChatInputCommandInteraction) => ('name' in (interaction.channel ?? {}) ? `#${(interaction.channel as { name: string }).name}` : 'this channel');

/** `/register selfie: [album: username:] [child:]`. */
export async function register(interaction: ChatInputCommandInteraction, ctx: BotContext, group: string): Promise<Reply> {
  const album = interaction.options.getString('album')?.trim();
  const username = interaction.options.getString('username')?.trim();
  const child = interaction.options.getString('child')?.trim();
  if (album && !username) return ctx.t.dcAlbumWithUsername();
  const albumAddress = album && username ? { url: album, username } : undefined;
  const refusal = await flow(ctx).checkAlbum(albumAddress);
  if (refusal) return refusalText(ctx.t, refusal);
  const user = interaction.user;
  const key = `dc:${user.id}`;
  if (!child && (await ctx.service.isRegistered(group, key))) return ctx.t.alreadyRegisteredHere();
  const displayName = (interaction.inCachedGuild() ? interaction.member.displayName : undefined) ?? user.displayName;
  const attachment = interaction.options.getAttachment('selfie', true);
  const reg = await flow(ctx).open<DcRegData>(key, group, {
    channelId: interaction.channelId,
    title: channelName(interaction),
    kind: child ? 'child' : 'self',
    subjectKey: child ? `dc:dep:${newToken(6)}` : key,
    name: child ?? displayName,
    usernameHint: username ?? user.username,
    selfie: { url: attachment.url, size: attachment.size },
    ...(albumAddress ? { album: albumAddress } : {}),
  });
  // Nothing about the face is read before the member agreed.
  if (await flow(ctx).hasConsent(reg)) return useHeldSelfie(ctx, reg);
  return askConsent(ctx, reg);
}

/** `/register code: selfie:`: a dependent's second guardian; consent, then the photo must show that dependent. */
export async function join(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<Reply> {
  const photo = interaction.options.getAttachment('selfie', true);
  const code = interaction.options.getString('code', true).trim();
  const key = `dc:${interaction.user.id}`;
  // The code was used by an earlier try whose photo was refused: this photo is the next try.
  const pending = await flow(ctx).latest<DcRegData>(key, ['selfie']);
  if (pending?.data.kind === 'guardian' && pending.data.code === code) {
    pending.data.selfie = { url: photo.url, size: photo.size };
    return useHeldSelfie(ctx, pending);
  }
  const reg = await flow(ctx).join<DcRegData>(code, key, interaction.user.username, (data) => ({ ...data, code, selfie: { url: photo.url, size: photo.size } }));
  if (!reg) return ctx.t.codeUnknown();
  return askConsent(ctx, reg);
}

async function askConsent(ctx: BotContext, reg: Reg): Promise<Reply> {
  await flow(ctx).moveTo(reg, 'consent');
  const subject = reg.data.kind === 'self' ? undefined : reg.data.name;
  return { content: ctx.t.consent(reg.data.title, subject), components: [row(new ButtonBuilder().setCustomId(`consent:${reg.token}`).setLabel(ctx.t.agree()).setStyle(ButtonStyle.Primary))] };
}

/** "I agree" and the face picker's numbers: the same ephemeral message is edited with the outcome. */
export async function onRegistrationButton(interaction: ButtonInteraction, ctx: BotContext): Promise<void> {
  const consent = /^consent:([\w-]+)$/.exec(interaction.customId);
  const pick = /^pick:([\w-]+):(\d{1,2})$/.exec(interaction.customId);
  const key = `dc:${interaction.user.id}`;
  // Someone else's press gets its own ephemeral answer; the member's message stays as it is.
  const notYours = () => interaction.followUp({ content: ctx.t.dcButtonNotYours(), flags: MessageFlags.Ephemeral });
  let reply: Reply | undefined;
  if (consent) {
    const outcome = await flow(ctx).consent<DcRegData>(consent[1]!, key, (reg) => reg.data.selfie !== undefined);
    if (outcome.kind === 'not_yours') return void (await notYours());
    if (outcome.kind === 'consented') reply = await useHeldSelfie(ctx, outcome.reg);
  } else if (pick) {
    const reg = await flow(ctx).mine<DcRegData>(pick[1]!, key);
    if (!reg) return void (await notYours());
    if (reg.state === 'pick') reply = await useHeldSelfie(ctx, reg, Number(pick[2]));
  }
  if (reply === undefined) return;
  await interaction.editReply({ ...(typeof reply === 'string' ? { content: reply, components: [] } : reply), ...(typeof reply === 'string' || !reply.files ? { files: [], attachments: [] } : {}), allowedMentions: { parse: [] } });
}

async function useHeldSelfie(ctx: BotContext, reg: Reg, faceIndex?: number): Promise<Reply> {
  const selfie = reg.data.selfie!;
  try {
    if (selfie.size > ctx.maxBytes) throw new DownloadError(`The selfie is larger than ${ctx.maxBytes} bytes`, 413);
    const bytes = await downloadAttachment(selfie.url, { maxBytes: ctx.maxBytes });
    const outcome = await ctx.faceQueue.add(() => flow(ctx).useSelfie(reg, bytes, faceIndex));
    return await say(ctx, reg, outcome);
  } catch (error) {
    const refusal = explain(ctx.t, error);
    if (refusal !== undefined) return refusal;
    ctx.log.error({ err: ctx.describe(error) }, 'Discord registration failed');
    return ctx.t.somethingWrong();
  }
}

async function say(ctx: BotContext, reg: Reg, outcome: RegistrationOutcome<DcRegData>): Promise<Reply> {
  switch (outcome.kind) {
    case 'refused':
      if (outcome.code === 'wrong_child') return ctx.t.dcWrongChild(reg.data.name);
      return (outcome.error !== undefined ? explain(ctx.t, outcome.error) : undefined) ?? refusalText(ctx.t, outcome, reg.data.name);
    case 'pick_face': {
      const buttons = Array.from({ length: Math.min(outcome.faces, MAX_PICK) }, (_, i) => new ButtonBuilder().setCustomId(`pick:${reg.token}:${i + 1}`).setLabel(String(i + 1)).setStyle(ButtonStyle.Secondary));
      const rows = [row(...buttons.slice(0, 5)), ...(buttons.length > 5 ? [row(...buttons.slice(5))] : [])];
      return { content: ctx.t.dcPick(outcome.faces), components: rows, files: [{ attachment: outcome.picture, name: 'faces.jpg' }] };
    }
    case 'guardian_joined':
      ctx.log.info({ group: reg.group, guardian: reg.userKey }, 'Discord: second guardian joined');
      return `${ctx.t.welcome(reg.data.title, reg.data.name)}\n${linkSentence(ctx.t, outcome.link)}`;
    case 'registered': {
      ctx.log.info({ group: reg.group, user: reg.userKey, kind: reg.data.kind, approval: outcome.approval }, 'Discord: member registered');
      if (outcome.approvalPicture) await askAdminsToApprove(ctx, reg.data.channelId, outcome.contact.id, ctx.t.approveAsk(reg.data.name, reg.data.title), outcome.approvalPicture);
      const waiting = outcome.approval ? `\n${ctx.t.dcWaiting()}` : '';
      if (reg.data.kind === 'child') {
        const code = outcome.guardianCode ? `\n\n${ctx.t.dcGuardianCode(reg.data.name, outcome.guardianCode)}` : '';
        return `${ctx.t.dcChildRegistered(reg.data.name)}${waiting}\n${linkSentence(ctx.t, outcome.link)}${code}`;
      }
      const advice = outcome.suggestAnotherSelfie ? `\n${ctx.t.anotherSelfie()}` : '';
      return `${ctx.t.dcRegistered(outcome.contact.name)}${waiting}\n${linkSentence(ctx.t, outcome.link)}${advice}`;
    }
  }
}
