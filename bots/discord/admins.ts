// Channel admins on Discord: Manage Server or Manage Channels, as Discord computes them for the channel
// (the server's owner always). They get a new face's picture in approval mode, with an Approve button.
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, PermissionFlagsBits, type ButtonInteraction, type ChatInputCommandInteraction, type Client, type GuildBasedChannel } from 'discord.js';
import { groupOfChannel, type BotContext } from './context.ts';

const ADMIN = [PermissionFlagsBits.ManageGuild, PermissionFlagsBits.ManageChannels];

/** The command's member is an admin, as Discord computed their permissions for the interaction. */
export function isDiscordAdmin(interaction: ChatInputCommandInteraction): boolean {
  const p = interaction.memberPermissions;
  return Boolean(p && ADMIN.some((flag) => p.has(flag)));
}

function guildChannel(client: Client, channelId: string): GuildBasedChannel | undefined {
  const channel = client.channels.cache.get(channelId);
  return channel && 'guild' in channel ? channel : undefined;
}

/** Admins of the channel the bot knows of: the owner, and cached members with an admin permission there. */
function adminIds(client: Client, channelId: string): string[] {
  const channel = guildChannel(client, channelId);
  if (!channel) return [];
  const ids = new Set<string>([channel.guild.ownerId]);
  for (const member of channel.guild.members.cache.values()) {
    if (!member.user.bot && ADMIN.some((flag) => channel.permissionsFor(member).has(flag))) ids.add(member.id);
  }
  return [...ids];
}

function isAdminOf(client: Client, channelId: string, userId: string): boolean {
  return adminIds(client, channelId).includes(userId);
}

/** Approval mode: each admin gets the face picture by DM with an Approve button; closed DMs are skipped. */
export async function askAdminsToApprove(ctx: BotContext, channelId: string, contactId: string, caption: string, picture: Buffer): Promise<void> {
  const client = ctx.client();
  if (!client) return;
  const button = new ButtonBuilder().setCustomId(`approve:${channelId}:${contactId}`).setLabel(ctx.t.approveButton()).setStyle(ButtonStyle.Success);
  for (const id of adminIds(client, channelId)) {
    try {
      const dm = await client.users.createDM(id);
      await dm.send({ content: caption, files: [{ attachment: picture, name: 'face.jpg' }], components: [new ActionRowBuilder<ButtonBuilder>().addComponents(button)], allowedMentions: { parse: [] } });
    } catch (error) {
      ctx.log.info({ admin: id, err: ctx.describe(error) }, 'Discord: an admin could not be shown a new face');
    }
  }
}

/** The Approve button (in a DM): only an admin of that channel may press it. */
export async function onApproveButton(interaction: ButtonInteraction, ctx: BotContext): Promise<void> {
  const match = /^approve:(\d+):(dc:[\w:-]+)$/.exec(interaction.customId);
  if (!match) return;
  const [, channelId, contactId] = match as unknown as [string, string, string];
  const say = (content: string) => interaction.editReply({ content, allowedMentions: { parse: [] } });
  if (!isAdminOf(interaction.client, channelId, interaction.user.id)) return void (await say(ctx.t.dcNotAdmin()));
  const group = groupOfChannel(interaction.client.channels.cache.get(channelId), channelId, ctx.groupScope);
  const contact = await ctx.service.approve(group, contactId);
  if (contact) ctx.log.info({ group, member: contactId }, 'Discord: face approved');
  await say(contact ? ctx.t.dcApproved(contact.name) : ctx.t.entryGone());
}
