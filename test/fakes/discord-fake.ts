// One fake Discord: REST + CDN + gateway wired together, one guild with text channels, and helpers a
// test uses to act as chat members (post a message with photos, run a slash command).
import { FakeDiscordGateway } from './discord-gateway.ts';
import { buttonInteraction, chatInputInteraction, dmButtonInteraction, guild, member, message, OptionType, snowflake, textChannel, user, type CommandOption, type FakeInteraction, type FakeMessage, type FakeUser } from './discord-payloads.ts';
import { FakeDiscordRest, type InteractionState } from './discord-rest.ts';

export { OptionType } from './discord-payloads.ts';

export interface FakeFile {
  name: string;
  bytes: Uint8Array;
  /** Discord's detected MIME type; omit to test detection by file name. */
  contentType?: string;
}

export interface FakeDiscord {
  token: string;
  apiRoot: string;
  rest: FakeDiscordRest;
  gateway: FakeDiscordGateway;
  botUser: FakeUser;
  applicationId: string;
  guildId: string;
  channels: Record<string, ReturnType<typeof textChannel>>;
  addUser(username: string, globalName?: string): FakeUser;
  /** MESSAGE_CREATE from a member, with attachments hosted on the fake CDN. */
  postMessage(channelName: string, author: FakeUser, files: FakeFile[], content?: string): FakeMessage;
  /** Re-sends a dispatch already sent (as a resumed session replays it). */
  replayMessage(m: FakeMessage): void;
  /** INTERACTION_CREATE for a slash command; options' attachment values are filled from `files`. */
  command(channelName: string, by: FakeUser, name: string, options?: Record<string, string | boolean | FakeFile | FakeUser>): FakeInteraction;
  answer(interaction: FakeInteraction): InteractionState;
  /** A user presses a button of a message the bot sent them by DM; returns the interaction's state. */
  pressButton(by: FakeUser, dmMessage: FakeMessage, customId: string): InteractionState;
  /** Users whose commands carry Manage Server (admins). */
  admins: Set<string>;
  /** The server's owner (an admin everywhere, as Discord computes permissions). */
  owner: FakeUser;
  /** Users' client languages (interaction.locale); en-US otherwise. */
  locales: Map<string, string>;
  /** Members press "I agree" as soon as asked (the suites about what follows consent). */
  autoConsent: boolean;
  /** Presses a button of an interaction's response as `by`; the press edits the same message. */
  press(by: FakeUser, state: InteractionState, customId: string): InteractionState;
  /** GUILD_MEMBER_REMOVE: the user left (or was removed from) the server. */
  removeMember(u: FakeUser): void;
  /** Direct messages the bot sent to a user. */
  directMessages(u: FakeUser): FakeMessage[];
  close(): Promise<void>;
}

export async function startFakeDiscord(options: { privilegedIntents?: boolean; channels?: string[]; /** Members press "I agree" when asked. */ autoConsent?: boolean } = {}): Promise<FakeDiscord> {
  // Shaped like a real bot token (id.timestamp.hmac) so a leak in the logs is recognisable.
  const token = `${Buffer.from(snowflake()).toString('base64url')}.GfAkEd.${snowflake()}${snowflake()}`;
  const applicationId = snowflake();
  const botUser: FakeUser = { ...user('facedrop', 'facedrop', true), id: applicationId };
  const guildId = snowflake();
  const owner = user('owner');
  const channels = Object.fromEntries((options.channels ?? ['photos']).map((name) => [name, textChannel(guildId, name)]));
  const users: FakeUser[] = [owner];

  let gateway: FakeDiscordGateway;
  const rest = new FakeDiscordRest({ token, botUser, applicationId, gatewayUrl: () => gateway.url });
  gateway = new FakeDiscordGateway({
    token,
    privilegedIntents: options.privilegedIntents ?? true,
    ready: () => ({ user: botUser, application: { id: applicationId, flags: 0 }, guilds: [{ id: guildId }] }),
    guilds: () => [guild(guildId, 'Test server', owner.id, Object.values(channels), [member(botUser), ...users.map((u) => member(u))])],
  });
  await rest.listen();
  await gateway.listen();
  // Discord echoes the bot's own messages over the gateway: the bot must ignore them.
  rest.onMessageCreated = (m) => gateway.dispatch('MESSAGE_CREATE', { ...m, guild_id: guildId });

  {
    rest.onEdited = (state, body) => {
      if (!fake.autoConsent) return;
      const components = (body as { components?: Array<{ components?: Array<{ custom_id?: string }> }> }).components ?? [];
      const customId = components.flatMap((r) => r.components ?? []).find((c) => c.custom_id?.startsWith('consent:'))?.custom_id;
      if (customId && state.user) setTimeout(() => fake.press(state.user!, state, customId), 10);
    };
  }

  const channelOf = (name: string) => {
    const c = channels[name];
    if (!c) throw new Error(`no fake channel ${name}`);
    return c;
  };

  const fake: FakeDiscord = {
    autoConsent: options.autoConsent ?? false,
    admins: new Set<string>(),
    owner,
    locales: new Map<string, string>(),
    token,
    apiRoot: rest.apiRoot,
    rest,
    gateway,
    botUser,
    applicationId,
    guildId,
    channels,
    addUser(username, globalName) {
      const u = user(username, globalName ?? null);
      users.push(u);
      return u;
    },
    postMessage(channelName, author, files, content) {
      const channel = channelOf(channelName);
      const attachments = files.map((f) => rest.addAttachment(channel.id, f.name, f.bytes, f.contentType));
      const m = message({ channelId: channel.id, guildId, author, attachments, ...(content !== undefined ? { content } : {}) });
      gateway.dispatch('MESSAGE_CREATE', m);
      return m;
    },
    replayMessage(m) {
      gateway.dispatch('MESSAGE_CREATE', m);
    },
    command(channelName, by, name, opts = {}) {
      const channel = channelOf(channelName);
      const attachments = [];
      const mentioned: FakeUser[] = [];
      const list: CommandOption[] = [];
      for (const [key, value] of Object.entries(opts)) {
        if (typeof value === 'string') list.push({ name: key, type: OptionType.String, value });
        else if (typeof value === 'boolean') list.push({ name: key, type: OptionType.Boolean, value });
        else if ('username' in value) {
          mentioned.push(value);
          list.push({ name: key, type: OptionType.User, value: value.id });
        } else {
          const a = rest.addAttachment(channel.id, value.name, value.bytes, value.contentType);
          attachments.push(a);
          list.push({ name: key, type: OptionType.Attachment, value: a.id });
        }
      }
      const interaction = chatInputInteraction({ applicationId, guildId, channel, user: by, name, options: list, attachments, users: mentioned });
      // Manage Server (1 << 5) for the test's admins: Discord computes the member's permissions in the channel.
      if (fake.admins.has(by.id)) interaction.member.permissions = (BigInt(interaction.member.permissions) | 32n).toString();
      interaction.locale = fake.locales.get(by.id) ?? interaction.locale;
      rest.interactions.set(interaction.token, { id: interaction.id, token: interaction.token, channelId: channel.id, callbacks: [], edits: [], followups: [], user: by });
      gateway.dispatch('INTERACTION_CREATE', interaction);
      return interaction;
    },
    pressButton(by, dmMessage, customId) {
      const interaction = dmButtonInteraction({ applicationId, channelId: dmMessage.channel_id, user: by, customId, message: dmMessage });
      interaction.locale = fake.locales.get(by.id) ?? interaction.locale;
      const state: InteractionState = { id: interaction.id, token: interaction.token, channelId: dmMessage.channel_id, callbacks: [], edits: [], followups: [] };
      rest.interactions.set(interaction.token, state);
      gateway.dispatch('INTERACTION_CREATE', interaction);
      return state;
    },
    press(by, state, customId) {
      const channel = Object.values(channels).find((c) => c.id === state.channelId)!;
      const interaction = buttonInteraction({ applicationId, guildId, channel, user: by, customId, message: state.original });
      interaction.locale = fake.locales.get(by.id) ?? interaction.locale;
      // The press's own response is the message it sits on: its edits are that message's edits.
      const pressed: InteractionState = { id: interaction.id, token: interaction.token, channelId: channel.id, callbacks: [], edits: state.edits, followups: [], user: by, ...(state.original ? { original: state.original } : {}) };
      rest.interactions.set(interaction.token, pressed);
      gateway.dispatch('INTERACTION_CREATE', interaction);
      return pressed;
    },
    answer(interaction) {
      const state = rest.interactions.get(interaction.token);
      if (!state) throw new Error('unknown interaction');
      return state;
    },
    removeMember(u) {
      gateway.dispatch('GUILD_MEMBER_REMOVE', { guild_id: guildId, user: u });
    },
    directMessages(u) {
      const id = rest.dmChannels.get(u.id);
      return id ? rest.messagesIn(id) : [];
    },
    async close() {
      await gateway.close();
      await rest.close();
    },
  };
  return fake;
}
