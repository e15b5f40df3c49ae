import type { Channel } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { groupOfChannel } from '../../bots/discord/context.ts';

// Plain stand-ins for discord.js channels: only what groupOfChannel reads.
const textChannel = { id: '11', guildId: '900', isThread: () => false } as unknown as Channel;
const thread = { id: '12', guildId: '900', parentId: '11', isThread: () => true } as unknown as Channel;

describe('Discord groups', () => {
  it('are channels by default, a thread counting as its parent channel', () => {
    expect(groupOfChannel(textChannel)).toBe('dc:11');
    expect(groupOfChannel(thread)).toBe('dc:11');
    expect(groupOfChannel(null, '13')).toBe('dc:13');
  });

  it('are whole servers with DISCORD_GROUP_SCOPE=guild', () => {
    expect(groupOfChannel(textChannel, undefined, 'guild')).toBe('dc:guild:900');
    expect(groupOfChannel(thread, undefined, 'guild')).toBe('dc:guild:900');
  });
});
