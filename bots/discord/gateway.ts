// The gateway connection: log in with the intents facedrop needs, and when Discord refuses the privileged
// MessageContent intent (close 4014) say so in one line and reconnect without it, so slash commands still work.
import { Client, Events, GatewayIntentBits, Partials, type RESTOptions } from 'discord.js';
import { describeError, redact, type BotLog } from './safe-log.ts';

// GuildMembers brings GUILD_MEMBER_REMOVE: a member who leaves is forgotten. MessageContent and GuildMembers
// are the privileged intents asked for; Discord closes the gateway with this code when one is not allowed.
const FULL_INTENTS = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMembers, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent];
const PRIVILEGED = [GatewayIntentBits.MessageContent, GatewayIntentBits.GuildMembers];
const DISALLOWED_INTENTS = 4014;
const INTENT_REFUSED =
  'Discord refused the MessageContent intent (gateway close 4014, disallowed intents): photos posted in channels are invisible to the bot. ' +
  'Enable "Message Content Intent" and "Server Members Intent" (members who leave are forgotten) under Bot > Privileged Gateway Intents in the Discord Developer Portal and restart; slash commands keep working meanwhile.';

export async function connectGateway(o: { token: string; rest: Partial<RESTOptions>; log: BotLog; secrets: string[]; handlers: (client: Client) => void }): Promise<{ client: Client<true>; messageContent: boolean }> {
  const { token, rest, log, secrets } = o;
  function wire(client: Client): void {
    o.handlers(client);
    client.on(Events.Error, (error) => log.error({ err: describeError(error, secrets) }, 'Discord client error'));
    client.on(Events.ShardError, (error, shardId) => log.warn({ shardId, err: describeError(error, secrets) }, 'Discord gateway connection error'));
    client.on(Events.Warn, (message) => log.warn(redact(message, secrets)));
    client.on(Events.ShardDisconnect, (event, shardId) => {
      if (event.code === DISALLOWED_INTENTS) {
        // At start connect() handles it (one line, then a fallback); later it means the intent was revoked.
        if (client.isReady()) log.error(INTENT_REFUSED);
        return;
      }
      log.error({ shardId, code: event.code }, 'Discord gateway closed and will not reconnect');
    });
    // discord.js waits out 429s itself (Retry-After) and resends: only note them.
    client.rest.on('rateLimited', (info) =>
      log.info({ method: info.method, route: redact(info.route, secrets), retryAfterMs: info.retryAfter, global: info.global }, 'Discord rate limit: waiting'),
    );
  }

  /** Logs in; 'refused' when Discord closes the gateway with 4014 before the client is ready. */
  async function connect(intents: GatewayIntentBits[]): Promise<Client<true> | 'refused'> {
    // A member not in the cache still arrives (partial) when they leave.
    const client = new Client({ intents, rest, failIfNotExists: false, allowedMentions: { parse: [] }, partials: [Partials.GuildMember] });
    wire(client);
    const ready = new Promise<Client<true>>((resolve) => client.once(Events.ClientReady, resolve));
    const refused = new Promise<'refused'>((resolve) =>
      client.on(Events.ShardDisconnect, (event) => {
        if (event.code === DISALLOWED_INTENTS) resolve('refused');
      }),
    );
    // login() resolves on READY but never settles after a 4014: race it, and keep its rejection handled.
    const login = client.login(token).then(() => ready);
    login.catch(() => {});
    try {
      const outcome = await Promise.race([login, refused]);
      if (outcome === 'refused') await client.destroy();
      return outcome;
    } catch (error) {
      await client.destroy();
      throw new Error(`Discord login failed: ${describeError(error, secrets).message ?? 'unknown error'}`, { cause: error });
    }
  }

  let messageContent = true;
  let client = await connect(FULL_INTENTS);
  if (client === 'refused') {
    log.error(INTENT_REFUSED);
    messageContent = false;
    // Slash commands need no privileged intent: keep them working without it.
    client = await connect(FULL_INTENTS.filter((i) => !PRIVILEGED.includes(i)));
    if (client === 'refused') throw new Error('Discord refused the gateway intents even without MessageContent');
  }
  return { client, messageContent };
}
