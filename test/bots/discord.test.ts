// The Discord bot end to end: the real discord.js client against a fake Discord (REST, CDN, gateway on
// 127.0.0.1), the real face engine, and the real album server over HTTP.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startDiscordBot, type DiscordBot } from '../../bots/discord/bot.ts';
import type { BotLog } from '../../bots/discord/safe-log.ts';
import { loadConfig, type Config } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { Members } from '../../core/members.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import { startFakeDiscord, type FakeDiscord, type FakeFile } from '../fakes/discord-fake.ts';
import type { FakeInteraction, FakeMessage, FakeUser } from '../fakes/discord-payloads.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { connectionCounter, demoSamples, loadPlumbingFixture, PLUMBING_FACES_DIR, waitFor } from '../helpers.ts';
import { freePort } from '../processes.ts';

const EPHEMERAL = 64;
const SUPPRESS_NOTIFICATIONS = 4096;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const file = (p: string, contentType?: string): FakeFile => ({ name: path.basename(p), bytes: fs.readFileSync(p), ...(contentType ? { contentType } : {}) });

/** A pino-shaped logger that keeps every line, to look for secrets and for the 4014 line. */
function captureLog(): BotLog & { lines: string[] } {
  const lines: string[] = [];
  const put = (level: string) => (obj: object | string, msg?: string) => lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ''}`);
  return { lines, info: put('info'), warn: put('warn'), error: put('error') };
}

function makeConfig(dir: string, albumUrl: string, port: number, fake: FakeDiscord, extra: Record<string, string> = {}): Config {
  return loadConfig(
    {
      DATA_DIR: dir,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: albumUrl,
      STORE_URL: `sqlite://${path.join(dir, 's.sqlite')}`,
      LOG_LEVEL: 'silent',
      FACE_THREADS: '2',
      DISCORD_BOT_TOKEN: fake.token,
      DISCORD_API_ROOT: fake.apiRoot,
      ...extra,
    },
    { dotenv: false },
  );
}

let engine: FaceEngine;
const roots: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-discord-'));
  roots.push(d);
  return d;
};

beforeAll(() => {
  engine = createFaceEngine({ threads: 2 });
});
afterAll(async () => {
  await engine.close();
  for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
});

describe('Discord bot: members register by slash command, photos posted in a channel reach their albums', () => {
  const bbt: Fixture = loadPlumbingFixture();
  let fake: FakeDiscord;
  let album: AlbumServer;
  let terminal: Terminal;
  let bot: DiscordBot;
  let config: Config;
  const log = captureLog();
  const people = new Map<string, FakeUser>();
  const links = new Map<string, string>();
  let poster: FakeUser;

  /** Runs a slash command and waits until its answer is final (the deferral edited). */
  async function run(by: FakeUser, name: string, options: Record<string, string | boolean | FakeFile | FakeUser> = {}, channel = 'photos') {
    const interaction = fake.command(channel, by, name, options);
    const state = await waitFor(`/${name} answered`, () => {
      const s = fake.answer(interaction);
      // The consent question is not the answer: the member's "I agree" edits it into one.
      return s.edits.length > 0 && !/^Before I learn/.test(s.original?.content ?? '') && s;
    });
    return { interaction, state, content: state.original?.content ?? '' };
  }

  /** Posts a message and waits until the bot has handled it (downloads seen, queue idle). */
  async function post(author: FakeUser, files: FakeFile[], channel = 'photos'): Promise<{ message: FakeMessage; replies: FakeMessage[] }> {
    const message = fake.postMessage(channel, author, files);
    await waitFor('attachments fetched', () => message.attachments.every((a) => (fake.rest.downloads.get(a.id)?.ok ?? 0) + (fake.rest.downloads.get(a.id)?.refused ?? 0) > 0));
    await bot.idle();
    const channelId = fake.channels[channel]!.id;
    return { message, replies: fake.rest.messagesIn(channelId).filter((m) => m.message_reference?.message_id === message.id) };
  }

  const albumOf = async (member: string) => {
    const token = new URL(links.get(member)!).pathname.split('/').at(-1)!;
    const res = await fetch(`${album.url}/api/albums/${token}`);
    return { status: res.status, body: res.status === 200 ? ((await res.json()) as { photos: Array<{ sha256: string }> }) : undefined };
  };

  beforeAll(async () => {
    // Members agree when asked; the consent step itself has its own test below.
    fake = await startFakeDiscord({ channels: ['photos', 'limits'], autoConsent: true });
    const port = await freePort();
    const albumUrl = `http://127.0.0.1:${port}`;
    album = await startAlbumServer(makeConfig(tmp(), albumUrl, port, fake), { engine });
    config = makeConfig(tmp(), albumUrl, 0, fake, { DISCORD_GUILD_ID: fake.guildId });
    terminal = await openTerminal(config, { engine });
    bot = await startDiscordBot({ config, terminal, members: new Members(terminal, config.PUBLIC_URL), log });
    for (const m of bbt.members) people.set(m, fake.addUser(m, m[0]!.toUpperCase() + m.slice(1)));
    poster = fake.addUser('kripke', 'Barry Kripke');
  });

  afterAll(async () => {
    await bot?.stop();
    await terminal?.close();
    await album?.close();
    await fake?.close();
  });

  it('connects through the gateway with Guilds, GuildMembers, GuildMessages and MessageContent and registers its slash commands in the guild', () => {
    const accepted = fake.gateway.identifies.filter((i) => i.accepted);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.intents).toBe((1 << 0) | (1 << 1) | (1 << 9) | (1 << 15));
    expect(accepted[0]!.query).toBe('v=10&encoding=json');
    expect(bot.messageContent).toBe(true);
    expect(fake.rest.commands.get(fake.guildId)?.map((c) => c.name).sort()).toEqual(['addface', 'album', 'approval', 'approve', 'forget', 'help', 'members', 'notify', 'pause', 'privacy', 'register', 'remove', 'resume']);
    expect(fake.rest.commands.has('global')).toBe(false);
  });

  it('Must show 1: every bbt member registers with one selfie; the five group photos posted (two in one message) land exactly in the right albums', async () => {
    // Registrations arrive together, as in a busy channel: each is deferred (ephemeral) at once.
    const pending = bbt.members.map(async (m) => ({ m, ...(await run(people.get(m)!, 'register', { selfie: file(bbt.selfies[m]![0]!, 'image/png') })) }));
    for (const { m, state, content } of await Promise.all(pending)) {
      expect(state.callbacks).toEqual([{ type: 5, data: { flags: EPHEMERAL } }]);
      expect(state.original?.flags).toBe(EPHEMERAL);
      const link = content.match(/https?:\/\/\S+\/a\/[\w-]+/)?.[0];
      expect(link, `${m}: ${content}`).toBeDefined();
      expect(link!.startsWith(`${config.PUBLIC_URL}/a/`)).toBe(true);
      links.set(m, link!);
    }

    const photos = Object.keys(bbt.photos).sort();
    expect(photos.map((p) => path.basename(p))).toEqual(['bbt1.jpg', 'bbt2.jpg', 'bbt3.jpg', 'bbt4.jpg', 'bbt5.jpg']);
    // bbt1 and bbt2 in one message; bbt4 without a content type (detected by its name).
    const posts = await Promise.all([
      post(poster, [file(photos[0]!, 'image/jpeg'), file(photos[1]!, 'image/jpeg')]),
      post(poster, [file(photos[2]!, 'image/jpeg')]),
      post(poster, [file(photos[3]!)]),
      post(poster, [file(photos[4]!, 'image/jpeg')]),
    ]);

    // At most one reply per message, naming the people who received the photo(s), never pinging.
    for (const [i, { message, replies }] of posts.entries()) {
      expect(replies, `message ${i}`).toHaveLength(1);
      expect(replies[0]!.flags).toBe(SUPPRESS_NOTIFICATIONS);
      const truth = new Set((i === 0 ? [photos[0]!, photos[1]!] : [photos[i + 1]!]).flatMap((p) => bbt.photos[p]!));
      for (const m of bbt.members) if (!truth.has(m)) expect(replies[0]!.content).not.toContain(m[0]!.toUpperCase() + m.slice(1));
      expect(message.attachments.every((a) => fake.rest.downloads.get(a.id)?.refused === 0)).toBe(true);
    }

    const replyBodies = fake.rest.requests.filter((r) => r.method === 'POST' && r.path === `/api/v10/channels/${fake.channels.photos!.id}/messages`).map((r) => r.body);
    for (const body of replyBodies) expect(body).toMatchObject({ allowed_mentions: { parse: [], replied_user: false } });

    // Precision over (member, photo) pairs must be 1.00, recall at least 0.95.
    const photoOf = new Map(photos.map((p) => [sha256(fs.readFileSync(p)), p]));
    let truePositives = 0;
    let falsePositives = 0;
    let expected = 0;
    const missed: string[] = [];
    for (const m of bbt.members) {
      const { status, body } = await albumOf(m);
      expect(status).toBe(200);
      const received = body!.photos.map((p) => photoOf.get(p.sha256));
      // Only originals, byte for byte: every stored sha256 is one of the posted files.
      expect(received.every((p) => p !== undefined), `${m} holds a photo that is not a posted original`).toBe(true);
      expect(new Set(received).size).toBe(received.length);
      for (const p of received) (bbt.photos[p!]!.includes(m) ? truePositives++ : falsePositives++);
      const truth = photos.filter((p) => bbt.photos[p]!.includes(m));
      expected += truth.length;
      missed.push(...truth.filter((p) => !received.includes(p)).map((p) => `${m} in ${path.basename(p)}`));
    }
    const precision = truePositives / (truePositives + falsePositives);
    const recall = truePositives / expected;
    console.info(`Discord scenario: precision ${precision.toFixed(2)}, recall ${recall.toFixed(3)} (${truePositives}/${expected}); missed: ${missed.join(', ') || 'none'}`);
    expect(precision).toBe(1);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect((await albumOf('stuart')).body!.photos).toEqual([]);

    // No album link or token in any channel message.
    const tokens = [...links.values()].map((l) => l.split('/').at(-1)!);
    for (const m of fake.rest.messagesIn(fake.channels.photos!.id)) for (const t of tokens) expect(m.content).not.toContain(t);
  });

  it('Must show 2: /album answers ephemerally with the owner\'s own link', async () => {
    const { state, content } = await run(people.get('penny')!, 'album');
    expect(state.callbacks).toEqual([{ type: 5, data: { flags: EPHEMERAL } }]);
    expect(state.original?.flags).toBe(EPHEMERAL);
    expect(content).toContain(links.get('penny')!);
    for (const [m, l] of links) if (m !== 'penny') expect(content).not.toContain(l);

    const stranger = await run(poster, 'album');
    expect(stranger.content).toMatch(/no album yet/);
    expect(stranger.content).not.toMatch(/\/a\//);
  });

  it('refuses an album: address that leads to loopback, a private network or cloud metadata, storing nothing and connecting nowhere', async () => {
    const listener = await connectionCounter();
    const port = listener.port;
    try {
      const mallory = fake.addUser('mallory', 'Mallory');
      for (const album of [`http://127.0.0.1:${port}`, 'http://10.0.0.1', 'http://169.254.169.254', 'http://[::1]', `http://localhost:${port}`]) {
        const refused = await run(mallory, 'register', { selfie: file(bbt.selfies.stuart![1]!, 'image/png'), album, username: 'mallory' });
        expect(refused.content, album).toMatch(/is not allowed: it leads to (a loopback|a private network|a link-local)/);
      }
      expect((await terminal.contacts.list(`dc:${fake.channels.photos!.id}`)).some((c) => c.name === 'Mallory')).toBe(false);
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  });

  it('Must show 2: refuses a selfie with no face, with several faces, and a face another member registered, storing nothing', async () => {
    const before = await terminal.contacts.list(`dc:${fake.channels.photos!.id}`);
    const gradient = await sharp(Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7) % 256)), { raw: { width: 64, height: 64, channels: 3 } })
      .resize(320, 320)
      .png()
      .toBuffer();
    const wil = fake.addUser('wil', 'Wil Wheaton');

    const none = await run(wil, 'register', { selfie: { name: 'wall.png', bytes: gradient, contentType: 'image/png' } });
    expect(none.content).toMatch(/No face was found/);
    const several = await run(wil, 'register', { selfie: file(demoSamples[0]!, 'image/jpeg') });
    expect(several.content).toMatch(/shows \d+ faces/);
    // Leonard's other selfie: already his face in this channel.
    const taken = await run(wil, 'register', { selfie: file(bbt.selfies.leonard![1]!, 'image/png') });
    expect(taken.content).toMatch(/already registered to Leonard/);
    const notAnImage = await run(wil, 'register', { selfie: { name: 'notes.png', bytes: Buffer.from('not a picture'), contentType: 'image/png' } });
    expect(notAnImage.content).toMatch(/not an image/);
    const again = await run(people.get('amy')!, 'register', { selfie: file(bbt.selfies.amy![1]!, 'image/png') });
    expect(again.content).toMatch(/already registered/);

    for (const r of [none, several, taken, notAnImage, again]) expect(r.state.original?.flags).toBe(EPHEMERAL);
    expect(await terminal.contacts.list(`dc:${fake.channels.photos!.id}`)).toEqual(before);
    expect((await run(wil, 'album')).content).toMatch(/no album yet/);
  });

  it('/addface adds a reference selfie, /members lists who is registered, /help explains', async () => {
    const added = await run(people.get('raj')!, 'addface', { selfie: file(bbt.selfies.raj![1]!, 'image/png') });
    expect(added.content).toMatch(/2 reference selfies/);
    const notRegistered = await run(poster, 'addface', { selfie: file(bbt.selfies.raj![2]!, 'image/png') });
    expect(notRegistered.content).toMatch(/not registered in this channel/);
    const list = await run(poster, 'members');
    for (const m of bbt.members) expect(list.content).toContain(m[0]!.toUpperCase() + m.slice(1));
    expect((await run(poster, 'help')).content).toMatch(/\/register/);
  });

  it('Must show 2: /forget removes the face data, so a photo posted afterwards no longer reaches that member', async () => {
    const group = `dc:${fake.channels.photos!.id}`;
    const forgotten = await run(people.get('sheldon')!, 'forget');
    expect(forgotten.state.original?.flags).toBe(EPHEMERAL);
    expect(forgotten.content).toMatch(/face data is removed/);
    expect((await terminal.contacts.list(group)).map((c) => c.id)).not.toContain(`dc:${people.get('sheldon')!.id}`);
    expect(JSON.stringify(await terminal.records.contacts.list(group))).not.toContain(people.get('sheldon')!.id);

    // bbt5 shows Sheldon with four others: re-encoded smaller, it is a new photo that no longer reaches Sheldon.
    // (Howard is the check that it still reaches the others: his face is far inside the threshold.)
    const resized = await sharp(fs.readFileSync(path.join(PLUMBING_FACES_DIR, 'bbt/group/bbt5.jpg'))).resize({ width: 900 }).jpeg().toBuffer();
    const sheldonBefore = (await albumOf('sheldon')).body!.photos.length;
    expect((await albumOf('sheldon')).body!.photos.map((p) => p.sha256)).toContain(sha256(fs.readFileSync(path.join(PLUMBING_FACES_DIR, 'bbt/group/bbt5.jpg'))));
    const { replies } = await post(poster, [{ name: 'again.jpg', bytes: resized, contentType: 'image/jpeg' }]);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.content).toContain('Howard');
    expect(replies[0]!.content).not.toContain('Sheldon');
    expect((await albumOf('howard')).body!.photos.map((p) => p.sha256)).toContain(sha256(resized));
    expect((await albumOf('sheldon')).body!.photos).toHaveLength(sheldonBefore);

    // Stuart also deletes his album: the link stops working.
    const gone = await run(people.get('stuart')!, 'forget', { delete_album: true });
    expect(gone.content).toMatch(/album and every photo in it are deleted/);
    expect((await albumOf('stuart')).status).toBe(404);
  });

  it('Must show 3: a 429 from Discord is waited out and retried: one acknowledgement, one reply, the photo stored once', async () => {
    const channelId = fake.channels.photos!.id;
    const replyPath = new RegExp(`^/api/v10/channels/${channelId}/messages$`);
    fake.rest.failNext('POST', replyPath, { status: 429, retryAfter: 0.6 });
    fake.rest.failNext('POST', /^\/api\/v10\/interactions\/\d+\/[^/]+\/callback$/, { status: 429, retryAfter: 0.4 });
    fake.rest.failNext('PATCH', /^\/api\/v10\/webhooks\/\d+\/[^/]+\/messages\/@original$/, { status: 429, retryAfter: 0.4 });
    // The CDN too: a 429 then a 503 before the original is served.
    fake.rest.failNext('GET', /^\/attachments\//, { status: 429, retryAfter: 0.2 });
    fake.rest.failNext('GET', /^\/attachments\//, { status: 503 });

    const photo = await sharp(fs.readFileSync(path.join(PLUMBING_FACES_DIR, 'bbt/group/bbt5.jpg'))).flop().jpeg({ quality: 90 }).toBuffer();
    const started = Date.now();
    const { message } = await post(poster, [{ name: 'limited.jpg', bytes: photo, contentType: 'image/jpeg' }]);
    await waitFor('the reply after the rate limit', () => fake.rest.messagesIn(channelId).some((m) => m.message_reference?.message_id === message.id));
    const attempts = fake.rest.requests.filter((r) => r.method === 'POST' && replyPath.test(r.path) && r.status !== 0);
    const limited = attempts.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(fake.rest.messagesIn(channelId).filter((m) => m.message_reference?.message_id === message.id)).toHaveLength(1);
    const downloads = fake.rest.requests.filter((r) => r.path.startsWith(`/attachments/${channelId}/${message.attachments[0]!.id}/`));
    expect(downloads.map((r) => r.status)).toEqual([429, 503, 200]);

    // Each member the reply names holds the new photo exactly once; nobody else holds it.
    const reply = fake.rest.messagesIn(channelId).find((m) => m.message_reference?.message_id === message.id)!;
    const named = bbt.members.filter((m) => reply.content.includes(m[0]!.toUpperCase() + m.slice(1)));
    expect(named.length).toBeGreaterThanOrEqual(3);
    for (const m of bbt.members.filter((m) => m !== 'stuart')) {
      const shas = (await albumOf(m)).body!.photos.map((p) => p.sha256);
      expect(shas.filter((s) => s === sha256(photo)), m).toHaveLength(named.includes(m) ? 1 : 0);
    }

    // A rate-limited interaction: deferred once (the retry is not a second acknowledgement), edited once.
    const { state } = await run(people.get('howard')!, 'album');
    expect(state.callbacks).toHaveLength(1);
    expect(state.edits).toHaveLength(1);
    expect(fake.rest.requests.filter((r) => r.path.includes(`/interactions/${state.id}/`)).map((r) => r.status)).toEqual([429, 204]);
    expect(fake.rest.requests.filter((r) => r.method === 'PATCH' && r.path.includes(`/${state.token}/`)).map((r) => r.status)).toEqual([429, 200]);
    expect(log.lines.some((l) => l.includes('Discord rate limit: waiting'))).toBe(true);
  });

  it('handles a replayed dispatch once, stays silent when nobody matched, and one bad attachment never stops the others', async () => {
    const channelId = fake.channels.photos!.id;
    const photo = await sharp(fs.readFileSync(path.join(PLUMBING_FACES_DIR, 'bbt/group/bbt5.jpg'))).resize({ width: 1000 }).jpeg().toBuffer();
    const garbage: FakeFile = { name: 'broken.jpg', bytes: Buffer.from('JFIF but not really'), contentType: 'image/jpeg' };
    const { message, replies } = await post(poster, [garbage, { name: 'small.jpg', bytes: photo, contentType: 'image/jpeg' }]);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.content).toContain('Howard');
    expect(log.lines.some((l) => l.includes('not a readable image'))).toBe(true);

    // The gateway replays the same MESSAGE_CREATE (as after a resume): no second download, no second reply.
    // Dispatches are handled in order, so the reply to a later message proves the replay was handled too.
    const fetches = (m: FakeMessage) => m.attachments.reduce((n, a) => n + (fake.rest.downloads.get(a.id)?.ok ?? 0) + (fake.rest.downloads.get(a.id)?.refused ?? 0), 0);
    const fetchedBefore = fetches(message);
    fake.replayMessage(message);
    const later = async (name: string) => (await post(poster, [{ name, bytes: await sharp(photo).resize({ width: 900 }).jpeg().toBuffer(), contentType: 'image/jpeg' }])).replies;
    expect(await later('after-replay.jpg')).toHaveLength(1);
    expect(fetches(message)).toBe(fetchedBefore);
    expect(fake.rest.messagesIn(channelId).filter((m) => m.message_reference?.message_id === message.id)).toHaveLength(1);

    // A stranger's photo and a text message: nothing matched, nothing said (a later photo's reply shows both were handled).
    const { replies: none } = await post(poster, [file(demoSamples[1]!, 'image/jpeg')]);
    expect(none).toHaveLength(0);
    fake.postMessage('photos', poster, [], 'just text');
    expect(await later('after-text.jpg')).toHaveLength(1);
    expect(fake.rest.messagesIn(channelId).filter((m) => !m.message_reference)).toHaveLength(0);
  });

  it('issue 12: /register asks for consent first (nothing stored before), only the member may agree, then registers', async () => {
    fake.autoConsent = false;
    try {
      const group = `dc:${fake.channels.photos!.id}`;
      const bea = fake.addUser('bea', 'Bea');
      const selfie = file(bbt.selfies.sheldon![1]!, 'image/jpeg'); // Sheldon forgot his face here above: it is free
      const interaction = fake.command('photos', bea, 'register', { selfie });
      const state = await waitFor('the consent question', () => fake.answer(interaction).edits.length > 0 && fake.answer(interaction));
      expect(state.original?.flags).toBe(EPHEMERAL);
      expect(state.original?.content).toMatch(/^Before I learn your face for #photos/);
      const button = (state.edits[0] as { components?: Array<{ components: Array<{ custom_id: string; label: string }> }> }).components![0]!.components[0]!;
      expect(button.label).toBe('I agree');
      // Before consent: no entry, no consent record, the selfie not even downloaded.
      expect((await terminal.contacts.list(group)).map((c) => c.id)).not.toContain(`dc:${bea.id}`);
      expect(await terminal.records.consents.current(group, `dc:${bea.id}`)).toBeUndefined();
      const attachmentId = interaction.data.resolved!.attachments ? Object.keys(interaction.data.resolved!.attachments)[0]! : '';
      expect(fake.rest.downloads.get(attachmentId)?.ok ?? 0).toBe(0);
      // Someone else pressing it changes nothing.
      const other = fake.press(poster, state, button.custom_id);
      await waitFor('the refusal', () => other.callbacks.length > 0);
      expect(await terminal.records.consents.current(group, `dc:${bea.id}`)).toBeUndefined();
      fake.press(bea, state, button.custom_id);
      await waitFor('the registration', () => /registered here/.test(state.original?.content ?? '') && state);
      expect(fake.rest.downloads.get(attachmentId)?.ok).toBe(1);
      expect((await terminal.contacts.list(group)).map((c) => c.id)).toContain(`dc:${bea.id}`);
      expect(await terminal.records.consents.current(group, `dc:${bea.id}`)).toMatchObject({ textVersion: expect.stringMatching(/^consent\//) });
    } finally {
      fake.autoConsent = true;
    }
  });

  it('issue 12 [4]: /pause stops matching in this channel until /resume; only admins (Manage Server) may; /privacy explains', async () => {
    const admin = fake.addUser('boss', 'Boss');
    fake.admins.add(admin.id);
    const refused = await run(poster, 'pause');
    expect(refused.content).toMatch(/Only this channel's admins/);
    expect((await run(admin, 'pause')).content).toMatch(/Paused/);
    const bbt5 = fs.readFileSync(path.join(PLUMBING_FACES_DIR, 'bbt/group/bbt5.jpg'));
    const paused = await sharp(bbt5).resize({ width: 870 }).jpeg().toBuffer();
    const howardBefore = (await albumOf('howard')).body!.photos.length;
    const { replies } = await post(poster, [{ name: 'paused.jpg', bytes: paused, contentType: 'image/jpeg' }]);
    expect(replies).toEqual([]);
    expect((await albumOf('howard')).body!.photos).toHaveLength(howardBefore);
    expect((await run(admin, 'resume')).content).toMatch(/Resumed/);
    const resumed = await sharp(bbt5).resize({ width: 880 }).jpeg().toBuffer();
    const after = await post(poster, [{ name: 'resumed.jpg', bytes: resumed, contentType: 'image/jpeg' }]);
    expect(after.replies[0]!.content).toContain('Howard');
    expect((await albumOf('howard')).body!.photos.map((p) => p.sha256)).toContain(sha256(resumed));
    expect((await run(poster, 'privacy')).content).toMatch(/What facedrop stores, where, for how long/);

    // Approval mode: a new face matches nothing until an admin approves it; a non-admin cannot.
    expect((await run(admin, 'approval', { on: true })).content).toMatch(/Approval mode on/);
    // Sheldon's face is held by Bea (the consent test above): an admin removes her entry first.
    const beaEntry = (await terminal.contacts.list(`dc:${fake.channels.photos!.id}`)).find((c) => c.name === 'Bea')!;
    expect((await run(poster, 'remove', { member: { id: beaEntry.id.slice(3), username: 'bea', global_name: 'Bea', discriminator: '0', avatar: null } })).content).toMatch(/Only this channel's admins/);
    expect((await run(admin, 'remove', { member: { id: beaEntry.id.slice(3), username: 'bea', global_name: 'Bea', discriminator: '0', avatar: null } })).content).toMatch(/Removed Bea/);
    const newcomer = fake.addUser('shelly', 'Shelly');
    const joined = await run(newcomer, 'register', { selfie: file(bbt.selfies.sheldon![0]!, 'image/jpeg') });
    expect(joined.content, joined.content).toMatch(/admin approves new faces here first/);
    const newLink = joined.content.match(/https?:\/\/\S+\/a\/([\w-]+)/)![1]!;
    const newcomerPhotos = async () => ((await (await fetch(`${album.url}/api/albums/${newLink}`)).json()) as { photos: unknown[] }).photos.length;
    const unapproved = await sharp(bbt5).resize({ width: 890 }).jpeg().toBuffer();
    await post(poster, [{ name: 'unapproved.jpg', bytes: unapproved, contentType: 'image/jpeg' }]);
    expect(await newcomerPhotos()).toBe(0);
    expect((await run(poster, 'approve', { member: newcomer })).content).toMatch(/Only this channel's admins/);
    expect((await run(admin, 'approve', { member: newcomer })).content).toMatch(/Approved/);
    const approved = await sharp(bbt5).resize({ width: 895 }).jpeg().toBuffer();
    await post(poster, [{ name: 'approved.jpg', bytes: approved, contentType: 'image/jpeg' }]);
    expect(await newcomerPhotos()).toBe(1);
    await run(admin, 'approval', { on: false });
  });

  it('issue 12 [3]: a member who leaves the server is forgotten and told by DM; a photo with their face then reaches nobody', async () => {
    const group = `dc:${fake.channels.photos!.id}`;
    const howard = people.get('howard')!;
    expect((await terminal.contacts.list(group)).map((c) => c.id)).toContain(`dc:${howard.id}`);
    fake.removeMember(howard);
    const dm = await waitFor("the DM to Howard", () => fake.directMessages(howard).at(-1));
    expect(dm.content).toMatch(/You left Test server, so I deleted your face data there/);
    expect((await terminal.contacts.list(group)).map((c) => c.id)).not.toContain(`dc:${howard.id}`);

    // bbt5 (Howard is in it), re-encoded once more: a new photo, which reaches the others but not Howard.
    const again = await sharp(fs.readFileSync(path.join(PLUMBING_FACES_DIR, 'bbt/group/bbt5.jpg'))).resize({ width: 850 }).jpeg().toBuffer();
    const before = (await albumOf('howard')).body!.photos.length;
    const { replies } = await post(poster, [{ name: 'after-leaving.jpg', bytes: again, contentType: 'image/jpeg' }]);
    for (const r of replies) expect(r.content).not.toContain('Howard');
    expect((await albumOf('howard')).body!.photos).toHaveLength(before);
    // The album stays his.
    expect((await albumOf('howard')).status).toBe(200);
  });

  it('never logs the bot token, an interaction token or an album link', async () => {
    await bot.idle();
    const secrets = [fake.token, ...[...fake.rest.interactions.keys()], ...[...links.values()].map((l) => l.split('/').at(-1)!)];
    expect(log.lines.length).toBeGreaterThan(0);
    for (const line of log.lines) for (const s of secrets) expect(line).not.toContain(s);
  });
});

describe('Discord bot when Discord refuses the MessageContent intent', () => {
  it('logs one clear line about gateway close 4014, reconnects without it and still answers slash commands', async () => {
    const fake = await startFakeDiscord({ privilegedIntents: false });
    const dir = tmp();
    const config = makeConfig(dir, 'http://127.0.0.1:9', 0, fake);
    const terminal = await openTerminal(config, { engine });
    const log = captureLog();
    const bot = await startDiscordBot({ config, terminal, members: new Members(terminal, config.PUBLIC_URL), log });
    try {
      expect(bot.messageContent).toBe(false);
      expect(fake.gateway.identifies.map((i) => [i.intents, i.accepted])).toEqual([
        [(1 << 0) | (1 << 1) | (1 << 9) | (1 << 15), false],
        [(1 << 0) | (1 << 9), true],
      ]);
      expect(fake.gateway.closeCodes).toContain(4014);
      const intentLines = log.lines.filter((l) => l.includes('MessageContent'));
      expect(intentLines).toHaveLength(1);
      expect(intentLines[0]).toMatch(/^error .*4014.*Message Content Intent/);
      // Without a guild id the commands are registered globally.
      expect(fake.rest.commands.get('global')).toHaveLength(13);

      const user = fake.addUser('someone');
      const interaction: FakeInteraction = fake.command('photos', user, 'help');
      const state = await waitFor('/help answered', () => fake.answer(interaction).edits.length > 0 && fake.answer(interaction));
      expect(state.original?.flags).toBe(EPHEMERAL);
      expect(state.original?.content).toMatch(/\/register/);
      for (const line of log.lines) expect(line).not.toContain(fake.token);
    } finally {
      await bot.stop();
      await terminal.close();
      await fake.close();
    }
  });

  it('fails to start with a clear error, without the token, when the token is refused', async () => {
    const fake = await startFakeDiscord();
    const config = makeConfig(tmp(), 'http://127.0.0.1:9', 0, fake, { DISCORD_BOT_TOKEN: 'wrong-token-wrong-token.abc.def' });
    const terminal = await openTerminal(config, { engine });
    try {
      const log = captureLog();
      const error = await startDiscordBot({ config, terminal, members: new Members(terminal, config.PUBLIC_URL), log }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.message).toMatch(/Discord login failed/);
      expect(error?.message).not.toContain('wrong-token');
    } finally {
      await terminal.close();
      await fake.close();
    }
  });
});
