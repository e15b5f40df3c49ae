// Discord API v10 objects, shaped as Discord sends them (only the fields discord.js 14 reads).
import { randomBytes } from 'node:crypto';

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;

/** A fresh snowflake: time-ordered, like Discord's. */
export function snowflake(): string {
  increment = (increment + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | (1n << 17n) | increment).toString();
}

export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

export function user(username: string, globalName: string | null = null, bot = false): FakeUser {
  return { id: snowflake(), username, global_name: globalName, discriminator: '0', avatar: null, ...(bot ? { bot: true } : {}) };
}

export function member(u: FakeUser, nick: string | null = null) {
  return {
    user: u,
    nick,
    avatar: null,
    roles: [],
    joined_at: new Date(0).toISOString(),
    premium_since: null,
    deaf: false,
    mute: false,
    flags: 0,
    pending: false,
    communication_disabled_until: null,
  };
}

export function textChannel(guildId: string, name: string, id = snowflake()) {
  return { id, type: 0, guild_id: guildId, name, position: 0, permission_overwrites: [], nsfw: false, topic: null, last_message_id: null, rate_limit_per_user: 0, parent_id: null };
}

export function guild(id: string, name: string, ownerId: string, channels: ReturnType<typeof textChannel>[], members: ReturnType<typeof member>[]) {
  return {
    id,
    name,
    icon: null,
    owner_id: ownerId,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: [{ id, name: '@everyone', color: 0, hoist: false, position: 0, permissions: '1071698660929', managed: false, mentionable: false, flags: 0 }],
    emojis: [],
    stickers: [],
    features: [],
    mfa_level: 0,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    premium_progress_bar_enabled: false,
    joined_at: new Date(0).toISOString(),
    large: false,
    unavailable: false,
    member_count: members.length,
    members,
    channels: channels.map(({ guild_id: _omit, ...c }) => c),
    threads: [],
    presences: [],
    voice_states: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}

export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number;
  height?: number;
}

export function message(input: { channelId: string; guildId?: string; author: FakeUser; content?: string; attachments?: FakeAttachment[]; flags?: number; reference?: string; id?: string }) {
  return {
    id: input.id ?? snowflake(),
    type: input.reference ? 19 : 0,
    channel_id: input.channelId,
    ...(input.guildId ? { guild_id: input.guildId, member: { ...member(input.author), user: undefined } } : {}),
    author: input.author,
    content: input.content ?? '',
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: input.attachments ?? [],
    embeds: [],
    components: [],
    pinned: false,
    flags: input.flags ?? 0,
    ...(input.reference ? { message_reference: { type: 0, message_id: input.reference, channel_id: input.channelId, ...(input.guildId ? { guild_id: input.guildId } : {}) } } : {}),
  };
}

export type FakeMessage = ReturnType<typeof message>;

/** Application command option types used by facedrop. */
export const OptionType = { String: 3, Boolean: 5, User: 6, Attachment: 11 } as const;
export type CommandOption = { name: string; type: number; value: string | boolean };

export function chatInputInteraction(input: {
  applicationId: string;
  guildId: string;
  channel: ReturnType<typeof textChannel>;
  user: FakeUser;
  name: string;
  options?: CommandOption[];
  attachments?: FakeAttachment[];
  users?: FakeUser[];
}) {
  return {
    id: snowflake(),
    application_id: input.applicationId,
    type: 2,
    token: `aW50ZXJhY3Rpb24${randomToken(48)}`,
    version: 1,
    data: {
      id: snowflake(),
      name: input.name,
      type: 1,
      guild_id: input.guildId,
      options: input.options ?? [],
      ...(input.attachments?.length || input.users?.length
        ? {
            resolved: {
              ...(input.attachments?.length ? { attachments: Object.fromEntries(input.attachments.map((a) => [a.id, a])) } : {}),
              ...(input.users?.length ? { users: Object.fromEntries(input.users.map((u) => [u.id, u])) } : {}),
            },
          }
        : {}),
    },
    guild_id: input.guildId,
    channel_id: input.channel.id,
    channel: input.channel,
    member: { ...member(input.user), permissions: '2248473465835073' },
    app_permissions: '2248473465835073',
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '0': input.guildId },
    context: 0,
    attachment_size_limit: 26214400,
  };
}

export type FakeInteraction = ReturnType<typeof chatInputInteraction>;

/** A DM channel as POST /users/@me/channels returns it. */
export function dmChannel(id: string, recipient: Pick<FakeUser, 'id'> & Partial<FakeUser>) {
  return { id, type: 1, last_message_id: null, recipients: [{ username: 'member', global_name: null, discriminator: '0', avatar: null, ...recipient }] };
}

/** INTERACTION_CREATE for a button pressed on a message in a DM (type 3, component type 2). */
export function dmButtonInteraction(input: { applicationId: string; channelId: string; user: FakeUser; customId: string; message: FakeMessage }) {
  return {
    id: snowflake(),
    application_id: input.applicationId,
    type: 3,
    token: `aW50ZXJhY3Rpb24${randomToken(48)}`,
    version: 1,
    data: { custom_id: input.customId, component_type: 2 },
    channel_id: input.channelId,
    channel: { id: input.channelId, type: 1, last_message_id: null, recipients: [input.user] },
    user: input.user,
    message: input.message,
    app_permissions: '2248473465835073',
    locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: { '1': input.user.id },
    context: 1,
    attachment_size_limit: 26214400,
  };
}

/** A button press (MESSAGE_COMPONENT) on a message the bot sent. */
export function buttonInteraction(input: { applicationId: string; guildId: string; channel: ReturnType<typeof textChannel>; user: FakeUser; customId: string; message: unknown }) {
  const base = chatInputInteraction({ ...input, name: 'button' });
  const { data: _command, ...rest } = base;
  return { ...rest, type: 3, data: { custom_id: input.customId, component_type: 2 }, message: input.message };
}
