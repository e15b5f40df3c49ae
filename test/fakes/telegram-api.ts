// A fake Telegram Bot API over real HTTP (127.0.0.1, port 0) for bot tests: long-polled getUpdates fed by
// the test, file downloads of bytes the test registers, every call recorded, failures on demand.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Json = Record<string, unknown>;

export interface ApiCall {
  method: string;
  params: Json;
  /** HTTP status the fake answered (429/5xx/403 for programmed failures). */
  status: number;
  at: number;
  result?: unknown;
}

export interface Failure {
  status: 429 | 500 | 502 | 503 | 400 | 403;
  /** For 429: parameters.retry_after in seconds. */
  retryAfter?: number;
  description?: string;
}

export interface TgUser {
  id: number;
  is_bot: false;
  first_name: string;
  last_name?: string;
  username?: string;
  /** The client's language (IETF tag), as Telegram sends it. */
  language_code?: string;
}

export interface TgChat {
  id: number;
  type: 'private' | 'group' | 'supergroup';
  title?: string;
}

interface StoredFile {
  file_id: string;
  file_unique_id: string;
  file_path: string;
  bytes: Uint8Array;
}

interface Waiter {
  offset: number;
  limit: number;
  respond: (updates: Json[]) => void;
}

export const BOT_USERNAME = 'facedrop_test_bot';

export class FakeTelegramApi {
  /** Every call, in arrival order, failures included. */
  readonly calls: ApiCall[] = [];
  /** Users who opened a private chat with the bot; sendMessage to anyone else's id answers 403. */
  readonly openedBy = new Set<number>();
  readonly downloads: Array<{ path: string; status: number }> = [];
  /** Every message the test pushed, by message_id. */
  readonly messages = new Map<number, Json>();
  /** Chats getChat knows (id, type, title). */
  readonly chats = new Map<number, TgChat>();
  /** Per group chat id: its administrators' user ids (getChatAdministrators). */
  readonly admins = new Map<number, number[]>();
  /** Photos the bot sent (sendPhoto), with their bytes. */
  readonly sentPhotos: Array<{ chatId: number; caption: string; bytes: Uint8Array; keyboard?: unknown; messageId: number }> = [];

  readonly #files = new Map<string, StoredFile>();
  readonly #updates: Json[] = [];
  readonly #waiters: Waiter[] = [];
  readonly #failures = new Map<string, Failure[]>();
  readonly #downloadFailures = new Map<string, number[]>();
  #nextUpdateId = 1;
  #nextMessageId = 1000;
  #closed = false;

  private constructor(
    readonly token: string,
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(token = '123456:TEST-fake-token'): Promise<FakeTelegramApi> {
    let fake: FakeTelegramApi | undefined;
    const server = http.createServer((req, res) => {
      fake!.handle(req, res).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeTelegramApi(token, server, `http://127.0.0.1:${port}`);
    return fake;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.respond([]);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- programming the fake -------------------------------------------------------------------------

  /** The next `times` calls of `method` fail this way. */
  fail(method: string, failure: Failure, times = 1): void {
    const list = this.#failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(failure);
    this.#failures.set(method, list);
  }

  /** The next `times` downloads of this file answer `status`. */
  failDownload(fileId: string, status: number, times = 1): void {
    const file = this.#files.get(fileId);
    if (!file) throw new Error(`unknown file ${fileId}`);
    const list = this.#downloadFailures.get(file.file_path) ?? [];
    for (let i = 0; i < times; i++) list.push(status);
    this.#downloadFailures.set(file.file_path, list);
  }

  /** Forgets every programmed failure. */
  clearFailures(): void {
    this.#failures.clear();
    this.#downloadFailures.clear();
  }

  /** Registers bytes the bot may download; returns the file's ids. */
  /** Users' profile photos (one size each), as getUserProfilePhotos lists them. */
  readonly profilePhotos = new Map<number, { file_id: string; file_unique_id: string; file_size: number; width: number; height: number }>();

  setProfilePhoto(userId: number, bytes: Uint8Array): void {
    this.profilePhotos.set(userId, { ...this.addFile(bytes), width: 640, height: 640 });
  }

  addFile(bytes: Uint8Array, ext = 'jpg'): { file_id: string; file_unique_id: string; file_size: number } {
    const n = this.#files.size + 1;
    const file: StoredFile = { file_id: `file-${n}-${randomUUID()}`, file_unique_id: `u${n}`, file_path: `photos/file_${n}.${ext}`, bytes };
    this.#files.set(file.file_id, file);
    return { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: bytes.byteLength };
  }

  // ---- updates --------------------------------------------------------------------------------------

  pushUpdate(update: Json): number {
    const update_id = this.#nextUpdateId++;
    this.#updates.push({ update_id, ...update });
    this.#wake();
    return update_id;
  }

  /** Pushes a message from `from` in `chat` (a photo, a document, text); returns it. */
  pushMessage(chat: TgChat, from: TgUser, content: MessageContent): Json {
    const message = this.buildMessage(chat, from, content);
    this.pushUpdate({ message });
    return message;
  }

  /** Several messages in one update batch (what Telegram does for an album). */
  pushMediaGroup(chat: TgChat, from: TgUser, items: Array<Omit<MessageContent, 'mediaGroupId'>>): Json[] {
    const mediaGroupId = String(Date.now()) + String(this.#nextMessageId);
    return items.map((item) => this.pushMessage(chat, from, { ...item, mediaGroupId }));
  }

  pushCallback(from: TgUser, message: Json, data: string): string {
    const id = randomUUID();
    this.pushUpdate({ callback_query: { id, from, message, chat_instance: '1', data } });
    return id;
  }

  /** A chat_member update: `user` left (or was kicked from) `chat`. */
  pushChatMemberLeft(chat: TgChat, user: TgUser, status: 'left' | 'kicked' = 'left'): number {
    const date = Math.floor(Date.now() / 1000);
    return this.pushUpdate({
      chat_member: { chat, from: user, date, old_chat_member: { status: 'member', user }, new_chat_member: { status, user, ...(status === 'kicked' ? { until_date: 0 } : {}) } },
    });
  }

  /** Telegram's service message when someone leaves: `left_chat_member`. */
  pushLeftMessage(chat: TgChat, user: TgUser): Json {
    const message: Json = { message_id: this.#nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from: user, left_chat_member: user };
    this.pushUpdate({ message });
    return message;
  }

  /**
   * Presses every "I agree" button the bot sends, as the member it asks (the private chat's user, or the
   * sender of the group message it answers), until the returned function is called: for suites about
   * what happens after consent.
   */
  autoConsent(): () => void {
    const pressed = new Set<string>();
    const timer = setInterval(() => {
      for (const call of this.ok('sendMessage')) {
        const markup = (typeof call.params.reply_markup === 'string' ? JSON.parse(call.params.reply_markup) : call.params.reply_markup) as { inline_keyboard?: Array<Array<{ callback_data?: string }>> } | undefined;
        const data = markup?.inline_keyboard?.flat().find((b) => b.callback_data?.startsWith('consent:'))?.callback_data;
        if (!data || pressed.has(data)) continue;
        pressed.add(data);
        const chatId = Number(call.params.chat_id);
        const replyTo = (call.params.reply_parameters as { message_id?: number } | undefined)?.message_id;
        const userId = chatId > 0 ? chatId : ((this.messages.get(replyTo ?? -1)?.from as TgUser | undefined)?.id ?? 0);
        const message = { message_id: (call.result as { message_id: number }).message_id, date: 0, chat: { id: chatId, type: chatId > 0 ? 'private' : 'supergroup' }, text: call.params.text };
        this.pushCallback({ id: userId, is_bot: false, first_name: `user ${userId}` }, message, data);
      }
    }, 50);
    return () => clearInterval(timer);
  }

  /** The /start payload of the first URL button the bot sent to `chatId` (the deep link). */
  deepLinks(chatId: number): string[] {
    return this.sentTo(chatId).flatMap((m) => {
      const rows = (m.params.reply_markup as { inline_keyboard?: Array<Array<{ url?: string }>> } | undefined)?.inline_keyboard ?? [];
      return rows.flat().flatMap((b) => (b.url ? [b.url] : []));
    });
  }

  buildMessage(chat: TgChat, from: TgUser, content: MessageContent): Json {
    const message: Json = { message_id: this.#nextMessageId++, date: Math.floor(Date.now() / 1000), chat, from };
    this.messages.set(message.message_id as number, message);
    if (content.mediaGroupId) message.media_group_id = content.mediaGroupId;
    if (content.text !== undefined) {
      message.text = content.text;
      const entities = commandEntities(content.text);
      if (entities) message.entities = entities;
    }
    if (content.caption !== undefined) {
      message.caption = content.caption;
      const entities = commandEntities(content.caption);
      if (entities) message.caption_entities = entities;
    }
    if (content.photo) {
      // Telegram's sizes, smallest first; only the last is the original the test registered.
      const sizes = [...(content.photo.thumbnails ?? []), content.photo.original];
      message.photo = sizes.map((bytes, i) => {
        const f = this.addFile(bytes);
        const side = [90, 320, 800, 1280][Math.min(i + 4 - sizes.length, 3)]!;
        return { ...f, width: side, height: Math.round(side * 0.75) };
      });
    }
    if (content.document) {
      const d = content.document;
      const f = this.addFile(d.bytes, d.fileName.split('.').pop() ?? 'bin');
      message.document = { ...f, file_name: d.fileName, mime_type: d.mimeType, ...(d.declaredSize !== undefined ? { file_size: d.declaredSize } : {}) };
    }
    return message;
  }

  // ---- reading what the bot did -----------------------------------------------------------------------

  /** getUpdates requests held open right now (the bot is long polling). */
  get waitingPolls(): number {
    return this.#waiters.length;
  }

  /** Successful calls of a method. */
  ok(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method && c.status === 200);
  }

  /** Messages the bot sent to a chat (successful sendMessage calls). */
  sentTo(chatId: number): Array<{ text: string; replyTo?: number; params: Json; messageId: number }> {
    return this.ok('sendMessage')
      .filter((c) => Number(c.params.chat_id) === chatId)
      .map((c) => {
        const reply = c.params.reply_parameters as { message_id?: number } | undefined;
        return {
          text: String(c.params.text),
          ...(reply?.message_id !== undefined ? { replyTo: reply.message_id } : {}),
          params: c.params,
          messageId: (c.result as { message_id: number }).message_id,
        };
      });
  }

  /** Photos the bot sent to a chat (successful sendPhoto calls): caption, the uploaded bytes, the inline buttons. */
  photosTo(chatId: number): Array<{ caption: string; photo: Uint8Array | undefined; buttons: Array<{ text: string; callback_data?: string; url?: string }>; params: Json }> {
    return this.ok('sendPhoto')
      .filter((c) => Number(c.params.chat_id) === chatId)
      .map((c) => {
        const markup = c.params.reply_markup as { inline_keyboard?: Array<Array<{ text: string; callback_data?: string; url?: string }>> } | undefined;
        return {
          caption: String(c.params.caption ?? ''),
          photo: c.params.photo instanceof Uint8Array ? c.params.photo : undefined,
          buttons: (markup?.inline_keyboard ?? []).flat(),
          params: c.params,
        };
      });
  }

  /** Polls `check` until it returns a value other than undefined/false, or throws after the deadline. */
  async waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  // ---- HTTP -------------------------------------------------------------------------------------------

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const filePrefix = `/file/bot${this.token}/`;
    if (req.method === 'GET' && url.pathname.startsWith(filePrefix)) return this.serveFile(decodeURIComponent(url.pathname.slice(filePrefix.length)), res);
    const match = /^\/bot([^/]+)\/(\w+)$/.exec(url.pathname);
    if (!match) return void res.writeHead(404).end('not found');
    const raw = await readRawBody(req);
    const contentType = req.headers['content-type'];
    const params: Json = {
      ...Object.fromEntries(url.searchParams),
      ...(contentType?.includes('multipart/form-data') ? await parseMultipart(contentType, raw) : parseBody(contentType, raw.toString('utf8'))),
    };
    const method = match[2]!;
    const send = (status: number, payload: Json, result?: unknown) => {
      this.calls.push({ method, params, status, at: Date.now(), ...(result !== undefined ? { result } : {}) });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    if (match[1] !== this.token) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' });

    const failure = this.#failures.get(method)?.shift();
    if (failure) {
      if (failure.status >= 500) {
        this.calls.push({ method, params, status: failure.status, at: Date.now() });
        return void res.writeHead(failure.status, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>');
      }
      return send(failure.status, {
        ok: false,
        error_code: failure.status,
        description: failure.description ?? (failure.status === 429 ? `Too Many Requests: retry after ${failure.retryAfter ?? 1}` : 'Error'),
        ...(failure.status === 429 ? { parameters: { retry_after: failure.retryAfter ?? 1 } } : {}),
      });
    }

    if (method === 'getUpdates') return this.getUpdates(params, (updates) => send(200, { ok: true, result: updates }, updates));
    const result = this.answer(method, params);
    if ('error' in result) return send(result.error.error_code, { ok: false, ...result.error });
    return send(200, { ok: true, result: result.ok }, result.ok);
  }

  private answer(method: string, params: Json): { ok: unknown } | { error: { error_code: number; description: string } } {
    switch (method) {
      case 'getMe':
        return { ok: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'facedrop', username: BOT_USERNAME, can_join_groups: true, can_read_all_group_messages: true, supports_inline_queries: false } };
      case 'getFile': {
        const file = this.#files.get(String(params.file_id));
        if (!file) return { error: { error_code: 400, description: 'Bad Request: invalid file_id' } };
        return { ok: { file_id: file.file_id, file_unique_id: file.file_unique_id, file_size: file.bytes.byteLength, file_path: file.file_path } };
      }
      case 'sendMessage': {
        const chatId = Number(params.chat_id);
        if (chatId > 0 && !this.openedBy.has(chatId)) return { error: { error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" } };
        const chat: TgChat = chatId > 0 ? { id: chatId, type: 'private' } : { id: chatId, type: 'supergroup' };
        return { ok: { message_id: this.#nextMessageId++, date: Math.floor(Date.now() / 1000), chat, text: params.text, from: { id: Number(this.token.split(':')[0]), is_bot: true, first_name: 'facedrop', username: BOT_USERNAME } } };
      }
      case 'sendPhoto': {
        const chatId = Number(params.chat_id);
        if (chatId > 0 && !this.openedBy.has(chatId)) return { error: { error_code: 403, description: "Forbidden: bot can't initiate conversation with a user" } };
        const message_id = this.#nextMessageId++;
        const keyboard = typeof params.reply_markup === 'string' ? (JSON.parse(params.reply_markup) as unknown) : params.reply_markup;
        this.sentPhotos.push({ chatId, caption: String(params.caption ?? ''), bytes: (params.photo as Uint8Array | undefined) ?? new Uint8Array(), keyboard, messageId: message_id });
        const chat: TgChat = chatId > 0 ? { id: chatId, type: 'private' } : { id: chatId, type: 'supergroup' };
        return { ok: { message_id, date: Math.floor(Date.now() / 1000), chat, caption: params.caption, photo: [{ file_id: `sent-${message_id}`, file_unique_id: `s${message_id}`, width: 1, height: 1 }] } };
      }
      case 'getChat': {
        const chat = this.chats.get(Number(params.chat_id));
        return chat ? { ok: chat } : { error: { error_code: 400, description: 'Bad Request: chat not found' } };
      }
      case 'getChatAdministrators': {
        const ids = this.admins.get(Number(params.chat_id)) ?? [];
        return { ok: ids.map((id) => ({ status: 'administrator', user: { id, is_bot: false, first_name: `admin ${id}` }, can_delete_messages: true })) };
      }
      case 'editMessageText':
        return { ok: { message_id: Number(params.message_id), date: Math.floor(Date.now() / 1000), chat: { id: Number(params.chat_id), type: 'supergroup' }, text: params.text } };
      case 'getUserProfilePhotos': {
        const photo = this.profilePhotos.get(Number(params.user_id));
        return { ok: photo ? { total_count: 1, photos: [[photo]] } : { total_count: 0, photos: [] } };
      }
      default:
        // setMyCommands, deleteWebhook, setMessageReaction, answerCallbackQuery, ...
        return { ok: true };
    }
  }

  private getUpdates(params: Json, respond: (updates: Json[]) => void): void {
    const offset = Number(params.offset ?? 0);
    const limit = Number(params.limit ?? 100);
    const timeout = Number(params.timeout ?? 0);
    // An offset confirms every update before it: Telegram forgets them.
    if (offset > 0) {
      while (this.#updates.length > 0 && Number(this.#updates[0]!.update_id) < offset) this.#updates.shift();
    }
    const ready = this.#updates.filter((u) => Number(u.update_id) >= offset).slice(0, limit);
    if (ready.length > 0 || timeout <= 0 || this.#closed) return respond(ready);
    const waiter: Waiter = {
      offset,
      limit,
      respond: (updates) => {
        clearTimeout(timer);
        respond(updates);
      },
    };
    const timer = setTimeout(() => {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      respond([]);
    }, timeout * 1000);
    this.#waiters.push(waiter);
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) {
      w.respond(this.#updates.filter((u) => Number(u.update_id) >= w.offset).slice(0, w.limit));
    }
  }

  private serveFile(filePath: string, res: http.ServerResponse): void {
    const failure = this.#downloadFailures.get(filePath)?.shift();
    if (failure) {
      this.downloads.push({ path: filePath, status: failure });
      return void res.writeHead(failure).end('upstream error');
    }
    const file = [...this.#files.values()].find((f) => f.file_path === filePath);
    if (!file) {
      this.downloads.push({ path: filePath, status: 404 });
      return void res.writeHead(404).end('not found');
    }
    this.downloads.push({ path: filePath, status: 200 });
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.bytes.byteLength }).end(file.bytes);
  }
}

export interface MessageContent {
  text?: string;
  caption?: string;
  /** A photo: the original (largest size) and optional smaller renditions, smallest first. */
  photo?: { original: Uint8Array; thumbnails?: Uint8Array[] };
  /** A file sent "as document"; declaredSize overrides file_size (e.g. to claim 25 MB). */
  document?: { bytes: Uint8Array; fileName: string; mimeType: string; declaredSize?: number };
  mediaGroupId?: string;
}

/** The bot_command entity Telegram adds when a text or caption starts with /command[@bot]. */
function commandEntities(text: string): Json[] | undefined {
  const m = /^\/\w+(@\w+)?/.exec(text);
  return m ? [{ type: 'bot_command', offset: 0, length: m[0].length }] : undefined;
}

function readRawBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** sendPhoto with an uploaded file: text fields as they are (JSON ones parsed), files as their bytes. */
async function parseMultipart(contentType: string, raw: Buffer): Promise<Json> {
  const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData();
  const out: Json = {};
  for (const [key, value] of form.entries()) {
    if (typeof value === 'string') {
      try {
        out[key] = /^[[{]/.test(value) ? (JSON.parse(value) as unknown) : value;
      } catch {
        out[key] = value;
      }
    } else out[key] = new Uint8Array(await value.arrayBuffer());
  }
  return out;
}

export function readBody(req: http.IncomingMessage): Promise<string> {
  return readRawBody(req).then((raw) => raw.toString('utf8'));
}

function parseBody(contentType: string | undefined, body: string): Json {
  if (!body) return {};
  if (contentType?.includes('application/json')) return JSON.parse(body) as Json;
  if (contentType?.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(body));
  return {};
}
