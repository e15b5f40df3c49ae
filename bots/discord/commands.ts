// Slash commands. Every answer is ephemeral (flag 64): the deferral makes it so, and the edit inherits
// it, so an album link only ever reaches the member who asked.
import {
  type ActionRowBuilder,
  type ButtonBuilder,
  InteractionContextType,
  MessageFlags,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type Interaction,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import { ContactError } from '../../core/contacts/index.ts';
import { ImageError, SelfieError } from '../../core/faces/index.ts';
import { AlbumDeletionPending, ANOTHER_SELFIE_ADVICE, type AlbumLink } from '../../core/members.ts';
import { AlbumAddressError, AlbumApiError, AlbumHttpError } from '../../core/share/index.ts';
import { groupOfChannel, type BotContext } from './context.ts';
import { DownloadError, downloadAttachment } from './download.ts';
import { joinNames } from './photos.ts';
import { answerNoticeButton } from './notices.ts';
import { notifyCommand } from '../shared/notices.ts';
import { askConsentFirst, onButton, type ConsentedRegistration } from './consent.ts';
import { membershipCommandDefinitions, membershipHandlers } from './membership.ts';

const guildOnly = InteractionContextType.Guild;

export const commandDefinitions: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  new SlashCommandBuilder()
    .setName('register')
    .setDescription('Register your face: photos of you posted in this channel go to your private album')
    .setContexts(guildOnly)
    .addAttachmentOption((o) => o.setName('selfie').setDescription('A clear photo of your face alone').setRequired(true))
    .addStringOption((o) => o.setName('album').setDescription('Your own album server (default: this one)').setMaxLength(300))
    .addStringOption((o) => o.setName('username').setDescription('Your account name on that album server').setMaxLength(64))
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

const HELP = [
  '**facedrop** sends every photo posted in this channel to the people who are in it.',
  '• `/register selfie:` a clear photo of your face alone. You get a private album; photos of you posted here land in it.',
  '• `/addface selfie:` another selfie, so more photos of you are recognised.',
  '• `/album` shows your album link again (only to you).',
  '• `/forget` removes your face data from this channel; add `delete_album:True` to delete your album too.',
  '• `/members` lists who is registered here.',
  '• `/notify mode:` how often I tell you by DM about new photos of you: instant, digest, daily or off.',
  'Photos are matched by face; nobody else ever sees your album link.',
].join('\n');

/** A reply: text, or text with buttons (the consent question). */
export type Reply = string | { content: string; components: ActionRowBuilder<ButtonBuilder>[] };
type Handler = (interaction: ChatInputCommandInteraction<'cached' | 'raw'>, ctx: BotContext) => Promise<Reply>;

const userKeyOf = (interaction: ChatInputCommandInteraction) => `dc:${interaction.user.id}`;
const groupOf = (interaction: ChatInputCommandInteraction, ctx: BotContext) => groupOfChannel(interaction.channel, interaction.channelId, ctx.groupScope);

/** The album link, always `${PUBLIC_URL}/a/<token>` (ARCHITECTURE.md), when this terminal created the account. */
function albumLink(link: AlbumLink): string | undefined {
  return link.token ? `${link.album}/a/${encodeURIComponent(link.token)}` : undefined;
}

function linkSentence(link: AlbumLink): string {
  const url = albumLink(link);
  if (url) return `Your album: ${url}\nKeep this link to yourself: anyone who has it can see your photos.`;
  return `Your photos go to the account **${link.username}** on ${link.album}.`;
}

async function fetchSelfie(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<Uint8Array> {
  const selfie = interaction.options.getAttachment('selfie', true);
  if (selfie.size > ctx.maxBytes) throw new DownloadError(`The selfie is larger than ${ctx.maxBytes} bytes`, 413);
  return downloadAttachment(selfie.url, { maxBytes: ctx.maxBytes });
}

const handlers: Record<string, Handler> = {
  async register(interaction, ctx) {
    const album = interaction.options.getString('album')?.trim();
    const username = interaction.options.getString('username')?.trim();
    if (album && !username) return 'With `album:` give your account name on that server too, as `username:`.';
    const user = interaction.user;
    const displayName = (interaction.inCachedGuild() ? interaction.member.displayName : undefined) ?? user.displayName;
    const request: ConsentedRegistration = {
      group: groupOf(interaction, ctx),
      userKey: userKeyOf(interaction),
      displayName,
      usernameHint: username ?? user.username,
      ...(album && username ? { album: { url: album, username } } : {}),
    };
    // Nothing about the face is read before the member agreed (bots/discord/consent.ts).
    const attachment = interaction.options.getAttachment('selfie', true);
    const question = await askConsentFirst(ctx, request, { url: attachment.url, size: attachment.size }, 'name' in (interaction.channel ?? {}) ? `#${(interaction.channel as { name: string }).name}` : 'this channel');
    if (question) return question;
    const selfie = await fetchSelfie(interaction, ctx);
    return registerConsented(ctx, request, selfie);
  },

  async addface(interaction, ctx) {
    const selfie = await fetchSelfie(interaction, ctx);
    const contact = await ctx.faceQueue.add(() => ctx.members.addFace(groupOf(interaction, ctx), userKeyOf(interaction), selfie));
    return `Added: you now have ${contact.descriptors.length} reference selfies here.`;
  },

  async album(interaction, ctx) {
    const link = await ctx.members.link(userKeyOf(interaction));
    if (!link) return 'You have no album yet: use `/register` with a selfie.';
    return linkSentence(link);
  },

  async forget(interaction, ctx) {
    // The consent record stays, marked withdrawn; the face data goes at once.
    const removed = await ctx.membership.forget(groupOf(interaction, ctx), userKeyOf(interaction), 'forget');
    const deleteAlbum = interaction.options.getBoolean('delete_album') ?? false;
    const deleted = deleteAlbum ? await ctx.members.deleteAlbum(userKeyOf(interaction)) : false;
    const parts = [removed ? 'Your face data is removed from this channel: photos posted here no longer reach you.' : 'You were not registered in this channel.'];
    if (deleteAlbum) parts.push(deleted ? 'Your album and every photo in it are deleted.' : 'You have no album on this server to delete.');
    return parts.join('\n');
  },

  async members(interaction, ctx) {
    const list = await ctx.members.list(groupOf(interaction, ctx));
    if (list.length === 0) return 'Nobody is registered in this channel yet: `/register` with a selfie.';
    return `Registered here (${list.length}): ${joinNames(list.map((c) => c.name))}.`;
  },

  async help() {
    return HELP;
  },

  async notify(interaction, ctx) {
    if (!ctx.terminal) return 'Notices are not available here.';
    return notifyCommand(ctx.terminal, userKeyOf(interaction), interaction.options.getString('mode') ?? '');
  },
  ...membershipHandlers(groupOf),
};

/** Registers a member who agreed; the answer names their album. */
export async function registerConsented(ctx: BotContext, request: ConsentedRegistration, selfie: Uint8Array): Promise<string> {
  const { approval } = await ctx.membership.settings(request.group);
  const result = await ctx.faceQueue.add(() => ctx.members.register({ ...request, selfies: [selfie], ...(approval ? { approved: false } : {}) }));
  const advice = result.suggestAnotherSelfie ? `\n${ANOTHER_SELFIE_ADVICE}` : '';
  const waiting = approval ? '\nAn admin approves new faces here first (`/approve`): until then no photo reaches you.' : '';
  return `You are registered here, ${result.contact.name}: photos of you posted in this channel go to your album.${waiting}\n${linkSentence(result.link)}${advice}`;
}

/** A refusal the member can act on, or undefined for an unexpected error. */
export function explain(error: unknown): string | undefined {
  if (error instanceof SelfieError || error instanceof ImageError || error instanceof AlbumAddressError) return error.message;
  if (error instanceof ContactError) {
    if (error.code === 'unknown_contact') return 'You are not registered in this channel yet: use `/register` with a selfie first.';
    return error.message;
  }
  if (error instanceof DownloadError) return 'Your picture could not be fetched from Discord. Please try again.';
  if (error instanceof AlbumDeletionPending) return error.message;
  if (error instanceof AlbumApiError) return `The album server refused: ${error.message}`;
  if (error instanceof AlbumHttpError) return 'The album server could not be reached. Please try again in a minute.';
  return undefined;
}

/** Called for every INTERACTION_CREATE: acknowledges within Discord's 3 s, then does the work. */
export function onInteraction(interaction: Interaction, ctx: BotContext): void {
  if (interaction.isButton()) {
    if (!ctx.firstTime(`interaction:${interaction.id}`)) return;
    if (interaction.customId.startsWith('consent:')) ctx.track(onButton(interaction, ctx));
    else if (ctx.terminal) ctx.track(answerNoticeButton(interaction, ctx.terminal, ctx));
    return;
  }
  if (!interaction.isChatInputCommand()) return;
  const handler = handlers[interaction.commandName];
  if (!handler || !ctx.firstTime(`interaction:${interaction.id}`)) return;
  ctx.track(answer(interaction, handler, ctx));
}

async function answer(interaction: ChatInputCommandInteraction, handler: Handler, ctx: BotContext): Promise<void> {
  // Defer before anything else: face work takes longer than the 3 s Discord allows for a first answer.
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  let content: Reply;
  if (!interaction.inGuild()) content = 'Use facedrop in a server channel.';
  else {
    try {
      content = await handler(interaction, ctx);
    } catch (error) {
      const refusal = explain(error);
      if (refusal === undefined) {
        ctx.log.error({ command: interaction.commandName, err: ctx.describe(error) }, 'Discord command failed');
        content = 'Something went wrong on our side. Please try again later.';
      } else {
        ctx.log.info({ command: interaction.commandName, refusal: error instanceof Error ? error.name : 'unknown' }, 'Discord command refused');
        content = refusal;
      }
    }
  }
  await interaction.editReply({ ...(typeof content === 'string' ? { content } : content), allowedMentions: { parse: [] } });
}
