// Slash commands. Every answer is ephemeral (flag 64): the deferral makes it so, and the edit inherits
// it, so an album link only ever reaches the member who asked.
import { InteractionContextType, MessageFlags, SlashCommandBuilder, type ChatInputCommandInteraction, type Interaction, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import { groupOfChannel, type BotContext } from './context.ts';
import { DownloadError, downloadAttachment } from './download.ts';
import { joinNames } from './photos.ts';
import { answerNoticeButton } from './notices.ts';
import { notifyCommand } from '../shared/notices.ts';
import { membershipCommandDefinitions, membershipHandlers } from './membership.ts';
import { onApproveButton } from './admins.ts';
import { join, onRegistrationButton, register } from './register.ts';
import { explain, linkSentence, type Reply } from './replies.ts';
import { releaseText } from '../shared/chat-port.ts';
import { catalogueFor } from '../shared/i18n/index.ts';

const guildOnly = InteractionContextType.Guild;

export const commandDefinitions: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  new SlashCommandBuilder()
    .setName('register')
    .setDescription('Register your face: photos of you posted in this channel go to your private album')
    .setContexts(guildOnly)
    .addAttachmentOption((o) => o.setName('selfie').setDescription('A clear photo of your face alone').setRequired(true))
    .addStringOption((o) => o.setName('album').setDescription('Your own album server (default: this one)').setMaxLength(300))
    .addStringOption((o) => o.setName('username').setDescription('Your account name on that album server').setMaxLength(64))
    .addStringOption((o) => o.setName('child').setDescription("A child in your care: their name (the selfie is then their photo; their photos go to your album)").setMaxLength(64))
    .addStringOption((o) => o.setName('code').setDescription("A second guardian: the first guardian's one-time code (the selfie is then the child's photo)").setMaxLength(16))
    .toJSON(),
  new SlashCommandBuilder()
    .setName('addface')
    .setDescription('Add another selfie, so more photos of you are recognised')
    .setContexts(guildOnly)
    .addAttachmentOption((o) => o.setName('selfie').setDescription('Another clear photo of your face alone').setRequired(true))
    .toJSON(),
  new SlashCommandBuilder().setName('album').setDescription('Show the link to your private album (only you see it)').setContexts(guildOnly).toJSON(),
  new SlashCommandBuilder()
    .setName('forget')
    .setDescription('Remove your face data from this channel: no more photos reach your album from here')
    .setContexts(guildOnly)
    .addBooleanOption((o) => o.setName('delete_album').setDescription('Also delete your album and every photo in it'))
    .toJSON(),
  new SlashCommandBuilder()
    .setName('notify')
    .setDescription('How often I tell you (by DM) about new photos of you')
    .setContexts(guildOnly)
    .addStringOption((o) =>
      o
        .setName('mode')
        .setDescription('instant, digest (default: a few minutes after the first, then hourly), daily, or off')
        .addChoices({ name: 'instant', value: 'instant' }, { name: 'digest', value: 'digest' }, { name: 'daily', value: 'daily' }, { name: 'off', value: 'off' }),
    )
    .toJSON(),
  new SlashCommandBuilder().setName('members').setDescription('Who is registered in this channel').setContexts(guildOnly).toJSON(),
  new SlashCommandBuilder().setName('help').setDescription('What facedrop does and how to use it').setContexts(guildOnly).toJSON(),
  ...membershipCommandDefinitions,
];

type Handler = (interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext) => Promise<Reply>;

const userKeyOf = (interaction: ChatInputCommandInteraction) => `dc:${interaction.user.id}`;
const groupOf = (interaction: ChatInputCommandInteraction, ctx: BotContext) => groupOfChannel(interaction.channel, interaction.channelId, ctx.groupScope);

async function fetchSelfie(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<Uint8Array> {
  const selfie = interaction.options.getAttachment('selfie', true);
  if (selfie.size > ctx.maxBytes) throw new DownloadError(`The selfie is larger than ${ctx.maxBytes} bytes`, 413);
  return downloadAttachment(selfie.url, { maxBytes: ctx.maxBytes });
}

const handlers: Record<string, Handler> = {
  register: (interaction, ctx) => (interaction.options.getString('code') ? join(interaction, ctx) : register(interaction, ctx, groupOf(interaction, ctx))),

  async addface(interaction, ctx) {
    const selfie = await fetchSelfie(interaction, ctx);
    const contact = await ctx.faceQueue.add(() => ctx.members.addFace(groupOf(interaction, ctx), userKeyOf(interaction), selfie));
    return ctx.t.dcAddedFace(contact.descriptors.length);
  },

  async album(interaction, ctx) {
    const link = await ctx.members.link(userKeyOf(interaction));
    if (!link) return ctx.t.dcNoAlbum();
    return linkSentence(ctx.t, link);
  },

  async forget(interaction, ctx) {
    // The consent record stays, marked withdrawn; the face data goes at once, and the album's faces with
    // the member's last entry.
    const { removed, release } = await ctx.service.forgetHere(groupOf(interaction, ctx), userKeyOf(interaction));
    const deleteAlbum = interaction.options.getBoolean('delete_album') ?? false;
    const deleted = deleteAlbum ? await ctx.members.deleteAlbum(userKeyOf(interaction)) : false;
    const parts = [ctx.t.dcForgotten(removed !== undefined)];
    const note = deleted ? undefined : releaseText(ctx.t, release, ctx.t.dcForgetAlbum());
    if (note) parts.push(note);
    if (deleteAlbum) parts.push(ctx.t.dcAlbumDeleted(deleted));
    return parts.join('\n');
  },

  async members(interaction, ctx) {
    const list = await ctx.members.list(groupOf(interaction, ctx));
    if (list.length === 0) return ctx.t.dcNobody();
    return ctx.t.dcRegisteredList(list.length, joinNames(list.map((c) => c.name)));
  },

  async help(_interaction, ctx) {
    return ctx.t.dcHelp();
  },

  async notify(interaction, ctx) {
    if (!ctx.terminal) return ctx.t.dcNoNotices();
    return notifyCommand(ctx.terminal, userKeyOf(interaction), interaction.options.getString('mode') ?? '', ctx.t);
  },
  ...membershipHandlers(groupOf),
};

/** Called for every INTERACTION_CREATE: claimed once (durably), acknowledged within Discord's 3 s, then run as a job. */
export function onInteraction(interaction: Interaction, shared: BotContext): void {
  // Each member is answered in their client's language.
  const ctx: BotContext = { ...shared, t: catalogueFor(interaction.locale) };
  if (interaction.isButton()) {
    const id = interaction.customId;
    const run = /^(consent|pick):/.test(id)
      ? { ack: () => interaction.deferUpdate(), work: () => onRegistrationButton(interaction, ctx) }
      : id.startsWith('approve:')
        ? { ack: () => interaction.deferReply({ flags: MessageFlags.Ephemeral }), work: () => onApproveButton(interaction, ctx) }
        : ctx.terminal
          ? { ack: async () => {}, work: () => answerNoticeButton(interaction, ctx.terminal!, ctx) }
          : undefined;
    if (run) ctx.track(ctx.interactions.accept(interaction, id.split(':')[0]!, run.ack, run.work));
    return;
  }
  if (!interaction.isChatInputCommand()) return;
  const handler = handlers[interaction.commandName];
  if (!handler) return;
  // Defer before anything else: face work takes longer than the 3 s Discord allows for a first answer.
  ctx.track(ctx.interactions.accept(interaction, interaction.commandName, () => interaction.deferReply({ flags: MessageFlags.Ephemeral }), () => answer(interaction, handler, ctx)));
}

async function answer(interaction: ChatInputCommandInteraction, handler: Handler, ctx: BotContext): Promise<void> {
  let content: Reply;
  if (!interaction.inGuild()) content = ctx.t.dcUseInServer();
  else {
    // Every command keeps the member's entries (and their dependents') from retention.
    await ctx.service.touch(userKeyOf(interaction));
    try {
      content = await handler(interaction, ctx);
    } catch (error) {
      const refusal = explain(ctx.t, error);
      if (refusal === undefined) {
        ctx.log.error({ command: interaction.commandName, err: ctx.describe(error) }, 'Discord command failed');
        content = ctx.t.somethingWrong();
      } else {
        ctx.log.info({ command: interaction.commandName, refusal: error instanceof Error ? error.name : 'unknown' }, 'Discord command refused');
        content = refusal;
      }
    }
  }
  await interaction.editReply({ ...(typeof content === 'string' ? { content } : content), allowedMentions: { parse: [] } });
}
