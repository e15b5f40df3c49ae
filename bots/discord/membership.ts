// Leaving forgets on Discord: a member who leaves or is removed from the server loses their entries in
// every group of that server (one per channel, or the server's), and is told by direct message.
import type { Client, GuildMember, PartialGuildMember } from 'discord.js';
import type { Membership } from '../../core/contacts/consent.ts';
import { leftText } from '../shared/consent.ts';
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

export async function onMemberRemove(member: GuildMember | PartialGuildMember, membership: Membership, client: Client, log: BotLog): Promise<void> {
  const key = `dc:${member.id}`;
  const groups = groupsOfGuild(await membership.groupsOf(key, 'dc:'), member.guild.id, client);
  let removed = 0;
  for (const group of groups) removed += (await membership.left(group, key)).length;
  log.info({ guildId: member.guild.id, user: key, removed }, 'Discord member left: forgotten');
  if (removed === 0) return;
  try {
    await member.user.send({ content: leftText(member.guild.name), allowedMentions: { parse: [] } });
  } catch (error) {
    // DMs closed: the entry is deleted all the same.
    log.info({ user: key, err: error instanceof Error ? error.message : String(error) }, 'Discord: could not tell a leaving member');
  }
}
