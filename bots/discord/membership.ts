// Leaving forgets on Discord: a member who leaves or is removed from the server loses their entries in
// every group of that server (one per channel, or the server's), and is told by direct message.
import {
  InteractionContextType,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type Client,
  type GuildMember,
  type PartialGuildMember,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from 'discord.js';
import type { FaceRelease, MembershipService } from '../../core/membership/index.ts';
import { releaseText, retentionPass, type ChatPort } from '../shared/chat-port.ts';
import { isDiscordAdmin } from './admins.ts';
// Leaving and retention happen without the member's interaction, so without their locale: English.
import { en } from '../shared/i18n/en.ts';
import type { BotContext } from './context.ts';
import type { BotLog } from './safe-log.ts';

/** The groups of this server among `groups` (keys "dc:<channel id>" or "dc:guild:<guild id>"). */
export function groupsOfGuild(groups: string[], guildId: string, client: Client): string[] {
  return groups.filter((group) => {
    if (group === `dc:guild:${guildId}`) return true;
    const channelId = group.slice('dc:'.length);
    const channel = client.channels.cache.get(channelId);
    return channel !== undefined && 'guildId' in channel && channel.guildId === guildId;
  });
}

export async function onMemberRemove(member: GuildMember | PartialGuildMember, service: MembershipService, client: Client, log: BotLog): Promise<void> {
  const key = `dc:${member.id}`;
  const groups = groupsOfGuild(await service.groupsOf(key, 'dc:'), member.guild.id, client);
  let removed = 0;
  let release: FaceRelease = { kind: 'kept' };
  for (const group of groups) {
    const left = await service.left(group, key);
    removed += left.removed.length;
    if (left.release.kind !== 'kept') release = left.release;
  }
  log.info({ guildId: member.guild.id, user: key, removed, albumFaces: release.kind }, 'Discord member left: forgotten');
  if (removed === 0) return;
  try {
    const note = releaseText(en, release, en.dcForgetAlbum());
    await member.user.send({ content: `${en.left(member.guild.name)}${note ? `\n${note}` : ''}`, allowedMentions: { parse: [] } });
  } catch (error) {
    // DMs closed: the entry is deleted all the same.
    log.info({ user: key, err: error instanceof Error ? error.message : String(error) }, 'Discord: could not tell a leaving member');
  }
}

const guildOnly = InteractionContextType.Guild;
const minute = (at: number) => new Date(at).toISOString().slice(0, 16);

/** The consent-first commands (issue 12): /privacy, and the admins' /pause, /resume, /approval, /remove. */
export const membershipCommandDefinitions: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  new SlashCommandBuilder().setName('privacy').setDescription('What facedrop stores about you, where, for how long, and how to delete it').setContexts(guildOnly).toJSON(),
  new SlashCommandBuilder().setName('pause').setDescription('Admins: stop matching photos in this channel').setContexts(guildOnly).toJSON(),
  new SlashCommandBuilder().setName('resume').setDescription('Admins: match photos in this channel again').setContexts(guildOnly).toJSON(),
  new SlashCommandBuilder()
    .setName('approval')
    .setDescription('Admins: new faces wait for an admin before they match')
    .setContexts(guildOnly)
    .addBooleanOption((o) => o.setName('on').setDescription('true: new faces wait for approval').setRequired(true))
    .toJSON(),
  new SlashCommandBuilder()
    .setName('approve')
    .setDescription("Admins: approve a member's face (approval mode)")
    .setContexts(guildOnly)
    .addUserOption((o) => o.setName('member').setDescription('whose face').setRequired(true))
    .toJSON(),
  new SlashCommandBuilder()
    .setName('remove')
    .setDescription("Admins: delete a member's entry in this channel")
    .setContexts(guildOnly)
    .addUserOption((o) => o.setName('member').setDescription('whose entry').setRequired(true))
    .toJSON(),
];

type Group = (interaction: ChatInputCommandInteraction, ctx: BotContext) => string;

/** Handlers answering ephemerally with one text. */
export function membershipHandlers(groupOf: Group): Record<string, (interaction: ChatInputCommandInteraction, ctx: BotContext) => Promise<string>> {
  const adminOnly = (run: (interaction: ChatInputCommandInteraction, ctx: BotContext) => Promise<string>) => async (interaction: ChatInputCommandInteraction, ctx: BotContext) =>
    isDiscordAdmin(interaction) ? run(interaction, ctx) : ctx.t.dcNotAdmin();
  return {
    async privacy(interaction, ctx) {
      const report = await ctx.service.privacyReport(`dc:${interaction.user.id}`);
      const lines = report.consents.map((c) => ctx.t.consentLine(c.group, minute(c.givenAt), c.textVersion, c.withdrawnAt !== undefined ? minute(c.withdrawnAt) : undefined));
      return [ctx.t.privacy(report.retentionDays), ...(lines.length ? ['', ctx.t.consentRecords(), ...lines] : [])].join('\n');
    },
    pause: adminOnly(async (interaction, ctx) => {
      await ctx.service.setSettings(groupOf(interaction, ctx), { paused: true });
      return ctx.t.paused();
    }),
    resume: adminOnly(async (interaction, ctx) => {
      await ctx.service.setSettings(groupOf(interaction, ctx), { paused: false });
      return ctx.t.resumed();
    }),
    approval: adminOnly(async (interaction, ctx) => {
      const on = interaction.options.getBoolean('on', true);
      await ctx.service.setSettings(groupOf(interaction, ctx), { approval: on });
      return on ? ctx.t.approvalOn() : ctx.t.approvalOff();
    }),
    approve: adminOnly(async (interaction, ctx) => {
      const target = interaction.options.getUser('member', true);
      return (await ctx.service.approve(groupOf(interaction, ctx), `dc:${target.id}`)) ? ctx.t.dcApproved(target.username) : ctx.t.dcNoEntry(target.username);
    }),
    remove: adminOnly(async (interaction, ctx) => {
      const target = interaction.options.getUser('member', true);
      const { removed } = await ctx.service.removeByAdmin(groupOf(interaction, ctx), `dc:${target.id}`);
      return removed ? ctx.t.removed(removed.name) : ctx.t.dcNoEntry(target.username);
    }),
  };
}

/** Discord's side of the chat port (bots/shared/chat-port.ts): DMs, and channel names from the cache. */
export function discordChatPort(client: Client): ChatPort {
  return {
    prefix: 'dc:',
    forgetAlbumCommand: en.dcForgetAlbum(),
    async tellPrivately(key, content) {
      const user = await client.users.fetch(key.slice('dc:'.length));
      await user.send({ content, allowedMentions: { parse: [] } });
      return true;
    },
    async groupName(group) {
      const channel = client.channels.cache.get(group.slice('dc:'.length));
      return channel && 'name' in channel && channel.name ? `#${channel.name}` : 'a Discord channel';
    },
  };
}

/** One retention pass over the Discord groups (English: no member is answering). */
export function runDiscordRetention(service: MembershipService, client: Client): Promise<{ warned: number; forgotten: number }> {
  return retentionPass(service, discordChatPort(client), en);
}
