// A fake Discord REST API and CDN on 127.0.0.1: real HTTP, the routes facedrop's bot uses, Discord's
// error shapes (429 with Retry-After, 40060 for a second acknowledgement), and signed attachment URLs
// that answer 404 without their query string, like cdn.discordapp.com.
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { dmChannel, message, snowflake, type FakeAttachment, type FakeMessage, type FakeUser } from './discord-payloads.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  status: number;
  body: unknown;
  authorized: boolean;
}

export interface InteractionState {
  id: string;
  token: string;
  channelId: string;
  /** Every callback accepted (type 5 = deferred channel message). */
  callbacks: Array<{ type: number; data?: { flags?: number; content?: string } }>;
  /** The original response: content after each PATCH …/@original. */
  original?: FakeMessage;
  edits: Array<{ content?: string }>;
  followups: FakeMessage[];
  /** Files attached by edits of the original response (a picture with buttons). */
  pictures?: Uint8Array[];
  /** Who ran the command (set by FakeDiscord.command). */
  user?: FakeUser;
}

interface Fault {
  method: string;
  path: RegExp;
  status: number;
  retryAfter: number;
  times: number;
  global: boolean;
}

export interface FakeRestOptions {
  token: string;
  botUser: FakeUser;
  applicationId: string;
  gatewayUrl: () => string;
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json' } : {}), ...headers });
  res.end(text);
};

export class FakeDiscordRest {
  readonly requests: RecordedRequest[] = [];
  readonly channelMessages = new Map<string, FakeMessage[]>();
  /** Called after each PATCH of an interaction's original response. */
  onEdited?: (state: InteractionState, body: unknown) => void;
  readonly reactions: Array<{ channelId: string; messageId: string; emoji: string }> = [];
  readonly interactions = new Map<string, InteractionState>();
  /** Registered command sets: key "global" or the guild id. */
  readonly commands = new Map<string, Array<{ name: string }>>();
  /** Attachment downloads, by attachment id: [with a valid signature, without]. */
  readonly downloads = new Map<string, { ok: number; refused: number }>();
  /** DM channels the bot opened, by user id; users who do not accept DMs from the bot (50007). */
  readonly dmChannels = new Map<string, string>();
  readonly dmClosed = new Set<string>();
  /** Files and components the bot sent with each message, by message id. */
  readonly uploads = new Map<string, { files: Uint8Array[]; components: unknown[] }>();
  /** Called for each message the bot creates (the fake gateway echoes it as MESSAGE_CREATE). */
  onMessageCreated: ((m: FakeMessage) => void) | undefined;

  readonly #server = http.createServer((req, res) => void this.#handle(req, res).catch((error: unknown) => json(res, 500, { message: String(error), code: 0 })));
  readonly #files = new Map<string, { bytes: Uint8Array; contentType: string; thumbnail?: Promise<Buffer> }>();
  readonly #faults: Fault[] = [];
  readonly #signingKey = snowflake();
  #url = '';

  constructor(readonly options: FakeRestOptions) {}

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this.#url;
  }

  /** discord.js's rest.api: no trailing slash, no version. */
  get apiRoot(): string {
    return `${this.#url}/api`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Answers the next `times` matching requests with `status` (429: Retry-After in seconds) instead of handling them. */
  failNext(method: string, path: RegExp, options: { status?: number; retryAfter?: number; times?: number; global?: boolean } = {}): void {
    this.#faults.push({ method, path, status: options.status ?? 429, retryAfter: options.retryAfter ?? 0.5, times: options.times ?? 1, global: options.global ?? false });
  }

  /** Hosts a file on the fake CDN; the attachment's url carries the signature its download requires. */
  addAttachment(channelId: string, filename: string, bytes: Uint8Array, contentType: string | undefined): FakeAttachment {
    const id = snowflake();
    this.#files.set(id, { bytes, contentType: contentType ?? 'application/octet-stream' });
    const path = `/attachments/${channelId}/${id}/${encodeURIComponent(filename)}`;
    const ex = Math.floor(Date.now() / 1000 + 86400).toString(16);
    const is = Math.floor(Date.now() / 1000).toString(16);
    const hm = this.#sign(path, ex, is);
    return {
      id,
      filename,
      size: bytes.byteLength,
      url: `${this.#url}${path}?ex=${ex}&is=${is}&hm=${hm}&`,
      // The media proxy serves resized copies: fetching it instead of `url` would not be the original.
      proxy_url: `${this.#url}/proxy${path}?ex=${ex}&is=${is}&hm=${hm}&`,
      ...(contentType ? { content_type: contentType } : {}),
    };
  }

  messagesIn(channelId: string): FakeMessage[] {
    return this.channelMessages.get(channelId) ?? [];
  }

  #sign(path: string, ex: string, is: string): string {
    return createHmac('sha256', this.#signingKey).update(`${path}\n${ex}\n${is}`).digest('hex');
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    let files: Uint8Array[] = [];
    if ((req.headers['content-type'] ?? '').startsWith('application/json') && raw) body = JSON.parse(raw);
    if ((req.headers['content-type'] ?? '').startsWith('multipart/form-data')) {
      // Messages with files: the JSON part is payload_json, the files are files[n].
      const form = await new Response(new Uint8Array(Buffer.concat(chunks)), { headers: { 'content-type': req.headers['content-type']! } }).formData();
      const payload = form.get('payload_json');
      body = typeof payload === 'string' ? JSON.parse(payload) : {};
      for (const [key, value] of form.entries()) if (key.startsWith('files[') && typeof value !== 'string') files.push(new Uint8Array(await value.arrayBuffer()));
    }
    const method = req.method ?? 'GET';
    const authorized = req.headers.authorization === `Bot ${this.options.token}`;
    // discord.js percent-encodes '@' in some routes (…/messages/%40original): record and match them decoded.
    const pathname = url.pathname.replaceAll('%40', '@');
    const record: RecordedRequest = { method, path: pathname, query: url.search, status: 0, body, authorized };
    this.requests.push(record);
    const send = (status: number, payload?: unknown, headers?: Record<string, string>) => {
      record.status = status;
      json(res, status, payload, headers);
    };

    const fault = this.#faults.find((f) => f.times > 0 && f.method === method && f.path.test(pathname));
    if (fault) {
      fault.times--;
      if (fault.status === 429) {
        return send(429, { message: 'You are being rate limited.', retry_after: fault.retryAfter, global: fault.global, code: 0 }, {
          'retry-after': String(fault.retryAfter),
          'x-ratelimit-scope': fault.global ? 'global' : 'user',
          ...(fault.global ? { 'x-ratelimit-global': 'true' } : { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset-after': String(fault.retryAfter) }),
        });
      }
      return send(fault.status, { message: `${fault.status}: injected`, code: 0 });
    }

    if (url.pathname.startsWith('/attachments/') || url.pathname.startsWith('/proxy/attachments/')) return this.#serveAttachment(url, res, record);
    if (!url.pathname.startsWith('/api/v10/')) return send(404, { message: '404: Not Found', code: 0 });
    const route = pathname.slice('/api/v10'.length);
    // Interaction and webhook routes authenticate by the token in their path, every other route by the bot token.
    const tokenRoute = route.startsWith('/interactions/') || route.startsWith('/webhooks/');
    if (!tokenRoute && !authorized) return send(401, { message: '401: Unauthorized', code: 0 });
    const { botUser, applicationId } = this.options;
    let m: RegExpMatchArray | null;

    if (method === 'GET' && route === '/gateway/bot') {
      return send(200, { url: this.options.gatewayUrl(), shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 } });
    }
    if (method === 'GET' && route === '/users/@me') return send(200, botUser);
    if (method === 'GET' && route === '/applications/@me') return send(200, { id: applicationId, name: botUser.username, bot: botUser, flags: 0 });
    if ((m = route.match(/^\/applications\/(\d+)\/(?:guilds\/(\d+)\/)?commands$/)) && (method === 'PUT' || method === 'POST')) {
      if (m[1] !== applicationId) return send(403, { message: 'Missing Access', code: 50001 });
      const key = m[2] ?? 'global';
      const incoming = (method === 'PUT' ? body : [body]) as Array<{ name: string }>;
      const saved = incoming.map((c) => ({ ...c, id: snowflake(), application_id: applicationId, version: snowflake(), type: 1, ...(m?.[2] ? { guild_id: m[2] } : {}) }));
      this.commands.set(key, method === 'PUT' ? saved : [...(this.commands.get(key) ?? []), ...saved]);
      return send(method === 'PUT' ? 200 : 201, method === 'PUT' ? saved : saved[0]);
    }
    if ((m = route.match(/^\/interactions\/(\d+)\/([^/]+)\/callback$/)) && method === 'POST') {
      const state = this.interactions.get(m[2]!);
      if (!state || state.id !== m[1]) return send(404, { message: 'Unknown interaction', code: 10062 });
      if (state.callbacks.length > 0) return send(400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      const callback = body as InteractionState['callbacks'][number];
      state.callbacks.push(callback);
      if (callback.type === 4 || callback.type === 5) {
        // The response message keeps the deferral's flags: 64 makes it, and every edit of it, ephemeral.
        state.original = { ...message({ channelId: state.channelId, author: botUser, content: callback.data?.content ?? '', flags: callback.data?.flags ?? 0 }), type: 20 };
      }
      return send(204);
    }
    if ((m = route.match(/^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/)) && method === 'PATCH') {
      const state = this.interactions.get(m[2]!);
      if (!state?.original || m[1] !== applicationId) return send(404, { message: 'Unknown Webhook', code: 10015 });
      const edit = body as { content?: string };
      state.edits.push(edit);
      if (files.length) state.pictures = [...(state.pictures ?? []), ...files];
      if (edit.content !== undefined) state.original.content = edit.content;
      this.onEdited?.(state, body);
      return send(200, { ...state.original, webhook_id: applicationId, application_id: applicationId, edited_timestamp: new Date().toISOString() });
    }
    if ((m = route.match(/^\/webhooks\/(\d+)\/([^/]+)$/)) && method === 'POST') {
      const state = this.interactions.get(m[2]!);
      if (!state?.original || m[1] !== applicationId) return send(404, { message: 'Unknown Webhook', code: 10015 });
      const data = body as { content?: string; flags?: number };
      const followup = message({ channelId: state.channelId, author: botUser, content: data.content ?? '', flags: data.flags ?? 0 });
      state.followups.push(followup);
      return send(200, { ...followup, webhook_id: applicationId, application_id: applicationId });
    }
    if (route === '/users/@me/channels' && method === 'POST') {
      const recipient = String((body as { recipient_id?: string }).recipient_id ?? '');
      const id = this.dmChannels.get(recipient) ?? snowflake();
      this.dmChannels.set(recipient, id);
      return send(200, dmChannel(id, { id: recipient }));
    }
    if ((m = route.match(/^\/channels\/(\d+)\/messages$/)) && method === 'POST') {
      const data = body as { content?: string; flags?: number; message_reference?: { message_id: string }; components?: unknown[] };
      const dmOf = [...this.dmChannels].find(([, channel]) => channel === m![1])?.[0];
      if (dmOf !== undefined && this.dmClosed.has(dmOf)) return send(403, { message: 'Cannot send messages to this user', code: 50007 });
      const created = message({
        channelId: m[1]!,
        author: botUser,
        content: data.content ?? '',
        flags: data.flags ?? 0,
        ...(data.message_reference ? { reference: data.message_reference.message_id } : {}),
      });
      this.channelMessages.set(m[1]!, [...this.messagesIn(m[1]!), created]);
      this.uploads.set(created.id, { files, components: data.components ?? [] });
      files = [];
      if (dmOf === undefined) this.onMessageCreated?.(created);
      return send(200, created);
    }
    if ((m = route.match(/^\/channels\/(\d+)\/messages\/(\d+)\/reactions\/([^/]+)\/@me$/)) && method === 'PUT') {
      this.reactions.push({ channelId: m[1]!, messageId: m[2]!, emoji: decodeURIComponent(m[3]!) });
      return send(204);
    }
    return send(404, { message: '404: Not Found', code: 0 });
  }

  async #serveAttachment(url: URL, res: http.ServerResponse, record: RecordedRequest): Promise<void> {
    const viaProxy = url.pathname.startsWith('/proxy/');
    const path = viaProxy ? url.pathname.slice('/proxy'.length) : url.pathname;
    const id = path.split('/')[3] ?? '';
    const file = this.#files.get(id);
    const counts = this.downloads.get(id) ?? { ok: 0, refused: 0 };
    this.downloads.set(id, counts);
    const ex = url.searchParams.get('ex') ?? '';
    const is = url.searchParams.get('is') ?? '';
    if (!file || url.searchParams.get('hm') !== this.#sign(path, ex, is)) {
      counts.refused++;
      record.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('This content is no longer available.');
      return;
    }
    counts.ok++;
    let bytes: Uint8Array = file.bytes;
    if (viaProxy) {
      file.thumbnail ??= sharp(file.bytes).resize({ width: 64 }).jpeg().toBuffer();
      bytes = await file.thumbnail.catch(() => Buffer.from(file.bytes));
    }
    record.status = 200;
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(bytes.byteLength) });
    res.end(bytes);
  }
}
