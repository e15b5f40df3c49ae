// Consent before face data on Discord: /register answers (ephemerally) with what is stored and an
// "I agree" button; only after the member presses it is their selfie read.
import { randomBytes } from 'node:crypto';
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, MessageFlags, type ButtonInteraction } from 'discord.js';
import type { RegisterRequest } from '../../core/members.ts';
import { AGREE, consentText } from '../shared/consent.ts';
import { explain, registerConsented } from './commands.ts';
import type { BotContext } from './context.ts';
import { downloadAttachment } from './download.ts';

export type ConsentedRegistration = Omit<RegisterRequest, 'selfies'>;

interface HeldRegistration {
  request: ConsentedRegistration;
  /** The selfie attachment on Discord's CDN: a reference, read only after consent. */
  selfie: { url: string; size: number };
}

const DAY = 24 * 60 * 60_000;

/** The consent question when this member has no consent in force for the group; undefined otherwise. */
export async function askConsentFirst(ctx: BotContext, request: ConsentedRegistration, selfie: { url: string; size: number }, where: string) {
  if (await ctx.membership.consentOf(request.group, request.userKey)) return undefined;
  const now = ctx.membership.now();
  const token = randomBytes(12).toString('base64url');
  await ctx.membership.records.consents.putRegistration<HeldRegistration>({ token, userKey: request.userKey, group: request.group, kind: 'self', state: 'consent', data: { request, selfie }, createdAt: now, expiresAt: now + DAY });
  const button = new ButtonBuilder().setCustomId(`consent:${token}`).setLabel(AGREE).setStyle(ButtonStyle.Primary);
  return { content: consentText(where), components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button)] };
}

/** "I agree": consent on record, then the held selfie is read and the member registered; the same message is edited. */
export async function onButton(interaction: ButtonInteraction, ctx: BotContext): Promise<void> {
  const match = /^consent:([\w-]+)$/.exec(interaction.customId);
  if (!match) return;
  const reg = await ctx.membership.records.consents.registration<HeldRegistration>(match[1]!, ctx.membership.now());
  if (!reg || reg.userKey !== `dc:${interaction.user.id}`) {
    await interaction.reply({ content: 'This button is not yours, or it has expired. Run /register again.', flags: MessageFlags.Ephemeral });
    return;
  }
  await interaction.deferUpdate();
  await ctx.membership.consent(reg.userKey, reg.group);
  await ctx.membership.records.consents.deleteRegistration(reg.token);
  let content: string;
  try {
    if (reg.data.selfie.size > ctx.maxBytes) throw new Error('too big');
    const selfie = await downloadAttachment(reg.data.selfie.url, { maxBytes: ctx.maxBytes });
    content = await registerConsented(ctx, reg.data.request, selfie);
  } catch (error) {
    const refusal = explain(error);
    if (refusal === undefined) {
      ctx.log.error({ err: ctx.describe(error) }, 'Discord registration after consent failed');
      content = 'Something went wrong on our side. Please try again later.';
    } else content = refusal;
  }
  await interaction.editReply({ content, components: [], allowedMentions: { parse: [] } });
}
