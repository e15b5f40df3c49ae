// Discord's side of private notices (bots/shared/notices.ts): a DM with the preview attached and buttons,
// the answers to those buttons, and /notify.
import { ActionRowBuilder, ButtonBuilder, ButtonStyle, DiscordAPIError, MessageFlags, type ButtonInteraction, type Client } from 'discord.js';
import type { Terminal } from '../../core/terminal.ts';
import { noticeButton, type NoticePlatform } from '../shared/notices.ts';
import type { BotContext } from './context.ts';

/** Discord's "Cannot send messages to this user" (DMs closed, no shared server, or blocked). */
const CANNOT_MESSAGE_USER = 50007;

export function discordNoticePlatform(client: () => Client): NoticePlatform {
  return {
    prefix: 'dc',
    async send(key, message) {
      try {
        const dm = await client().users.createDM(key.slice('dc:'.length));
        await dm.send({
          content: message.text,
          files: message.image ? [{ attachment: message.image, name: message.imageName }] : [],
          components: message.buttons.map((row) =>
            new ActionRowBuilder<ButtonBuilder>().addComponents(row.map((b) => new ButtonBuilder().setCustomId(b.data).setLabel(b.label).setStyle(b.data.startsWith('yes:') ? ButtonStyle.Success : ButtonStyle.Secondary))),
          ),
          allowedMentions: { parse: [] },
        });
        return 'sent';
      } catch (error) {
        if (error instanceof DiscordAPIError && error.code === CANNOT_MESSAGE_USER) return 'unreachable';
        throw error;
      }
    },
  };
}

/** A notice's button, answered ephemerally. */
export async function answerNoticeButton(interaction: ButtonInteraction, terminal: Terminal, ctx: Pick<BotContext, 'log' | 'describe' | 't'>): Promise<void> {
  let content: string;
  try {
    content = (await noticeButton(terminal, `dc:${interaction.user.id}`, interaction.customId, ctx.t)) ?? ctx.t.buttonRetired();
  } catch (error) {
    ctx.log.error({ err: ctx.describe(error) }, 'Discord notice button failed');
    content = ctx.t.somethingWrong();
  }
  await interaction.reply({ content, flags: MessageFlags.Ephemeral });
}

/** Notices name the group as its members see it: the channel's name (or the server's, for a server-wide group). */
export async function rememberChannelName(terminal: Terminal | undefined, client: Client, group: string, channelId: string): Promise<void> {
  if (!terminal) return;
  const channel = client.channels.cache.get(channelId);
  if (!channel || !('name' in channel) || !channel.name) return;
  const name = group.startsWith('dc:guild:') && 'guild' in channel ? channel.guild.name : `#${channel.name}`;
  await terminal.records.notices.setGroupName(group, name);
}
