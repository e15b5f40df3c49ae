// Issue 22, must show 1: Discord members get what Telegram members get, through the fake gateway and REST
// (test/fakes/), the real face engine and the real album server: the face picker, a dependent with two
// guardians, approval with the face picture, /forget releasing the album's faces, a replayed interaction
// after a restart handled once, and a member who only runs commands kept by retention.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAlbumServer, type AlbumServer } from '../../album/server.ts';
import { startDiscordBot, type DiscordBot } from '../../bots/discord/bot.ts';
import { loadConfig, type Config } from '../../config.ts';
import { createFaceEngine, type FaceEngine } from '../../core/faces/index.ts';
import { cosineDistance, normalize } from '../../core/match/vectors.ts';
import { Members } from '../../core/members.ts';
import { openTerminal, type Terminal } from '../../core/terminal.ts';
import type { Fixture } from '../../bench/fixtures.ts';
import { startFakeDiscord, type FakeDiscord, type FakeFile } from '../fakes/discord-fake.ts';
import type { FakeMessage, FakeUser } from '../fakes/discord-payloads.ts';
import { freePort } from '../processes.ts';
import { loadPlumbingFixture, waitFor } from '../helpers.ts';

const DAY = 24 * 60 * 60_000;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
type Components = Array<{ components: Array<{ custom_id: string; label: string }> }>;

describe('Discord at parity with Telegram (issue 22)', () => {
  const bbt: Fixture = loadPlumbingFixture();
  const roots: string[] = [];
  let engine: FaceEngine;
  let fake: FakeDiscord;
  let album: AlbumServer;
  let terminal: Terminal;
  let members: Members;
  let config: Config;
  let bot: DiscordBot;
  let clock = Date.now();
  const lines: string[] = [];
  const put = (level: string) => (obj: object | string, msg?: string) => void lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ''}`);
  const log = { info: put('info'), warn: put('warn'), error: put('error') };
  const group = () => `dc:${fake.channels.photos!.id}`;
  const read = (p: string) => new Uint8Array(fs.readFileSync(p));
  const selfie = (m: string, i = 0): FakeFile => ({ name: `${m}.jpg`, bytes: read(bbt.selfies[m]![i]!), contentType: 'image/jpeg' });
  const start = () => startDiscordBot({ config, terminal, members, log, now: () => clock, retentionIntervalMs: 250 });

  /** A slash command whose answer is final (the consent question, pressed at once, is not the answer). */
  async function run(by: FakeUser, name: string, options: Record<string, string | boolean | FakeFile | FakeUser> = {}) {
    const interaction = fake.command('photos', by, name, options);
    const state = await waitFor(`/${name} answered`, () => {
      const s = fake.answer(interaction);
      return s.edits.length > 0 && !/^Before I learn/.test(s.original?.content ?? '') && s;
    });
    return { interaction, state, content: state.original?.content ?? '' };
  }
  const tokenOf = (content: string) => /\/a\/([\w-]+)/.exec(content)?.[1];
  const albumShas = async (token: string) => ((await (await fetch(`${album.url}/api/albums/${token}`)).json()) as { photos: Array<{ sha256: string }> }).photos.map((p) => p.sha256);
  const references = async (token: string) => ((await (await fetch(`${album.url}/api/albums/${token}/faces`)).json()) as { references: unknown[] }).references;
  const photoWith = (m: string, not: string[] = []) => {
    const found = Object.entries(bbt.photos).find(([, who]) => who.includes(m) && not.every((n) => !who.includes(n)));
    if (!found) throw new Error(`no fixture photo with ${m}`);
    return read(found[0]);
  };
  async function post(bytes: Uint8Array, name: string): Promise<void> {
    const message = fake.postMessage('photos', fake.addUser(`poster${name}`, 'Poster'), [{ name, bytes, contentType: 'image/jpeg' }]);
    await waitFor('the photo fetched', () => message.attachments.every((a) => (fake.rest.downloads.get(a.id)?.ok ?? 0) > 0));
    await bot.idle();
  }
  const dms = (u: FakeUser, pattern: RegExp): FakeMessage | undefined => fake.directMessages(u).find((m) => pattern.test(m.content));

  beforeAll(async () => {
    const tmp = () => {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), 'facedrop-dc-membership-'));
      roots.push(d);
      return d;
    };
    engine = createFaceEngine({ threads: 2 });
    fake = await startFakeDiscord({ channels: ['photos'], autoConsent: true });
    const port = await freePort();
    const albumUrl = `http://127.0.0.1:${port}`;
    const env = (dir: string, p: number) =>
      loadConfig(
        { DATA_DIR: dir, HOST: '127.0.0.1', PORT: String(p), PUBLIC_URL: albumUrl, STORE_URL: `sqlite://${path.join(dir, 's.sqlite')}`, LOG_LEVEL: 'silent', FACE_THREADS: '2', DISCORD_BOT_TOKEN: fake.token, DISCORD_API_ROOT: fake.apiRoot, DISCORD_GUILD_ID: fake.guildId },
        { dotenv: false },
      );
    album = await startAlbumServer(env(tmp(), port), { engine });
    config = env(tmp(), 0);
    terminal = await openTerminal(config, { engine });
    members = new Members(terminal, config.PUBLIC_URL);
    bot = await start();
  });

  afterAll(async () => {
    await bot?.stop();
    await terminal?.close();
    await album?.close();
    await fake?.close();
    await engine?.close();
    for (const d of roots) fs.rmSync(d, { recursive: true, force: true });
  });

  it('a selfie with two faces of similar size: the member gets the numbered picture, presses theirs, and only that face is enrolled', async () => {
    const raj = fake.addUser('raj', 'Rajesh');
    const [left, right] = await Promise.all(['raj', 'amy'].map((m) => sharp(selfie(m).bytes).resize({ width: 400, height: 400, fit: 'cover' }).jpeg().toBuffer()));
    const pair = await sharp({ create: { width: 800, height: 400, channels: 3, background: '#777777' } })
      .composite([
        { input: left!, left: 0, top: 0 },
        { input: right!, left: 400, top: 0 },
      ])
      .jpeg()
      .toBuffer();
    const { state, content } = await run(raj, 'register', { selfie: { name: 'pair.jpg', bytes: pair, contentType: 'image/jpeg' } });
    expect(content).toMatch(/shows 2 faces of similar size\. Which one is you\?/);
    expect(state.original?.flags).toBe(64);
    const numbers = (state.edits.at(-1) as { components?: Components }).components!.flatMap((r) => r.components);
    expect(numbers.map((b) => b.label)).toEqual(['1', '2']);
    // The numbered picture is attached to the same ephemeral answer.
    const withPicture = [...fake.rest.interactions.values()].find((s) => s.edits === state.edits && s.pictures?.length);
    expect((await sharp(withPicture!.pictures![0]!).metadata()).width).toBeGreaterThan(0);
    expect((await terminal.contacts.list(group())).map((c) => c.name)).not.toContain('Rajesh');

    fake.press(raj, state, numbers[0]!.custom_id);
    await waitFor('registered', () => /registered here, Rajesh/.test(state.original?.content ?? ''));
    const entry = (await terminal.contacts.list(group())).find((c) => c.name === 'Rajesh')!;
    expect(entry.descriptors).toHaveLength(1);
    const enrolled = normalize(entry.descriptors[0]!);
    expect(cosineDistance(enrolled, normalize((await engine.selfie(selfie('raj').bytes)).face.descriptor))).toBeLessThan(0.35);
    expect(cosineDistance(enrolled, normalize((await engine.selfie(selfie('amy').bytes)).face.descriptor))).toBeGreaterThan(0.5);
  });

  it('a guardian registers a child; a second guardian joins with the code and a matching photo; a photo of the child reaches both albums and nobody else', async () => {
    const mum = fake.addUser('mum', 'Mum');
    const dad = fake.addUser('dad', 'Dad');
    const registered = await run(mum, 'register', { selfie: selfie('howard'), child: 'Howie' });
    expect(registered.content).toMatch(/Howie is registered here/);
    const code = /\/register code:([\w-]+)/.exec(registered.content)?.[1];
    expect(code, registered.content).toBeDefined();
    const mumToken = tokenOf(registered.content)!;
    const howie = (await terminal.contacts.list(group())).find((c) => c.name === 'Howie')!;
    expect(howie.minor).toBe(true);

    // A photo of someone else is refused: the code alone does not route a child's photos.
    const wrong = await run(dad, 'register', { selfie: selfie('sheldon'), code: code! });
    expect(wrong.content).toMatch(/not Howie's/);
    const joined = await run(dad, 'register', { selfie: selfie('howard', 1), code: code! });
    expect(joined.content).toMatch(/Howie is registered in #photos/);
    const dadToken = tokenOf(joined.content)!;
    expect(dadToken).not.toBe(mumToken);
    // The code is one-time.
    const reuse = await run(fake.addUser('reuse', 'Reuse'), 'register', { selfie: selfie('howard', 1), code: code! });
    expect(reuse.content).toMatch(/unknown or has expired/);
    expect((await terminal.contacts.list(group())).find((c) => c.name === 'Howie')!.guardians?.map((g) => g.key)).toEqual([`dc:${dad.id}`]);

    const photo = photoWith('howard', ['penny']);
    await post(photo, 'howie.jpg');
    await waitFor("the photo in both guardians' albums", async () => (await albumShas(mumToken)).includes(sha256(photo)) && (await albumShas(dadToken)).includes(sha256(photo)));
  });

  it('approval mode: the admins get the face picture by DM with an Approve button; only then the face matches', async () => {
    const admin = fake.addUser('boss', 'Boss');
    fake.admins.add(admin.id);
    expect((await run(admin, 'approval', { on: true })).content).toMatch(/Approval mode on/);
    const leonard = fake.addUser('leonard', 'Leonard');
    const joined = await run(leonard, 'register', { selfie: selfie('leonard') });
    expect(joined.content).toMatch(/admin approves new faces here first/);
    const ask = await waitFor('the picture to the owner', () => dms(fake.owner, /Leonard wants to join #photos/));
    const upload = fake.rest.uploads.get(ask.id)!;
    expect(upload.files).toHaveLength(1);
    expect((await sharp(upload.files[0]!).metadata()).width).toBeGreaterThan(0);
    const approveId = (upload.components as Components)[0]!.components[0]!.custom_id;
    expect((await terminal.contacts.list(group())).find((c) => c.name === 'Leonard')?.approved).toBe(false);

    // Someone who is not an admin cannot approve from a copy of the button.
    const intruder = fake.pressButton(leonard, ask, approveId);
    await waitFor('the refusal', () => /Only this channel's admins/.test(intruder.original?.content ?? ''));
    expect((await terminal.contacts.list(group())).find((c) => c.name === 'Leonard')?.approved).toBe(false);
    const pressed = fake.pressButton(fake.owner, ask, approveId);
    await waitFor('approved', () => /Approved: photos of Leonard/.test(pressed.original?.content ?? ''));
    expect((await terminal.contacts.list(group())).find((c) => c.name === 'Leonard')?.approved).not.toBe(false);
    await run(admin, 'approval', { on: false });
  });

  it("/forget releases the album's faces: the album's GET of references shows none, its photos stay", async () => {
    const penny = fake.addUser('penny', 'Penny');
    const { content } = await run(penny, 'register', { selfie: selfie('penny') });
    const token = tokenOf(content)!;
    expect((await references(token)).length).toBeGreaterThan(0);
    const photo = photoWith('penny');
    await post(photo, 'penny.jpg');
    await waitFor('the photo in her album', async () => (await albumShas(token)).includes(sha256(photo)));
    const forgotten = await run(penny, 'forget');
    expect(forgotten.content).toMatch(/face data is removed/);
    expect(await references(token)).toEqual([]);
    expect(await albumShas(token)).toContain(sha256(photo));
  });

  it('a replayed interaction after a restart is handled once: no second acknowledgement, no second answer', async () => {
    const amy = fake.addUser('amy', 'Amy');
    const first = await run(amy, 'album');
    expect(first.content).toMatch(/no album yet/);
    const callbackPath = `/api/v10/interactions/${first.interaction.id}/${first.interaction.token}/callback`;
    const callbacks = () => fake.rest.requests.filter((r) => r.method === 'POST' && r.path === callbackPath).length;
    expect(callbacks()).toBe(1);
    await bot.stop();
    bot = await start();
    // A resumed session replays the dispatch; then a new command proves the new process is listening.
    fake.gateway.dispatch('INTERACTION_CREATE', first.interaction);
    expect((await run(amy, 'help')).content).toMatch(/\/register/);
    await bot.idle();
    expect(callbacks()).toBe(1);
    expect(fake.answer(first.interaction).edits).toHaveLength(1);
    expect(lines.filter((l) => /failed/.test(l))).toEqual([]);
  });

  it('retention: a member who only runs commands is kept; one who does nothing is warned, then forgotten', async () => {
    const busy = fake.addUser('bernadette', 'Bernadette');
    const idle = fake.addUser('stuart', 'Stuart');
    await run(busy, 'register', { selfie: selfie('bernadette') });
    await run(idle, 'register', { selfie: selfie('stuart') });
    clock += 300 * DAY;
    await run(busy, 'album');
    clock += 59 * DAY;
    await waitFor('the warning to the idle member', () => dms(idle, /not used facedrop in #photos for a long time/));
    clock += 8 * DAY;
    await waitFor('the idle member forgotten', async () => !(await terminal.contacts.list(group())).some((c) => c.name === 'Stuart'));
    await sleep(600); // two more passes
    expect((await terminal.contacts.list(group())).map((c) => c.name)).toContain('Bernadette');
    expect(dms(busy, /long time/)).toBeUndefined();
  });
});

